// Generated adversarial parity cases for the scans (cumprod, cummax, cummin, logcumsumexp,
// diff), the NaN-aware reductions (nansum, nanmean, nanToNum, countNonzero), the order
// statistics (median, nanmedian, kthvalue, quantile, nanquantile) and isclose. Random shapes
// with odd sizes and zero-size dims, negative dims, transposed (strided) inputs,
// float32/float16/int32/bool operands, NaN/±Inf/±0 at random positions, argument errors.
// Order statistics get distinct values (no ties, one NaN at most) where PyTorch's choice among
// equal elements is unspecified (kthvalue's index, quantile's gradient).
//   node run.mjs cases FILE --ops ./adv-scan.mjs [--seed N]; python3 torch_ref.py FILE EXP
//   node run.mjs compare EXP --ops ./adv-scan.mjs --backends cpu,webgpu
import { rng, stridedTables } from './ops.mjs';

const numel = (s) => s.reduce((a, b) => a * b, 1);
const pick = (r, xs) => xs[Math.floor(r() * xs.length)];
const int = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
const SPECIAL = ['nan', 'inf', '-inf', '-0', 0, 0, 1, -1, 2];

function T(r, dtype, shape, { lo = -2, hi = 2, special = 0, grad = true, distinct = false } = {}) {
  const n = numel(shape);
  const perm = Array.from({ length: n }, (_, i) => i).sort(() => r() - 0.5);
  const data = Array.from({ length: n }, (_, i) => {
    if (dtype === 'bool') return r() < 0.5 ? 1 : 0;
    if (dtype === 'int32') return int(r, Math.ceil(lo), Math.floor(hi));
    if (distinct) return i === 1 && r() < special ? 'nan' : Math.fround(lo + ((hi - lo) * (perm[i] + r() * 0.5)) / n);
    return i > 0 && r() < special ? pick(r, SPECIAL) : Math.fround(lo + (hi - lo) * r());
  });
  return { shape, dtype, grad: grad && (dtype === 'float32' || dtype === 'float16'), data };
}
const DIMS = [1, 2, 3, 5, 7, 9, 13];
const shape = (r, min = 0, max = 3) => Array.from({ length: int(r, min, max) }, () => (r() < 0.06 ? 0 : pick(r, DIMS)));
const dimOf = (r, s) => (s.length === 0 ? pick(r, [0, -1]) : int(r, -s.length, s.length - 1));
const dt = (r, w) => { const u = r(); let acc = 0; for (const [i, d] of ['float32', 'float16', 'int32', 'bool'].entries()) { acc += w[i]; if (u < acc) return d; } return 'float32'; };

const OPS_RAW = [];
function op(name, sg, py, gen, n, extra = {}) { OPS_RAW.push({ name, sg, py, gen, n, ...extra }); }

