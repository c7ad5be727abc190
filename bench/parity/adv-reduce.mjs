// Generated adversarial parity cases for the reduction, scan, sort, scatter, conv and pooling
// ops of issue #24: random shapes (0-size dims, 0-d tensors), negative dims, keepdim, dim
// lists, int32 and float16 inputs, NaN/±Inf/-0 at random positions, ties, duplicate scatter
// targets, long rows, conv/pool parameter combinations and the argument errors PyTorch raises.
//   node run.mjs cases /tmp/c.json --ops adv-reduce.mjs ... compare /tmp/e.json --ops adv-reduce.mjs
import { addTransposedCases, rng } from './ops.mjs';

const numel = (shape) => shape.reduce((a, b) => a * b, 1);
const G = rng(24024); // chooses shapes and arguments, once, when the module loads
const pick = (a) => a[Math.floor(G() * a.length)];
const int = (lo, hi) => lo + Math.floor(G() * (hi - lo + 1));

/** A float input: values lo..hi (rounded to 1/round when given), `special` share of NaN/±Inf/-0. */
const F = (shape, { lo = -2, hi = 2, special = 0, grad = true, round, dtype = 'float32', specials = ['nan', 'inf', '-inf', '-0'] } = {}) => (r) => ({
  shape, dtype, grad: grad && dtype === 'float32',
  data: Array.from({ length: numel(shape) }, () => {
    if (special && r() < special) return specials[Math.floor(r() * specials.length)];
    const v = lo + (hi - lo) * r();
    return round ? Math.round(v * round) / round : dtype === 'float16' ? Math.round(v * 256) / 256 : Math.fround(v);
  }),
});
const B = (shape, p = 0.5) => (r) => ({ shape, dtype: 'bool', data: Array.from({ length: numel(shape) }, () => (r() < p ? 1 : 0)) });
const I = (shape, lo, hi) => (r) => ({ shape, dtype: 'int32', data: Array.from({ length: numel(shape) }, () => lo + Math.floor((hi - lo) * r())) });
/** Distinct targets along `dim` of a tensor `size` long there (scatter's unique-index case). */
const PermDim = (shape, dim, size) => (r) => {
  const data = new Array(numel(shape));
  const strides = shape.map((_, i) => numel(shape.slice(i + 1)));
  const lines = numel(shape) / (shape[dim] || 1);
  for (let l = 0; l < lines; l++) {
    // the l-th line along dim: decompose l over the other dims
    let rest = l; let base = 0;
    for (let i = shape.length - 1; i >= 0; i--) { if (i === dim) continue; base += (rest % shape[i]) * strides[i]; rest = Math.floor(rest / shape[i]); }
    const p = Array.from({ length: size }, (_, j) => j);
    for (let j = size - 1; j > 0; j--) { const k = Math.floor(r() * (j + 1)); [p[j], p[k]] = [p[k], p[j]]; }
    for (let j = 0; j < shape[dim]; j++) data[base + j * strides[dim]] = p[j];
  }
  return { shape, dtype: 'int32', data };
};

const randShape = (rank, lo = 0, hi = 5) => Array.from({ length: rank }, () => (G() < 0.1 ? lo : int(Math.max(1, lo), hi)));
const cases = (n, mk) => Array.from({ length: n }, mk);

