// Generated adversarial parity cases for the #24 math, division, mask, bool and loss ops:
// random shapes (0-d, empty dims, broadcasting), float32/float16/int32/bool operands, numbers
// on either side, NaN/±Inf/-0/huge/tiny values at random positions, option combinations and
// argument errors, each answered by PyTorch (torch_ref.py) and compared by run.mjs.
//   node run.mjs cases FILE --ops ./adv-math.mjs [--seed N]; python3 torch_ref.py FILE EXP
//   node run.mjs compare EXP --ops ./adv-math.mjs --backends cpu
import { rng } from './ops.mjs';

const numel = (s) => s.reduce((a, b) => a * b, 1);
const pick = (r, xs) => xs[Math.floor(r() * xs.length)];
const int = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));

const SPECIAL = ['nan', 'inf', '-inf', '-0', 0, 1e30, -1e30, 1e-30, 0.5, -0.5, 1.5, -2.5, 1, -1, 3];
/** A tensor input: float values in [lo, hi] (some special), ints, or bools. */
function T(r, dtype, shape, { lo = -3, hi = 3, special = 0, grad = true, nonzero = false } = {}) {
  const data = Array.from({ length: numel(shape) }, () => {
    if (dtype === 'bool') return r() < 0.5 ? 1 : 0;
    if (dtype === 'int32') { let v = int(r, Math.ceil(lo), Math.floor(hi)); if (nonzero && v === 0) v = 1; return v; }
    let v = r() < special ? pick(r, SPECIAL) : Math.fround(lo + (hi - lo) * r());
    if (nonzero && v === 0) v = 0.75;
    if (dtype === 'float16' && typeof v === 'number' && Math.abs(v) > 6e4) v = v > 0 ? 'inf' : '-inf';
    return v;
  });
  return { shape, dtype, grad: grad && (dtype === 'float32' || dtype === 'float16'), data };
}
/** A number operand: an integer (int32) or a fractional float. */
function N(r, kind, { nonzero = false } = {}) {
  if (kind === 'int32') { let v = int(r, -4, 4); if (nonzero && v === 0) v = 2; return { num: true, dtype: 'int32', shape: [], data: [v] }; }
  const v = r() < 0.15 ? pick(r, ['nan', 'inf', '-inf']) : Math.fround((r() * 8 - 4)) || 0.25;
  return { num: true, dtype: 'float32', shape: [], data: [Number.isInteger(v) ? v + 0.5 : v] };
}
const DIMS = [1, 2, 3, 4, 5, 7];
function shape(r, maxRank = 3) {
  const rank = int(r, 0, maxRank);
  return Array.from({ length: rank }, () => (r() < 0.08 ? 0 : pick(r, DIMS)));
}
/** A shape that broadcasts with s: a suffix of s with some dims set to 1. */
function bshape(r, s) {
  const k = int(r, 0, s.length);
  return s.slice(s.length - k).map((d) => (r() < 0.3 ? 1 : d));
}
const dtypeOf = (r, w = [0.55, 0.15, 0.2, 0.1]) => { const u = r(); let acc = 0; for (const [i, d] of ['float32', 'float16', 'int32', 'bool'].entries()) { acc += w[i]; if (u < acc) return d; } return 'float32'; };
const fl = (r) => (r() < 0.8 ? 'float32' : 'float16');

const py = (s) => s; // marks a Python expression
const OPS_RAW = [];
function op(name, sg, pyExpr, gen, n) { OPS_RAW.push({ name, sg, py: pyExpr, gen, n }); }

// ---- unary math ----
for (const [name, p] of [['sin', 't.sin(x[0])'], ['cos', 't.cos(x[0])'], ['erf', 't.erf(x[0])'], ['floor', 't.floor(x[0])'], ['ceil', 't.ceil(x[0])'], ['trunc', 't.trunc(x[0])'], ['round', 't.round(x[0])'], ['logsigmoid', 'F.logsigmoid(x[0])']]) {
  op(name, (sg, x) => sg[name === 'erf' ? 'erf' : name](x[0]), p, (r) => {
    const d = dtypeOf(r);
    const big = name === 'logsigmoid' ? 40 : name === 'erf' ? 4 : 6;
    return { x: [T(r, d, shape(r), { lo: -big, hi: big, special: r() < 0.5 ? 0.2 : 0, grad: r() < 0.7 })] };
  }, 24);
}
op('round decimals', (sg, x, a) => x[0].round(a.d), 't.round(x[0], decimals=a["d"])', (r) => ({ x: [T(r, dtypeOf(r, [0.7, 0.2, 0.1, 0]), shape(r), { lo: -50, hi: 50, special: 0.1, grad: false })], a: { d: int(r, -2, 3) } }), 20);
op('softplus', (sg, x, a) => sg.softplus(x[0], a.beta, a.thr), 'F.softplus(x[0], beta=a["beta"], threshold=a["thr"])', (r) => ({
  x: [T(r, dtypeOf(r, [0.7, 0.15, 0.15, 0]), shape(r), { lo: -30, hi: 30, special: r() < 0.4 ? 0.2 : 0, grad: r() < 0.8 })], a: { beta: pick(r, [1, 2, 0.5, -1, -2.5, 1e-3]), thr: pick(r, [20, 1, 0, -1, 5]) } }), 30);
