// Generated adversarial parity cases for the newer math, loss and dim ops: the unary functions
// (sign … softsign), the binary ones (atan2, lerp, hypot, xlogy, logaddexp, fmax, fmin), the
// regression losses, movedim/swapaxes/unflatten/unbind/tile/.mT, int32 pow, exact
// remainder/fmod/floorDivide and clipGradNorm; the special functions (erfc … digamma), shrinks,
// copysign/ldexp/addcmul/addcdiv and the klDiv … tripletMarginLoss losses. Random shapes with odd sizes (so PyTorch's
// vectorized and scalar-tail kernels both run), broadcasting, transposed (strided) inputs,
// float32/float16/int32/bool operands, NaN/±Inf/±0 at random positions, argument errors.
//   node run.mjs cases FILE --ops ./adv-new.mjs [--seed N]; python3 torch_ref.py FILE EXP
//   node run.mjs compare EXP --ops ./adv-new.mjs --backends cpu,webgpu
import { rng, stridedTables } from './ops.mjs';

const numel = (s) => s.reduce((a, b) => a * b, 1);
const pick = (r, xs) => xs[Math.floor(r() * xs.length)];
const int = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));

const SPECIAL = ['nan', 'inf', '-inf', '-0', 0, 1e30, -1e30, 1e-30, -1e-30, 0.5, -0.5, 1, -1, 3, -3, 6];
/** A tensor input: float values in [lo, hi] (some special, never at position 0), ints, or bools. */
function T(r, dtype, shape, { lo = -3, hi = 3, special = 0, grad = true, nonzero = false, specials = SPECIAL } = {}) {
  const data = Array.from({ length: numel(shape) }, (_, i) => {
    if (dtype === 'bool') return r() < 0.5 ? 1 : 0;
    if (dtype === 'int32') { let v = int(r, Math.ceil(lo), Math.floor(hi)); if (nonzero && v === 0) v = 1; return v; }
    let v = i > 0 && r() < special ? pick(r, specials) : Math.fround(lo + (hi - lo) * r());
    if (nonzero && v === 0) v = 0.75;
    if (dtype === 'float16' && typeof v === 'number' && Math.abs(v) > 6e4) v = v > 0 ? 'inf' : '-inf';
    if (dtype === 'float16' && typeof v === 'number' && v !== 0 && Math.abs(v) < 1e-7) v = 0;
    return v;
  });
  return { shape, dtype, grad: grad && (dtype === 'float32' || dtype === 'float16'), data };
}
/** A number operand: an integer (int32) or a float. */
function N(r, kind, { lo = -4, hi = 4, special = 0.15 } = {}) {
  if (kind === 'int32') return { num: true, dtype: 'int32', shape: [], data: [int(r, lo, hi)] };
  const v = r() < special ? pick(r, ['nan', 'inf', '-inf']) : Math.fround(lo + (hi - lo) * r());
  return { num: true, dtype: 'float32', shape: [], data: [v] };
}
const DIMS = [1, 2, 3, 5, 7, 9, 13];
function shape(r, maxRank = 3) {
  const rank = int(r, 0, maxRank);
  return Array.from({ length: rank }, () => (r() < 0.06 ? 0 : pick(r, DIMS)));
}
/** A shape that broadcasts with s: a suffix of s with some dims set to 1. */
function bshape(r, s) {
  const k = int(r, 0, s.length);
  return s.slice(s.length - k).map((d) => (r() < 0.3 ? 1 : d));
}
const dtypeOf = (r, w = [0.6, 0.2, 0.15, 0.05]) => { const u = r(); let acc = 0; for (const [i, d] of ['float32', 'float16', 'int32', 'bool'].entries()) { acc += w[i]; if (u < acc) return d; } return 'float32'; };
const fl = (r) => (r() < 0.75 ? 'float32' : 'float16');

const OPS_RAW = [];
function op(name, sg, pyExpr, gen, n, extra = {}) { OPS_RAW.push({ name, sg, py: pyExpr, gen, n, ...extra }); }