// ---------- var / std / varMean / stdMean ----------
const dimArg = (rank) => {
  const c = G();
  if (c < 0.15) return undefined;
  if (c < 0.25) return null;
  if (rank === 0) return pick([0, -1, [], [0]]);
  if (c < 0.6) return int(-rank, rank - 1);
  const dims = [...Array(rank).keys()].filter(() => G() < 0.5).map((d) => (G() < 0.5 ? d - rank : d));
  return dims;
};
const statCase = () => {
  const rank = int(0, 4);
  const shape = randShape(rank, 0, 6);
  const dtype = G() < 0.2 ? 'float16' : 'float32';
  const special = G() < 0.25 ? 0.15 : 0;
  return { x: [F(shape, { dtype, special, grad: !special })], a: { dim: dimArg(rank), c: pick([0, 1, 1, 2, 0.5]), keepdim: G() < 0.4 },
    ...(dtype === 'float16' ? { rtol: 3e-3, atol: 2e-3 } : { rtol: 2e-4, atol: 2e-5 }) };
};
const pyDim = 'a.get("dim", None)';
const statOps = ['var', 'std'].map((name) => ({
  name: `adv ${name}`, errPrefix: name,
  sg: (sg, x, a) => (a.dim === undefined ? x[0][name]({ correction: a.c, keepdim: a.keepdim }) : x[0][name](a.dim, { correction: a.c, keepdim: a.keepdim })),
  py: `t.${name}(x[0], dim=${pyDim}, correction=a["c"], keepdim=a["keepdim"])`,
  cases: cases(60, statCase),
}));
const statMeanOps = [['varMean', 'var_mean'], ['stdMean', 'std_mean']].map(([name, py]) => ({
  name: `adv ${name}`, errPrefix: name,
  sg: (sg, x, a) => sg[name](x[0], a.dim, { correction: a.c, keepdim: a.keepdim }),
  py: `t.${py}(x[0], dim=${pyDim}, correction=a["c"], keepdim=a["keepdim"])`,
  cases: cases(30, statCase),
}));

// ---------- prod ----------
const prodOp = {
  name: 'adv prod', errPrefix: 'prod',
  sg: (sg, x, a) => (a.dim === undefined ? x[0].prod() : x[0].prod(a.dim, a.keepdim)),
  py: '(t.prod(x[0]) if "dim" not in a else t.prod(x[0], a["dim"], keepdim=a["keepdim"]))',
  cases: cases(60, () => {
    const rank = int(0, 4);
    const shape = randShape(rank, 0, 5);
    const kind = pick(['f', 'f', 'zeros', 'int', 'f16', 'special']);
    const x = kind === 'int' ? I(shape, -3, 4) : kind === 'zeros' ? F(shape, { lo: -1.5, hi: 1.5, round: 1 }) : kind === 'f16' ? F(shape, { dtype: 'float16', lo: 0.5, hi: 1.5 })
      : kind === 'special' ? F(shape, { special: 0.2, grad: false }) : F(shape, { lo: 0.5, hi: 1.6 });
    const a = G() < 0.3 ? {} : { dim: rank === 0 ? pick([0, -1]) : int(-rank, rank - 1), keepdim: G() < 0.4 };
    return { x: [x], a, ...(kind === 'f16' ? { rtol: 4e-3, atol: 1e-3 } : {}) };
  }),
};

// ---------- cumsum ----------
const cumsumOp = {
  name: 'adv cumsum', errPrefix: 'cumsum',
  sg: (sg, x, a) => x[0].cumsum(a.dim), py: 't.cumsum(x[0], a["dim"])',
  cases: cases(50, () => {
    const rank = int(0, 3);
    const shape = randShape(rank, 0, 6);
    let dim = rank === 0 ? pick([0, -1]) : int(-rank, rank - 1);
    if (rank > 0 && G() < 0.3) { const d = ((dim % rank) + rank) % rank; shape[d] = pick([255, 256, 257, 300, 511, 513, 1100, 4099]); }
    const n = rank ? shape[((dim % rank) + rank) % rank] : 1;
    const kind = pick(['f', 'f', 'int', 'f16', 'special']);
    const x = kind === 'int' ? I(shape, -9, 9) : kind === 'f16' ? F(shape, { dtype: 'float16', lo: 0, hi: 1, round: 16 }) : kind === 'special' ? F(shape, { special: 0.05, grad: false }) : F(shape);
    return { x: [x], a: { dim }, rtol: kind === 'f16' ? 3e-3 : 1e-4, atol: kind === 'f16' ? 0.05 : 1e-5 * Math.sqrt(n) * 4, gatol: 1e-4 * Math.sqrt(n) };
  }),
};
// dim out of range
cumsumOp.cases.push({ x: [F([3, 4])], a: { dim: 2 } }, { x: [F([3, 4])], a: { dim: -3 } }, { x: [F([])], a: { dim: 1 } });

