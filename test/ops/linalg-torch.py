# Writes linalg-torch.ts: torch 2.14 float64 outputs and gradients for the ops of
# linalg.test.ts (norms, distances, products, diagonals, cross, kron) on float32 inputs, with
# NaN, ±Inf, zeros and ties at non-first positions. Each case names the call; linalg.test.ts
# maps the same name to the scattergrad call.
# Run: python3 test/ops/linalg-torch.py > test/ops/linalg-torch.ts
import math, random, torch
import numpy as np
F = torch.nn.functional
nan, inf = float('nan'), float('inf')
random.seed(11)
f32 = lambda v: float(torch.tensor(v, dtype=torch.float32))
def js(v):
    if math.isnan(v): return 'N'
    if math.isinf(v): return 'I' if v > 0 else '-I'
    if v == 0 and math.copysign(1, v) < 0: return '-0'
    if float(np.float32(v)) == v: return repr(np.float32(v).item()) if False else str(np.float32(v))   # exact float32: its shortest form
    return '%.12g' % v
def lst(xs): return '[' + ', '.join(js(v) for v in xs) + ']'
def numel(shape): return math.prod(shape)

def inp(shape, lo=-2, hi=2, special=None):
    """A float32-valued input: seeded uniform values, `special` {flat index: value} on top."""
    xs = [f32(random.uniform(lo, hi)) for _ in range(numel(shape))]
    for i, v in (special or {}).items(): xs[i] = f32(v)
    return (list(shape), xs)

CASES = []
def case(name, fn, inputs, grad=True, dtype=torch.float64):
    ts = [torch.tensor(x, dtype=dtype).reshape(s).requires_grad_(grad) for s, x in inputs]
    y = fn(*ts)
    g = [f32(random.uniform(-1, 1)) for _ in range(y.numel())]
    dx = [None] * len(ts)
    if grad and y.requires_grad:
        try:
            y.backward(torch.tensor(g, dtype=dtype).reshape(y.shape))
            dx = [None if t.grad is None else t.grad.flatten().tolist() for t in ts]
        except RuntimeError:
            pass   # dist with p = 0: torch's backward fails on its undefined gradient
    CASES.append((name, inputs, list(y.shape), y.detach().flatten().tolist(), g, dx))

V = torch.linalg.vector_norm
ORDS = [2, 1, 0, inf, -inf, 3, 0.5, 1.5, -1, -2.5]
def fmt(p): return {inf: 'I', -inf: '-I'}.get(p, str(p))
# 1-D, size 37: plain; a zero at 5; a NaN at 7; an Inf at 9; ties of the largest |x| at 3 and 20.
for p in ORDS:
    case(f'vn {fmt(p)}', lambda x, p=p: V(x, p), [inp([37])])
    case(f'vn {fmt(p)} zero', lambda x, p=p: V(x, p), [inp([37], special={5: 0.0, 11: -0.0})])
    case(f'vn {fmt(p)} nan', lambda x, p=p: V(x, p), [inp([37], special={7: nan})])
    case(f'vn {fmt(p)} inf', lambda x, p=p: V(x, p), [inp([37], special={9: -inf})])
    case(f'vn {fmt(p)} ties', lambda x, p=p: V(x, p), [inp([37], special={3: 2.5, 20: -2.5, 30: 2.5})])
    case(f'vn {fmt(p)} all zero', lambda x, p=p: V(x, p), [inp([6], special={i: 0.0 for i in range(6)})])
    # 2-D [5, 7] along each dim, both, keepdim; row 2 holds a NaN, row 3 is zeros, row 4 an Inf.
    sp = {2 * 7 + 3: nan, **{3 * 7 + j: 0.0 for j in range(7)}, 4 * 7 + 6: inf}
    case(f'vn {fmt(p)} dim 1', lambda x, p=p: V(x, p, 1), [inp([5, 7], special=sp)])
    case(f'vn {fmt(p)} dim 0 keepdim', lambda x, p=p: V(x, p, 0, True), [inp([5, 7], special=sp)])
    case(f'vn {fmt(p)} dims 0,2', lambda x, p=p: V(x, p, (0, 2)), [inp([3, 4, 5])])
    case(f'vn {fmt(p)} 0-d', lambda x, p=p: V(x, p, 0), [inp([], special={0: -3.0})])
# float32 in torch too: its squares underflow and its sum overflows there, not in float64
case('vn 2 underflow', lambda x: V(x), [([2], [1e-30, 1e-30])], dtype=torch.float32)
case('vn 2 overflow', lambda x: V(x), [([2], [f32(3e38), f32(3e38)])], dtype=torch.float32)
case('vn 3 overflow', lambda x: V(x, 3), [([3], [f32(2e13), 1.0, f32(-3e13)])], dtype=torch.float32)
case('vn 2 empty', lambda x: V(x), [([0], [])])
case('vn 1 empty dim 1', lambda x: V(x, 1, 1), [([2, 0], [])])
case('vn I empty dim 0', lambda x: V(x, inf, 0), [([2, 0], [])])
case('vn 0 nan', lambda x: V(x, 0), [inp([5], special={1: nan, 3: 0.0})])

