"""PyTorch's answers to the parity cases (bench/parity/ops.mjs): outputs, and the gradients of
sum(output * w) for fixed weights w, in float32 on the CPU as a PyTorch user would get them.
   python3 bench/parity/torch_ref.py cases.json expected.json"""
import json
import math
import sys

import torch
import torch.nn.functional as F

DTYPES = {'float32': torch.float32, 'int32': torch.int32, 'bool': torch.bool, 'float16': torch.float16}


def decode(v):
    return {'nan': math.nan, 'inf': math.inf, '-inf': -math.inf, '-0': -0.0}.get(v, v) if isinstance(v, str) else v


def encode(v):
    if isinstance(v, float) and math.isnan(v):
        return 'nan'
    if isinstance(v, float) and math.isinf(v):
        return 'inf' if v > 0 else '-inf'
    return v


def kind(t):
    if t.dtype == torch.bool:
        return 'bool'
    return 'float' if t.dtype.is_floating_point else 'int'


def weight(k, n):
    """The upstream gradient of output k (the same formula as run.mjs)."""
    return torch.tensor([((i * 37 + k * 11) % 17) / 8 - 1 for i in range(n)], dtype=torch.float32)


def vec(f, x):
    """f(x) with every element in one of PyTorch's vectorized chunks, none in the scalar tail
    (x flattened between 64 zeros on each side): where the two kernels differ (the gradient of
    hardtanh, hardswish, celu, selu at a NaN input), the vectorized kernel's answer."""
    flat = x.reshape(-1)
    pad = torch.zeros(64, dtype=x.dtype)
    return f(torch.cat([pad, flat, pad]))[64:64 + flat.numel()].reshape(x.shape)


def answer(case):
    xs = []
    for spec in case['x']:
        data = [decode(v) for v in spec['data']]
        if spec.get('num'):  # a Python number operand
            xs.append(int(data[0]) if spec['dtype'] == 'int32' else data[0])
            continue
        t = torch.tensor([bool(v) for v in data] if spec['dtype'] == 'bool' else data, dtype=DTYPES[spec['dtype']]).reshape(spec['shape'])
        if case['grad'] and spec['dtype'] in ('float32', 'float16') and spec.get('grad', True):
            t.requires_grad_(True)
        xs.append(t)
    try:
        out = eval(case['py'], {'t': torch, 'F': F, 'x': xs, 'a': case['a'], 'math': math, 'vec': vec})
    except Exception as e:  # PyTorch refuses: the case expects an error here too
        return {'id': case['id'], 'error': str(e).split('\n')[0][:200]}
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    outs = [o if isinstance(o, torch.Tensor) else torch.tensor(o) for o in outs]
    res = {'id': case['id'], 'outputs': [{'kind': kind(o), 'shape': list(o.shape), 'data': [encode(float(v)) for v in o.detach().reshape(-1).tolist()]} for o in outs]}
    if case['grad']:
        loss = None
        for k, o in enumerate(outs):
            if o.requires_grad:
                term = (o.reshape(-1) * weight(k, o.numel())).sum()
                loss = term if loss is None else loss + term
        try:
            if loss is not None:
                loss.backward()
        except RuntimeError as e:  # PyTorch has no gradient here: nothing to compare
            res['gradError'] = str(e).split('\n')[0][:200]
            return res
        res['grads'] = [None if not isinstance(x, torch.Tensor) or not x.requires_grad else [encode(float(v)) for v in ((x.grad + 0) if x.grad is not None else torch.zeros_like(x)).reshape(-1).tolist()] for x in xs]
    return res


def main():
    cases = json.load(open(sys.argv[1]))
    torch.manual_seed(0)
    json.dump({'torch': torch.__version__, 'answers': [answer(c) for c in cases]}, open(sys.argv[2], 'w'))
    print(f'torch {torch.__version__}: answered {len(cases)} cases')


main()
