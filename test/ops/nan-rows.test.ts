// NaN and ±Inf in the rows of softmax, logSoftmax, logsumexp, crossEntropy, layerNorm and
// rmsNorm, on every backend. PyTorch's answers, as its float32 kernels give them: a NaN
// anywhere in a row makes that row NaN and leaves the others alone; a +Inf logit makes
// softmax's row NaN (Inf − Inf) and logsumexp +Inf; a row of −Inf is NaN for softmax and
// −Inf for logsumexp. The references below compute the textbook formulas in float64, which
// give exactly these specials; the table test pins the small cases PyTorch was run on.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, assertEqualArrays, backends, randArray, randInts, arr } from '../helpers.js';

const test = suite('nan-rows');
const N = NaN;
const I = Infinity;

test('softmax, logSoftmax, logsumexp, crossEntropy: ±Inf and NaN rows as PyTorch', async () => {
  for (const dev of await backends()) {
    const s = sg.tensor([[I, 1], [-I, -I], [I, I], [N, 1], [-I, 0]], { device: dev });
    assertEqualArrays(await arr(s.softmax(1)), [N, N, N, N, N, N, N, N, 0, 1], `${dev} softmax`);
    assertEqualArrays(await arr(s.logSoftmax(1)), [N, N, N, N, N, N, N, N, -I, 0], `${dev} logSoftmax`);
    const l = sg.tensor([[I, 1], [-I, -I], [I, -I], [N, I], [I, I], [-I, 0]], { device: dev });
    assertEqualArrays(await arr(sg.logsumexp(l, 1)), [I, -I, I, N, I, 0], `${dev} logsumexp`);
    const x = sg.tensor([[I, 1], [-I, 0], [N, 1], [0, -I]], { device: dev });
    const tg = sg.tensor([1, 1, 1, 1], { device: dev, dtype: 'int32' });
    assertEqualArrays(await arr(sg.crossEntropy(x, tg, { reduction: 'none' })), [N, 0, N, I], `${dev} crossEntropy`);
    assert.ok(Number.isNaN(await sg.crossEntropy(x, tg).item()), `${dev} crossEntropy mean of a NaN row`);
    [s, l, x, tg].forEach((t) => t.dispose());
  }
});

test('softmax and logSoftmax backward: one kernel; NaN and ±Inf upstream reach only their row', async () => {
  // Float64 references of dx = y·(g − Σ g·y) and dx = g − exp(y)·Σ g, y the forward's output.
  const rowsOf = (a: number[], c: number): number[][] => Array.from({ length: a.length / c }, (_, r) => a.slice(r * c, r * c + c));
  const refGrad = (y: number[], g: number[], c: number, log: boolean): number[] => rowsOf(y, c).flatMap((yr, r) => {
    const gr = g.slice(r * c, r * c + c);
    const s = gr.reduce((acc, gj, j) => acc + (log ? gj : gj * yr[j]), 0);
    return yr.map((yj, j) => (log ? gr[j] - Math.exp(yj) * s : yj * (gr[j] - s)));
  });
  for (const dev of await backends()) {
    const xs = [0.5, -1, 2, 0.25, 3, -2, 1, 0, -0.5, 1.5, 2.5, -3];
    for (const log of [false, true]) {
      const x = sg.tensor(xs, { shape: [4, 3], device: dev, requiresGrad: true });
      const y = log ? x.logSoftmax(1) : x.softmax(1);
      // Upstream gradient with a NaN in row 0 (last place), +Inf in row 2 (middle), −Inf and +Inf in row 3.
      const g = [1, -2, N, 0.5, 0.25, -1, 3, I, 2, -I, 1, I];
      const d0 = sg.memory().dispatches;
      y.backward(sg.tensor(g, { shape: [4, 3], device: dev }));
      if (dev === 'webgpu') assert.is(sg.memory().dispatches - d0, 1, `${dev} ${log ? 'logSoftmax' : 'softmax'} backward is one kernel`);
      const want = refGrad(Array.from(await y.toArray()), g, 3, log);
      allclose(await x.grad!.toArray(), want, { rtol: 1e-5, atol: 1e-6 }, `${dev} ${log ? 'logSoftmax' : 'softmax'} grad`);
      const got = Array.from(await x.grad!.toArray());
      assert.ok(got.slice(0, 3).every(Number.isNaN) && got.slice(3, 6).every(Number.isFinite), `${dev} NaN stays in its row`);
      // A transposed upstream gradient: the backward reads it through its strides.
      const z = sg.tensor(xs, { shape: [3, 4], device: dev, requiresGrad: true });
      const w = sg.randn([4, 3], { seed: 8, device: dev });
      (log ? z.logSoftmax(0) : z.softmax(0)).T.mul(w).sum().backward();
      const yz = Array.from(await (log ? z.logSoftmax(0) : z.softmax(0)).T.contiguous().toArray());
      allclose(await z.grad!.T.contiguous().toArray(), refGrad(yz, Array.from(await w.toArray()), 3, log), { rtol: 1e-5, atol: 1e-6 }, `${dev} grad through a transposed upstream`);
      [x, y, z, w].forEach((t) => t.dispose());
    }
  }
});

