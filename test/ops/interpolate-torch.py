# Writes interpolate-torch.ts: torch 2.14 results and input gradients for the cases of
# interpolate.test.ts (F.interpolate in every mode, pixel_shuffle, pixel_unshuffle) on
# float32 inputs with NaN and ±Inf at non-first positions, up- and downscales, non-integer
# scale factors, sizes of 1, an empty batch, and float16 inputs.
# The linear modes are computed in float64. The nearest modes are computed in float32 (the
# outputs are copies, so exact): torch's CPU kernel picks nearest indices with a float32
# scale for float32 inputs and a double one for float64, and the float32 choice is the one
# sg.interpolate makes for float32 and float16.
# Run: python3 test/ops/interpolate-torch.py > test/ops/interpolate-torch.ts
import json, math, random, torch
import torch.nn.functional as F
from torch_table import f32, inf, lst, nan  # noqa: E402,F401
random.seed(23)
def floats(shape, special=(), dtype='float32'):
    n = math.prod(shape)
    xs = [f32(random.uniform(-3, 3)) for _ in range(n)]
    if dtype == 'float16': xs = [float(torch.tensor(v, dtype=torch.float16)) for v in xs]
    for i, v in enumerate(special): xs[(3 + 5 * i) % n] = v  # never the first position
    return {'shape': list(shape), 'dtype': dtype, 'data': xs}
S = [nan, inf, -inf]
def I(mode, **kw): return ('interpolate', dict(mode=mode, **kw))
CASES = [
    ('nearest 1-D up 3 to 7', I('nearest', size=7), floats([1, 2, 3], [nan])),
    ('nearest 1-D down 8 to 3', I('nearest', size=3), floats([2, 1, 8], S)),
    ('nearest 1-D scaleFactor 2.2', I('nearest', scale_factor=2.2), floats([1, 2, 3])),
    ('nearest 1-D scaleFactor 1.4 same size', I('nearest', scale_factor=1.4), floats([1, 1, 2])),
    ('nearest 1-D size 1', I('nearest', size=1), floats([1, 2, 5])),
    ('nearest 1-D recompute', I('nearest', scale_factor=2.2, recompute_scale_factor=True), floats([1, 2, 3])),
    ('nearest 2-D size [5, 3]', I('nearest', size=[5, 3]), floats([2, 2, 3, 4], S)),
    ('nearest 2-D scaleFactor [1.7, 0.5]', I('nearest', scale_factor=[1.7, 0.5]), floats([1, 2, 3, 4])),
    ('nearest 2-D scaleFactor 2', I('nearest', scale_factor=2), floats([1, 1, 2, 3], [nan])),
    ('nearest 2-D 10 to 6', I('nearest', size=[6, 6]), floats([1, 1, 10, 10])),
    ('nearest-exact 1-D up 3 to 7', I('nearest-exact', size=7), floats([1, 2, 3], [nan])),
    ('nearest-exact 1-D down 8 to 3', I('nearest-exact', size=3), floats([1, 2, 8])),
    ('nearest-exact 2-D scaleFactor 0.6', I('nearest-exact', scale_factor=0.6), floats([1, 2, 5, 4], S)),
    ('nearest-exact 2-D size [7, 2]', I('nearest-exact', size=[7, 2]), floats([1, 1, 3, 5])),
    ('linear up 3 to 7', I('linear', size=7), floats([1, 2, 3], [nan])),
    ('linear alignCorners up 3 to 7', I('linear', size=7, align_corners=True), floats([1, 2, 3])),
    ('linear down 8 to 3', I('linear', size=3), floats([2, 1, 8], S)),
    ('linear alignCorners down 8 to 3', I('linear', size=3, align_corners=True), floats([1, 2, 8])),
    ('linear scaleFactor 1.3', I('linear', scale_factor=1.3), floats([1, 2, 6])),
    ('linear scaleFactor 1.3 recompute', I('linear', scale_factor=1.3, recompute_scale_factor=True), floats([1, 2, 6])),
    ('linear scaleFactor 0.45', I('linear', scale_factor=0.45), floats([1, 1, 9])),
    ('linear size 1', I('linear', size=1), floats([1, 2, 4])),
    ('linear alignCorners size 1', I('linear', size=1, align_corners=True), floats([1, 2, 4])),
    ('linear input size 1', I('linear', size=5), floats([1, 3, 1])),
    ('linear alignCorners input size 1', I('linear', size=4, align_corners=True), floats([1, 2, 1])),
    ('linear same size', I('linear', size=5), floats([1, 2, 5], [nan])),
    ('bilinear up [3, 4] to [5, 7]', I('bilinear', size=[5, 7]), floats([1, 2, 3, 4], S)),
    ('bilinear alignCorners [4, 3] to [2, 9]', I('bilinear', size=[2, 9], align_corners=True), floats([2, 1, 4, 3], [nan])),
    ('bilinear scaleFactor 0.5', I('bilinear', scale_factor=0.5), floats([1, 2, 4, 6])),
    ('bilinear scaleFactor [2.5, 1.5]', I('bilinear', scale_factor=[2.5, 1.5]), floats([1, 1, 2, 3])),
    ('bilinear alignCorners scaleFactor [0.7, 1.9]', I('bilinear', scale_factor=[0.7, 1.9], align_corners=True), floats([1, 2, 5, 3])),
    ('bilinear size [1, 1]', I('bilinear', size=[1, 1]), floats([1, 2, 3, 4])),
    ('bilinear alignCorners size [1, 3]', I('bilinear', size=[1, 3], align_corners=True), floats([1, 1, 3, 4])),
    ('bilinear same H', I('bilinear', size=[3, 6]), floats([1, 2, 3, 4], [nan])),
    ('bilinear empty batch', I('bilinear', size=[3, 5]), floats([0, 2, 2, 2])),
    ('nearest float16', I('nearest', size=[5, 3]), floats([1, 2, 3, 4], [nan], 'float16')),
    ('bilinear float16', I('bilinear', size=[5, 7]), floats([1, 2, 3, 4], [inf], 'float16')),
    ('linear alignCorners float16', I('linear', size=9, align_corners=True), floats([1, 2, 5], [], 'float16')),
    ('pixelShuffle 2', ('pixelShuffle', 2), floats([1, 8, 2, 3], [nan])),
    ('pixelShuffle 3 batch dims', ('pixelShuffle', 3), floats([2, 1, 9, 1, 2])),
    ('pixelShuffle 1', ('pixelShuffle', 1), floats([2, 3, 2])),
    ('pixelUnshuffle 2', ('pixelUnshuffle', 2), floats([1, 2, 4, 6], [nan])),
    ('pixelUnshuffle 3-D', ('pixelUnshuffle', 3), floats([1, 3, 6])),
]
def camel(k): return {'scale_factor': 'scaleFactor', 'align_corners': 'alignCorners', 'recompute_scale_factor': 'recomputeScaleFactor'}.get(k, k)
def run(op, arg, x):
    if op == 'interpolate': return F.interpolate(x, **arg)
    return getattr(F, {'pixelShuffle': 'pixel_shuffle', 'pixelUnshuffle': 'pixel_unshuffle'}[op])(x, arg)
