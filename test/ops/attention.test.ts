// scaledDotProductAttention against a float64 reference written here: PyTorch's math
// backend, softmax(q·kᵀ·scale + mask)·v, with boolean masks and isCausal adding −∞, rows whose
// scores are all −∞ giving 0 (PyTorch's _safe_softmax) and NaN spreading as the formula
// spreads it. Gradients: finite-difference gradcheck on the CPU in float64, WebGPU (and
// float32 CPU) gradients against the float64 ones.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, arr, backends, bcastGet, f64Copies, forEachIndex, gradsOf, numel, randArray, rt, throwsWith, type Dev } from '../helpers.js';

const test = suite('attention');
type F = Float64Array | number[];

interface Case {
  qs: number[]; ks: number[]; vs: number[];
  ms?: number[]; bool?: boolean; causal?: boolean; scale?: number; gqa?: boolean; p?: number; seed?: number;
}

// The dropout pattern as documented: lowbias32 hash of (seed, batch, i, j); keep when the top
// 24 bits are >= ceil(p·2^24); kept values scale by 1/(1 − p).
function h32(x: number): number {
  x >>>= 0;
  x ^= x >>> 16; x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15; x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}
const keep = (seed: number, p: number, b: number, i: number, j: number): number =>
  (p === 0 ? 1 : (h32(seed ^ h32(b ^ h32(i ^ h32(j)))) >>> 8) >= Math.ceil(p * 2 ** 24) ? (p < 1 ? 1 / (1 - p) : 0) : 0);

/** The reference output and its shape. */
function ref(c: Case, q: F, k: F, v: F, m?: F): { out: Float64Array; shape: number[] } {
  const nbd = Math.max(c.qs.length, c.ks.length, c.vs.length) - 2;
  const pad = (s: number[]): number[] => [...new Array(nbd + 2 - s.length).fill(1), ...s];
  const [qs, ks, vs] = [pad(c.qs), pad(c.ks), pad(c.vs)];
  const L = qs[nbd]; const E = qs[nbd + 1]; const S = ks[nbd]; const Ev = vs[nbd + 1];
  const ob = qs.slice(0, nbd).map((x, d) => Math.max(x, ks[d], vs[d]));
  const out = new Float64Array(numel(ob) * L * Ev);
  const scale = c.scale ?? 1 / Math.sqrt(E);
  const kvIdx = (bi: number[], shape: number[]): number[] => {
    const idx = [...bi];
    if (c.gqa && nbd > 0 && shape[nbd - 1] !== ob[nbd - 1] && shape[nbd - 1] !== 1) idx[nbd - 1] = Math.floor(bi[nbd - 1] / (ob[nbd - 1] / shape[nbd - 1]));
    return idx;
  };
  forEachIndex(ob, (b, bi) => {
    for (let i = 0; i < L; i++) {
      const s: number[] = [];
      for (let j = 0; j < S; j++) {
        let d = 0;
        for (let e = 0; e < E; e++) d += bcastGet(q, qs, [...bi, i, e]) * bcastGet(k, ks, [...kvIdx(bi, ks), j, e]);
        let x = d * scale;
        if (c.causal && j > i) x += -Infinity;
        if (m) {
          const mv = bcastGet(m, c.ms!, [...bi, i, j]);
          x += c.bool ? (mv !== 0 ? 0 : -Infinity) : mv;
        }
        s.push(x);
      }
      let mx = -Infinity;
      for (const x of s) mx = x > mx || Number.isNaN(x) ? x : mx;
      const P = s.map((x) => Math.exp(x - mx));
      const sum = P.reduce((a, x) => a + x, 0);
      for (let e = 0; e < Ev; e++) {
        let o = 0;
        for (let j = 0; j < S; j++) {
          const pj = mx === -Infinity ? 0 : P[j] / sum; // _safe_softmax: an all −∞ row is 0
          o += pj * keep(c.seed ?? 0, c.p ?? 0, b, i, j) * bcastGet(v, vs, [...kvIdx(bi, vs), j, e]);
        }
        out[(b * L + i) * Ev + e] = o;
      }
    }
  });
  return { out, shape: [...ob, L, Ev] };
}