M = torch.linalg.matrix_norm
for o in ['fro', 1, -1, inf, -inf]:
    name = o if o == 'fro' else fmt(o)
    case(f'mn {name}', lambda x, o=o: M(x, o), [inp([4, 5], special={7: nan} if o == 'fro' else {})])
    case(f'mn {name} ties', lambda x, o=o: M(x, o), [([2, 2], [1.0, -2.0, -2.0, 1.0])])
    case(f'mn {name} dim 1,0 keepdim', lambda x, o=o: M(x, o, (1, 0), True), [inp([4, 5])])
    case(f'mn {name} batched dims 0,2', lambda x, o=o: M(x, o, (0, 2)), [inp([3, 2, 4])])
case('norm fro dim 1', lambda x: torch.norm(x, 'fro', 1), [inp([3, 4])])
case('norm 3 dims 0,1', lambda x: torch.norm(x, 3, (0, 1)), [inp([3, 4])])
case('norm default', lambda x: x.norm(), [inp([3, 4])])

for p in [2, 1, 0, inf, 3]:
    case(f'dist {fmt(p)}', lambda x, y, p=p: torch.dist(x, y, p), [inp([3, 4], special={5: nan} if p == 3 else {}), inp([4])])
for p, d in [(2, 1), (2, 0), (1, 1), (inf, 1), (3, -1)]:
    case(f'normalize {fmt(p)} dim {d}', lambda x, p=p, d=d: F.normalize(x, p, d), [inp([4, 5], special={5: 0.0, 6: 0.0, 7: 0.0, 8: 0.0, 9: 0.0, 13: nan})])
case('normalize tiny', lambda x: F.normalize(x, 2, 1), [([2, 2], [1e-13, -1e-13, 3.0, 4.0])])
case('cos dim 1', lambda a, b: F.cosine_similarity(a, b), [inp([4, 5], special={5: 0.0, 6: 0.0, 7: 0.0, 8: 0.0, 9: 0.0, 13: nan}), inp([1, 5])])
case('cos dim 0', lambda a, b: F.cosine_similarity(a, b, 0), [inp([4, 5]), inp([4, 5])])
case('cos broadcast', lambda a, b: F.cosine_similarity(a, b, -1), [inp([3, 1, 4]), inp([2, 4])])
case('cos tiny', lambda a, b: F.cosine_similarity(a, b, 1), [([2, 3], [1e-9, 2e-9, 0.0, 1.0, 2.0, 3.0]), ([2, 3], [1.0, 1.0, 1.0, 1e-10, 0.0, 0.0])])
case('cos eps 0.5', lambda a, b: F.cosine_similarity(a, b, 1, 0.5), [inp([3, 4], -0.3, 0.3), inp([3, 4])])
for p in [2, 1, inf, 0, 3, -1]:
    case(f'pd {fmt(p)}', lambda a, b, p=p: F.pairwise_distance(a, b, p), [inp([4, 5], special={7: nan} if p == 3 else {}), inp([5])])
case('pd keepdim', lambda a, b: F.pairwise_distance(a, b, 2, 1e-6, True), [inp([4, 5]), inp([4, 5])])
case('pd eps 0', lambda a, b: F.pairwise_distance(a, b, 2, 0.0), [inp([3, 2]), ([3, 2], [0.5, 0.5, 0.25, 1.0, -1.0, 2.0])])
case('pd 0-d', lambda a, b: F.pairwise_distance(a, b), [inp([]), inp([])])
for p in [2, 1, 0, inf, 3, 0.5, 1.5]:
    # x2's row 1 equals x1's row 0 of batch 0 (a zero distance); x1 holds a NaN in batch 1; ties at row 2.
    x1 = inp([2, 5, 3], special={3 * 3 + 1: nan, 2 * 3: 1.5, 2 * 3 + 1: -1.5})
    x2 = inp([1, 4, 3])
    x2[1][3:6] = x1[1][0:3]
    x2[1][0:3] = [0.0, 0.0, 0.0]
    case(f'cdist {fmt(p)}', lambda a, b, p=p: torch.cdist(a, b, p, compute_mode='donot_use_mm_for_euclid_dist'), [x1, x2])
case('cdist 2 empty features', lambda a, b: torch.cdist(a, b), [([2, 3, 0], []), ([1, 4, 0], [])])