// ---------- sort / argsort ----------
const sortCase = () => {
  const rank = int(0, 3);
  const shape = randShape(rank, 0, 6);
  const dim = rank === 0 ? pick([0, -1, undefined]) : G() < 0.2 ? undefined : int(-rank, rank - 1);
  if (rank > 0 && G() < 0.35) { const d = dim === undefined ? rank - 1 : ((dim % rank) + rank) % rank; shape[d] = pick([33, 255, 257, 511, 512, 513, 1000, 1025, 2049]); if (numel(shape) > 20000) shape.fill(1); shape[d] = Math.min(shape[d], 2049); }
  const kind = pick(['f', 'ties', 'int', 'f16', 'special', 'special', 'zeros']);
  const x = kind === 'int' ? I(shape, -4, 4) : kind === 'ties' ? F(shape, { round: 2 }) : kind === 'f16' ? F(shape, { dtype: 'float16', round: 4 })
    : kind === 'special' ? F(shape, { special: 0.3, grad: false, round: 1 }) : kind === 'zeros' ? F(shape, { special: 0.4, specials: ['-0', '-0', 'nan', '-inf'], round: 1, grad: false }) : F(shape);
  return { x: [x], a: { dim, desc: G() < 0.5 } };
};
const sortOps = [
  { name: 'adv sort', errPrefix: 'sort', sg: (sg, x, a) => { const r = a.dim === undefined ? x[0].sort() : x[0].sort(a.dim, a.desc); return [r.values, r.indices]; },
    py: '(t.sort(x[0], stable=True) if a.get("dim") is None else t.sort(x[0], dim=a["dim"], descending=a["desc"], stable=True))', cases: cases(80, sortCase) },
  { name: 'adv sort options', errPrefix: 'sort', sg: (sg, x, a) => { const r = x[0].sort({ dim: a.dim ?? -1, descending: a.desc, stable: true }); return [r.values, r.indices]; },
    py: 't.sort(x[0], dim=a["dim"] if a.get("dim") is not None else -1, descending=a["desc"], stable=True)', cases: cases(15, sortCase) },
  { name: 'adv argsort', errPrefix: 'argsort', sg: (sg, x, a) => (a.dim === undefined ? x[0].argsort() : x[0].argsort(a.dim, a.desc)),
    py: '(t.argsort(x[0], stable=True) if a.get("dim") is None else t.argsort(x[0], dim=a["dim"], descending=a["desc"], stable=True))', cases: cases(40, sortCase) },
];
sortOps[0].cases.push({ x: [F([3, 4])], a: { dim: 2, desc: false } }, { x: [F([3, 4])], a: { dim: -3, desc: false } });