// ---- unary math: [name, python, lo, hi, dtype weights, special share, rtol] ----
const FLOATY = [0.6, 0.25, 0.15, 0];
const FONLY = [0.75, 0.25, 0, 0];
const UN = [
  ['sign', 't.sign(x[0])', -3, 3, [0.5, 0.2, 0.2, 0.1]],
  ['square', 't.square(x[0])', -5, 5, [0.6, 0.2, 0.2, 0]],
  ['reciprocal', 't.reciprocal(x[0])', -3, 3, [0.6, 0.2, 0.2, 0]],
  ['log1p', 't.log1p(x[0])', -1, 4, FLOATY],
  ['expm1', 't.expm1(x[0])', -4, 4, FLOATY],
  ['log2', 't.log2(x[0])', 0, 6, FLOATY],
  ['log10', 't.log10(x[0])', 0, 6, FLOATY],
  ['exp2', 't.exp2(x[0])', -6, 6, FLOATY],
  ['sinh', 't.sinh(x[0])', -5, 5, FLOATY],
  ['cosh', 't.cosh(x[0])', -5, 5, FLOATY],
  ['tan', 't.tan(x[0])', -1.4, 1.4, FLOATY],
  ['asin', 't.asin(x[0])', -1.1, 1.1, FLOATY],
  ['acos', 't.acos(x[0])', -1.1, 1.1, FLOATY],
  ['atan', 't.atan(x[0])', -5, 5, FLOATY],
  ['asinh', 't.asinh(x[0])', -5, 5, FLOATY],
  ['acosh', 't.acosh(x[0])', 0.9, 6, FLOATY],
  ['atanh', 't.atanh(x[0])', -1.05, 1.05, FLOATY],
  ['frac', 't.frac(x[0])', -6, 6, [0.7, 0.2, 0.1, 0]],
  ['relu6', 'F.relu6(x[0])', -3, 9, [0.6, 0.2, 0.2, 0]],
  ['hardsigmoid', 'F.hardsigmoid(x[0])', -5, 5, [0.7, 0.2, 0.1, 0]],
  ['hardswish', 'F.hardswish(x[0])', -5, 5, [0.7, 0.2, 0.1, 0]],
  ['mish', 'F.mish(x[0])', -8, 8, [0.7, 0.2, 0.1, 0]],
  ['selu', 'F.selu(x[0])', -4, 4, [0.7, 0.2, 0.1, 0]],
  ['softsign', 'F.softsign(x[0])', -5, 5, [0.6, 0.2, 0.2, 0]],
];
// PyTorch's gradient at a NaN input differs between its vectorized kernel and its scalar tail
// (hardtanh: 0 vs g; hardswish, celu, selu: NaN vs finite). The docs follow the vectorized one:
// these ops' references run through torch_ref.py's vec(), which puts every element in a
// vectorized chunk; `raw` cases keep PyTorch's own position-dependent answer.
const VEC = new Set(['relu6', 'hardtanh', 'hardsigmoid', 'hardswish', 'mish', 'selu', 'celu']);
const vecPy = (name, p) => (VEC.has(name) ? p.replace(/^(F\.\w+)\(x\[0\](.*)\)$/, 'vec(lambda v: $1(v$2), x[0])') : p);
for (const [name, p0, lo, hi, w] of UN) {
  const p = vecPy(name, p0);
  op(name, (sg, x) => x[0][name](), p, (r) => {
    const d = dtypeOf(r, w);
    return { x: [T(r, d, shape(r), { lo, hi, special: r() < 0.5 ? 0.2 : 0, grad: r() < 0.8 })] };
  }, 14);
}
// kink values exactly: hardsigmoid/hardswish at ±3, relu6/hardtanh at bounds
for (const name of ['hardsigmoid', 'hardswish', 'relu6']) {
  op(`${name} kinks`, (sg, x) => x[0][name](), vecPy(name, `F.${name}(x[0])`), (r) => ({
    x: [T(r, fl(r), [int(r, 9, 20)], { lo: -4, hi: 7, special: 0.6, specials: [-3, 3, 0, '-0', 6, -6, 'nan'] })],
  }), 4);
}
op('hardtanh', (sg, x, a) => (a.def ? x[0].hardtanh() : sg.hardtanh(x[0], a.lo, a.hi)), null, (r) => {
  const d = dtypeOf(r, [0.6, 0.2, 0.2, 0]);
  const def = r() < 0.2;
  const [lo, hi] = pick(r, [[-1, 1], [-2, 3], [0, 6], [-0.5, 0.5], [1, 1], [2, -2], [-2.5, 1.5]]);
  const x = T(r, d, shape(r), { lo: -4, hi: 4, special: 0.25, specials: ['nan', 'inf', '-inf', '-0', lo, hi, -1, 1] });
  return { x: [x], a: { def, lo, hi }, py: vecPy('hardtanh', def ? 'F.hardtanh(x[0])' : 'F.hardtanh(x[0], a["lo"], a["hi"])') };
}, 20);
op('celu', (sg, x, a) => sg.celu(x[0], a.alpha), vecPy('celu', 'F.celu(x[0], a["alpha"])'), (r) => ({
  x: [T(r, dtypeOf(r, [0.7, 0.2, 0.1, 0]), shape(r), { lo: -5, hi: 5, special: r() < 0.5 ? 0.2 : 0 })], a: { alpha: pick(r, [1, 0.5, 2, -1, 3.5, 0]) } }), 16);

