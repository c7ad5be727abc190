# Writes loss-extra-torch.ts: torch 2.14 float64 values and gradients of the losses of
# loss-extra.test.ts (klDiv, poissonNllLoss, gaussianNllLoss, cosineEmbeddingLoss,
# marginRankingLoss, hingeEmbeddingLoss, softMarginLoss, multiLabelSoftMarginLoss,
# tripletMarginLoss) for each reduction and option, on float32 inputs with NaN/Inf/0 in places.
# Run: python3 test/ops/loss-extra-torch.py > test/ops/loss-extra-torch.ts
import json, math, random, warnings, torch
from torch_table import f32, inf, js, lst, nan  # noqa: E402,F401
F = torch.nn.functional
warnings.filterwarnings('ignore')
random.seed(5)
def rnd(n, lo=-2, hi=2): return [f32(random.uniform(lo, hi)) for _ in range(n)]
def numel(s): return math.prod(s)

CASES = []
def case(name, op, args, opts, py):
    """args: (values, shape, requires_grad) triples, or a plain number (gaussianNllLoss's var)."""
    CASES.append((name, op, args, opts, py))

RED = ['none', 'mean', 'sum']
sign = lambda n: [random.choice([1.0, -1.0]) for _ in range(n)]
for r in RED:
    lp = rnd(12, -3, 0); t = rnd(12, 0, 1); t[1] = 0.0; t[5] = 0.0; lp[7] = -inf; t[9] = nan
    case(f'klDiv {r}', 'klDiv', [(lp, [3, 4], True), (t, [3, 4], True)], {'reduction': r}, lambda a, b, r=r: F.kl_div(a, b, reduction=r))
    lt = rnd(12, -3, 0); lt[3] = -inf
    case(f'klDiv logTarget {r}', 'klDiv', [(rnd(12, -3, 0), [3, 4], True), (lt, [3, 4], True)], {'reduction': r, 'logTarget': True}, lambda a, b, r=r: F.kl_div(a, b, reduction=r, log_target=True))
case('klDiv batchmean', 'klDiv', [(rnd(12, -3, 0), [3, 4], True), (rnd(12, 0, 1), [3, 4], True)], {'reduction': 'batchmean'}, lambda a, b: F.kl_div(a, b, reduction='batchmean'))
case('klDiv batchmean 0-d', 'klDiv', [(rnd(1, -3, 0), [], True), (rnd(1, 0, 1), [], True)], {'reduction': 'batchmean'}, lambda a, b: F.kl_div(a, b, reduction='batchmean'))
case('klDiv broadcast target', 'klDiv', [(rnd(12, -3, 0), [3, 4], True), (rnd(4, 0, 1), [4], True)], {'reduction': 'sum'}, lambda a, b: F.kl_div(a, b, reduction='sum'))
for r in RED:
    tgt = [float(random.randint(0, 5)) for _ in range(10)]; tgt[2] = 1.0; tgt[4] = 0.0; tgt[6] = nan
    case(f'poissonNllLoss {r}', 'poissonNllLoss', [(rnd(10), [2, 5], True), (tgt, [2, 5], True)], {'reduction': r}, lambda a, b, r=r: F.poisson_nll_loss(a, b, reduction=r))
    case(f'poissonNllLoss full {r}', 'poissonNllLoss', [(rnd(10), [2, 5], True), (tgt, [2, 5], True)], {'reduction': r, 'full': True}, lambda a, b, r=r: F.poisson_nll_loss(a, b, full=True, reduction=r))
    x = rnd(10, 0, 3); x[3] = 0.0
    case(f'poissonNllLoss rates {r}', 'poissonNllLoss', [(x, [2, 5], True), (tgt, [2, 5], True)], {'reduction': r, 'logInput': False, 'eps': 1e-3}, lambda a, b, r=r: F.poisson_nll_loss(a, b, log_input=False, eps=1e-3, reduction=r))