// ---------- scatter family ----------
/** self, index and src shapes for a scatter along dim: index <= src everywhere, <= self off dim. */
const scatterShapes = (unique) => {
  const rank = int(1, 3);
  const self = randShape(rank, 1, 5);
  const dim = int(-rank, rank - 1);
  const d = ((dim % rank) + rank) % rank;
  const index = self.map((s, i) => (i === d ? (unique ? int(0, s) : int(0, 7)) : int(0, s)));
  if (G() < 0.1) index[int(0, rank - 1)] = 0;
  const src = index.map((s) => s + (G() < 0.3 ? int(0, 2) : 0));
  return { self, dim, d, index, src };
};
const scatterOps = [
  { name: 'adv scatter', errPrefix: 'scatter', sg: (sg, x, a) => x[0].scatter(a.dim, x[1], x[2]), py: 'x[0].scatter(a["dim"], x[1].long(), x[2])',
    cases: cases(40, () => { const s = scatterShapes(true); const f16 = G() < 0.15; const dt = f16 ? 'float16' : 'float32';
      return { x: [F(s.self, { dtype: dt }), PermDim(s.index, s.d, s.self[s.d]), F(s.src, { dtype: dt, special: G() < 0.2 ? 0.2 : 0, grad: false })], a: { dim: s.dim } }; }) },
  { name: 'adv scatter value', errPrefix: 'scatter', sg: (sg, x, a) => x[0].scatter(a.dim, x[1], a.v), py: 'x[0].scatter(a["dim"], x[1].long(), a["v"])',
    cases: cases(20, () => { const s = scatterShapes(false); const int32 = G() < 0.2;
      return { x: [int32 ? I(s.self, -5, 5) : F(s.self), I(s.index, 0, s.self[s.d])], a: { dim: s.dim, v: int32 ? 3 : pick([2.5, -1, 0]) } }; }) },
  { name: 'adv scatterAdd', errPrefix: 'scatterAdd', sg: (sg, x, a) => x[0].scatterAdd(a.dim, x[1], x[2]), py: 'x[0].scatter_add(a["dim"], x[1].long(), x[2])',
    cases: cases(40, () => { const s = scatterShapes(false); const k = pick(['f', 'f', 'int', 'f16', 'special']);
      const mk = (sh) => (k === 'int' ? I(sh, -9, 9) : k === 'f16' ? F(sh, { dtype: 'float16', round: 8 }) : k === 'special' ? F(sh, { special: 0.15, grad: false }) : F(sh));
      return { x: [mk(s.self), I(s.index, 0, s.self[s.d]), mk(s.src)], a: { dim: s.dim }, ...(k === 'f16' ? { rtol: 2e-3, atol: 2e-3 } : {}) }; }) },
  ...['sum', 'prod', 'mean', 'amax', 'amin'].map((reduce) => ({
    name: `adv scatterReduce ${reduce}`, errPrefix: 'scatterReduce', sg: (sg, x, a) => x[0].scatterReduce(a.dim, x[1], x[2], reduce, { includeSelf: a.inc }),
    py: `x[0].scatter_reduce(a["dim"], x[1].long(), x[2], "${reduce}", include_self=a["inc"])`,
    cases: cases(24, () => { const s = scatterShapes(false); const k = pick(['f', 'f', 'ties', 'int', 'f16', 'special']);
      const mk = (sh) => (k === 'int' ? I(sh, -4, 5) : k === 'ties' ? F(sh, { round: 1, lo: -1, hi: 1 }) : k === 'f16' ? F(sh, { dtype: 'float16', round: 8, lo: 0.5, hi: 1.5 })
        : k === 'special' ? F(sh, { special: 0.15, grad: false }) : F(sh, { lo: 0.5, hi: 1.5 }));
      return { x: [mk(s.self), I(s.index, 0, s.self[s.d]), mk(s.src)], a: { dim: s.dim, inc: G() < 0.5 }, ...(k === 'f16' ? { rtol: 3e-3, atol: 2e-3 } : {}) }; }),
  })),
  { name: 'adv oneHot', errPrefix: 'oneHot', sg: (sg, x, a) => sg.oneHot(x[0], a.n), py: 'F.one_hot(x[0].long(), a["n"])',
    cases: cases(15, () => { const sh = randShape(int(0, 3), 0, 4); const n = pick([-1, 3, 5, 6]); return { x: [I(sh, 0, n === -1 ? 6 : n)], a: { n } }; }) },
];
// errors PyTorch raises on the CPU
scatterOps[0].cases.push(
  { x: [F([3, 5]), I([3, 2], 5, 7), F([3, 2])], a: { dim: 1 } }, // index out of range
  { x: [F([3, 5]), I([3, 2], -2, 0), F([3, 2])], a: { dim: 1 } }, // negative index
  { x: [F([3, 5]), I([4, 2], 0, 3), F([4, 2])], a: { dim: 1 } }, // index larger than self off dim
  { x: [F([3, 5]), I([3, 3], 0, 3), F([3, 2])], a: { dim: 1 } }, // index larger than src
  { x: [F([3, 5]), I([3], 0, 3), F([3])], a: { dim: 1 } }, // rank mismatch
  { x: [F([3, 5]), I([3, 2], 0, 3), F([3, 2])], a: { dim: 2 } }, // dim out of range
);
scatterOps[2].cases.push({ x: [F([3, 5]), I([3, 2], 5, 9), F([3, 2])], a: { dim: 1 } }, { x: [F([3, 5]), I([3, 2], 0, 3), F([3, 1])], a: { dim: 1 } });
scatterOps.at(-1).cases.push({ x: [I([0], 0, 1)], a: { n: -1 } }, { x: [I([3], -2, 0)], a: { n: 4 } }, { x: [I([3], 4, 6)], a: { n: 4 } }, { x: [I([3, 0], 0, 1)], a: { n: 3 } });