print('// Generated by interpolate-torch.py with torch ' + torch.__version__ + ': do not edit.')
print('const N = NaN;\nconst I = Infinity;\n')
print("export interface In { shape: number[]; dtype: 'float32' | 'float16'; data: number[] }")
print("export interface Case { name: string; op: 'interpolate' | 'pixelShuffle' | 'pixelUnshuffle'; arg: unknown; input: In; g: number[]; shape: number[]; out: number[]; grad: number[] | null }")
print('export const CASES: Case[] = [')
for name, (op, arg), spec in CASES:
    half = spec['dtype'] == 'float16'
    nearest = op == 'interpolate' and arg['mode'].startswith('nearest')
    dt = torch.float16 if half else torch.float32 if nearest else torch.float64
    x = torch.tensor(spec['data'], dtype=torch.float64).to(dt).reshape(spec['shape']).requires_grad_(not half)
    y = run(op, arg, x)
    g = [f32(random.uniform(-1, 1)) for _ in range(y.numel())]
    grad = 'null'
    if not half and nearest:
        # The gradient of the forward's gather, from torch's indexing: torch's own nearest
        # backward takes shortcuts (out == in, out == 2·in) that its CPU forward does not, so
        # with a scaleFactor such as 2.2 on 3 it is not the transpose of the forward.
        code = torch.arange(x.numel(), dtype=torch.float32).reshape(x.shape)
        idx = F.interpolate(code, **arg).long().flatten()
        x64 = x.detach().double().requires_grad_()
        x64.flatten()[idx].backward(torch.tensor(g, dtype=torch.float64))
        grad = lst(x64.grad.flatten().tolist())
    elif not half:
        y.backward(torch.tensor(g, dtype=dt).reshape(y.shape))
        grad = lst(x.grad.double().flatten().tolist())
    targ = json.dumps({camel(k): v for k, v in arg.items()}) if op == 'interpolate' else str(arg)
    inp = f"{{ shape: {spec['shape']}, dtype: '{spec['dtype']}', data: {lst(spec['data'])} }}"
    print(f"  {{ name: '{name}', op: '{op}', arg: {targ}, input: {inp}, g: {lst(g)}, shape: {list(y.shape)}, out: {lst(y.detach().double().flatten().tolist())}, grad: {grad} }},")
print('];')
