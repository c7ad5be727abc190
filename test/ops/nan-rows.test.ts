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