for r in RED:
    v = rnd(12, 0, 2); v[2] = 0.0; v[5] = 1e-8; v[8] = 1e-6
    case(f'gaussianNllLoss {r}', 'gaussianNllLoss', [(rnd(12), [3, 4], True), (rnd(12), [3, 4], True), (v, [3, 4], True)], {'reduction': r}, lambda a, b, c, r=r: F.gaussian_nll_loss(a, b, c, reduction=r))
case('gaussianNllLoss var one dim short, full', 'gaussianNllLoss', [(rnd(12), [3, 4], True), (rnd(12), [3, 4], True), (rnd(3, 0.1, 2), [3], True)], {'full': True}, lambda a, b, c: F.gaussian_nll_loss(a, b, c, full=True))
case('gaussianNllLoss var [3, 1], eps', 'gaussianNllLoss', [(rnd(12), [3, 4], True), (rnd(12), [3, 4], True), ([0.5, 1e-4, 2.0], [3, 1], True)], {'eps': 1e-2, 'reduction': 'sum'}, lambda a, b, c: F.gaussian_nll_loss(a, b, c, eps=1e-2, reduction='sum'))
case('gaussianNllLoss var [1, 4]', 'gaussianNllLoss', [(rnd(12), [3, 4], True), (rnd(12), [3, 4], True), (rnd(4, 0.1, 2), [1, 4], True)], {'reduction': 'none'}, lambda a, b, c: F.gaussian_nll_loss(a, b, c, reduction='none'))
case('gaussianNllLoss number var', 'gaussianNllLoss', [(rnd(6), [6], True), (rnd(6), [6], True), 0.75], {}, lambda a, b: F.gaussian_nll_loss(a, b, 0.75))
for r in RED:
    t = [1.0, -1.0, 1.0, -1.0, 0.0]
    a = rnd(20); b = rnd(20); b[5:10] = a[5:10]  # row 1: cos = 1
    case(f'cosineEmbeddingLoss {r}', 'cosineEmbeddingLoss', [(a, [5, 4], True), (b, [5, 4], True), (t, [5], False)], {'reduction': r, 'margin': 0.2}, lambda x, y, z, r=r: F.cosine_embedding_loss(x, y, z, margin=0.2, reduction=r))
case('cosineEmbeddingLoss 1-D', 'cosineEmbeddingLoss', [(rnd(4), [4], True), (rnd(4), [4], True), ([-1.0], [], False)], {}, lambda x, y, z: F.cosine_embedding_loss(x, y, z))
case('cosineEmbeddingLoss zero row', 'cosineEmbeddingLoss', [([0.0] * 3 + rnd(3), [2, 3], True), (rnd(6), [2, 3], True), ([1.0, -1.0], [2], False)], {'reduction': 'none'}, lambda x, y, z: F.cosine_embedding_loss(x, y, z, reduction='none'))
for r in RED:
    case(f'marginRankingLoss {r}', 'marginRankingLoss', [(rnd(7), [7], True), (rnd(7), [7], True), (sign(7), [7], True)], {'reduction': r, 'margin': 0.5}, lambda x, y, z, r=r: F.margin_ranking_loss(x, y, z, margin=0.5, reduction=r))
    t = sign(8); t[3] = 0.0
    case(f'hingeEmbeddingLoss {r}', 'hingeEmbeddingLoss', [(rnd(8, -1, 3), [2, 4], True), (t, [2, 4], False)], {'reduction': r}, lambda x, z, r=r: F.hinge_embedding_loss(x, z, reduction=r))
    x = rnd(12, -3, 3); x[4] = 30.0; x[7] = -25.0
    case(f'softMarginLoss {r}', 'softMarginLoss', [(x, [3, 4], True), (sign(12), [3, 4], False)], {'reduction': r}, lambda x, z, r=r: F.soft_margin_loss(x, z, reduction=r))
    tg = [float(random.randint(0, 1)) for _ in range(15)]
    case(f'multiLabelSoftMarginLoss {r}', 'multiLabelSoftMarginLoss', [(rnd(15, -4, 4), [3, 5], True), (tg, [3, 5], True)], {'reduction': r}, lambda x, z, r=r: F.multilabel_soft_margin_loss(x, z, reduction=r))
    case(f'tripletMarginLoss {r}', 'tripletMarginLoss', [(rnd(24), [4, 6], True), (rnd(24), [4, 6], True), (rnd(24), [4, 6], True)], {'reduction': r}, lambda a, p, n, r=r: F.triplet_margin_loss(a, p, n, reduction=r))