// ---------- conv1d / conv2d ----------
const convCase = (nd) => () => {
  const groups = pick([1, 1, 1, 2, 3]);
  const cg = int(1, 3); const C = cg * groups; const Cout = groups * int(1, 3);
  const k = Array.from({ length: nd }, () => int(1, 4));
  const dil = Array.from({ length: nd }, () => pick([1, 1, 2, 3]));
  const pad = pick(['int', 'int', 'same', 'valid', 'pair']);
  const stride = pad === 'same' ? Array(nd).fill(1) : Array.from({ length: nd }, () => pick([1, 1, 2, 3]));
  const padding = pad === 'same' || pad === 'valid' ? pad : pad === 'int' ? int(0, 3) : Array.from({ length: nd }, () => int(0, 3));
  const sizes = k.map((kk, i) => Math.max(1, dil[i] * (kk - 1) + 1 + int(G() < 0.1 ? -2 : 0, 5)));
  const batched = G() < 0.8;
  const N = G() < 0.1 ? 0 : int(1, 3);
  const xs = batched ? [N, C, ...sizes] : [C, ...sizes];
  const bias = G() < 0.7;
  const dtype = G() < 0.15 ? 'float16' : 'float32';
  const f16 = dtype === 'float16' ? { rtol: 5e-3, atol: 5e-3 } : {};
  return { ...f16, x: [F(xs, { dtype }), F([Cout, cg, ...k], { dtype }), ...(bias ? [F([Cout], { dtype })] : [])], a: { s: nd === 1 ? stride[0] : pick([stride, stride[0]]), p: nd === 1 && Array.isArray(padding) ? padding[0] : padding, d: nd === 1 ? dil[0] : dil, g: groups }, rtol: 2e-4, atol: 5e-5, gatol: 3e-4, ...f16 };
};
const convOps = [1, 2].map((nd) => ({
  name: `adv conv${nd}d`, errPrefix: `conv${nd}d`, sg: (sg, x, a) => sg[`conv${nd}d`](x[0], x[1], x[2] ?? null, a.s, a.p, a.d, a.g),
  py: `F.conv${nd}d(x[0], x[1], x[2] if len(x) > 2 else None, a["s"], a["p"], a["d"], a["g"])`,
  cases: cases(nd === 1 ? 30 : 50, convCase(nd)),
}));
convOps[1].cases.push(
  { x: [F([1, 3, 2, 2]), F([2, 3, 3, 3])], a: { s: 1, p: 0, d: 1, g: 1 } }, // kernel larger than input
  { x: [F([1, 4, 5, 5]), F([3, 2, 3, 3])], a: { s: 1, p: 0, d: 1, g: 2 } }, // out channels not divisible by groups
  { x: [F([1, 3, 5, 5]), F([2, 3, 3, 3])], a: { s: 2, p: 'same', d: 1, g: 1 } }, // same with stride
  { x: [F([1, 3, 5, 5]), F([2, 2, 3, 3])], a: { s: 1, p: 0, d: 1, g: 1 } }, // channel mismatch
  { x: [F([1, 3, 5, 5]), F([2, 3, 3, 3])], a: { s: 0, p: 0, d: 1, g: 1 } }, // stride 0
  { x: [F([1, 3, 5, 5]), F([2, 3, 3, 3])], a: { s: 1, p: -1, d: 1, g: 1 } }, // negative padding
  { x: [F([1, 3, 5, 5]), F([2, 3, 3, 3]), F([3])], a: { s: 1, p: 0, d: 1, g: 1 } }, // bias size
  { x: [F([3, 5, 5, 5, 1]), F([2, 3, 3, 3])], a: { s: 1, p: 0, d: 1, g: 1 } }, // 5-D input
  { x: [F([1, 0, 5, 5]), F([2, 0, 3, 3])], a: { s: 1, p: 0, d: 1, g: 1 } }, // zero channels
);