op('leakyRelu', (sg, x, a) => sg.leakyRelu(x[0], a.s), 'F.leaky_relu(x[0], a["s"])', (r) => ({ x: [T(r, dtypeOf(r, [0.7, 0.15, 0.15, 0]), shape(r), { special: r() < 0.4 ? 0.2 : 0 })], a: { s: pick(r, [0.01, 0.2, -0.5, 1.5, 0]) } }), 20);
op('elu', (sg, x, a) => sg.elu(x[0], a.alpha), 'F.elu(x[0], a["alpha"])', (r) => ({ x: [T(r, dtypeOf(r, [0.7, 0.15, 0.15, 0]), shape(r), { special: r() < 0.4 ? 0.2 : 0 })], a: { alpha: pick(r, [1, 0.5, -1, 2, 0]) } }), 20);

// ---- clamp ----
op('clamp', (sg, x, a) => sg.clamp(x[0], a.lo === 'none' ? null : x[1], a.hi === 'none' ? null : x[2]), null, (r) => {
  const s = shape(r);
  const dx = dtypeOf(r, [0.5, 0.15, 0.3, 0.05]);
  const kinds = [pick(r, ['none', 'num', 'tensor']), pick(r, ['none', 'num', 'tensor'])];
  if (kinds[0] === 'none' && kinds[1] === 'none') kinds[1] = 'num';
  if (r() < 0.85 && kinds.includes('num') && kinds.includes('tensor')) kinds[kinds.indexOf('tensor')] = 'num';
  const b = (k, lo, hi) => (k === 'none' ? { num: true, dtype: 'float32', shape: [], data: [0] } : k === 'num' ? N(r, r() < 0.5 ? 'int32' : 'float32') : T(r, dtypeOf(r, [0.6, 0.1, 0.3, 0]), bshape(r, s), { lo, hi, special: 0.1 }));
  const x = [T(r, dx, s, { special: r() < 0.4 ? 0.2 : 0 }), b(kinds[0], -2, 0.5), b(kinds[1], -0.5, 2)];
  const arg = (k, i) => (k === 'none' ? 'None' : `x[${i}]`);
  return { x, a: { lo: kinds[0], hi: kinds[1] }, py: `t.clamp(x[0], ${arg(kinds[0], 1)}, ${arg(kinds[1], 2)})` };
}, 60);

// ---- integer-style division ----
const DIVS = [
  ['div trunc', (sg, x) => sg.div(x[0], x[1], 'trunc'), 't.div(x[0], x[1], rounding_mode="trunc")', true],
  ['div floor', (sg, x) => x[0] instanceof sg.Tensor ? x[0].div(x[1], { roundingMode: 'floor' }) : sg.div(x[0], x[1], 'floor'), 't.div(x[0], x[1], rounding_mode="floor")', true],
  ['floorDivide', (sg, x) => sg.floorDivide(x[0], x[1]), 't.floor_divide(x[0], x[1])', true],
  ['remainder', (sg, x) => sg.remainder(x[0], x[1]), 't.remainder(x[0], x[1])', true],
  ['fmod', (sg, x) => sg.fmod(x[0], x[1]), 't.fmod(x[0], x[1])', false],
];
for (const [name, sgf, p, numFirst] of DIVS) {
  op(name, sgf, p, (r) => {
    const s = shape(r);
    const form = pick(r, numFirst ? ['tt', 'tt', 'tn', 'nt'] : ['tt', 'tt', 'tn']);
    const da = dtypeOf(r, [0.45, 0.15, 0.35, 0.05]);
    const db = dtypeOf(r, [0.45, 0.15, 0.35, 0.05]);
    const intRes = (da === 'int32' || da === 'bool') && (db === 'int32' || db === 'bool');
    const special = r() < 0.5 ? 0.2 : 0;
    const mk = (d, sh, divisor) => T(r, d, sh, { lo: divisor ? -5 : -40, hi: divisor ? 5 : 40, special: d === 'int32' || d === 'bool' ? 0 : special, nonzero: divisor && (intRes || r() < 0.5), grad: r() < 0.6 });
    if (form === 'tt') {
      const big = r() < 0.5;
      const sa = big ? s : bshape(r, s); const sb = big ? bshape(r, s) : s;
      return { x: [mk(da, sa, false), db === 'bool' && intRes ? T(r, 'int32', sb, { lo: 1, hi: 4 }) : mk(db, sb, true)] };
    }
    if (form === 'tn') return { x: [mk(da, s, false), N(r, r() < 0.5 ? 'int32' : 'float32', { nonzero: r() < 0.9 })] };
    return { x: [N(r, r() < 0.5 ? 'int32' : 'float32'), mk(db === 'bool' ? 'int32' : db, s, true)] };
  }, 60);
}

