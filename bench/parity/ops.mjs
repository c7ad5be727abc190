// The op table of the PyTorch parity check: each entry calls one op here (`sg`) and the same
// op in PyTorch (`py`, a Python expression over the input list `x`, the arguments `a`, `torch`
// as `t` and `torch.nn.functional` as `F`), with the cases to run it on. Inputs are generated
// from a seed, with NaN and ±Inf at random positions where a case asks for them.
//   node bench/parity/run.mjs cases FILE   writes the cases; torch_ref.py answers them

// A small seeded generator (mulberry32), so the cases are the same on every machine.
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Strided inputs: adds to each op copies of some of its cases (each kept with probability
 * 1 - p, drawn from G) whose rank >= 2 inputs accepted by `use` are generated with their last
 * two dims swapped and transposed back (x.transpose(-1, -2)) before the op, on both sides.
 */
export function addTransposedCases(ops, G, p, use = () => true) {
  const swapLast = (mk) => (r) => { const o = mk(r); const sh = [...o.shape]; [sh[sh.length - 2], sh[sh.length - 1]] = [sh.at(-1), sh.at(-2)]; return { ...o, shape: sh }; };
  for (const op of ops) {
    const extra = [];
    for (const c of op.cases) {
      if (G() > p || c.a?.tv) continue;
      const probe = c.x.map((mk) => mk(rng(1)));
      const tv = probe.map((t, i) => (t.shape.length >= 2 && use(t) ? i : -1)).filter((i) => i >= 0);
      if (!tv.length) continue;
      extra.push({ ...c, x: c.x.map((mk, i) => (tv.includes(i) ? swapLast(mk) : mk)), a: { ...c.a, tv } });
    }
    op.cases.push(...extra);
    const sgf = op.sg;
    op.sg = (sg, x, a) => sgf(sg, a.tv ? x.map((t, i) => (a.tv.includes(i) ? t.transpose(-1, -2) : t)) : x, a);
    op.py = `(lambda x: ${op.py})([xi.transpose(-1, -2) if i in a.get("tv", []) else xi for i, xi in enumerate(x)])`;
  }
}

const numel = (shape) => shape.reduce((a, b) => a * b, 1);

/** Input makers: float (lo..hi, with `special` of the values NaN/±Inf), int, bool. */
const F = (shape, { lo = -2, hi = 2, special = 0, grad = true, round } = {}) => (r) => ({
  shape, dtype: 'float32', grad,
  data: Array.from({ length: numel(shape) }, () => {
    if (special && r() < special) return ['nan', 'inf', '-inf'][Math.floor(r() * 3)];
    const v = lo + (hi - lo) * r();
    return round ? Math.round(v * round) / round : Math.fround(v);
  }),
});
const I = (shape, lo, hi) => (r) => ({ shape, dtype: 'int32', data: Array.from({ length: numel(shape) }, () => lo + Math.floor((hi - lo) * r())) });
const B = (shape, p = 0.5) => (r) => ({ shape, dtype: 'bool', data: Array.from({ length: numel(shape) }, () => (r() < p ? 1 : 0)) });
/** A permutation of 0..n-1 along the last dim of `shape`, repeated over the leading dims. */
const Perm = (shape, n) => (r) => {
  const rows = numel(shape) / shape.at(-1);
  const data = [];
  for (let i = 0; i < rows; i++) {
    const p = Array.from({ length: n }, (_, j) => j);
    for (let j = n - 1; j > 0; j--) { const k = Math.floor(r() * (j + 1)); [p[j], p[k]] = [p[k], p[j]]; }
    data.push(...p.slice(0, shape.at(-1)));
  }
  return { shape, dtype: 'int32', data };
};

const NAN = 0.15; // share of special values in the cases that test NaN/Inf handling

const unary = (name, py, lo = -3, hi = 3) => ({
  name, sg: (sg, x) => x[0][name](), py,
  cases: [{ x: [F([7, 5], { lo, hi })] }, { x: [F([3, 0, 4])] }, { x: [F([33], { lo, hi, special: NAN, grad: false })] }],
});