/** Runs the case on `dev`; q, k, v (and a float mask) from seeded uniforms unless given. */
function make(c: Case, dev: Dev, seed: number, dtype: 'float32' | 'float16' | 'float64' = 'float32', given: { q?: F; k?: F; v?: F; m?: F } = {}) {
  const data = (shape: number[], s: number, g?: F): Float64Array => Float64Array.from(g ?? randArray(numel(shape), s));
  const qx = data(c.qs, seed, given.q); const kx = data(c.ks, seed + 1, given.k); const vx = data(c.vs, seed + 2, given.v);
  const mk = (x: Float64Array, shape: number[]): Tensor => sg.tensor(x, { shape, device: dev, dtype });
  const q = mk(qx, c.qs); const k = mk(kx, c.ks); const v = mk(vx, c.vs);
  let m: Tensor | null = null;
  let mx: Float64Array | undefined;
  if (c.ms) {
    mx = given.m ? Float64Array.from(given.m) : c.bool ? Float64Array.from(randArray(numel(c.ms), seed + 3), (x) => (x > -0.3 ? 1 : 0)) : data(c.ms, seed + 3);
    m = c.bool ? sg.tensor(Int32Array.from(mx), { shape: c.ms, device: dev, dtype: 'int32' }) : mk(mx, c.ms);
  }
  // What the tensors hold (rounded to their dtype) is what the reference must see.
  return { q, k, v, m, qx, kx, vx, mx };
}

const call = (c: Case, q: Tensor, k: Tensor, v: Tensor, m: Tensor | null): Tensor =>
  sg.scaledDotProductAttention(q, k, v, { attnMask: m, isCausal: c.causal ?? false, scale: c.scale, enableGqa: c.gqa ?? false, dropoutP: c.p ?? 0, seed: c.seed });

async function held(t: Tensor): Promise<Float64Array> { return Float64Array.from(await t.toArray()); }

async function check(c: Case, what: string, tol = { rtol: 1e-5, atol: 2e-6 }, given: { q?: F; k?: F; v?: F; m?: F } = {}): Promise<void> {
  for (const dev of await backends()) {
    const t = make(c, dev, 7, 'float32', given);
    const want = ref(c, await held(t.q), await held(t.k), await held(t.v), t.m ? await held(t.m) : undefined);
    const y = call(c, t.q, t.k, t.v, t.m);
    assert.equal(y.shape, want.shape, `${dev} ${what}: shape`);
    allclose(await arr(y), want.out, tol, `${dev} ${what}`);
    for (const x of [t.q, t.k, t.v, t.m]) x?.dispose();
  }
}