// ---- comparisons ----
for (const name of ['eq', 'ne', 'lt', 'le', 'gt', 'ge']) {
  op(name, (sg, x) => x[0][name](x[1]), `t.${name}(x[0], x[1])`, (r) => {
    const s = shape(r);
    const b = r() < 0.3 ? N(r, r() < 0.5 ? 'int32' : 'float32') : T(r, dtypeOf(r), bshape(r, s), { lo: -2, hi: 2, special: 0.2, grad: false });
    const a = T(r, dtypeOf(r), s, { lo: -2, hi: 2, special: 0.2, grad: false });
    if (a.dtype !== 'bool' && a.dtype !== 'int32') a.data = a.data.map((v) => (typeof v === 'number' ? Math.round(v * 2) / 2 : v));
    return { x: [a, b] };
  }, 25);
}

// ---- where, maskedFill ----
op('where', (sg, x) => sg.where(x[0], x[1], x[2]), 't.where(x[0], x[1], x[2])', (r) => {
  const s = shape(r);
  const opd = () => (r() < 0.3 ? N(r, r() < 0.5 ? 'int32' : 'float32') : T(r, dtypeOf(r), bshape(r, s), { special: 0.15 }));
  const x = [T(r, 'bool', r() < 0.5 ? s : bshape(r, s)), opd(), opd()];
  if (r() < 0.5) x[1] = T(r, dtypeOf(r), s, { special: 0.15 });
  return { x };
}, 50);
op('maskedFill', (sg, x) => x[0].maskedFill(x[1], x[2]), 'x[0].masked_fill(x[1], x[2])', (r) => {
  const s = shape(r);
  const v = r() < 0.6 ? N(r, r() < 0.4 ? 'int32' : 'float32') : T(r, dtypeOf(r, [0.5, 0.1, 0.3, 0.1]), r() < 0.8 ? [] : [1], { grad: r() < 0.5 });
  return { x: [T(r, dtypeOf(r), s, { special: 0.1 }), T(r, r() < 0.9 ? 'bool' : 'int32', bshape(r, s)), v] };
}, 50);

// ---- any / all ----
for (const name of ['any', 'all']) {
  op(name, (sg, x, a) => (a.dim === undefined ? x[0][name]() : x[0][name](a.dim, a.keepdim)), null, (r) => {
    const s = shape(r);
    const x = [T(r, dtypeOf(r, [0.3, 0.1, 0.2, 0.4]), s, { lo: -1, hi: 1, special: 0.2, grad: false })];
    if (x[0].dtype === 'int32') x[0].data = x[0].data.map((v) => (r() < 0.5 ? 0 : v));
    const u = r();
    if (u < 0.25) return { x, py: `t.${name}(x[0])` };
    const rank = s.length;
    const one = () => int(r, -Math.max(rank, 1) - (r() < 0.1 ? 1 : 0), Math.max(rank, 1) - 1 + (r() < 0.1 ? 1 : 0));
    const dim = u < 0.75 ? one() : Array.from({ length: int(r, 1, Math.max(rank, 1)) }, one);
    const keepdim = r() < 0.5;
    return { x, a: { dim, keepdim }, py: `t.${name}(x[0], ${Array.isArray(dim) ? `(${dim.join(',')},)` : dim}, keepdim=${keepdim ? 'True' : 'False'})` };
  }, 40);
}
for (const name of ['isnan', 'isinf', 'isfinite']) {
  op(name, (sg, x) => x[0][name](), `t.${name}(x[0])`, (r) => ({ x: [T(r, dtypeOf(r), shape(r), { special: 0.4, grad: false })] }), 15);
}