// ---- binary math ----
const opnd = (r, s, { lo = -3, hi = 3, w = [0.6, 0.15, 0.2, 0.05], special = 0.15, num = 0.15 } = {}) =>
  (r() < num ? N(r, r() < 0.4 ? 'int32' : 'float32', { lo, hi }) : T(r, dtypeOf(r, w), r() < 0.5 ? s : bshape(r, s), { lo, hi, special }));
const BIN = [
  ['atan2', (sg, x) => sg.atan2(x[0], x[1]), 't.atan2(x[0], x[1])', { num: 0 }],
  ['hypot', (sg, x) => sg.hypot(x[0], x[1]), 't.hypot(x[0], x[1])', { w: [0.7, 0.2, 0.08, 0.02], num: 0 }],
  ['xlogy', (sg, x) => sg.xlogy(x[0], x[1]), 't.xlogy(x[0], x[1])', { num: 0.2 }],
  ['logaddexp', (sg, x) => sg.logaddexp(x[0], x[1]), 't.logaddexp(x[0], x[1])', { lo: -30, hi: 30, w: [0.7, 0.2, 0.08, 0.02], num: 0 }],
  ['fmax', (sg, x) => sg.fmax(x[0], x[1]), 't.fmax(x[0], x[1])', { num: 0 }],
  ['fmin', (sg, x) => sg.fmin(x[0], x[1]), 't.fmin(x[0], x[1])', { num: 0 }],
];
for (const [name, sgf, p, o] of BIN) {
  op(name, sgf, p, (r) => {
    const s = shape(r);
    const first = r() < 0.7 || name !== 'xlogy' ? T(r, dtypeOf(r, o.w), s, { lo: o.lo ?? -3, hi: o.hi ?? 3, special: 0.15, specials: name === 'xlogy' ? [0, '-0', 'nan', 'inf', 1, -1] : SPECIAL }) : N(r, 'float32');
    let second = opnd(r, s, o);
    if (first.num && second.num) second = T(r, 'float32', s, { special: 0.15 });
    if (name.startsWith('fm') && !second.num && !first.num && second.dtype === first.dtype && r() < 0.4) second.data = second.data.map((v, i) => (i < first.data.length && r() < 0.3 ? first.data[i] : v)); // ties
    if (name === 'xlogy' && !second.num) second.data = second.data.map((v) => (typeof v === 'number' && r() < 0.15 ? 0 : v));
    return { x: r() < 0.5 || name === 'xlogy' ? [first, second] : [second.num ? T(r, dtypeOf(r, o.w), bshape(r, s), { special: 0.1 }) : second, first] };
  }, 22);
}
op('lerp', (sg, x, a) => (a.wn !== undefined ? sg.lerp(x[0], x[1], a.wn) : x[0].lerp(x[1], x[2])), null, (r) => {
  const s = shape(r);
  const d = r() < 0.8 ? fl(r) : pick(r, ['int32', 'float32']);
  const de = r() < 0.9 ? d : fl(r);
  const big = r() < 0.5;
  const x = [T(r, d, big ? s : bshape(r, s), { special: 0.1 }), T(r, de, big ? bshape(r, s) : s, { special: 0.1 })];
  if (r() < 0.4) {
    const wn = pick(r, [0.5, 0.25, 1, 0, -0.5, 1.5, 0.75, 0.4999]);
    return { x, a: { wn }, py: 't.lerp(x[0], x[1], a["wn"])' };
  }
  x.push(T(r, r() < 0.9 ? d : fl(r), bshape(r, s), { lo: -0.5, hi: 1.5, special: 0.2, specials: [0, 1, 0.5, 'nan', 'inf', 2] }));
  return { x, a: {}, py: 't.lerp(x[0], x[1], x[2])' };
}, 30);