for (const [name, w, lo, hi] of [['cumprod', [0.6, 0.15, 0.15, 0.1], 0.5, 1.6], ['cummax', [0.5, 0.2, 0.2, 0.1], -3, 3], ['cummin', [0.5, 0.2, 0.2, 0.1], -3, 3], ['logcumsumexp', [0.8, 0.2, 0, 0], -20, 20]]) {
  op(name, (sg, x, a) => (a.fn ? sg[name](x[0], a.dim) : x[0][name](a.dim)), `t.${name}(x[0], a["dim"])`, (r) => {
    const s = shape(r);
    return { x: [T(r, dt(r, w), s, { lo, hi, special: r() < 0.6 ? 0.15 : 0 })], a: { dim: r() < 0.1 ? s.length + 1 : dimOf(r, s), fn: r() < 0.5 } };
  }, 30, { rtol: 2e-4, grtol: 2e-3 });
}
op('diff', (sg, x, a) => sg.diff(x[0], a.n, a.dim, a.pre ? x[1] : undefined, a.app ? x[a.pre ? 2 : 1] : undefined), null, (r) => {
  const s = shape(r, 1);
  const d = dimOf(r, s);
  const dd = d < 0 ? d + s.length : d;
  const n = int(r, 0, 3);
  const dtype = dt(r, [0.6, 0.1, 0.2, 0.1]);
  const x = [T(r, dtype, s, { special: 0.1 })];
  const pre = r() < 0.3; const app = r() < 0.3;
  if (pre) x.push(T(r, dtype, s.map((v, i) => (i === dd ? int(r, 0, 2) : v))));
  if (app) x.push(T(r, dtype, s.map((v, i) => (i === dd ? int(r, 0, 2) : v))));
  const py = `t.diff(x[0], n=a["n"], dim=a["dim"]${pre ? ', prepend=x[1]' : ''}${app ? `, append=x[${pre ? 2 : 1}]` : ''})`;
  return { x, a: { n, dim: d, pre, app }, py };
}, 24);
for (const name of ['nansum', 'nanmean']) {
  op(name, (sg, x, a) => (a.all ? x[0][name]() : sg[name](x[0], a.dims, a.keep)), null, (r) => {
    const s = shape(r);
    const all = r() < 0.25;
    const dims = s.length && r() < 0.5 ? [...new Set([dimOf(r, s), dimOf(r, s)].map((d) => (d + s.length) % s.length))] : dimOf(r, s);
    const keep = r() < 0.4;
    return { x: [T(r, dt(r, name === 'nansum' ? [0.6, 0.15, 0.15, 0.1] : [0.8, 0.2, 0, 0]), s, { special: 0.3 })], a: { all, dims, keep }, py: all ? `t.${name}(x[0])` : `t.${name}(x[0], a["dims"], keepdim=a["keep"])` };
  }, 24);
}
op('nanToNum', (sg, x, a) => x[0].nanToNum(a.nan, a.pos, a.neg), 't.nan_to_num(x[0], a["nan"], a["pos"], a["neg"])', (r) => ({
  x: [T(r, dt(r, [0.6, 0.3, 0.05, 0.05]), shape(r), { special: 0.4 })], a: { nan: pick(r, [0, 1.5, -2]), pos: pick(r, [null, 7, 1e6]), neg: pick(r, [null, -7, -1e6]) },
}), 20);
op('countNonzero', (sg, x, a) => sg.countNonzero(x[0], a.dim), 't.count_nonzero(x[0], a["dim"])', (r) => {
  const s = shape(r);
  return { x: [T(r, dt(r, [0.5, 0.1, 0.2, 0.2]), s, { special: 0.5, grad: false })], a: { dim: r() < 0.3 ? null : dimOf(r, s) } };
}, 16);
for (const name of ['median', 'nanmedian']) {
  op(name, (sg, x, a) => (a.all ? x[0][name]() : x[0][name](a.dim, a.keep)), null, (r) => {
    const s = shape(r);
    const all = r() < 0.3;
    const dtype = dt(r, [0.7, 0.15, 0.15, 0]);
    return { x: [T(r, dtype, s, { distinct: dtype !== 'int32', special: 0.4 })], a: { all, dim: dimOf(r, s), keep: r() < 0.4 }, py: all ? `t.${name}(x[0])` : `t.${name}(x[0], a["dim"], keepdim=a["keep"])` };
  }, 24);
}
op('kthvalue', (sg, x, a) => x[0].kthvalue(a.k, a.dim, a.keep), 't.kthvalue(x[0], a["k"], a["dim"], keepdim=a["keep"])', (r) => {
  const s = shape(r);
  const d = dimOf(r, s);
  const n = s.length ? s[(d + s.length) % s.length] : 1;
  return { x: [T(r, dt(r, [0.8, 0.2, 0, 0]), s, { distinct: true, special: 0.4 })], a: { k: r() < 0.1 ? n + 1 : int(r, 1, Math.max(1, n)), dim: d, keep: r() < 0.4 } };
}, 24);
const MODES = ['linear', 'lower', 'higher', 'nearest', 'midpoint'];
for (const name of ['quantile', 'nanquantile']) {
  op(name, (sg, x, a) => sg[name](x[0], a.qt ? sg.tensor(a.q, { device: x[0].device }) : a.q, a.dim, a.keep, a.mode), null, (r) => {
    const s = shape(r);
    const qt = r() < 0.5;
    const q = qt ? Array.from({ length: int(r, 1, 4) }, () => pick(r, [0, 0.25, 0.5, 0.7, 1, Math.fround(r())])) : pick(r, [0, 0.5, 0.3, 1, Math.fround(r())]);
    const dim = r() < 0.3 ? null : dimOf(r, s);
    const mode = pick(r, MODES);
    const keep = r() < 0.4;
    const qpy = qt ? 't.tensor(a["q"], dtype=t.float32)' : 'a["q"]';
    return { x: [T(r, 'float32', s, { distinct: true, special: 0.4 })], a: { q, qt, dim, keep, mode }, py: `t.${name}(x[0], ${qpy}, dim=a["dim"], keepdim=a["keep"], interpolation=a["mode"])` };
  }, 30, { grtol: 2e-3, gatol: 2e-4 });
}
op('isclose', (sg, x, a) => sg.isclose(x[0], x[1], a.rtol, a.atol, a.en), 't.isclose(x[0], x[1], a["rtol"], a["atol"], a["en"])', (r) => {
  const s = shape(r);
  const d = dt(r, [0.6, 0.2, 0.15, 0.05]);
  const x0 = T(r, d, s, { special: 0.3, grad: false });
  const x1 = T(r, r() < 0.9 ? d : 'float32', r() < 0.7 ? s : s.slice(1), { special: 0.3, grad: false });
  x1.data = x1.data.map((v, i) => (r() < 0.4 && typeof x0.data[i] === 'number' && typeof v === 'number' ? x0.data[i] * (1 + pick(r, [0, 1e-6, 1e-4, -1e-3])) : v));
  if (d === 'int32' || d === 'bool') x1.data = x1.data.map((v) => (typeof v === 'number' ? Math.round(v) : v));
  return { x: [x0, x1], a: { rtol: pick(r, [1e-5, 1e-3, 0]), atol: pick(r, [1e-8, 1e-3, 0, 0.5]), en: r() < 0.5 } };
}, 24);

export const { OPS, makeCases } = stridedTables(OPS_RAW, 11);