export const OPS = [
  // unary math
  unary('sin', 't.sin(x[0])'), unary('cos', 't.cos(x[0])'), unary('erf', 't.erf(x[0])'),
  unary('floor', 't.floor(x[0])'), unary('ceil', 't.ceil(x[0])'), unary('trunc', 't.trunc(x[0])'),
  { ...unary('logsigmoid', 'F.logsigmoid(x[0])', -30, 30), sg: (sg, x) => sg.logsigmoid(x[0]) },
  { name: 'round (half to even)', sg: (sg, x) => x[0].round(), py: 't.round(x[0])', cases: [{ x: [F([41], { lo: -4, hi: 4, round: 2 })] }, { x: [F([9], { special: NAN, grad: false })] }] },
  { name: 'softplus', sg: (sg, x, a) => sg.softplus(x[0], a.beta, a.threshold), py: 'F.softplus(x[0], beta=a["beta"], threshold=a["threshold"])',
    cases: [{ x: [F([6, 7], { lo: -30, hi: 30 })], a: { beta: 1, threshold: 20 } }, { x: [F([6, 7], { lo: -5, hi: 5 })], a: { beta: 2, threshold: 3 } }, { x: [F([17], { special: NAN, grad: false })], a: { beta: 1, threshold: 20 } }] },
  { name: 'leakyRelu', sg: (sg, x, a) => sg.leakyRelu(x[0], a.s), py: 'F.leaky_relu(x[0], a["s"])', cases: [{ x: [F([5, 9])], a: { s: 0.2 } }, { x: [F([17], { special: NAN, grad: false })], a: { s: 0.01 } }] },
  { name: 'elu', sg: (sg, x, a) => sg.elu(x[0], a.alpha), py: 'F.elu(x[0], a["alpha"])', cases: [{ x: [F([5, 9])], a: { alpha: 1.5 } }, { x: [F([17], { special: NAN, grad: false })], a: { alpha: 1 } }] },
  // clamp
  { name: 'clamp(min, max)', sg: (sg, x, a) => x[0].clamp(a.min, a.max), py: 't.clamp(x[0], a["min"], a["max"])',
    cases: [{ x: [F([6, 5])], a: { min: -0.5, max: 0.7 } }, { x: [F([6, 5])], a: { min: null, max: 0.3 } }, { x: [F([6, 5])], a: { min: 0.1, max: null } }, { x: [F([19], { special: NAN, grad: false })], a: { min: -1, max: 1 } }, { x: [I([13], -9, 9)], a: { min: -3, max: 4 } }] },
  { name: 'clamp(tensor, tensor)', sg: (sg, x) => x[0].clamp(x[1], x[2]), py: 't.clamp(x[0], x[1], x[2])',
    cases: [{ x: [F([4, 5]), F([5], { lo: -1, hi: 0 }), F([4, 1], { lo: 0, hi: 1 })] }, { x: [F([4, 5], { special: NAN, grad: false }), F([5], { special: NAN, grad: false }), F([4, 1], { lo: 0, hi: 1, grad: false })] }] },
  // division modes
  { name: 'div rounding', sg: (sg, x, a) => x[0].div(x[1], a.mode), py: 't.div(x[0], x[1], rounding_mode=a["mode"])',
    cases: ['trunc', 'floor'].flatMap((mode) => [{ x: [F([6, 7], { lo: -9, hi: 9, grad: false }), F([7], { lo: 0.5, hi: 3, grad: false })], a: { mode } }, { x: [I([6, 7], -50, 50), I([7], 1, 9)], a: { mode } }, { x: [I([5], -50, 50), I([5], -9, -1)], a: { mode } }, { x: [F([23], { special: NAN, grad: false }), F([23], { special: NAN, grad: false })], a: { mode } }]) },
  ...[['floorDivide', 'floor_divide'], ['remainder', 'remainder'], ['fmod', 'fmod']].map(([name, py]) => ({
    name, sg: (sg, x) => sg[name](x[0], x[1]), py: `t.${py}(x[0], x[1])`,
    cases: [{ x: [F([5, 6], { lo: -9, hi: 9, grad: name !== 'floorDivide' }), F([6], { lo: 0.5, hi: 3, grad: name !== 'floorDivide' })] }, { x: [F([5, 6], { lo: -9, hi: 9, grad: false }), F([6], { lo: -3, hi: -0.5, grad: false })] },
      { x: [I([5, 6], -50, 50), I([6], 1, 9)] }, { x: [I([5, 6], -50, 50), I([6], -9, -1)] }, { x: [F([29], { special: NAN, grad: false }), F([29], { special: NAN, grad: false })] }],
  })),
  { name: 'remainder(number, tensor)', sg: (sg, x) => sg.remainder(100, x[0]), py: 't.remainder(100, x[0])', cases: [{ x: [F([9], { lo: 1, hi: 7 })] }, { x: [I([9], 1, 30)] }] },
  // comparisons give bool
  ...['eq', 'ne', 'lt', 'le', 'gt', 'ge'].map((name) => ({ name, sg: (sg, x) => x[0][name](x[1]), py: `t.${name}(x[0], x[1])`,
    cases: [{ x: [F([4, 5], { round: 2, grad: false }), F([5], { round: 2, grad: false })] }, { x: [F([17], { special: 0.3, grad: false }), F([17], { special: 0.3, grad: false })] }, { x: [I([9], -2, 2), I([9], -2, 2)] }] })),
  // masks
  { name: 'where(bool)', sg: (sg, x) => sg.where(x[0], x[1], x[2]), py: 't.where(x[0], x[1], x[2])', cases: [{ x: [B([4, 5]), F([4, 5]), F([5])] }, { x: [B([9]), F([9], { special: NAN, grad: false }), F([9], { special: NAN, grad: false })] }] },
  { name: 'maskedFill', sg: (sg, x, a) => x[0].maskedFill(x[1], a.v), py: 'x[0].masked_fill(x[1], a["v"])', cases: [{ x: [F([4, 5]), B([5])], a: { v: -1.5 } }, { x: [F([3, 4]), B([3, 1])], a: { v: -1e9 } }] },
  ...['any', 'all'].map((name) => ({ name, sg: (sg, x, a) => (a.dim === undefined ? x[0][name]() : x[0][name](a.dim, a.keepdim)), py: `(t.${name}(x[0]) if "dim" not in a else t.${name}(x[0], a["dim"], keepdim=a["keepdim"]))`,
    cases: [{ x: [B([4, 5], 0.3)] }, { x: [B([4, 5], 0.7)], a: { dim: 1, keepdim: false } }, { x: [B([4, 5], 0.9)], a: { dim: 0, keepdim: true } }, { x: [F([3, 6], { round: 1, special: NAN, grad: false })], a: { dim: -1, keepdim: false } }, { x: [B([0, 3])], a: { dim: 0, keepdim: false } }] })),
  ...['isnan', 'isinf', 'isfinite'].map((name) => ({ name, sg: (sg, x) => x[0][name](), py: `t.${name}(x[0])`, cases: [{ x: [F([31], { special: 0.4, grad: false })] }, { x: [I([5], -3, 3)] }] })),
  { name: 'select', sg: (sg, x, a) => x[0].select(a.dim, a.i), py: 'x[0].select(a["dim"], a["i"])', cases: [{ x: [F([3, 4, 5])], a: { dim: 1, i: 2 } }, { x: [F([3, 4, 5])], a: { dim: -1, i: -1 } }] },
  ...['tril', 'triu'].map((name) => ({ name, sg: (sg, x, a) => x[0][name](a.k), py: `t.${name}(x[0], a["k"])`,
    cases: [{ x: [F([5, 7])], a: { k: 0 } }, { x: [F([2, 6, 4])], a: { k: -2 } }, { x: [F([4, 3])], a: { k: 2 } }, { x: [F([4, 4], { special: NAN, grad: false })], a: { k: 1 } }] })),
  // shaping
  { name: 'pad', sg: (sg, x, a) => sg.pad(x[0], a.pads, a.mode, a.value), py: 'F.pad(x[0], a["pads"], mode=a["mode"], value=a["value"] if a["mode"] == "constant" else None)',
    cases: [{ x: [F([2, 3, 4])], a: { pads: [1, 2], mode: 'constant', value: 0.5 } }, { x: [F([2, 3, 4])], a: { pads: [1, 0, 2, 1], mode: 'constant', value: 0 } }, { x: [F([2, 5, 6])], a: { pads: [2, 3], mode: 'reflect' } },
      { x: [F([1, 2, 5, 6])], a: { pads: [2, 1, 3, 4], mode: 'reflect' } }, { x: [F([1, 2, 4, 3])], a: { pads: [2, 1, 3, 4], mode: 'replicate' } }, { x: [F([2, 3, 5])], a: { pads: [-1, 2], mode: 'constant', value: 1 } }] },
  { name: 'repeat', sg: (sg, x, a) => x[0].repeat(...a.r), py: 'x[0].repeat(*a["r"])', cases: [{ x: [F([2, 3])], a: { r: [2, 1, 3] } }, { x: [F([3])], a: { r: [4] } }] },
  { name: 'repeatInterleave', sg: (sg, x, a) => x[0].repeatInterleave(a.r, a.dim), py: 'x[0].repeat_interleave(a["r"], dim=a.get("dim"))', cases: [{ x: [F([2, 3])], a: { r: 2, dim: 1 } }, { x: [F([2, 3])], a: { r: 3 } }, { x: [F([3, 2])], a: { r: 2, dim: 0 } }] },
  { name: 'flip', sg: (sg, x, a) => x[0].flip(a.dims), py: 'x[0].flip(a["dims"])', cases: [{ x: [F([3, 4, 5])], a: { dims: [0, 2] } }, { x: [F([7])], a: { dims: [-1] } }] },
  { name: 'roll', sg: (sg, x, a) => x[0].roll(a.s, a.dims), py: 'x[0].roll(a["s"], a.get("dims"))', cases: [{ x: [F([3, 4])], a: { s: 2 } }, { x: [F([3, 4, 5])], a: { s: [1, -2], dims: [0, 2] } }, { x: [F([5, 3])], a: { s: 7, dims: 0 } }] },
  // reductions and scans
  ...['var', 'std'].map((name) => ({ name, sg: (sg, x, a) => x[0][name](a.dim, { correction: a.c, keepdim: a.keepdim }), py: `t.${name}(x[0], dim=a["dim"], correction=a["c"], keepdim=a["keepdim"])`,
    cases: [{ x: [F([5, 7])], a: { dim: 1, c: 1, keepdim: false } }, { x: [F([4, 3, 5])], a: { dim: [0, 2], c: 0, keepdim: true } }, { x: [F([6, 3])], a: { dim: null, c: 1, keepdim: false } }, { x: [F([5, 9], { special: NAN, grad: false })], a: { dim: 1, c: 1, keepdim: false } }, { x: [F([1, 4], { grad: false })], a: { dim: 0, c: 1, keepdim: false } }] })),
  { name: 'stdMean', sg: (sg, x, a) => sg.stdMean(x[0], a.dim, { correction: a.c }), py: 't.std_mean(x[0], dim=a["dim"], correction=a["c"])', cases: [{ x: [F([4, 6])], a: { dim: 1, c: 1 } }] },
  { name: 'prod', sg: (sg, x, a) => (a.dim === undefined ? x[0].prod() : x[0].prod(a.dim, a.keepdim)), py: '(t.prod(x[0]) if "dim" not in a else t.prod(x[0], a["dim"], keepdim=a["keepdim"]))',
    cases: [{ x: [F([3, 5], { lo: 0.5, hi: 1.5 })] }, { x: [F([4, 5], { lo: -2, hi: 2, round: 1 })], a: { dim: 1, keepdim: false } }, { x: [I([3, 4], -3, 3)], a: { dim: 0, keepdim: true } }, { x: [F([4, 6], { special: NAN, grad: false })], a: { dim: 1, keepdim: false } }] },
  { name: 'cumsum', sg: (sg, x, a) => x[0].cumsum(a.dim), py: 't.cumsum(x[0], a["dim"])', cases: [{ x: [F([4, 37])], a: { dim: 1 } }, { x: [F([5, 3, 2])], a: { dim: 0 } }, { x: [I([3, 9], -5, 5)], a: { dim: -1 } }, { x: [F([2, 11], { special: NAN, grad: false })], a: { dim: 1 } }] },
  { name: 'argmax/argmin/max without dim', sg: (sg, x) => [x[0].argmax(), x[0].argmin(), sg.max(x[0])], py: '(t.argmax(x[0]), t.argmin(x[0]), t.max(x[0]))', cases: [{ x: [F([4, 5], { round: 1, grad: false })] }, { x: [F([13], { special: 0.2, grad: false })] }] },
  // sorting
  { name: 'sort', sg: (sg, x, a) => { const r = x[0].sort(a.dim, a.desc); return [r.values, r.indices]; }, py: 't.sort(x[0], dim=a["dim"], descending=a["desc"], stable=True)',
    cases: [{ x: [F([4, 9], { round: 2 })], a: { dim: -1, desc: false } }, { x: [F([6, 3], { round: 2 })], a: { dim: 0, desc: true } }, { x: [F([3, 300], { round: 4 })], a: { dim: 1, desc: true } }, { x: [F([2, 21], { special: 0.3, grad: false })], a: { dim: 1, desc: false } }, { x: [F([2, 21], { special: 0.3, grad: false })], a: { dim: 1, desc: true } }, { x: [I([3, 17], -4, 4)], a: { dim: 1, desc: false } }] },
  { name: 'argsort', sg: (sg, x, a) => x[0].argsort(a.dim, a.desc), py: 't.argsort(x[0], dim=a["dim"], descending=a["desc"], stable=True)', cases: [{ x: [F([3, 11], { round: 1, grad: false })], a: { dim: 1, desc: true } }] },
  // scatter
  { name: 'scatter', sg: (sg, x, a) => x[0].scatter(a.dim, x[1], x[2]), py: 'x[0].scatter(a["dim"], x[1].long(), x[2])', cases: [{ x: [F([3, 5]), Perm([3, 4], 5), F([3, 4])], a: { dim: 1 } }, { x: [F([2, 3, 9]), Perm([2, 3, 6], 9), F([2, 3, 7])], a: { dim: -1 } }] },
  { name: 'scatter value', sg: (sg, x, a) => x[0].scatter(a.dim, x[1], a.v), py: 'x[0].scatter(a["dim"], x[1].long(), a["v"])', cases: [{ x: [F([4, 6]), Perm([4, 3], 6)], a: { dim: 1, v: 2.5 } }] },
  { name: 'scatterAdd', sg: (sg, x, a) => x[0].scatterAdd(a.dim, x[1], x[2]), py: 'x[0].scatter_add(a["dim"], x[1].long(), x[2])', cases: [{ x: [F([3, 5]), I([3, 7], 0, 5), F([3, 7])], a: { dim: 1 } }, { x: [F([4, 2]), I([6, 2], 0, 4), F([6, 3])], a: { dim: 0 } }] },
  ...['sum', 'prod', 'mean', 'amax', 'amin'].flatMap((reduce) => [true, false].map((includeSelf) => ({
    name: `scatterReduce ${reduce} includeSelf=${includeSelf}`, sg: (sg, x, a) => x[0].scatterReduce(a.dim, x[1], x[2], reduce, { includeSelf }), py: `x[0].scatter_reduce(a["dim"], x[1].long(), x[2], "${reduce}", include_self=${includeSelf ? 'True' : 'False'})`,
    cases: [{ x: [F([3, 5], { lo: 0.5, hi: 2 }), I([3, 6], 0, 5), F([3, 6], { lo: 0.5, hi: 2, round: 2 })], a: { dim: 1 } }],
  }))),
  { name: 'oneHot', sg: (sg, x, a) => sg.oneHot(x[0], a.n), py: 'F.one_hot(x[0].long(), a["n"])', cases: [{ x: [I([2, 5], 0, 6)], a: { n: 7 } }, { x: [I([6], 0, 4)], a: { n: -1 } }] },
  // losses
  { name: 'crossEntropy', sg: (sg, x, a) => sg.crossEntropy(x[0], x[1], a.o), py: 'F.cross_entropy(x[0], x[1].long(), reduction=a["o"]["reduction"], label_smoothing=a["o"].get("labelSmoothing", 0.0), ignore_index=a["o"].get("ignoreIndex", -100))',
    cases: [{ x: [F([5, 7]), I([5], 0, 7)], a: { o: { reduction: 'mean' } } }, { x: [F([5, 7]), I([5], 0, 7)], a: { o: { reduction: 'sum', labelSmoothing: 0.1 } } }, { x: [F([6, 4]), I([6], 0, 4)], a: { o: { reduction: 'none', ignoreIndex: 2 } } }, { x: [F([6, 4]), I([6], 0, 4)], a: { o: { reduction: 'mean', ignoreIndex: 1, labelSmoothing: 0.2 } } }, { x: [F([2, 5, 3, 2]), I([2, 3, 2], 0, 5)], a: { o: { reduction: 'mean' } } }] },
  { name: 'crossEntropy weight', sg: (sg, x, a) => sg.crossEntropy(x[0], x[1], { ...a.o, weight: x[2] }), py: 'F.cross_entropy(x[0], x[1].long(), weight=x[2], reduction=a["o"]["reduction"], label_smoothing=a["o"].get("labelSmoothing", 0.0), ignore_index=a["o"].get("ignoreIndex", -100))',
    cases: [{ x: [F([6, 5]), I([6], 0, 5), F([5], { lo: 0.2, hi: 2, grad: false })], a: { o: { reduction: 'mean' } } }, { x: [F([6, 5]), I([6], 0, 5), F([5], { lo: 0.2, hi: 2, grad: false })], a: { o: { reduction: 'mean', labelSmoothing: 0.3, ignoreIndex: 0 } } }] },
  { name: 'crossEntropy probabilities', sg: (sg, x, a) => sg.crossEntropy(x[0], x[1].softmax(1), a.o), py: 'F.cross_entropy(x[0], x[1].softmax(1), reduction=a["o"]["reduction"], label_smoothing=a["o"].get("labelSmoothing", 0.0))',
    cases: [{ x: [F([5, 4]), F([5, 4])], a: { o: { reduction: 'mean' } } }, { x: [F([3, 4, 2]), F([3, 4, 2])], a: { o: { reduction: 'sum', labelSmoothing: 0.1 } } }] },
  { name: 'nllLoss', sg: (sg, x, a) => sg.nllLoss(x[0].logSoftmax(1), x[1], a.o), py: 'F.nll_loss(x[0].log_softmax(1), x[1].long(), reduction=a["o"]["reduction"], ignore_index=a["o"].get("ignoreIndex", -100))',
    cases: [{ x: [F([6, 5]), I([6], 0, 5)], a: { o: { reduction: 'mean' } } }, { x: [F([6, 5]), I([6], 0, 5)], a: { o: { reduction: 'none', ignoreIndex: 3 } } }] },
  { name: 'binaryCrossEntropy', sg: (sg, x, a) => sg.binaryCrossEntropy(x[0], x[1], a.o), py: 'F.binary_cross_entropy(x[0], x[1], reduction=a["o"]["reduction"])',
    cases: [{ x: [F([4, 5], { lo: 0.02, hi: 0.98 }), F([4, 5], { lo: 0, hi: 1, grad: false })], a: { o: { reduction: 'mean' } } }, { x: [F([7], { lo: 0, hi: 1, round: 1, grad: false }), F([7], { lo: 0, hi: 1, grad: false })], a: { o: { reduction: 'none' } } }] },
  { name: 'binaryCrossEntropyWithLogits', sg: (sg, x, a) => sg.binaryCrossEntropyWithLogits(x[0], x[1], a.pw ? { ...a.o, posWeight: x[2] } : a.o), py: 'F.binary_cross_entropy_with_logits(x[0], x[1], reduction=a["o"]["reduction"], pos_weight=(x[2] if a.get("pw") else None))',
    cases: [{ x: [F([4, 5], { lo: -30, hi: 30 }), F([4, 5], { lo: 0, hi: 1, grad: false })], a: { o: { reduction: 'mean' } } }, { x: [F([4, 3]), F([4, 3], { lo: 0, hi: 1, grad: false }), F([3], { lo: 0.5, hi: 3, grad: false })], a: { o: { reduction: 'sum' }, pw: true } }] },
  // attention
  { name: 'scaledDotProductAttention', sg: (sg, x, a) => sg.scaledDotProductAttention(x[0], x[1], x[2], { isCausal: a.causal, scale: a.scale, enableGqa: a.gqa }),
    py: 'F.scaled_dot_product_attention(x[0], x[1], x[2], is_causal=a["causal"], scale=a.get("scale"), enable_gqa=a.get("gqa", False))',
    cases: [{ x: [F([2, 3, 5, 4]), F([2, 3, 7, 4]), F([2, 3, 7, 6])], a: { causal: false } }, { x: [F([1, 2, 9, 8]), F([1, 2, 9, 8]), F([1, 2, 9, 8])], a: { causal: true } }, { x: [F([1, 2, 5, 8]), F([1, 2, 9, 8]), F([1, 2, 9, 3])], a: { causal: true, scale: 0.3 } },
      { x: [F([1, 4, 6, 4]), F([1, 2, 6, 4]), F([1, 2, 6, 4])], a: { causal: true, gqa: true } }] },
  { name: 'scaledDotProductAttention mask', sg: (sg, x) => sg.scaledDotProductAttention(x[0], x[1], x[2], x[3]), py: 'F.scaled_dot_product_attention(x[0], x[1], x[2], attn_mask=x[3])',
    cases: [{ x: [F([2, 5, 4]), F([2, 6, 4]), F([2, 6, 3]), F([5, 6], { grad: false })] }, { x: [F([2, 5, 4]), F([2, 6, 4]), F([2, 6, 3]), B([5, 6], 0.8)] }] },
  // convolution and pooling
  { name: 'conv2d', sg: (sg, x, a) => sg.conv2d(x[0], x[1], x[2], a.s, a.p, a.d, a.g), py: 'F.conv2d(x[0], x[1], x[2], a["s"], a["p"], a["d"], a["g"])',
    cases: [{ x: [F([2, 3, 7, 6]), F([4, 3, 3, 2]), F([4])], a: { s: 1, p: 0, d: 1, g: 1 } }, { x: [F([1, 4, 9, 8]), F([6, 2, 3, 3]), F([6])], a: { s: [2, 1], p: [1, 2], d: [1, 2], g: 2 } }, { x: [F([2, 3, 5, 5]), F([3, 3, 3, 3]), F([3])], a: { s: 1, p: 'same', d: 1, g: 1 } }, { x: [F([3, 6, 6]), F([2, 3, 2, 2]), F([2])], a: { s: 2, p: 1, d: 1, g: 1 } }] },
  { name: 'conv1d', sg: (sg, x, a) => sg.conv1d(x[0], x[1], x[2], a.s, a.p, a.d, a.g), py: 'F.conv1d(x[0], x[1], x[2], a["s"], a["p"], a["d"], a["g"])',
    cases: [{ x: [F([2, 3, 11]), F([4, 3, 3]), F([4])], a: { s: 2, p: 1, d: 2, g: 1 } }, { x: [F([2, 4, 8]), F([4, 1, 3]), F([4])], a: { s: 1, p: 'same', d: 1, g: 4 } }] },
  { name: 'maxPool2d', sg: (sg, x, a) => { const r = sg.maxPool2d(x[0], a.k, a.s, a.p, a.d, { returnIndices: true, ceilMode: a.ceil }); return Array.isArray(r) ? r : [r.values, r.indices]; },
    py: 'F.max_pool2d(x[0], a["k"], a["s"], a["p"], a["d"], ceil_mode=a["ceil"], return_indices=True)',
    cases: [{ x: [F([2, 3, 7, 6], { round: 100 })], a: { k: 2, s: 2, p: 0, d: 1, ceil: false } }, { x: [F([1, 2, 9, 8], { round: 100 })], a: { k: 3, s: 2, p: 1, d: 1, ceil: true } }, { x: [F([1, 2, 9, 8], { round: 100 })], a: { k: [2, 3], s: [1, 2], p: [1, 0], d: 2, ceil: false } }, { x: [F([1, 2, 6, 6], { special: 0.1, grad: false })], a: { k: 2, s: 2, p: 0, d: 1, ceil: false } }] },
  { name: 'avgPool2d', sg: (sg, x, a) => sg.avgPool2d(x[0], a.k, a.s, a.p, a.ceil, a.cip, a.div), py: 'F.avg_pool2d(x[0], a["k"], a["s"], a["p"], a["ceil"], a["cip"], a["div"])',
    cases: [{ x: [F([2, 3, 7, 6])], a: { k: 2, s: 2, p: 0, ceil: false, cip: true, div: null } }, { x: [F([1, 2, 9, 8])], a: { k: 3, s: 2, p: 1, ceil: true, cip: false, div: null } }, { x: [F([1, 2, 9, 8])], a: { k: [3, 2], s: [2, 1], p: [1, 1], ceil: false, cip: true, div: 5 } }] },
  // softmax's one-kernel backward, and the fused gated activations (PyTorch writes gatedActivation as chunk, act, mul)
  ...['softmax', 'logSoftmax'].map((name) => ({
    name, sg: (sg, x, a) => x[0][name](a.dim), py: `t.${name === 'softmax' ? 'softmax' : 'log_softmax'}(x[0], a["dim"])`,
    cases: [{ x: [F([5, 7], { lo: -4, hi: 4 })], a: { dim: 1 } }, { x: [F([4, 3, 6])], a: { dim: 0 } }, { x: [F([3, 0, 4])], a: { dim: -1 } }, { x: [F([6, 9], { special: NAN, grad: false })], a: { dim: 1 } }],
  })),
  { name: 'glu', sg: (sg, x, a) => sg.glu(x[0], a.dim), py: 'F.glu(x[0], a["dim"])',
    cases: [{ x: [F([5, 8])], a: { dim: -1 } }, { x: [F([4, 3, 6])], a: { dim: 0 } }, { x: [F([2, 0, 4])], a: { dim: -1 } }, { x: [F([6, 10], { special: NAN, grad: false })], a: { dim: 1 } }, { x: [F([3, 5])], a: { dim: 1 } }] },
  ...['silu', 'gelu', 'relu'].map((act) => ({
    name: `gatedActivation ${act}`, sg: (sg, x) => sg.gatedActivation(x[0], act), py: `(lambda h: h[0] * F.${act}(h[1]))(x[0].chunk(2, -1))`,
    cases: [{ x: [F([5, 8], { lo: -3, hi: 3 })] }, { x: [F([4, 0, 6])] }, { x: [F([6, 10], { special: NAN, grad: false })] }],
  })),
  // creation
  { name: 'linspace', sg: (sg, x, a) => sg.linspace(a.s, a.e, a.n), py: 't.linspace(a["s"], a["e"], a["n"])', cases: [{ x: [], a: { s: -1, e: 2, n: 7 } }, { x: [], a: { s: 3, e: -3, n: 1 } }, { x: [], a: { s: 0, e: 1, n: 0 } }, { x: [], a: { s: 0, e: 10, n: 1001 } }] },
  { name: 'eye', sg: (sg, x, a) => sg.eye(a.n, a.m), py: 't.eye(a["n"], a["m"] if a["m"] is not None else a["n"])', cases: [{ x: [], a: { n: 4, m: null } }, { x: [], a: { n: 3, m: 5 } }] },
  { name: 'einsum', sg: (sg, x, a) => sg.einsum(a.eq, ...x), py: 't.einsum(a["eq"], *x)',
    cases: [{ x: [F([2, 3, 4]), F([2, 4, 5])], a: { eq: 'bij,bjk->bik' } }, { x: [F([3, 4]), F([4])], a: { eq: 'ij,j->i' } }, { x: [F([3]), F([4])], a: { eq: 'i,j->ij' } }, { x: [F([3, 4])], a: { eq: 'ij->ji' } }, { x: [F([2, 3, 4])], a: { eq: 'bij->j' } }, { x: [F([2, 3, 4]), F([2, 5, 4])], a: { eq: 'bqd,bkd->bqk' } }] },
];