const CASES: Array<[string, Case]> = [
  ['plain (B, H, L, E) with S != L', { qs: [2, 3, 5, 7], ks: [2, 3, 6, 7], vs: [2, 3, 6, 9] }],
  ['causal, L < S', { qs: [2, 5, 4], ks: [2, 7, 4], vs: [2, 7, 3], causal: true }],
  ['causal, L > S', { qs: [1, 7, 4], ks: [1, 3, 4], vs: [1, 3, 5], causal: true }],
  ['float mask (L, S) broadcast over batch and heads', { qs: [2, 3, 5, 4], ks: [2, 3, 6, 4], vs: [2, 3, 6, 4], ms: [5, 6] }],
  ['int32 mask (H, 1, S) broadcast over rows', { qs: [2, 3, 5, 4], ks: [2, 3, 6, 4], vs: [2, 3, 6, 4], ms: [3, 1, 6], bool: true }],
  ['int32 mask (B, H, L, S)', { qs: [2, 2, 4, 3], ks: [2, 2, 5, 3], vs: [2, 2, 5, 3], ms: [2, 2, 4, 5], bool: true }],
  ['grouped-query attention', { qs: [2, 4, 5, 8], ks: [2, 2, 6, 8], vs: [2, 2, 6, 3], gqa: true }],
  ['grouped-query attention, causal, one kv head', { qs: [1, 3, 4, 2], ks: [1, 1, 4, 2], vs: [1, 1, 4, 2], gqa: true, causal: true }],
  ['GQA, key and value with different head counts', { qs: [1, 4, 3, 2], ks: [1, 2, 5, 2], vs: [1, 4, 5, 3], gqa: true }],
  ['GQA, key heads finer than value heads', { qs: [2, 4, 3, 2], ks: [1, 4, 5, 2], vs: [2, 1, 5, 3], gqa: true }],
  ['GQA, group sizes that do not nest (6 heads over 3 key and 2 value heads)', { qs: [2, 6, 3, 4], ks: [2, 3, 5, 4], vs: [1, 2, 5, 3], gqa: true, causal: true }],
  ['GQA, group sizes that do not nest (6 heads over 2 key and 3 value heads)', { qs: [1, 6, 4, 3], ks: [1, 2, 5, 3], vs: [1, 3, 5, 2], gqa: true }],
  ['7-D, batch dims that do not merge into the kernels\' four', { qs: [2, 3, 2, 3, 2, 4, 3], ks: [2, 1, 2, 1, 2, 5, 3], vs: [1, 3, 1, 3, 1, 5, 2], ms: [3, 1, 3, 1, 4, 5] }],
  ['7-D with GQA, batch dims that do not merge', { qs: [2, 1, 2, 1, 2, 4, 3, 2], ks: [1, 2, 1, 2, 1, 2, 4, 2], vs: [2, 1, 1, 2, 2, 1, 4, 3], gqa: true, causal: true }],
  ['batch dims broadcast', { qs: [2, 1, 5, 4], ks: [3, 6, 4], vs: [1, 6, 4] }],
  ['2-D inputs, explicit scale', { qs: [3, 2], ks: [4, 2], vs: [4, 2], scale: 0.3 }],
  ['odd sizes past one block (L 70, S 67, E 130, Ev 3)', { qs: [70, 130], ks: [67, 130], vs: [67, 3], causal: true }],
  ['odd sizes, row-per-thread kernels (L 70, S 67, E 37, Ev 21)', { qs: [2, 70, 37], ks: [1, 67, 37], vs: [1, 67, 21], causal: true }],
  ['Ev past one block (Ev 131)', { qs: [1, 3, 5], ks: [1, 66, 5], vs: [1, 66, 131] }],
  ['dropout with a seed', { qs: [2, 6, 4], ks: [2, 7, 4], vs: [2, 7, 5], p: 0.3, seed: 1234 }],
  ['dropout, causal, GQA', { qs: [1, 4, 6, 4], ks: [1, 2, 6, 4], vs: [1, 2, 6, 4], p: 0.5, seed: 99, causal: true, gqa: true }],
];

test('forward matches the float64 reference on every backend', async () => {
  for (const [what, c] of CASES) await check(c, what);
});

test('positional and options forms agree; default scale is 1/sqrt(E)', async () => {
  for (const dev of await backends()) {
    const q = rt([2, 3, 4], 1, dev).t; const k = rt([2, 5, 4], 2, dev).t; const v = rt([2, 5, 3], 3, dev).t;
    const m = rt([3, 5], 4, dev).t;
    const a = await arr(sg.scaledDotProductAttention(q, k, v, m, 0, false, 0.5));
    const b = await arr(sg.scaledDotProductAttention(q, k, v, { attnMask: m, scale: 0.5 }));
    assert.equal(a, b, `${dev} positional vs options`);
    const c1 = await arr(sg.scaledDotProductAttention(q, k, v));
    const c2 = await arr(sg.scaledDotProductAttention(q, k, v, null, 0, false, 0.5));
    assert.equal(c1, c2, `${dev} default scale 1/sqrt(4)`);
    // q of shape (B, H, L, E) as a strided view, as attention modules make them
    const big = rt([2, 3, 8], 5, dev).t;
    const [qv, kv, vv] = big.split(4, 2).concat([big.narrow(2, 0, 3)]);
    const want = ref({ qs: [2, 3, 4], ks: [2, 3, 4], vs: [2, 3, 3] }, await held(qv.contiguous()), await held(kv.contiguous()), await held(vv.contiguous()));
    allclose(await arr(sg.scaledDotProductAttention(qv, kv, vv)), want.out, { rtol: 1e-5, atol: 2e-6 }, `${dev} strided views`);
    for (const x of [q, k, v, m, big]) x.dispose();
  }
});