// ---------- pooling ----------
const poolGeom = (withDil) => {
  const k = [int(1, 4), int(1, 4)];
  const d = withDil ? [pick([1, 1, 2]), pick([1, 1, 2, 3])] : [1, 1];
  const s = G() < 0.2 ? null : [int(1, 3), int(1, 3)];
  const p = k.map((kk) => int(0, Math.floor(kk / 2)));
  const H = d[0] * (k[0] - 1) + 1 + int(-1, 5) ; const W = d[1] * (k[1] - 1) + 1 + int(0, 5);
  const ceil = G() < 0.5;
  const shape = G() < 0.8 ? [G() < 0.1 ? 0 : int(1, 2), int(1, 3), Math.max(1, H), W] : [int(1, 3), Math.max(1, H), W];
  const sq = (v) => (v && v[0] === v[1] && G() < 0.5 ? v[0] : v);
  return { shape, a: { k: sq(k), s: s && sq(s), p: sq(p), d: sq(d), ceil } };
};
const poolOps = [
  { name: 'adv maxPool2d', errPrefix: 'maxPool2d', sg: (sg, x, a) => sg.maxPool2d(x[0], a.k, a.s, a.p, a.d, { returnIndices: true, ceilMode: a.ceil }),
    py: 'F.max_pool2d(x[0], a["k"], a["s"], a["p"], a["d"], ceil_mode=a["ceil"], return_indices=True)',
    cases: cases(60, () => { const g = poolGeom(true); const k = pick(['ties', 'f', 'special', 'f16']);
      return { x: [k === 'ties' ? F(g.shape, { round: 2 }) : k === 'special' ? F(g.shape, { special: 0.2, grad: false, specials: ['nan', '-inf', 'inf'] }) : k === 'f16' ? F(g.shape, { dtype: 'float16' }) : F(g.shape)], a: g.a }; }) },
  { name: 'adv avgPool2d', errPrefix: 'avgPool2d', sg: (sg, x, a) => sg.avgPool2d(x[0], a.k, a.s, a.p, a.ceil, a.cip, a.div),
    py: 'F.avg_pool2d(x[0], a["k"], a["s"], a["p"], a["ceil"], a["cip"], a["div"])',
    cases: cases(60, () => { const g = poolGeom(false); const f16 = G() < 0.15;
      return { x: [F(g.shape, { dtype: f16 ? 'float16' : 'float32', special: G() < 0.15 ? 0.1 : 0 })], a: { ...g.a, cip: G() < 0.5, div: G() < 0.25 ? pick([1, 3, 5, -2]) : null }, ...(f16 ? { rtol: 3e-3, atol: 2e-3 } : {}) }; }) },
];
poolOps[0].cases.push(
  { x: [F([1, 1, 5, 5])], a: { k: 2, s: 2, p: 2, d: 1, ceil: false } }, // padding > k/2
  { x: [F([1, 1, 2, 2])], a: { k: 3, s: 1, p: 0, d: 1, ceil: false } }, // kernel > input
  { x: [F([1, 0, 4, 4])], a: { k: 2, s: 2, p: 0, d: 1, ceil: false } }, // zero channels
  { x: [F([1, 1, 5, 5])], a: { k: 0, s: 1, p: 0, d: 1, ceil: false } }, // kernel 0
  { x: [F([1, 1, 5, 5])], a: { k: 2, s: 0, p: 0, d: 1, ceil: false } }, // stride 0
  { x: [F([1, 1, 5, 5])], a: { k: 2, s: 1, p: 0, d: 0, ceil: false } }, // dilation 0
  { x: [F([5, 5])], a: { k: 2, s: 1, p: 0, d: 1, ceil: false } }, // 2-D input
  { x: [F([1, 1, 6, 6])], a: { k: 3, s: 3, p: 1, d: 1, ceil: true } }, // ceil, last window in padding
  { x: [F([1, 1, 5, 5])], a: { k: 2, s: 2, p: 1, d: 1, ceil: true } },
);
poolOps[1].cases.push(
  { x: [F([1, 1, 5, 5])], a: { k: 2, s: 2, p: 2, ceil: false, cip: true, div: null } },
  { x: [F([1, 1, 5, 5])], a: { k: 2, s: 2, p: 0, ceil: false, cip: true, div: 0 } },
  { x: [F([1, 1, 6, 6])], a: { k: 3, s: 3, p: 1, ceil: true, cip: true, div: null } },
  { x: [F([1, 1, 5, 5])], a: { k: 2, s: 2, p: 1, ceil: true, cip: true, div: null } },
  { x: [F([1, 1, 5, 5])], a: { k: 2, s: 2, p: 1, ceil: true, cip: false, div: null } },
  { x: [F([1, 1, 4, 4])], a: { k: 3, s: 2, p: 1, ceil: true, cip: true, div: null } },
  { x: [F([2, 2, 7, 7])], a: { k: 4, s: 3, p: 2, ceil: true, cip: true, div: null } },
);