/** The cases as JSON-ready objects: one per (op, case), each input generated from the seed. */
export function makeCases(seed = 1, ops = OPS) {
  const r = rng(seed);
  const out = [];
  for (const op of ops) {
    op.cases.forEach((c, j) => {
      const x = c.x.map((mk) => mk(r));
      const grad = !c.noGrad && x.some((t) => t.dtype === 'float32' && t.grad);
      const tol = Object.fromEntries(['rtol', 'atol', 'grtol', 'gatol'].filter((k) => c[k] !== undefined).map((k) => [k, c[k]]));
      out.push({ id: `${op.name} #${j}`, op: op.name, py: c.py ?? op.py, x, a: c.a ?? {}, grad, ...tol });
    });
  }
  return out;
}

/**
 * The OPS and makeCases of a table of generated ops (adv-new.mjs, adv-scan.mjs): each op draws
 * `n` cases; tensor inputs of rank >= 2 are sometimes stored with their last two dims swapped
 * and transposed back before the op on both sides (strided inputs). `salt` keeps each table's
 * random stream its own; `o.noTv` turns that off (and gradients with it) for one op.
 */
export function stridedTables(opsRaw, salt) {
  const swapLast = (s) => { const sh = [...s]; [sh[sh.length - 2], sh[sh.length - 1]] = [sh.at(-1), sh.at(-2)]; return sh; };
  const OPS = opsRaw.map((o) => ({
    ...o, cases: [],
    sg: (sg, x, a) => o.sg(sg, a.tv ? x.map((t, i) => (a.tv.includes(i) ? t.transpose(-1, -2) : t)) : x, a),
  }));
  function makeCases(seed = 1) {
    const r = rng(seed * 7919 + salt);
    const out = [];
    for (const o of opsRaw) {
      for (let j = 0; j < o.n; j++) {
        const c = o.gen(r);
        const a = { ...(c.a ?? {}) };
        let p = c.py ?? o.py;
        const tv = o.noTv ? [] : c.x.map((t, i) => (!t.num && t.shape.length >= 2 && r() < 0.35 ? i : -1)).filter((i) => i >= 0);
        if (tv.length) {
          for (const i of tv) c.x[i] = { ...c.x[i], shape: swapLast(c.x[i].shape) };
          a.tv = tv;
          p = `(lambda x: ${p})([xi.transpose(-1, -2) if i in a.get("tv", []) else xi for i, xi in enumerate(x)])`;
        }
        const grad = !o.noTv && c.x.some((t) => !t.num && (t.dtype === 'float32' || t.dtype === 'float16') && t.grad);
        out.push({ id: `${o.name} #${j}${tv.length ? ' (strided)' : ''}`, op: o.name, py: p, x: c.x, a, grad, rtol: o.rtol, grtol: o.grtol, gatol: o.gatol });
      }
    }
    return out;
  }
  return { OPS, makeCases };
}