test('fully masked rows give zeros (PyTorch\'s _safe_softmax), -inf in a float mask takes no part', async () => {
  const I = -Infinity;
  // row 1 fully −∞, row 2 partly
  const m = [0, 0, 0, I, I, I, I, 0.5, I];
  await check({ qs: [3, 2], ks: [3, 2], vs: [3, 2], ms: [3, 3] }, 'float mask with -inf', undefined, { m });
  await check({ qs: [2, 3, 2], ks: [2, 3, 2], vs: [2, 3, 2], ms: [3, 3], bool: true }, 'bool mask with an empty row', undefined, { m: [1, 1, 0, 0, 0, 0, 0, 1, 0] });
  for (const dev of await backends()) {
    const y = sg.scaledDotProductAttention(sg.ones([2, 2], { device: dev }), sg.ones([3, 2], { device: dev }), sg.ones([3, 2], { device: dev }),
      sg.tensor([[0, 0, 0], [1, 0, 1]], { dtype: 'int32', device: dev }));
    assert.equal(await arr(y), [0, 0, 1, 1], `${dev} zero row`);
  }
});

test('rows masked with huge finite values (-1e30, float32 min) get the right gradient', async () => {
  // Every score of a row is absorbed into the mask value, so P is uniform (1/S), as in
  // PyTorch; backward must not lose log(S) to that magnitude (m + log(l) rounds to m).
  const L = 3; const S = 5; const E = 4; const Ev = 3;
  const qv = randArray(L * E, 31); const kv = randArray(S * E, 32); const vv = randArray(S * Ev, 33); const w = randArray(L * Ev, 34);
  const mv = Array.from({ length: L * S }, (_, i) => (i < S ? -1e30 : -3.4e38));
  // float64 reference: out_i = mean_j v_j; dv_j = sum_i w_i / S; ds_ij = (dp_ij − mean_j dp_ij) / S with dp_ij = w_i·v_j; dq_i = scale·sum_j ds_ij k_j
  const scale = 1 / Math.sqrt(E);
  const dv = new Float64Array(S * Ev); const dq = new Float64Array(L * E); const out = new Float64Array(L * Ev);
  for (let i = 0; i < L; i++) {
    for (let c = 0; c < Ev; c++) for (let j = 0; j < S; j++) { out[i * Ev + c] += vv[j * Ev + c] / S; dv[j * Ev + c] += w[i * Ev + c] / S; }
    const dp = Array.from({ length: S }, (_, j) => { let d = 0; for (let c = 0; c < Ev; c++) d += w[i * Ev + c] * vv[j * Ev + c]; return d; });
    const mean = dp.reduce((a, b) => a + b, 0) / S;
    for (let j = 0; j < S; j++) for (let c = 0; c < E; c++) dq[i * E + c] += scale * ((dp[j] - mean) / S) * kv[j * E + c];
  }
  for (const dev of await backends()) {
    const o = { device: dev, requiresGrad: true };
    const q = sg.tensor(Float32Array.from(qv), { shape: [L, E], ...o }); const k = sg.tensor(Float32Array.from(kv), { shape: [S, E], ...o });
    const v = sg.tensor(Float32Array.from(vv), { shape: [S, Ev], ...o });
    const m = sg.tensor(Float32Array.from(mv), { shape: [L, S], device: dev });
    const y = sg.scaledDotProductAttention(q, k, v, m);
    y.mul(sg.tensor(Float32Array.from(w), { shape: [L, Ev], device: dev })).sum().backward();
    allclose(await y.toArray(), out, { rtol: 1e-5, atol: 1e-6 }, `${dev} out`);
    allclose(await v.grad!.toArray(), dv, { rtol: 1e-5, atol: 1e-6 }, `${dev} dv`);
    allclose(await q.grad!.toArray(), dq, { rtol: 1e-4, atol: 1e-6 }, `${dev} dq`);
    for (const t of [q, k, v, m, y]) t.dispose();
  }
});

