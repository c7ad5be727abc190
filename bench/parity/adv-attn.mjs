// Generated adversarial parity cases for scaledDotProductAttention against PyTorch's
// F.scaled_dot_product_attention: 2-D..5-D inputs, broadcast batch dims, L != S, E != Ev around
// the kernels' layout thresholds, float/bool/int masks (broadcast, -inf, fully masked rows),
// isCausal with L<S and L>S, scale (0, negative), enableGqa, float16, NaN/±Inf, strided and
// expanded inputs, gradients for q, k, v and a float mask, and the errors PyTorch raises.
//   node run.mjs cases /tmp/c.json --ops adv-attn.mjs ... compare /tmp/e.json --ops adv-attn.mjs
import { rng } from './ops.mjs';

const numel = (shape) => shape.reduce((a, b) => a * b, 1);
const G = rng(Number(process.env.ADV_ATTN_SEED ?? 24025)); // ADV_ATTN_SEED: another draw of shapes
const pick = (a) => a[Math.floor(G() * a.length)];
const int = (lo, hi) => lo + Math.floor(G() * (hi - lo + 1));

const F = (shape, { lo = -1.5, hi = 1.5, special = 0, grad = true, dtype = 'float32', specials = ['nan', 'inf', '-inf'] } = {}) => (r) => ({
  shape, dtype, grad: grad && dtype === 'float32',
  data: Array.from({ length: numel(shape) }, () => {
    if (special && r() < special) return specials[Math.floor(r() * specials.length)];
    const v = lo + (hi - lo) * r();
    return dtype === 'float16' ? Math.round(v * 256) / 256 : Math.fround(v);
  }),
});
/** A float mask: values in [-2, 2], a share of -inf, and (full) some rows entirely -inf. */
const FM = (shape, { ninf = 0, full = false, grad = true, dtype = 'float32' } = {}) => (r) => {
  const S = shape.at(-1) ?? 1;
  const data = Array.from({ length: numel(shape) }, () => (r() < ninf ? '-inf' : Math.round((r() * 4 - 2) * 256) / 256));
  if (full && S > 0) for (let i = 0; i < data.length; i += S) if (r() < 0.3) for (let j = 0; j < S; j++) data[i + j] = '-inf';
  return { shape, dtype, grad: grad && dtype === 'float32' && !ninf && !full, data };
};
const B = (shape, p = 0.6, dtype = 'bool') => (r) => ({ shape, dtype, data: Array.from({ length: numel(shape) }, () => (r() < p ? 1 : 0)) });

const sdpa = {
  name: 'adv sdpa', errPrefix: 'scaledDotProductAttention',
  sg: (sg, x, a) => {
    let [q, k, v, m] = x.map((t, i) => (a.tv?.includes(i) ? t.transpose(-1, -2) : t));
    if (a.ex) [q, k, v] = [q, k, v].map((t) => t.expand(a.ex, ...t.shape.slice(1)));
    return sg.scaledDotProductAttention(q, k, v, { attnMask: m ?? null, isCausal: !!a.causal, scale: a.scale ?? null, enableGqa: !!a.gqa, ...(a.drop ? { dropoutP: a.drop } : {}) });
  },
  py: '(lambda y: F.scaled_dot_product_attention(*[(yi.expand(a["ex"], *yi.shape[1:]) if a.get("ex") and i < 3 else yi) for i, yi in enumerate(y[:3])], attn_mask=(y[3] if len(y) > 3 else None), dropout_p=a.get("drop", 0.0), is_causal=bool(a.get("causal")), scale=a.get("scale"), enable_gqa=bool(a.get("gqa"))))([xi.transpose(-1, -2) if i in a.get("tv", []) else xi for i, xi in enumerate(x)])',
  cases: [],
};
const C = sdpa.cases;
const sw = (s) => [...s.slice(0, -2), s.at(-1), s.at(-2)];

