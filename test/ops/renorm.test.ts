// renormalize (v / v.sum(dim, keepdim), the MoE's top-k gates) on both backends against a
// float64 reference written here from the formula, forward and backward: seeded rows, a NaN
// row, a row summing to 0, a transposed view, dim 0, empty tensors and float16; gradcheck in
// float64; one dispatch each way on WebGPU.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { renormalizeRows } from '../../src/ops/renorm.js';
import { allclose, backends, randArray } from '../helpers.js';

const test = suite('renormalize');

/** y = v / Σv and dv = dy/s − Σ(dy·v)/s² per row of a row-major [rows, n] array (the two
 * gradients of the unfused division, summed). */
function reference(v: number[], dy: number[], n: number): { y: number[]; dv: number[] } {
  const y: number[] = [];
  const dv: number[] = [];
  for (let r = 0; r < v.length / n; r++) {
    const row = v.slice(r * n, r * n + n);
    const g = dy.slice(r * n, r * n + n);
    const s = row.reduce((a, b) => a + b, 0);
    const gv = g.reduce((a, gj, j) => a + gj * row[j], 0);
    row.forEach((vj, j) => { y.push(vj / s); dv.push(g[j] / s - gv / (s * s)); });
  }
  return { y, dv };
}

test('forward and backward match the float64 reference, NaN and zero-sum rows included', async () => {
  for (const dev of await backends()) {
    const [rows, n] = [7, 5];
    const v = Array.from(randArray(rows * n, 3, 0.05, 1));
    v[2 * n + 3] = NaN; // row 2: NaN everywhere
    for (let j = 0; j < n; j++) v[4 * n + j] = 0; // row 4: 0 / 0
    const dy = Array.from(randArray(rows * n, 4, -1, 1));
    const want = reference(v, dy, n);
    for (const transposed of [false, true]) {
      // The same rows, read from a transposed view along dim 0.
      const x = transposed
        ? sg.tensor(Array.from({ length: rows * n }, (_, i) => v[(i % rows) * n + Math.floor(i / rows)]), { shape: [n, rows], device: dev }).T.detach().requiresGrad_()
        : sg.tensor(v, { shape: [rows, n], device: dev, requiresGrad: true });
      const y = renormalizeRows(x, -1);
      y.backward(sg.tensor(dy, { shape: [rows, n], device: dev }));
      const what = `${dev}${transposed ? ' transposed' : ''}`;
      allclose(await y.toArray(), want.y, { rtol: 1e-5, atol: 1e-6 }, `${what}: y`);
      allclose(await x.grad!.toArray(), want.dv, { rtol: 1e-4, atol: 1e-5 }, `${what}: dv`);
      const got = Array.from(await y.toArray());
      assert.ok(got.slice(2 * n, 3 * n).every(Number.isNaN) && got.slice(4 * n, 5 * n).every(Number.isNaN), `${what}: NaN and 0/0 rows`);
      assert.ok(got.slice(0, 2 * n).every(Number.isFinite), `${what}: other rows finite`);
      [x, y].forEach((t) => t.dispose());
    }
    // Along dim 0 of a 3-d tensor equals the unfused formula.
    const z = sg.rand([4, 3, 2], { seed: 9, device: dev });
    allclose(await renormalizeRows(z, 0).toArray(), await z.div(z.sum(0, true)).toArray(), { rtol: 1e-6, atol: 1e-7 }, `${dev} dim 0`);
    z.dispose();
  }
});

test('one dispatch forward and one backward on WebGPU; empty tensors; float16', async () => {
  for (const dev of await backends()) {
    const x = sg.rand([6, 4], { seed: 5, device: dev, requiresGrad: true });
    const d0 = sg.memory().dispatches;
    const y = renormalizeRows(x, 1);
    const d1 = sg.memory().dispatches;
    y.backward(sg.onesLike(y));
    const d2 = sg.memory().dispatches;
    if (dev === 'webgpu') assert.equal([d1 - d0, d2 - d1], [1, 2], 'forward one kernel; backward one, after onesLike\'s fill');
    // Σ of the gradient along a row of ones upstream is 0: (1 − Σ y) / s.
    allclose(await x.grad!.sum(1).toArray(), new Array(6).fill(0), { rtol: 0, atol: 1e-6 }, `${dev} ones upstream`);
    const e = sg.zeros([0, 3], { device: dev, requiresGrad: true });
    const ye = renormalizeRows(e, -1);
    ye.backward(sg.zerosLike(ye));
    assert.equal([ye.shape, e.grad!.shape], [[0, 3], [0, 3]], `${dev} empty`);
    if (dev === 'cpu' || sg.deviceInfo().features.includes('shader-f16')) {
      const h = sg.rand([3, 8], { seed: 6, device: dev, dtype: 'float16' });
      const ref = reference(Array.from(await h.toArray()), new Array(24).fill(0), 8).y;
      allclose(await renormalizeRows(h, -1).toArray(), ref, { rtol: 2e-3, atol: 1e-4 }, `${dev} float16`);
      h.dispose();
    }
    [x, y, e, ye].forEach((t) => t.dispose());
  }
});

test('gradcheck (float64, CPU), last dim and dim 0', async () => {
  const x = sg.rand([3, 4], { seed: 7, device: 'cpu', dtype: 'float64' }).add(0.1).detach().requiresGrad_();
  await sg.gradcheck((t: Tensor) => renormalizeRows(t, -1), [x]);
  await sg.gradcheck((t: Tensor) => renormalizeRows(t, 0).mul(t), [x]);
  x.dispose();
});

test.run();