// ---- int32 pow, exact remainder/fmod/floorDivide ----
op('pow int32', (sg, x) => sg.pow(x[0], x[1]), 't.pow(x[0], x[1])', (r) => {
  const s = shape(r);
  const base = T(r, 'int32', s, { lo: -6, hi: 6 });
  const u = r();
  if (u < 0.45) return { x: [base, { num: true, dtype: 'int32', shape: [], data: [pick(r, [0, 1, 2, 3, 5, 7, 12, -1, -2])] }] };
  if (u < 0.6) return { x: [base, { num: true, dtype: 'float32', shape: [], data: [pick(r, [0.5, 2.5, -1.5, 2, 3])] }] };
  if (u < 0.7) return { x: [{ num: true, dtype: 'int32', shape: [], data: [pick(r, [2, -3, 0, 1])] }, T(r, 'int32', s, { lo: 0, hi: 9 })] };
  return { x: [base, T(r, 'int32', bshape(r, s), { lo: r() < 0.7 ? 0 : -2, hi: 13 })] };
}, 30);
const EXACT = [
  ['remainder', (sg, x) => sg.remainder(x[0], x[1]), 't.remainder(x[0], x[1])'],
  ['fmod', (sg, x) => sg.fmod(x[0], x[1]), 't.fmod(x[0], x[1])'],
  ['floorDivide', (sg, x) => sg.floorDivide(x[0], x[1]), 't.floor_divide(x[0], x[1])'],
];
const DIVIDENDS = [1, -1, 1e7, -1e7, 16777217, 3.4e38, 1e30, -1e30, 0.3, 100, -100, 'nan', 'inf', '-inf', '-0', 0];
const DIVISORS = [0.1, -0.1, 3, -3, 0.3, 1e-3, 7.7, 1e30, 'inf', '-inf', '-0', 0, 'nan', 2.5e-38];
for (const [name, sgf, p] of EXACT) {
  op(`${name} exact`, sgf, p, (r) => {
    const s = shape(r);
    const d = r() < 0.85 ? 'float32' : 'float16';
    const a = T(r, d, s, { lo: -50, hi: 50, special: 0.5, specials: DIVIDENDS.filter((v) => d === 'float32' || typeof v !== 'number' || Math.abs(v) < 6e4) });
    // float32 fmod/remainder: the exact answer (C's fmod, as the docs say) is computed in float64
    // and is representable in float32; PyTorch's own float32 vectorized kernel gives NaN where
    // a / b overflows (3.4e38 fmod 0.01), its scalar tail the exact value.
    // (the value only: the float32 op's output is overwritten in place, its gradient kept)
    const py64 = d === 'float32' && name !== 'floorDivide' && r() < 0.7 ? `(lambda y: (y.data.copy_(${p.replace('(x[0], x[1])', '(x[0].double(), x[1].double() if isinstance(x[1], t.Tensor) else x[1])')}), y)[1])(${p})` : undefined;
    if (r() < 0.3) return { x: [a, N(r, 'float32', { lo: -2, hi: 2 })], py: py64 };
    return { x: [a, T(r, d, bshape(r, s), { lo: -5, hi: 5, special: 0.6, specials: DIVISORS.filter((v) => d === 'float32' || typeof v !== 'number' || Math.abs(v) < 6e4) })], py: py64 };
  }, 20);
}