test('NaN and Inf spread as in the formula (non-first positions)', async () => {
  const N = NaN;
  const base = (n: number, s: number): number[] => Array.from(randArray(n, s));
  const at = (x: number[], i: number, val: number): number[] => { const y = [...x]; y[i] = val; return y; };
  const c: Case = { qs: [4, 3], ks: [5, 3], vs: [5, 2] };
  await check(c, 'NaN in q row 2 (only that row)', undefined, { q: at(base(12, 1), 7, N) });
  await check(c, 'NaN in k row 3 (every row)', undefined, { k: at(base(15, 2), 10, N) });
  await check(c, 'NaN in v row 4 (every row, 0·NaN)', undefined, { v: at(base(10, 3), 9, N) });
  await check({ ...c, causal: true }, 'NaN in k at a causally masked key (every row, NaN − ∞)', undefined, { k: at(base(15, 2), 13, N) });
  await check(c, '+Inf in q (row NaN)', undefined, { q: at(base(12, 1), 4, Infinity) });
  await check({ ...c, ms: [4, 5] }, 'NaN in a float mask', undefined, { m: at(base(20, 4), 6, N) });
  for (const dev of await backends()) {
    // the NaN row really is NaN and the others are finite (the reference agrees by construction)
    const y = await arr(sg.scaledDotProductAttention(sg.tensor(at(base(12, 1), 7, N), { shape: [4, 3], device: dev }), sg.tensor(base(15, 2), { shape: [5, 3], device: dev }), sg.tensor(base(10, 3), { shape: [5, 2], device: dev })));
    assert.equal(y.map((x) => Number.isNaN(x)), [false, false, false, false, true, true, false, false], `${dev} NaN pattern`);
  }
});

test('empty L, S, batch and E', async () => {
  for (const dev of await backends()) {
    const z = (s: number[]): Tensor => sg.randn(s, { seed: 3, device: dev, requiresGrad: true });
    // S = 0: PyTorch's math backend gives zeros (softmax over nothing, then an empty product)
    const q = z([2, 3, 4]);
    const y = sg.scaledDotProductAttention(q, z([2, 0, 4]), z([2, 0, 5]));
    assert.equal(y.shape, [2, 3, 5]);
    y.sum().backward();
    assert.equal(await arr(y), new Array(30).fill(0), `${dev} S = 0`);
    assert.equal(Array.from(await q.grad!.toArray()), new Array(24).fill(0), `${dev} S = 0 grad`);
    const e = sg.scaledDotProductAttention(z([2, 0, 4]), z([2, 3, 4]), z([2, 3, 5]), { isCausal: true });
    assert.equal(e.shape, [2, 0, 5]);
    assert.equal(sg.scaledDotProductAttention(z([0, 2, 4]), z([0, 3, 4]), z([0, 3, 5])).shape, [0, 2, 5]);
    // E = 0: every score is 0, so each row is the mean of v
    const v = sg.tensor([[1, 2], [3, 4]], { device: dev });
    assert.equal(await arr(sg.scaledDotProductAttention(sg.zeros([1, 0], { device: dev }), sg.zeros([2, 0], { device: dev }), v)), [2, 3], `${dev} E = 0`);
    // Ev = 0: the output is empty, so the gradients of q, k and a float mask are 0 (as PyTorch),
    // even with scores large enough that exp(s) overflows
    const q0 = sg.full([2, 3, 4], 30, { device: dev, requiresGrad: true }); const k0 = sg.full([2, 5, 4], 30, { device: dev, requiresGrad: true });
    const m0 = sg.zeros([3, 5], { device: dev, requiresGrad: true });
    const y0 = sg.scaledDotProductAttention(q0, k0, sg.zeros([2, 5, 0], { device: dev, requiresGrad: true }), m0);
    assert.equal(y0.shape, [2, 3, 0]);
    y0.sum().backward();
    for (const [t, n] of [[q0, 24], [k0, 40], [m0, 15]] as const) assert.equal(Array.from(await t.grad!.toArray()), new Array(n).fill(0), `${dev} Ev = 0 grad`);
    // S = 0 (or L = 0) with a float mask broadcast along it: the mask's gradient is a sum over nothing, 0
    for (const [ls, ss, ms] of [[3, 0, [3, 1]], [0, 4, [1, 4]], [0, 0, [1, 1]]] as const) {
      const mm = sg.full(ms as unknown as number[], 0.5, { device: dev, requiresGrad: true });
      sg.scaledDotProductAttention(z([2, ls, 4]), z([2, ss, 4]), z([2, ss, 3]), mm).sum().backward();
      assert.equal(Array.from(await mm.grad!.toArray()), new Array(numel(ms as unknown as number[])).fill(0), `${dev} L ${ls} S ${ss} mask grad`);
    }
  }
});