// ---- select, tril, triu ----
op('select', (sg, x, a) => x[0].select(a.dim, a.i), 'x[0].select(a["dim"], a["i"])', (r) => {
  const s = shape(r, 4);
  const rank = s.length;
  const dim = int(r, -rank - (r() < 0.1 ? 1 : 0), Math.max(rank - 1, 0));
  const size = s[((dim % Math.max(rank, 1)) + rank) % Math.max(rank, 1)] ?? 1;
  const i = int(r, -size - (r() < 0.15 ? 1 : 0), size - 1 + (r() < 0.15 ? 1 : 0));
  return { x: [T(r, dtypeOf(r), s)], a: { dim, i } };
}, 30);
for (const name of ['tril', 'triu']) {
  op(name, (sg, x, a) => (a.k === null ? x[0][name]() : x[0][name](a.k)), null, (r) => {
    const s = shape(r, 4);
    if (s.length < 2 && r() < 0.8) s.push(pick(r, DIMS), pick(r, DIMS));
    const k = r() < 0.2 ? null : int(r, -6, 6);
    return { x: [T(r, dtypeOf(r), s, { special: 0.15 })], a: { k }, py: `t.${name}(x[0]${k === null ? '' : `, ${k}`})` };
  }, 30);
}

// ---- losses ----
const RED = ['mean', 'sum', 'none'];
op('crossEntropy', (sg, x, a) => sg.crossEntropy(x[0], x[1], { ...a.o, ...(a.w ? { weight: x[2] } : {}) }), null, (r) => {
  const C = pick(r, [1, 2, 3, 5]);
  const form = pick(r, ['1d', 'nc', 'nc', 'ncd', 'ncdd']);
  const N0 = r() < 0.08 ? 0 : int(r, 1, 5);
  const extra = form === 'ncd' ? [int(r, 1, 3)] : form === 'ncdd' ? [int(r, 1, 3), int(r, 1, 2)] : [];
  const xs = form === '1d' ? [C] : [N0, C, ...extra];
  const ts = form === '1d' ? [] : [N0, ...extra];
  const probs = r() < 0.3;
  const o = { reduction: pick(r, RED) };
  if (r() < 0.4) o.labelSmoothing = pick(r, [0.1, 0.5, 1, 0.05]);
  const ignore = !probs && r() < 0.4 ? pick(r, [-100, 0, C - 1, -1]) : null;
  if (ignore !== null && ignore !== -100) o.ignoreIndex = ignore;
  const x = [T(r, fl(r), xs, { lo: -4, hi: 4, special: r() < 0.1 ? 0.1 : 0 })];
  if (probs) x.push(T(r, 'float32', xs, { lo: 0, hi: 1, grad: false }));
  else {
    const tt = T(r, 'int32', ts, { lo: 0, hi: C - 1 });
    if (ignore !== null) tt.data = tt.data.map((v) => (r() < 0.3 ? ignore : v));
    if (r() < 0.05 && tt.data.length) tt.data[0] = C; // out of range: an error
    x.push(tt);
  }
  const w = r() < 0.35;
  if (w) x.push(T(r, 'float32', [C], { lo: 0.1, hi: 2, grad: false }));
  const ls = o.labelSmoothing ?? 0;
  return { x, a: { o, w }, py: `F.cross_entropy(x[0], x[1]${probs ? '.to(x[0].dtype)' : '.long()'}, ${w ? 'weight=x[2].to(x[0].dtype), ' : ''}reduction="${o.reduction}", label_smoothing=${ls}, ignore_index=${o.ignoreIndex ?? -100})` };
}, 80);
op('nllLoss', (sg, x, a) => sg.nllLoss(x[0], x[1], { ...a.o, ...(a.w ? { weight: x[2] } : {}) }), null, (r) => {
  const C = pick(r, [1, 3, 4]);
  const form = pick(r, ['1d', 'nc', 'nc', 'ncd']);
  const N0 = r() < 0.08 ? 0 : int(r, 1, 5);
  const extra = form === 'ncd' ? [int(r, 1, 3)] : [];
  const xs = form === '1d' ? [C] : [N0, C, ...extra];
  const ts = form === '1d' ? [] : [N0, ...extra];
  const o = { reduction: pick(r, RED) };
  const ignore = r() < 0.4 ? pick(r, [-100, 0, C - 1, -1]) : null;
  if (ignore !== null && ignore !== -100) o.ignoreIndex = ignore;
  const tt = T(r, 'int32', ts, { lo: 0, hi: C - 1 });
  if (ignore !== null) tt.data = tt.data.map((v) => (r() < 0.3 ? ignore : v));
  const x = [T(r, fl(r), xs, { lo: -4, hi: 0 }), tt];
  const w = r() < 0.4;
  if (w) x.push(T(r, 'float32', [C], { lo: 0.1, hi: 2, grad: false }));
  return { x, a: { o, w }, py: `F.nll_loss(x[0], x[1].long(), ${w ? 'weight=x[2].to(x[0].dtype), ' : ''}reduction="${o.reduction}", ignore_index=${o.ignoreIndex ?? -100})` };
}, 40);
op('binaryCrossEntropy', (sg, x, a) => sg.binaryCrossEntropy(x[0], x[1], { ...a.o, ...(a.w ? { weight: x[2] } : {}) }), null, (r) => {
  const s = shape(r);
  const p = T(r, 'float32', s, { lo: 0.01, hi: 0.99 });
  if (r() < 0.3) p.data = p.data.map((v) => (r() < 0.3 ? pick(r, [0, 1]) : v));
  const y = T(r, 'float32', s, { lo: 0, hi: 1, grad: r() < 0.3 });
  const o = { reduction: pick(r, RED) };
  const w = r() < 0.4;
  const x = [p, y];
  if (w) x.push(T(r, 'float32', bshape(r, s), { lo: 0.1, hi: 2, grad: false }));
  return { x, a: { o, w }, py: `F.binary_cross_entropy(x[0], x[1], ${w ? 'weight=x[2], ' : ''}reduction="${o.reduction}")` };
}, 40);
op('binaryCrossEntropyWithLogits', (sg, x, a) => sg.binaryCrossEntropyWithLogits(x[0], x[1], { ...a.o, ...(a.w ? { weight: x[2] } : {}), ...(a.pw ? { posWeight: x[3] } : {}) }), null, (r) => {
  const s = shape(r);
  const o = { reduction: pick(r, RED) };
  const w = r() < 0.4; const pw = r() < 0.4;
  const x = [T(r, fl(r), s, { lo: -40, hi: 40, special: r() < 0.2 ? 0.1 : 0 }), T(r, 'float32', s, { lo: 0, hi: 1, grad: r() < 0.3 })];
  x.push(T(r, 'float32', w ? bshape(r, s) : [], { lo: 0.1, hi: 2, grad: false }));
  x.push(T(r, 'float32', pw ? bshape(r, s) : [], { lo: 0.1, hi: 3, grad: false }));
  return { x, a: { o, w, pw }, py: `F.binary_cross_entropy_with_logits(x[0], x[1].to(x[0].dtype), ${w ? 'weight=x[2], ' : ''}${pw ? 'pos_weight=x[3], ' : ''}reduction="${o.reduction}")` };
}, 40);