// ---- long rows with specials at random positions ----

const R = 6;
const C = 5003;

/** Rows by index: clean; a NaN; three −Inf; a +Inf; a NaN and a +Inf; all −Inf. */
function rows(seed: number): number[][] {
  const x = Array.from(new Float32Array(randArray(R * C, seed, -3, 3)));
  const pos = randInts(3 * R, seed + 1, 1, C);
  const out: number[][] = [];
  for (let r = 0; r < R; r++) {
    const row = x.slice(r * C, (r + 1) * C);
    const p = pos.slice(3 * r, 3 * r + 3);
    if (r === 1) row[p[0]] = N;
    if (r === 2) p.forEach((q) => { row[q] = -I; });
    if (r === 3) row[p[0]] = I;
    if (r === 4) { row[p[0]] = N; row[p[1]] = I; }
    if (r === 5) row.fill(-I);
    out.push(row);
  }
  return out;
}

// float64 references by the formulas (Math.max gives NaN for a row holding one)
const rowMax = (v: number[]): number => v.reduce((a, b) => Math.max(a, b), -I);
function refLogSoftmax(v: number[]): number[] {
  const m = rowMax(v);
  const ls = Math.log(v.reduce((a, b) => a + Math.exp(b - m), 0));
  return v.map((a) => a - m - ls);
}
const refSoftmax = (v: number[]): number[] => {
  const m = rowMax(v);
  const s = v.reduce((a, b) => a + Math.exp(b - m), 0);
  return v.map((a) => Math.exp(a - m) / s);
};
function refLse(v: number[]): number {
  let m = rowMax(v);
  if (Math.abs(m) === I) m = 0; // PyTorch's shift: an infinite max is not subtracted
  return Math.log(v.reduce((a, b) => a + Math.exp(b - m), 0)) + m;
}
function refNorm(v: number[], rms: boolean, eps: number): number[] {
  const mu = rms ? 0 : v.reduce((a, b) => a + b, 0) / v.length;
  const q = v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length;
  return v.map((a) => (a - mu) / Math.sqrt(q + eps));
}

test('rows of 5003 with NaN/±Inf at random positions: only those rows change, as PyTorch', async () => {
  let seed = 500;
  for (const dev of await backends()) {
    const rs = rows(seed += 3);
    const flat = rs.flat();
    const x = sg.tensor(flat, { shape: [R, C], device: dev });
    const tol = { rtol: 1e-4, atol: 1e-6 };
    const sm = rs.flatMap(refSoftmax);
    allclose(await arr(x.softmax(1)), sm, tol, `${dev} softmax`);
    allclose(await arr(x.logSoftmax(-1)), rs.flatMap(refLogSoftmax), { rtol: 1e-4, atol: 1e-4 }, `${dev} logSoftmax`);
    // the same rows as columns of the transposed view (strided rows)
    const sT = await arr(x.T.softmax(0));
    allclose(sT, Array.from({ length: R * C }, (_, i) => sm[(i % R) * C + Math.floor(i / R)]), tol, `${dev} softmax of a transposed view`);
    const lse = await arr(sg.logsumexp(x, 1));
    allclose(lse, rs.map(refLse), { rtol: 1e-5, atol: 1e-4 }, `${dev} logsumexp`);
    assert.equal(lse.slice(1).map(String), ['NaN', String(lse[2]), 'Infinity', 'NaN', '-Infinity'], `${dev} logsumexp specials`);
    const tgv = randInts(R, seed + 1, 0, C);
    const tg = sg.tensor(tgv, { device: dev, dtype: 'int32' });
    const ce = rs.map((v, r) => -refLogSoftmax(v)[tgv[r]]);
    allclose(await arr(sg.crossEntropy(x, tg, { reduction: 'none' })), ce, { rtol: 1e-4, atol: 1e-4 }, `${dev} crossEntropy`);
    allclose(await arr(sg.layerNorm(x)), rs.flatMap((v) => refNorm(v, false, 1e-5)), { rtol: 1e-4, atol: 1e-4 }, `${dev} layerNorm`);
    allclose(await arr(sg.rmsNorm(x)), rs.flatMap((v) => refNorm(v, true, 2 ** -23)), { rtol: 1e-4, atol: 1e-4 }, `${dev} rmsNorm`);
    // the clean row stays finite everywhere; NaN stayed in its rows
    const ln = await arr(sg.layerNorm(x));
    assert.ok(ln.slice(0, C).every(Number.isFinite), `${dev} layerNorm clean row`);
    assert.ok(ln.slice(C, 2 * C).every(Number.isNaN), `${dev} layerNorm NaN row`);
    x.dispose(); tg.dispose();
  }
});

test.run();