// random general cases
const Es = [1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 96, 127, 128, 129];
for (let n = 0; n < 160; n++) {
  const nb = int(0, 3);
  const batch = Array.from({ length: nb }, () => int(1, 3));
  const L = G() < 0.1 ? 1 : G() < 0.04 ? 0 : int(1, 9);
  const S = G() < 0.1 ? 1 : G() < 0.04 ? 0 : int(1, 9);
  const E = G() < 0.3 ? pick(Es) : int(1, 12);
  const Ev = G() < 0.5 ? E : G() < 0.5 ? pick(Es) : int(1, 12);
  const bc = (b) => b.map((d) => (G() < 0.25 ? 1 : d));
  const qb = batch; const kb = G() < 0.4 ? bc(batch) : batch; const vb = G() < 0.4 ? bc(batch) : batch;
  const dtype = G() < 0.12 ? 'float16' : 'float32';
  const special = G() < 0.12 ? 0.03 : 0;
  const a = {};
  const x = [F([...qb, L, E], { dtype, special }), F([...kb.slice(G() < 0.2 ? 1 : 0), S, E], { dtype, special }), F([...vb, S, Ev], { dtype, special })];
  const mk = G();
  if (mk < 0.3) {
    const ms = [...bc(batch).slice(int(0, nb)), G() < 0.2 ? 1 : L, G() < 0.1 ? 1 : S];
    x.push(FM(ms, { ninf: G() < 0.4 ? 0.2 : 0, full: G() < 0.3, dtype }));
  } else if (mk < 0.5) {
    x.push(B([...bc(batch).slice(int(0, nb)), G() < 0.2 ? 1 : L, S], G() < 0.3 ? 0.15 : 0.6));
  } else if (mk < 0.7) a.causal = true;
  if (G() < 0.2) a.scale = pick([0, -0.5, 0.1, 2, -1]);
  if (G() < 0.25) {
    const tv = [0, 1, 2, 3].filter((i) => i < x.length && G() < 0.5 && x[i]);
    if (tv.length) { a.tv = tv; tv.forEach((i) => { const mk0 = x[i]; x[i] = (r) => { const o = mk0(r); return { ...o, shape: o.shape.length >= 2 ? sw(o.shape) : o.shape }; }; }); a.tv = tv.filter((i) => true); }
  }
  if (special) a.math = true; // NaN/±Inf: compared with PyTorch's math backend (see docs/api/attention.md)
  C.push({ x, a, ...(dtype === 'float16' ? {} : { rtol: 2e-4, atol: 2e-5, grtol: 2e-3, gatol: 2e-4 }) });
}
// fix transposes of tensors with ndim < 2 (masks): drop them from tv at generation time is hard; masks always have ndim >= 2 here.

// expanded inputs: batch dim 1 expanded to 3
for (let n = 0; n < 10; n++) {
  const L = int(1, 6); const S = int(1, 6); const E = pick([3, 8, 64, 65]);
  C.push({ x: [F([1, 2, L, E]), F([1, 2, S, E]), F([1, 2, S, E])], a: { ex: 3, causal: G() < 0.5 } });
}
// enableGqa
for (const [hq, hk, hv] of [[4, 2, 2], [4, 1, 1], [6, 3, 3], [6, 2, 2], [8, 4, 2], [8, 2, 4], [6, 3, 2], [6, 2, 3], [4, 4, 2], [3, 3, 1], [4, 3, 3], [2, 2, 2], [6, 1, 3]]) {
  for (const causal of [false, true]) {
    const L = int(1, 5); const S = int(1, 6); const E = pick([4, 8, 65]);
    const x = [F([2, hq, L, E]), F([2, hk, S, E]), F([2, hv, S, E])];
    if (!causal && G() < 0.5) x.push(FM([hq, L, S]));
    C.push({ x, a: { gqa: true, causal } });
  }
}
// gqa on 3-D inputs and without gqa but mismatched heads (errors)
C.push({ x: [F([4, 3, 5]), F([2, 3, 5]), F([2, 3, 5])], a: { gqa: true } });
C.push({ x: [F([4, 3, 5]), F([2, 3, 5]), F([2, 3, 5])], a: {} });
C.push({ x: [F([1, 4, 3, 5]), F([1, 2, 3, 5]), F([1, 2, 3, 5])], a: { gqa: false } });
// causal with L < S and L > S
for (const [L, S] of [[1, 5], [2, 7], [7, 2], [5, 1], [4, 4], [0, 3], [3, 0], [65, 3], [3, 65]]) C.push({ x: [F([2, L, 8]), F([2, S, 8]), F([2, S, 6])], a: { causal: true } });
// masks with every broadcast pattern, int32 masks, fully masked
for (const ms of [[3, 5], [1, 5], [3, 1], [1, 1], [5], [1], [2, 1, 3, 5], [1, 2, 3, 5], [2, 2, 1, 1]]) {
  C.push({ x: [F([2, 2, 3, 4]), F([2, 2, 5, 4]), F([2, 2, 5, 3]), FM(ms)], a: {} });
  C.push({ x: [F([2, 2, 3, 4]), F([2, 2, 5, 4]), F([2, 2, 5, 3]), B(ms, 0.5)], a: {} });
}
C.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), B([3, 5], 0.5, 'int32')], a: {} });
C.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), FM([3, 5], { ninf: 1 })], a: {} });
C.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), B([3, 5], 0)], a: {} });
C.push({ x: [F([2, 3, 70]), F([2, 5, 70]), F([2, 5, 70]), B([3, 5], 0)], a: {} });
C.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), FM([3, 5], { full: true, grad: false })], a: {} });
C.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), FM([3, 5], { grad: true })], a: { scale: 0 } });
// NaN/Inf in the mask only
C.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), F([3, 5], { special: 0.1, grad: false })], a: {} });
C.push({ x: [F([3, 70]), F([5, 70]), F([5, 70]), F([3, 5], { special: 0.1, grad: false })], a: {} });
// errors
C.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), FM([3, 5])], a: { causal: true } });
C.push({ x: [F([2, 3, 4]), F([2, 5, 5]), F([2, 5, 3])], a: {} });
C.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 6, 3])], a: {} });
C.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), FM([4, 5])], a: {} });
C.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), FM([3, 5], { dtype: 'float16' })], a: {} });
C.push({ x: [F([2, 3, 4]), F([2, 5, 4], { dtype: 'float16' }), F([2, 5, 3])], a: {} });
C.push({ x: [B([2, 3, 4], 0.5, 'int32'), B([2, 5, 4], 0.5, 'int32'), B([2, 5, 3], 0.5, 'int32')], a: {} });
C.push({ x: [F([2, 3, 4]), F([3, 5, 4]), F([2, 5, 3])], a: {} });
C.push({ x: [F([4]), F([5, 4]), F([5, 3])], a: {} });
C.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), FM([3, 3, 5])], a: {} });