// ---- bool arithmetic and creation ----
for (const [name, p] of [['add', 'x[0] + x[1]'], ['mul', 'x[0] * x[1]'], ['sub', 'x[0] - x[1]'], ['maximum', 't.maximum(x[0], x[1])']]) {
  op(`bool ${name}`, (sg, x) => x[0][name](x[1]), p, (r) => {
    const s = shape(r);
    const b = r() < 0.3 ? N(r, r() < 0.6 ? 'int32' : 'float32') : T(r, r() < 0.6 ? 'bool' : dtypeOf(r), bshape(r, s), { grad: false });
    return { x: [T(r, 'bool', s), b] };
  }, 12);
}
op('bool unary', (sg, x, a) => x[0][a.f](), null, (r) => {
  const f = pick(r, ['neg', 'abs', 'sum', 'float', 'int', 'bool', 'logicalNot']);
  const pf = { neg: 't.neg(x[0])', abs: 't.abs(x[0])', sum: 'x[0].sum()', float: 'x[0].float()', int: 'x[0].int()', bool: 'x[0].bool()', logicalNot: 't.logical_not(x[0])' }[f];
  const d = f === 'bool' ? dtypeOf(r, [0.5, 0.2, 0.3, 0]) : 'bool';
  return { x: [T(r, d, shape(r), { special: 0.3, grad: false })], a: { f }, py: pf };
}, 25);
op('full bool', (sg, x, a) => sg.full(a.s, a.v, { dtype: 'bool' }), 't.full(a["s"], a["v"], dtype=t.bool)', (r) => ({ x: [], a: { s: shape(r), v: pick(r, [0, 1, 2.5, -1, 0.0]) } }), 6);