test('dropout: seeded, the same on every backend, p = 1 gives zeros, about p dropped', async () => {
  const outs: number[][] = [];
  for (const dev of await backends()) {
    const q = rt([1, 40, 4], 1, dev).t; const k = rt([1, 50, 4], 2, dev).t; const v = sg.ones([1, 50, 1], { device: dev });
    const y = await arr(sg.scaledDotProductAttention(q, k, v, { dropoutP: 0.25, seed: 5 }));
    outs.push(y);
    assert.equal(await arr(sg.scaledDotProductAttention(q, k, v, { dropoutP: 1, seed: 5 })), new Array(40).fill(0), `${dev} p = 1`);
    // seeded from the global generator when no seed is given: manualSeed repeats it
    sg.manualSeed(3);
    const a = await arr(sg.scaledDotProductAttention(q, k, v, null, 0.25));
    sg.manualSeed(3);
    assert.equal(await arr(sg.scaledDotProductAttention(q, k, v, null, 0.25)), a, `${dev} manualSeed repeats`);
    for (const x of [q, k, v]) x.dispose();
  }
  if (outs.length === 2) allclose(outs[1], outs[0], { rtol: 1e-5, atol: 1e-6 }, 'webgpu vs cpu dropout');
  let kept = 0;
  for (let i = 0; i < 200; i++) for (let j = 0; j < 200; j++) kept += keep(5, 0.25, 0, i, j) > 0 ? 1 : 0;
  assert.ok(Math.abs(kept / 40000 - 0.75) < 0.01, `kept fraction ${kept / 40000}`);
});

test('float16 (f16 storage, f32 accumulation)', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features?.includes('shader-f16')) continue;
    for (const c of [{ qs: [2, 5, 8], ks: [2, 6, 8], vs: [2, 6, 4], causal: true }, { qs: [1, 3, 4], ks: [1, 4, 4], vs: [1, 4, 4], ms: [3, 4] }] as Case[]) {
      const t = make(c, dev, 11, 'float16');
      const want = ref(c, await held(t.q), await held(t.k), await held(t.v), t.m ? await held(t.m) : undefined);
      const y = call(c, t.q, t.k, t.v, t.m);
      assert.is(y.dtype, 'float16');
      allclose(await arr(y), want.out, { rtol: 1e-2, atol: 2e-3 }, `${dev} float16`);
    }
  }
});

// ---- gradients ----