case('hingeEmbeddingLoss margin 2', 'hingeEmbeddingLoss', [(rnd(6), [6], True), (sign(6), [6], False)], {'margin': 2.0}, lambda x, z: F.hinge_embedding_loss(x, z, margin=2.0))
case('multiLabelSoftMarginLoss weight', 'multiLabelSoftMarginLoss', [(rnd(15, -4, 4), [3, 5], True), ([float(random.randint(0, 1)) for _ in range(15)], [3, 5], True), (rnd(5, 0, 2), [5], True)], {'reduction': 'sum'},
     lambda x, z, w: F.multilabel_soft_margin_loss(x, z, weight=w, reduction='sum'))
case('multiLabelSoftMarginLoss 1-D', 'multiLabelSoftMarginLoss', [(rnd(5, -4, 4), [5], True), ([1.0, 0.0, 0.0, 1.0, 1.0], [5], True)], {}, lambda x, z: F.multilabel_soft_margin_loss(x, z))
for p in [1.0, 3.0, inf]:
    case(f'tripletMarginLoss p={p}', 'tripletMarginLoss', [(rnd(24), [4, 6], True), (rnd(24), [4, 6], True), (rnd(24), [4, 6], True)], {'p': p, 'margin': 0.5}, lambda a, pp, n, p=p: F.triplet_margin_loss(a, pp, n, p=p, margin=0.5))
case('tripletMarginLoss swap', 'tripletMarginLoss', [(rnd(24), [4, 6], True), (rnd(24), [4, 6], True), (rnd(24), [4, 6], True)], {'swap': True, 'eps': 1e-3, 'reduction': 'none'}, lambda a, p, n: F.triplet_margin_loss(a, p, n, swap=True, eps=1e-3, reduction='none'))
case('tripletMarginLoss 1-D', 'tripletMarginLoss', [(rnd(5), [5], True), (rnd(5), [5], True), (rnd(5), [5], True)], {'margin': 3.0}, lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0))

print('// Generated by loss-extra-torch.py with torch ' + torch.__version__ + ': do not edit.')
print('const N = NaN;\nconst I = Infinity;\n')
print('export interface LossArg { v: number[]; shape: number[]; grad: boolean }')
print('export interface LossCase { name: string; op: string; args: Array<LossArg | number>; opts: Record<string, unknown>; g: number[]; y: number[]; grads: Array<number[] | null> }')
print('export const CASES: LossCase[] = [')
for name, op, args, opts, py in CASES:
    ts = [torch.tensor(a[0], dtype=torch.float64).reshape(a[1]).requires_grad_(a[2]) if isinstance(a, tuple) else None for a in args]
    y = py(*[t for t in ts if t is not None])
    g = rnd(max(1, y.numel()), -1, 1)[:y.numel()]
    y.backward(torch.tensor(g, dtype=torch.float64).reshape(y.shape))
    jargs = ', '.join(f"{{ v: {lst(a[0])}, shape: {json.dumps(a[1])}, grad: {'true' if a[2] else 'false'} }}" if isinstance(a, tuple) else repr(a) for a in args)
    grads = ', '.join(lst(t.grad.flatten().tolist()) if t is not None and t.grad is not None else 'null' for t in ts)
    o = json.dumps(opts).replace('Infinity', 'I')
    print(f"  {{ name: '{name}', op: '{op}', args: [{jargs}], opts: {o}, g: {lst(g)}, y: {lst(y.flatten().tolist())}, grads: [{grads}] }},")
print('];')