// ---- casts, bool reductions, loss argument errors ----
const PYD = { float32: 't.float32', int32: 't.int32', bool: 't.bool', float16: 't.float16' };
op('cast', (sg, x, a) => x[0].cast(a.to), null, (r) => {
  const to = pick(r, ['float32', 'int32', 'bool', 'float16']);
  const from = dtypeOf(r);
  const x = T(r, from, shape(r), { lo: -300, hi: 300, special: to === 'int32' ? 0 : 0.2, grad: false });
  if (to === 'int32') x.data = x.data.map((v) => (typeof v === 'number' ? v : 7));
  return { x: [x], a: { to }, py: `x[0].to(${PYD[to]})` };
}, 40);
op('bool reduce', (sg, x, a) => (a.dim === undefined ? x[0][a.f]() : x[0][a.f](a.dim, a.keepdim)), null, (r) => {
  const f = pick(r, ['sum', 'amax', 'amin']);
  const s = shape(r);
  if (s.length === 0 || r() < 0.3) return { x: [T(r, 'bool', s)], a: { f }, py: `t.${f}(x[0])` };
  const dim = int(r, -s.length, s.length - 1);
  const keepdim = r() < 0.5;
  return { x: [T(r, 'bool', s)], a: { f, dim, keepdim }, py: `t.${f}(x[0], ${dim}, keepdim=${keepdim ? 'True' : 'False'})` };
}, 25);
op('loss errors', (sg, x, a) => {
  const o = a.w ? { weight: x[2] } : {};
  if (a.f === 'ce') return sg.crossEntropy(x[0], x[1], o);
  if (a.f === 'nll') return sg.nllLoss(x[0], x[1], o);
  if (a.f === 'bce') return sg.binaryCrossEntropy(x[0], x[1], o);
  return sg.binaryCrossEntropyWithLogits(x[0], x[1], o);
}, null, (r) => {
  const f = pick(r, ['ce', 'nll', 'bce', 'bcewl']);
  const N0 = int(r, 1, 4); const C = int(r, 2, 4);
  const idx = f === 'ce' || f === 'nll';
  const xs = [N0, C];
  const bad = pick(r, ['tshape', 'wshape', 'tdtype', 'ok']);
  const ts = idx ? (bad === 'tshape' ? [N0 + 1] : [N0]) : bad === 'tshape' ? [N0, C + 1] : xs;
  const t = idx ? (bad === 'tdtype' ? T(r, 'float32', ts, { lo: 0, hi: C - 1, grad: false }) : T(r, 'int32', ts, { lo: 0, hi: C - 1 })) : T(r, bad === 'tdtype' ? 'int32' : 'float32', ts, { lo: 0, hi: 1, grad: false });
  const w = bad === 'wshape' || r() < 0.3;
  const x = [T(r, 'float32', xs, { lo: idx ? -3 : 0.05, hi: idx ? 0 : 0.95 }), t, T(r, 'float32', bad === 'wshape' ? [C + 1] : idx ? [C] : [C], { lo: 0.5, hi: 1.5, grad: false })];
  const pyw = w ? 'weight=x[2], ' : '';
  const pyf = { ce: `F.cross_entropy(x[0], x[1].long() if not x[1].is_floating_point() else x[1], ${pyw})`, nll: `F.nll_loss(x[0], x[1].long() if not x[1].is_floating_point() else x[1], ${pyw})`,
    bce: `F.binary_cross_entropy(x[0], x[1], ${pyw})`, bcewl: `F.binary_cross_entropy_with_logits(x[0], x[1], ${pyw})` }[f];
  return { x, a: { f, w }, py: pyf };
}, 40);

/** OPS in the shape run.mjs reads; each op's cases are drawn in makeCases. */
export const OPS = OPS_RAW.map((o) => ({ ...o, cases: [] }));

export function makeCases(seed = 1) {
  const r = rng(seed * 7919 + 1);
  const out = [];
  for (const o of OPS_RAW) {
    for (let j = 0; j < o.n; j++) {
      const c = o.gen(r);
      const grad = c.x.some((t) => !t.num && (t.dtype === 'float32' || t.dtype === 'float16') && t.grad);
      out.push({ id: `${o.name} #${j}`, op: o.name, py: c.py ?? o.py, x: c.x, a: c.a ?? {}, grad });
    }
  }
  return out;
}