// ---- regression losses ----
const RED = ['mean', 'sum', 'none'];
const LOSS = [
  ['mseLoss', 'F.mse_loss', () => ({})],
  ['l1Loss', 'F.l1_loss', () => ({})],
  ['smoothL1Loss', 'F.smooth_l1_loss', (r) => (r() < 0.8 ? { beta: pick(r, [1, 0.5, 0, 2, 1e-3, 3]) } : {})],
  ['huberLoss', 'F.huber_loss', (r) => (r() < 0.8 ? { delta: pick(r, [1, 0.5, 2, 1e-3, 3]) } : {})],
];
for (const [name, pf, extra] of LOSS) {
  op(name, (sg, x, a) => sg[name](x[0], x[1], a.o), null, (r) => {
    const s = shape(r);
    const d = fl(r);
    const o = { ...extra(r) };
    if (r() < 0.85) o.reduction = pick(r, RED);
    const tsh = r() < 0.8 ? s : bshape(r, s);
    const x = [T(r, d, s, { lo: -4, hi: 4, special: r() < 0.3 ? 0.15 : 0 }), T(r, r() < 0.9 ? d : fl(r), tsh, { lo: -4, hi: 4, special: r() < 0.2 ? 0.1 : 0, grad: r() < 0.5 })];
    if (r() < 0.3) x[1].data = x[1].data.map((v, i) => (i < x[0].data.length && r() < 0.4 ? x[0].data[i] : v)); // d = 0
    if (r() < 0.3 && o.beta === undefined && o.delta === undefined) x[1].data = x[1].data.map((v, i) => (typeof v === 'number' && typeof x[0].data[i] === 'number' && r() < 0.5 ? Math.fround(x[0].data[i] - pick(r, [1, -1, 0.5])) : v));
    const kw = [o.reduction ? `reduction="${o.reduction}"` : '', o.beta !== undefined ? `beta=${o.beta}` : '', o.delta !== undefined ? `delta=${o.delta}` : ''].filter(Boolean).join(', ');
    return { x, a: { o }, py: `${pf}(x[0], x[1]${kw ? `, ${kw}` : ''})` };
  }, 24);
}
op('loss args', (sg, x, a) => sg[a.f](x[0], x[1], a.o), null, (r) => {
  const f = pick(r, ['smoothL1Loss', 'huberLoss', 'mseLoss', 'l1Loss']);
  const bad = pick(r, ['neg', 'shape', 'red', 'int']);
  const o = {};
  if (bad === 'neg') { if (f === 'smoothL1Loss') o.beta = -1; else if (f === 'huberLoss') o.delta = pick(r, [0, -1]); }
  if (bad === 'red') o.reduction = 'avg';
  const x = [T(r, bad === 'int' ? 'int32' : 'float32', [3, 4]), T(r, 'float32', bad === 'shape' ? [5] : [3, 4], { grad: false })];
  const pf = { smoothL1Loss: 'F.smooth_l1_loss', huberLoss: 'F.huber_loss', mseLoss: 'F.mse_loss', l1Loss: 'F.l1_loss' }[f];
  const kw = [o.reduction ? `reduction="${o.reduction}"` : '', o.beta !== undefined ? `beta=${o.beta}` : '', o.delta !== undefined ? `delta=${o.delta}` : ''].filter(Boolean).join(', ');
  return { x, a: { f, o }, py: `${pf}(x[0], x[1]${kw ? `, ${kw}` : ''})` };
}, 16);