const GRAD_CASES: Array<[string, Case]> = [
  ['plain', { qs: [2, 3, 4], ks: [2, 5, 4], vs: [2, 5, 3] }],
  ['causal L > S', { qs: [1, 5, 3], ks: [1, 4, 3], vs: [1, 4, 2], causal: true }],
  ['float mask broadcast over heads', { qs: [2, 2, 3, 3], ks: [2, 2, 4, 3], vs: [2, 2, 4, 2], ms: [2, 1, 3, 4] }],
  ['float mask (S,) broadcast over rows', { qs: [2, 3, 3], ks: [2, 4, 3], vs: [2, 4, 2], ms: [4] }],
  ['bool mask with an empty row', { qs: [3, 2], ks: [3, 2], vs: [3, 2], ms: [3, 3], bool: true }],
  ['GQA and batch broadcast', { qs: [2, 4, 3, 2], ks: [1, 2, 4, 2], vs: [1, 2, 4, 3], gqa: true }],
  ['dropout', { qs: [1, 4, 3], ks: [1, 5, 3], vs: [1, 5, 2], p: 0.4, seed: 77 }],
  ['GQA, key and value with different head counts', { qs: [1, 4, 2, 2], ks: [1, 2, 3, 2], vs: [1, 4, 3, 2], gqa: true }],
  ['GQA, group sizes that do not nest', { qs: [1, 6, 2, 2], ks: [1, 3, 3, 2], vs: [1, 2, 3, 2], gqa: true }],
  ['batch dims that do not merge into four', { qs: [2, 1, 2, 1, 2, 3, 2], ks: [1, 2, 1, 2, 2, 4, 2], vs: [2, 2, 1, 1, 2, 4, 2], ms: [2, 1, 2, 3, 4] }],
];

function inputs(c: Case, dev: Dev, dtype: 'float32' | 'float64', maskGrad: boolean): Tensor[] {
  const t = make(c, dev, 21, dtype, c.bool ? { m: [1, 0, 1, 0, 0, 0, 1, 1, 1].slice(0, numel(c.ms!)) } : {});
  const xs = [t.q, t.k, t.v];
  for (const x of xs) x.requiresGrad_(true);
  if (t.m) { if (maskGrad && !c.bool) t.m.requiresGrad_(true); xs.push(t.m); }
  return xs;
}

const fnOf = (c: Case) => (...xs: Tensor[]): Tensor => call(c, xs[0], xs[1], xs[2], xs[3] ?? null);

test('gradcheck (CPU float64): q, k, v and a float mask', async () => {
  for (const [what, c] of GRAD_CASES) {
    const xs = inputs(c, 'cpu', 'float64' as 'float32', true);
    try {
      await sg.gradcheck(fnOf(c), xs, { check: xs.map((_, i) => i).filter((i) => xs[i].requiresGrad) });
    } catch (e) { throw new Error(`${what}: ${(e as Error).message}`); }
    for (const x of xs) x.dispose();
  }
});

test('WebGPU and float32 CPU gradients match the float64 ones', async () => {
  const cases: Array<[string, Case]> = [...GRAD_CASES, ['odd sizes past one block', { qs: [1, 67, 70], ks: [1, 66, 70], vs: [1, 66, 5], causal: true }],
    ['odd sizes, row-per-thread kernels', { qs: [1, 70, 37], ks: [1, 67, 37], vs: [1, 67, 21], ms: [70, 67] }]];
  for (const dev of await backends()) {
    for (const [what, c] of cases) {
      const xs = inputs(c, dev, 'float32', true);
      const got = await gradsOf(fnOf(c), xs);
      const want = await gradsOf(fnOf(c), await f64Copies(xs));
      allclose(got.out, want.out, { rtol: 1e-4, atol: 1e-5 }, `${dev} ${what}: out`);
      got.grads.forEach((g, i) => {
        if (want.grads[i] === null) { assert.is(g, null); return; }
        allclose(g!, want.grads[i]!, { rtol: 1e-3, atol: 1e-4 }, `${dev} ${what}: grad ${i}`);
      });
      for (const x of xs) x.dispose();
    }
  }
});

test('gradients reach inputs that were expanded (stride 0) views', async () => {
  const fn = (q: Tensor, kb: Tensor, v: Tensor): Tensor => sg.scaledDotProductAttention(q, kb.expand([2, 2, 5, 3]), v.expand([2, 2, 5, 2]), { isCausal: true });
  const xs = (dev: Dev, dtype: 'float32' | 'float64'): Tensor[] => [[2, 2, 4, 3], [2, 1, 5, 3], [1, 2, 5, 2]].map((s, i) =>
    sg.tensor(randArray(numel(s), 40 + i), { shape: s, device: dev, dtype, requiresGrad: true }));
  const ref64 = xs('cpu', 'float64');
  await sg.gradcheck(fn as (...t: Tensor[]) => Tensor, ref64);
  const want = await gradsOf(fn as (...t: Tensor[]) => Tensor, ref64);
  for (const dev of await backends()) {
    const got = await gradsOf(fn as (...t: Tensor[]) => Tensor, xs(dev, 'float32'));
    got.grads.forEach((g, i) => allclose(g!, want.grads[i]!, { rtol: 1e-3, atol: 1e-4 }, `${dev} grad ${i}`));
  }
});