// bool inputs (counts in int32 where PyTorch gives int64) and float16 values whose squares overflow
cumsumOp.cases.push(...cases(4, () => ({ x: [B(randShape(int(1, 3), 0, 6))], a: { dim: -1 } })));
prodOp.cases.push(...cases(4, () => ({ x: [B(randShape(int(1, 3), 0, 4), 0.8)], a: { dim: 0, keepdim: G() < 0.5 } })));
sortOps[0].cases.push(...cases(4, () => ({ x: [B(randShape(int(1, 3), 0, 6))], a: { dim: -1, desc: G() < 0.5 } })));
statOps.forEach((op) => op.cases.push(...cases(6, () => ({ x: [F(randShape(int(1, 3), 1, 9), { dtype: 'float16', lo: -300, hi: 300 })], a: { dim: -1, c: 1, keepdim: false }, rtol: 3e-3, atol: 1e-2 }))));
statMeanOps.forEach((op) => op.cases.push(...cases(4, () => ({ x: [F([int(2, 5), int(30, 80)], { dtype: 'float16', lo: -250, hi: 250 })], a: { dim: -1, c: 1, keepdim: false }, rtol: 3e-3, atol: 1e-2 }))));

// ceilMode at the edges: kernels longer than the input, windows that start in the padding or
// run past its end, every stride; a small grid for max (with dilation) and avg (both divisors).
for (let H = 1; H <= 4; H++) for (let k = 2; k <= 5; k++) for (let st = 1; st <= 4; st += 1 + (k % 2)) {
  const p = (H + k + st) % (Math.floor(k / 2) + 1);
  const dl = p > 0 ? 1 : 1 + ((H + st) % 2); // a dilated window wholly in the padding is undefined in PyTorch (garbage indices, a heap overrun in backward)
  poolOps[0].cases.push({ x: [F([1, 2, H, H + 2], { round: 4 })], a: { k: [k, 2], s: st, p: [p, 0], d: [dl, 1], ceil: true } });
  poolOps[1].cases.push({ x: [F([2, H, H + 1])], a: { k, s: st, p, ceil: true, cip: (H + k) % 2 === 0, div: null } });
}

const ALL = [...statOps, ...statMeanOps, prodOp, cumsumOp, ...sortOps, ...scatterOps, ...convOps, ...poolOps];

addTransposedCases(ALL, G, 0.35, (t) => t.dtype !== 'int32');
export const OPS = ALL;