// a.math: PyTorch's math backend (SDPBackend.MATH), whose NaN/±Inf semantics these are.
sdpa.py = `((lambda cm: (cm.__enter__(), ${sdpa.py}, cm.__exit__(None, None, None))[1])(t.nn.attention.sdpa_kernel(t.nn.attention.SDPBackend.MATH)) if a.get("math") else ${sdpa.py})`;
export const OPS = [sdpa];

// Sizes at the kernels' block edges (32-row workgroups, 16/32-key blocks, 64-thread wide
// kernels; row-per-thread up to E + Ev = 128) with masks, causal and gradients.
const big = { ...sdpa, name: 'adv sdpa blocks', cases: [] };
for (const [E, Ev] of [[32, 32], [32, 33], [33, 31], [64, 64], [64, 65], [1, 127], [128, 1], [60, 4], [61, 4], [4, 125], [129, 3], [70, 70]]) {
  const L = pick([1, 15, 31, 32, 33, 65]); const S = pick([15, 16, 17, 31, 32, 33, 63, 64, 65, 129]);
  const mk = G();
  const x = [F([1, 2, L, E], { lo: -0.5, hi: 0.5 }), F([2, S, E], { lo: -0.5, hi: 0.5 }), F([1, 2, S, Ev])];
  const a = {};
  if (mk < 0.33) a.causal = true; else if (mk < 0.66) x.push(FM([L, S], { ninf: 0.1, full: true })); else x.push(B([1, L, S], 0.3));
  big.cases.push({ x, a, rtol: 3e-4, atol: 3e-5, grtol: 3e-3, gatol: 3e-4 });
  if (G() < 0.5) big.cases.push({ x: x.slice(0, 3).map((mk0, i) => (i === 2 ? mk0 : mk0)), a: { causal: true, scale: 0.3 } });
}
big.cases.push({ x: [F([1, 40, 8], { special: 0.02 }), F([1, 70, 8], { special: 0.02 }), F([1, 70, 8], { special: 0.02 })], a: {} });
big.cases.push({ x: [F([1, 40, 100], { special: 0.01 }), F([1, 70, 100], { special: 0.01 }), F([1, 70, 30], { special: 0.01 })], a: {} });
big.cases.push({ x: [F([40, 8], { dtype: 'float16' }), F([70, 8], { dtype: 'float16' }), F([70, 8], { dtype: 'float16' })], a: { causal: true } });
big.cases.push({ x: [F([40, 100], { dtype: 'float16' }), F([70, 100], { dtype: 'float16' }), F([70, 30], { dtype: 'float16' })], a: {} });
OPS.push(big);