case('outer', lambda a, b: torch.outer(a, b), [inp([5], special={2: nan}), inp([3], special={1: inf})])
case('dot', lambda a, b: torch.dot(a, b), [inp([37]), inp([37])])
case('mv', lambda m, v: torch.mv(m, v), [inp([4, 5]), inp([5])])
case('mm', lambda a, b: torch.mm(a, b), [inp([3, 5]), inp([5, 4])])
case('addmm', lambda i, a, b: torch.addmm(i, a, b), [inp([4]), inp([3, 5]), inp([5, 4])])
case('addmm beta 0.5 alpha 2', lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=2), [inp([3, 1]), inp([3, 5]), inp([5, 4])])
case('addmm beta 0 nan', lambda i, a, b: torch.addmm(i, a, b, beta=0), [inp([3, 4], special={1: nan, 6: inf}), inp([3, 5]), inp([5, 4])])
case('addmm alpha 0', lambda i, a, b: torch.addmm(i, a, b, alpha=0), [inp([3, 4]), inp([3, 5]), inp([5, 4])])
case('addmv', lambda i, a, b: torch.addmv(i, a, b, beta=-1, alpha=0.5), [inp([]), inp([4, 5]), inp([5])])
case('baddbmm', lambda i, a, b: torch.baddbmm(i, a, b, beta=2, alpha=-1), [inp([1, 4]), inp([2, 3, 5]), inp([2, 5, 4])])

A = inp([3, 4, 5])
for off, d1, d2 in [(0, 0, 1), (1, 0, 2), (-1, -1, 0), (2, 2, 1), (7, 0, 1), (-2, 1, 2)]:
    case(f'diagonal {off} {d1} {d2}', lambda x, off=off, d1=d1, d2=d2: torch.diagonal(x, off, d1, d2), [A])
for off, d1, d2 in [(0, -2, -1), (1, 0, 2), (-1, 2, 0), (2, 1, 0)]:
    case(f'diagEmbed {off} {d1} {d2}', lambda x, off=off, d1=d1, d2=d2: torch.diag_embed(x, off, d1, d2), [inp([2, 3])])
for off in [0, 1, -2, 5]:
    case(f'diag 1-D {off}', lambda x, off=off: torch.diag(x, off), [inp([4])])
    case(f'diag 2-D {off}', lambda x, off=off: torch.diag(x, off), [inp([3, 5])])
case('trace', lambda x: torch.trace(x), [inp([3, 5], special={8: nan})])
case('trace empty', lambda x: torch.trace(x), [([0, 3], [])])
case('linalg.cross', lambda a, b: torch.linalg.cross(a, b), [inp([4, 3]), inp([1, 3])])
case('linalg.cross dim 0', lambda a, b: torch.linalg.cross(a, b, dim=0), [inp([3, 2]), inp([3, 2], special={1: nan})])
case('cross default dim', lambda a, b: torch.cross(a, b), [inp([2, 3, 3]), inp([2, 3, 3])])
case('kron 2-D', lambda a, b: torch.kron(a, b), [inp([2, 3]), inp([3, 2])])
case('kron 1-D 2-D', lambda a, b: torch.kron(a, b), [inp([2]), inp([2, 3])])
case('kron 0-d', lambda a, b: torch.kron(a, b), [inp([]), inp([3])])

# float16 forward: torch computes in float32 and rounds once (its opmath).
HALF = []
for p in [2, 1, inf, 3, 0.5]:
    xs = [float(torch.tensor(random.uniform(-30, 30), dtype=torch.float16)) for _ in range(37)]
    y = V(torch.tensor(xs, dtype=torch.float16), p)
    HALF.append((p, xs, float(y)))

print('// Generated by linalg-torch.py with torch ' + torch.__version__ + ': do not edit.')
print('const N = NaN;\nconst I = Infinity;\n')
print('export interface Case { name: string; inputs: Array<{ shape: number[]; x: number[] }>; shape: number[]; y: number[]; g: number[]; dx: Array<number[] | null> }')
print('export const CASES: Case[] = [')
for name, inputs, shape, y, g, dx in CASES:
    ins = ', '.join(f'{{ shape: {list(s)}, x: {lst(x)} }}' for s, x in inputs)
    dxs = ', '.join('null' if d is None else lst(d) for d in dx)
    print(f"  {{ name: '{name}', inputs: [{ins}], shape: {shape}, y: {lst(y)}, g: {lst(g)}, dx: [{dxs}] }},")
print('];\n')
print('export const TRI: Array<{ row: number; col: number; offset: number; upper: boolean; y: number[] }> = [')
for r, c, o in [(3, 3, 0), (3, 4, 1), (4, 3, -1), (0, 4, 0), (3, 4, 10), (3, 4, -10), (5, 2, -3), (1, 1, 0)]:
    for up in [True, False]:
        y = (torch.triu_indices if up else torch.tril_indices)(r, c, o)
        print(f"  {{ row: {r}, col: {c}, offset: {o}, upper: {'true' if up else 'false'}, y: {y.flatten().tolist()} }},")
print('];\n')
print('export const HALF: Array<{ p: number; x: number[]; y: number }> = [')
for p, xs, y in HALF:
    print(f'  {{ p: {js(p)}, x: {lst(xs)}, y: {js(y)} }},')
print('];')