// ---- dims ----
const anyD = (r) => dtypeOf(r, [0.6, 0.15, 0.15, 0.1]);
const dimIn = (r, rank, bad = 0.08) => int(r, -Math.max(rank, 1) - (r() < bad ? 1 : 0), Math.max(rank, 1) - 1 + (r() < bad ? 1 : 0));
op('movedim', (sg, x, a) => (a.alias ? x[0].moveaxis(a.src, a.dst) : sg.movedim(x[0], a.src, a.dst)), null, (r) => {
  const s = shape(r, 4);
  const rank = s.length;
  let src; let dst;
  if (r() < 0.4 || rank === 0) { src = dimIn(r, rank); dst = dimIn(r, rank); } else {
    const k = int(r, 1, rank);
    const perm = Array.from({ length: rank }, (_, i) => i).sort(() => r() - 0.5);
    src = perm.slice(0, k).map((d) => (r() < 0.3 ? d - rank : d));
    const perm2 = Array.from({ length: rank }, (_, i) => i).sort(() => r() - 0.5);
    dst = perm2.slice(0, k).map((d) => (r() < 0.3 ? d - rank : d));
    if (r() < 0.08) dst[0] = dst.at(-1); // duplicate: an error
  }
  const tup = (v) => (Array.isArray(v) ? `(${v.join(',')},)` : `${v}`);
  return { x: [T(r, anyD(r), s, { special: 0.1 })], a: { src, dst, alias: r() < 0.3 }, py: `x[0].movedim(${tup(src)}, ${tup(dst)})` };
}, 26);
op('swapaxes', (sg, x, a) => (a.alias ? sg.swapdims(x[0], a.d0, a.d1) : x[0].swapaxes(a.d0, a.d1)), 'x[0].swapaxes(a["d0"], a["d1"])', (r) => {
  const s = shape(r, 4);
  return { x: [T(r, anyD(r), s, { special: 0.1 })], a: { d0: dimIn(r, s.length), d1: dimIn(r, s.length), alias: r() < 0.3 } };
}, 20);
op('unflatten', (sg, x, a) => x[0].unflatten(a.dim, a.sizes), 'x[0].unflatten(a["dim"], a["sizes"])', (r) => {
  const s = shape(r, 3);
  if (!s.length) s.push(pick(r, [6, 12, 1, 0]));
  const dim = dimIn(r, s.length, 0.05);
  const n = s[((dim % s.length) + s.length) % s.length] ?? 6;
  const facs = [];
  let rest = n;
  for (const f of [2, 3, 2, 5, 7, 13]) if (rest % f === 0 && r() < 0.6) { facs.push(f); rest /= f; }
  facs.push(rest);
  let sizes = facs.sort(() => r() - 0.5);
  if (r() < 0.3) sizes[int(r, 0, sizes.length - 1)] = -1;
  if (r() < 0.08) sizes = [...sizes, 2]; // wrong product: an error
  if (r() < 0.05) sizes = [-1, -1];
  return { x: [T(r, anyD(r), s, { special: 0.1 })], a: { dim, sizes } };
}, 24);
op('unbind', (sg, x, a) => (a.dim === null ? x[0].unbind() : sg.unbind(x[0], a.dim)), null, (r) => {
  const s = shape(r, 4);
  if (!s.length && r() < 0.7) s.push(pick(r, DIMS));
  const dim = r() < 0.2 ? null : dimIn(r, s.length, 0.05);
  return { x: [T(r, anyD(r), s.map((v) => Math.min(v, 5)), { special: 0.1 })], a: { dim }, py: dim === null ? 'x[0].unbind()' : `x[0].unbind(${dim})` };
}, 20);
op('tile', (sg, x, a) => x[0].tile(...a.dims), 'x[0].tile(a["dims"])', (r) => {
  const s = shape(r, 3).map((v) => Math.min(v, 5));
  const dims = Array.from({ length: int(r, 0, 4) }, () => pick(r, [1, 2, 3, 1, 0]));
  if (r() < 0.05 && dims.length) dims[0] = -1;
  return { x: [T(r, anyD(r), s, { special: 0.1 })], a: { dims } };
}, 20);
op('mT', (sg, x) => x[0].mT, 'x[0].mT', (r) => ({ x: [T(r, anyD(r), shape(r, 4), { special: 0.1 })] }), 14);
op('mT chain', (sg, x) => x[0].mT.movedim(0, -1).tile(2, 1).unflatten(-1, [1, -1]).exp2(), 'x[0].mT.movedim(0, -1).tile(2, 1).unflatten(-1, [1, -1]).exp2()', (r) => ({ x: [T(r, fl(r), [int(r, 1, 4), int(r, 1, 5), int(r, 1, 3)], { special: 0.1 })] }), 6);

// ---- clipGradNorm: outputs [norm, ...clipped gradients]; the gradients are x ----
op('clipGradNorm', (sg, x, a) => {
  const ps = x.map((g) => { const p = sg.zeros(g.shape, { dtype: g.dtype, requiresGrad: true }); p.mul(g).sum().backward(); return p; });
  if (a.none) ps.push(sg.zeros([2], { requiresGrad: true }));
  const n = sg.optim.clipGradNorm(ps, a.m, a.p === 'inf' ? Infinity : a.p, a.e);
  return [n, ...ps.map((p) => p.grad).filter(Boolean)];
}, null, (r) => {
  const k = int(r, 1, 4);
  const d = r() < 0.8 ? 'float32' : pick(r, ['float16', 'mixed']);
  const special = r() < 0.25 ? 0.1 : 0;
  const x = Array.from({ length: k }, () => T(r, d === 'mixed' ? fl(r) : d, shape(r, 3).map((v) => Math.min(v, 7)), { lo: -3, hi: 3, special, specials: ['nan', 'inf', '-inf', 0, '-0', 100], grad: false }));
  const m = pick(r, [1, 0.5, 5, 100, 0, 1e-3]);
  const p = pick(r, [2, 2, 1, 'inf', 3, 0.5]);
  const e = r() < 0.3;
  const none = r() < 0.2;
  const pyp = p === 'inf' ? 'math.inf' : p;
  const py = `(lambda ps: (lambda n: [n] + [p.grad for p in ps if p.grad is not None])(t.nn.utils.clip_grad_norm_(ps, ${m}, ${pyp}, error_if_nonfinite=${e ? 'True' : 'False'})))`
    + `([(lambda p: (setattr(p, 'grad', g.clone()), p)[1])(t.zeros_like(g, requires_grad=True)) for g in x]${none ? ' + [t.zeros(2, requires_grad=True)]' : ''})`;
  return { x, a: { m, p, e, none }, py };
}, 24, { noTv: true });