// ---- errors ----

test('bad arguments are refused by name before any GPU work', async () => {
  for (const dev of await backends()) {
    const f = (s: number[]): Tensor => sg.randn(s, { seed: 1, device: dev });
    const q = f([2, 3, 4]); const k = f([2, 5, 4]); const v = f([2, 5, 3]);
    const P = /^scaledDotProductAttention: /;
    throwsWith(() => sg.scaledDotProductAttention(q, k, v, f([3, 5]), 0, true), P, /isCausal/);
    throwsWith(() => sg.scaledDotProductAttention(q, f([2, 5, 3]), v), P, /embedding/);
    throwsWith(() => sg.scaledDotProductAttention(q, k, f([2, 4, 3])), P, /sequence length/);
    throwsWith(() => sg.scaledDotProductAttention(q, k, v, null, 1.5), P, /dropoutP/);
    throwsWith(() => sg.scaledDotProductAttention(q, k, v, { isCasual: true } as never), P, /unknown option 'isCasual'/);
    throwsWith(() => sg.scaledDotProductAttention(q, k, v, f([4, 5])), P, /attnMask/);
    throwsWith(() => sg.scaledDotProductAttention(f([2, 4, 3, 4]), f([2, 2, 5, 4]), f([2, 2, 5, 3])), P, /enableGqa/);
    throwsWith(() => sg.scaledDotProductAttention(f([2, 3, 3, 4]), f([2, 2, 5, 4]), f([2, 2, 5, 3]), { enableGqa: true }), P, /multiple/);
    throwsWith(() => sg.scaledDotProductAttention(f([2, 6, 3, 4]), f([2, 4, 5, 4]), f([2, 3, 5, 3]), { enableGqa: true }), P, /multiple/);
    throwsWith(() => sg.scaledDotProductAttention(q, k, v.int()), P, /floating point/);
    throwsWith(() => sg.scaledDotProductAttention(f([4]), k, v), P, /at least 2 dims/);
    throwsWith(() => sg.scaledDotProductAttention(q, k, v, { scale: NaN }), P, /scale/);
    throwsWith(() => sg.scaledDotProductAttention(q, k, v, { attnMask: f([3, 5]), isCausal: 1 as never }), P, /isCausal/);
    throwsWith(() => sg.scaledDotProductAttention(q, k, 3 as never), P, /value must be a Tensor/);
    // the engine still works
    assert.equal((await arr(sg.scaledDotProductAttention(q, k, v))).length, 18);
    for (const x of [q, k, v]) x.dispose();
  }
});

// ---- nn.CausalSelfAttention ----

test('nn.CausalSelfAttention equals attention written out with matmul and softmax', async () => {
  for (const dev of await backends()) {
    const att = new sg.nn.CausalSelfAttention(8, 2, { device: dev, seed: 3 });
    const x = sg.randn([2, 5, 8], { seed: 4, device: dev });
    const y = await arr(att.forward(x));
    const want = await arr(sg.tidy(() => {
      const [q, k, v] = att.qkv.forward(x).split(8, 2).map((z) => z.reshape([2, 5, 2, 4]).transpose(1, 2));
      const mask = sg.tensor(Array.from({ length: 25 }, (_, i) => (i % 5 > Math.floor(i / 5) ? -1e9 : 0)), { shape: [5, 5], device: dev });
      const a = q.matmul(k.transpose(2, 3)).mul(0.5).add(mask).softmax(-1);
      return att.proj.forward(a.matmul(v).transpose(1, 2).reshape([2, 5, 8]));
    }));
    allclose(y, want, { rtol: 1e-5, atol: 1e-6 }, `${dev} module`);
    att.dispose();
    x.dispose();
  }
});

test.run();
