# Shared by the *-torch.py generators: how a number is written into a generated .ts table
# (NaN as N, ±Infinity as ±I, -0 kept), and float32 rounding of an input.
import math
import torch

nan, inf = float('nan'), float('inf')
f32 = lambda v: float(torch.tensor(v, dtype=torch.float32))


def js(v, bools='01'):
    """v as TypeScript: bools as 1/0 (bools='01') or true/false (bools='js')."""
    if isinstance(v, bool): return ('1' if v else '0') if bools == '01' else ('true' if v else 'false')
    if isinstance(v, int): return str(v)
    if math.isnan(v): return 'N'
    if math.isinf(v): return 'I' if v > 0 else '-I'
    if v == 0 and math.copysign(1, v) < 0: return '-0'
    return repr(v)


def lst(xs, bools='01'): return '[' + ', '.join(js(v, bools) for v in xs) + ']'