// ---- special functions, shrinks, copysign/ldexp/addcmul, more losses (math-special.ts, loss-extra.ts) ----
// [name, sg call, python, lo, hi, dtype weights]; shrink and logit(eps) references run vectorized (their NaN gradients)
const UN2 = [
  ['erfc', (sg, x) => x[0].erfc(), 't.erfc(x[0])', -5, 10, FLOATY], ['erfinv', (sg, x) => x[0].erfinv(), 't.erfinv(x[0])', -1.05, 1.05, FLOATY],
  ['lgamma', (sg, x) => x[0].lgamma(), 't.lgamma(x[0])', -6, 20, FLOATY], ['digamma', (sg, x) => sg.digamma(x[0]), 't.digamma(x[0])', -6, 20, FONLY],
  ['sinc', (sg, x) => x[0].sinc(), 't.sinc(x[0])', -5, 5, FLOATY], ['tanhshrink', (sg, x) => sg.tanhshrink(x[0]), 'F.tanhshrink(x[0])', -4, 4, FONLY],
  ['logit', (sg, x) => x[0].logit(), 't.logit(x[0])', -0.1, 1.1, FLOATY], ['logit eps', (sg, x) => sg.logit(x[0], 0.05), 'vec(lambda v: t.logit(v, 0.05), x[0])', -0.1, 1.1, FONLY],
  ['deg2rad', (sg, x) => x[0].deg2rad(), 't.deg2rad(x[0])', -400, 400, [0.5, 0.2, 0.2, 0.1]], ['rad2deg', (sg, x) => sg.rad2deg(x[0]), 't.rad2deg(x[0])', -7, 7, FLOATY],
  ['hardshrink', (sg, x) => x[0].hardshrink(0.75), 'vec(lambda v: F.hardshrink(v, 0.75), x[0])', -2, 2, FONLY], ['softshrink', (sg, x) => sg.softshrink(x[0]), 'vec(F.softshrink, x[0])', -2, 2, FONLY],
  ['threshold', (sg, x) => sg.threshold(x[0], 0.5, -2), 'F.threshold(x[0], 0.5, -2.0)', -2, 2, [0.6, 0.2, 0.2, 0]], ['sgn', (sg, x) => x[0].sgn(), 't.sgn(x[0])', -3, 3, [0.5, 0.2, 0.2, 0.1]],
  ['signbit', (sg, x) => x[0].signbit(), 't.signbit(x[0])', -3, 3, [0.5, 0.2, 0.2, 0.1]], ['clampMin', (sg, x) => x[0].clampMin(0.5), 't.clamp_min(x[0], 0.5)', -2, 2, [0.6, 0.2, 0.2, 0]],
];
for (const [name, sgf, p, lo, hi, w] of UN2) {
  op(name, sgf, p, (r) => ({ x: [T(r, dtypeOf(r, w), shape(r), { lo, hi, special: r() < 0.5 ? 0.2 : 0, grad: r() < 0.8 })] }), 12);
}
op('softmin', (sg, x, a) => sg.softmin(x[0], a.dim), 'F.softmin(x[0], a["dim"])', (r) => {
  const s = shape(r, 3);
  if (!s.length) s.push(5);
  return { x: [T(r, fl(r), s, { special: 0.1 })], a: { dim: int(r, -s.length, s.length - 1) } };
}, 10);
const BIN2 = [
  ['copysign', (sg, x) => sg.copysign(x[0], x[1]), 't.copysign(x[0], x[1])', { num: 0.2 }],
  ['logaddexp2', (sg, x) => sg.logaddexp2(x[0], x[1]), 't.logaddexp2(x[0], x[1])', { lo: -30, hi: 30, w: [0.7, 0.3, 0, 0], num: 0 }],
  ['trueDivide', (sg, x) => sg.trueDivide(x[0], x[1]), 't.true_divide(x[0], x[1])', { num: 0.2 }],
];
for (const [name, sgf, p, o] of BIN2) {
  op(name, sgf, p, (r) => {
    const s = shape(r);
    return { x: [T(r, dtypeOf(r, o.w ?? [0.6, 0.2, 0.2, 0]), s, { lo: o.lo ?? -3, hi: o.hi ?? 3, special: 0.15 }), opnd(r, s, { ...o, w: o.w ?? [0.6, 0.2, 0.2, 0] })] };
  }, 16);
}
op('ldexp', (sg, x) => sg.ldexp(x[0], x[1]), 't.ldexp(x[0], x[1])', (r) => {
  const s = shape(r);
  return { x: [T(r, fl(r), s, { special: 0.15 }), T(r, 'int32', bshape(r, s), { lo: -140, hi: 140 })] };
}, 12);
op('heaviside', (sg, x) => sg.heaviside(x[0], x[1]), 't.heaviside(x[0], x[1])', (r) => {
  const s = shape(r);
  const d = dtypeOf(r, [0.5, 0.2, 0.2, 0.1]);
  return { x: [T(r, d, s, { special: 0.3, specials: [0, '-0', 'nan', 'inf', '-inf'], grad: false }), T(r, d, bshape(r, s), { special: 0.1, grad: false })] };
}, 12);
for (const name of ['addcmul', 'addcdiv']) {
  op(name, (sg, x, a) => sg[name](x[0], x[1], x[2], { value: a.v }), `t.${name}(x[0], x[1], x[2], value=a["v"])`, (r) => {
    const s = shape(r);
    const d = fl(r);
    return { x: [T(r, d, s, { special: 0.1 }), T(r, d, bshape(r, s), { special: 0.1 }), T(r, d, bshape(r, s), { special: 0.1, nonzero: name === 'addcdiv' })], a: { v: pick(r, [1, 0.5, -2, 0, 3]) } };
  }, 14);
}
// the new losses: random batch shapes, each reduction
const LOSS2 = {
  klDiv: ['F.kl_div', (r) => ({ reduction: pick(r, ['mean', 'sum', 'none', 'batchmean']), logTarget: r() < 0.3 }), 2, { lo: -3, hi: 0 }, { lo: 0, hi: 1 }],
  poissonNllLoss: ['F.poisson_nll_loss', (r) => ({ reduction: pick(r, RED), logInput: r() < 0.7, full: r() < 0.4 }), 2, { lo: 0.1, hi: 3 }, { lo: 0, hi: 5 }],
  softMarginLoss: ['F.soft_margin_loss', (r) => ({ reduction: pick(r, RED) }), 2, { lo: -5, hi: 5 }, { lo: -1, hi: 1, grad: false }],
  multiLabelSoftMarginLoss: ['F.multilabel_soft_margin_loss', (r) => ({ reduction: pick(r, RED) }), 2, { lo: -5, hi: 5 }, { lo: 0, hi: 1 }],
  hingeEmbeddingLoss: ['F.hinge_embedding_loss', (r) => ({ reduction: pick(r, RED), margin: pick(r, [1, 0.5, 2]) }), 2, { lo: -2, hi: 3 }, { lo: -1, hi: 1, grad: false, signs: true }],
  tripletMarginLoss: ['F.triplet_margin_loss', (r) => ({ reduction: pick(r, RED), p: pick(r, [2, 1, 3]), swap: r() < 0.3, margin: pick(r, [1, 0.5]) }), 3, { lo: -2, hi: 2 }, { lo: -2, hi: 2 }],
};
const pyKw = (o) => Object.entries(o).map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}=${typeof v === 'string' ? `"${v}"` : typeof v === 'boolean' ? (v ? 'True' : 'False') : v}`).join(', ');
for (const [name, [pf, opts, k, xo, to]] of Object.entries(LOSS2)) {
  op(name, (sg, x, a) => sg[name](...x, a.o), null, (r) => {
    const s = [int(r, 1, 5), pick(r, [1, 3, 4, 7])];
    const o = opts(r);
    const d = fl(r);
    const x = [T(r, d, s, xo), ...Array.from({ length: k - 1 }, () => T(r, d, s, to))];
    if (to.signs) x[1].data = x[1].data.map((v) => (v < 0 ? -1 : 1));
    return { x, a: { o }, py: `${pf}(${x.map((_, i) => `x[${i}]`).join(', ')}, ${pyKw(o)})` };
  }, 12);
}

export const { OPS, makeCases } = stridedTables(OPS_RAW, 3);