// Large scores (the online softmax's rescaling), -inf mask entries that require grad, finite
// huge negative masks, GQA head counts PyTorch refuses, 5-D GQA.
const extra = { ...sdpa, name: 'adv sdpa extra', cases: [] };
const E2 = extra.cases;
for (const [L, S, E] of [[5, 70, 16], [40, 33, 64], [3, 130, 100], [9, 9, 3]]) E2.push({ x: [F([2, L, E], { lo: -4, hi: 4 }), F([2, S, E], { lo: -4, hi: 4 }), F([2, S, 5])], a: {}, rtol: 1e-3, atol: 1e-4, grtol: 5e-3, gatol: 1e-3 });
E2.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), (r) => ({ ...FM([3, 5], { ninf: 0.3 })(r), grad: true })], a: {} });
E2.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), (r) => ({ ...FM([3, 5], { full: true })(r), grad: true })], a: {} });
E2.push({ x: [F([2, 3, 70]), F([2, 5, 70]), F([2, 5, 70]), (r) => ({ ...FM([2, 3, 5], { ninf: 0.5, full: true })(r), grad: true })], a: {} });
E2.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3]), (r) => ({ shape: [3, 5], dtype: 'float32', grad: true, data: Array.from({ length: 15 }, (_, i) => (i < 5 ? -1e30 : -3e38)) })], a: {} });
E2.push({ x: [F([1, 2, 3, 4]), F([1, 4, 5, 4]), F([1, 4, 5, 3])], a: { gqa: true } });
E2.push({ x: [F([2, 2, 6, 3, 4]), F([2, 1, 2, 5, 4]), F([1, 2, 3, 5, 3])], a: { gqa: true, causal: true } });
E2.push({ x: [F([2, 2, 6, 3, 4]), F([2, 1, 3, 5, 4]), F([1, 2, 2, 5, 3]), FM([2, 1, 3, 5])], a: { gqa: true } });
E2.push({ x: [F([6, 3, 4]), F([3, 5, 4]), F([2, 5, 3])], a: { gqa: true, scale: -0.7 } });
E2.push({ x: [F([2, 6, 3, 4], { dtype: 'float16' }), F([2, 3, 5, 4], { dtype: 'float16' }), F([2, 2, 5, 3], { dtype: 'float16' })], a: { gqa: true } });
E2.push({ x: [F([2, 6, 3, 4]), F([2, 3, 5, 4]), F([2, 2, 5, 3])], a: { gqa: true, tv: [0, 1] } });
OPS.push(extra);

// Empty dims: E = 0, Ev = 0, a zero batch, L = 0 / S = 0 with masks and gradients; scale ±∞/NaN.
const empty = { ...sdpa, name: 'adv sdpa empty', cases: [] };
for (const [qs, ks, vs, ms] of [[[2, 3, 0], [2, 4, 0], [2, 4, 3], null], [[2, 3, 2], [2, 4, 2], [2, 4, 0], null], [[0, 3, 2], [0, 4, 2], [0, 4, 3], null],
  [[2, 0, 2], [2, 4, 2], [2, 4, 3], [0, 4]], [[2, 3, 2], [2, 0, 2], [2, 0, 3], [3, 0]], [[2, 3, 0], [2, 4, 0], [2, 4, 3], [3, 4]], [[1, 0, 3, 2], [1, 2, 4, 2], [1, 2, 4, 3], null]]) {
  const x = [F(qs), F(ks), F(vs)];
  if (ms) x.push(FM(ms));
  empty.cases.push({ x, a: {} });
  if (!ms) empty.cases.push({ x, a: { causal: true } });
}
for (const scale of [1e30, -1e30, 1e-30]) empty.cases.push({ x: [F([2, 3, 4]), F([2, 5, 4]), F([2, 5, 3])], a: { scale } });
OPS.push(empty);

// 6-D/7-D inputs whose broadcast batch dims do not merge into the kernels' four.
const rank = { ...sdpa, name: 'adv sdpa rank', cases: [] };
rank.cases.push({ x: [F([2, 3, 2, 3, 2, 4, 3]), F([2, 1, 2, 1, 2, 5, 3]), F([1, 3, 1, 3, 1, 5, 2]), FM([3, 1, 3, 1, 4, 5])], a: {} });
rank.cases.push({ x: [F([2, 1, 2, 1, 2, 4, 3, 2]), F([1, 2, 1, 2, 1, 2, 4, 2]), F([2, 1, 1, 2, 2, 1, 4, 3])], a: { gqa: true, causal: true } });
rank.cases.push({ x: [F([2, 2, 1, 2, 3, 5]), F([1, 2, 2, 1, 4, 5]), F([2, 1, 2, 2, 4, 5]), B([2, 1, 2, 3, 4])], a: { tv: [0] } });
OPS.push(rank);
