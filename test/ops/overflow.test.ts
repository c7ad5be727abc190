// float32 overflow gives the same answer on every backend, PyTorch's: the CPU backend works
// in doubles inside its kernels, but rounds what a float32 kernel would round (products,
// squares, finished sums, number operands) to float32, so a value past float32's range is
// ±Inf there too. Expected values are PyTorch's float32 results (torch 1.13 on the CPU and
// 2.11 on the CPU and CUDA were run on each case). float64 tensors (CPU only) keep doubles, which gradcheck relies on. int32
// arithmetic wraps modulo 2^32 on both backends, as PyTorch's int32 does.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, assertEqualArrays, backends, arr } from '../helpers.js';

const test = suite('overflow');
const N = NaN;
const I = Infinity;

// 1e20·1e20 + 1e20·(−1e20) in float32: the products are +Inf and −Inf, their sum NaN; a fused
// multiply-add instead gives fma(1e20, −1e20, Inf) = +Inf. PyTorch 2.11 itself gives +Inf on
// the CPU and NaN or +Inf on CUDA, by shape. The CPU backend rounds each product (NaN); a GPU
// kernel may fuse, so there the answer must only be NaN or +Inf: never the float64 0.
const overflowed = (v: number, dev: string): boolean => (dev === 'cpu' ? Number.isNaN(v) : Number.isNaN(v) || v === I);

test('matmul: a product past float32 is Inf, so 1e20·1e20 + 1e20·(−1e20) is NaN or Inf (not 0), every kernel size', async () => {
  for (const dev of await backends()) {
    const y0 = await arr(sg.tensor([[1e20, 1e20]], { device: dev }).matmul(sg.tensor([[1e20], [-1e20]], { device: dev })));
    assert.ok(overflowed(y0[0], dev), `${dev} [1, 2]·[2, 1] = ${y0[0]}`);
    // the same two products in row 0 / column 0 of bigger problems (other GPU kernels)
    for (const [M, K, Nn] of [[4, 8, 4], [64, 64, 64], [3, 300, 5], [1, 1024, 1], [128, 256, 128]]) {
      const a = new Float32Array(M * K).fill(1);
      const b = new Float32Array(K * Nn).fill(1);
      a[0] = 1e20; a[1] = 1e20; b[0] = 1e20; b[Nn] = -1e20;
      const ta = sg.tensor(a, { shape: [M, K], device: dev });
      const tb = sg.tensor(b, { shape: [K, Nn], device: dev });
      const y = await arr(ta.matmul(tb));
      assert.ok(overflowed(y[0], dev), `${dev} [${M}, ${K}]·[${K}, ${Nn}]: y[0] = ${y[0]}`);
      if (Nn > 1) allclose([y[1]], [2e20], { rtol: 1e-6 }, `${dev} [${M}, ${K}]·[${K}, ${Nn}] y[1]`);
      if (M > 1) assert.is(y[Nn + 1], K, `${dev} [${M}, ${K}]·[${K}, ${Nn}] y[1, 1]`);
      ta.dispose(); tb.dispose();
    }
    // products that fit but a sum that does not: Inf
    assertEqualArrays(await arr(sg.tensor([[2e38, 2e38]], { device: dev }).matmul(sg.tensor([[1], [1]], { device: dev }))), [I], `${dev} sum past float32`);
  }
  // float64 keeps doubles
  const a64 = sg.tensor([[1e20, 1e20]], { dtype: 'float64', device: 'cpu' });
  assertEqualArrays(await arr(a64.matmul(sg.tensor([[1e20], [-1e20]], { dtype: 'float64', device: 'cpu' }))), [0], 'cpu float64');
});

test('layerNorm/rmsNorm: a square past float32 is Inf (PyTorch: [1e20, −1e20] normalizes to 0)', async () => {
  for (const dev of await backends()) {
    const ln = (v: number[][]): Promise<number[]> => arr(sg.layerNorm(sg.tensor(v, { device: dev })));
    assertEqualArrays(await ln([[1e20, -1e20]]), [0, 0], `${dev} layerNorm [1e20, -1e20]`);
    assertEqualArrays(await ln([[1.5e19, -1.5e19, 1.5e19, -1.5e19]]), [0, 0, 0, 0], `${dev} layerNorm, squares fit, their sum does not`);
    assertEqualArrays(await ln([[3e38, -3e38, -3e38, -3e38]]), [N, N, N, N], `${dev} layerNorm, the sum overflows`);
    assertEqualArrays(await ln([[1e19, -1e19, 0, 2e19]]), [0, 0, 0, 0], `${dev} layerNorm, the squares' sum overflows`);
    allclose(await ln([[1e18, -1e18, 0, 2e18]]), [0.4472136, -1.3416408, -0.4472136, 1.3416408], { rtol: 1e-5, atol: 1e-6 }, `${dev} layerNorm in range`);
    assertEqualArrays(await arr(sg.rmsNorm(sg.tensor([[1e20, -1e20]], { device: dev }))), [0, 0], `${dev} rmsNorm [1e20, -1e20]`);
  }
  allclose(await arr(sg.layerNorm(sg.tensor([[1e20, -1e20]], { dtype: 'float64', device: 'cpu' }))), [1, -1], { rtol: 1e-12 }, 'cpu float64 layerNorm');
});

test('sum and mean past float32 are Inf before the mean divides, in rows, long rows and columns', async () => {
  for (const dev of await backends()) {
    assertEqualArrays(await arr(sg.tensor([3e38, 3e38], { device: dev }).mean()), [I], `${dev} mean([3e38, 3e38])`);
    assertEqualArrays(await arr(sg.tensor([3e38, 3e38], { device: dev }).sum()), [I], `${dev} sum`);
    assertEqualArrays(await arr(sg.tensor([-3e38, -3e38, 1], { device: dev }).mean()), [-I], `${dev} mean to -Inf`);
    // long rows (the chunked sum) and columns of > 1000 rows (the columns kernel)
    const rows = sg.full([2, 9001], 1e35, { device: dev });
    assertEqualArrays(await arr(rows.mean(1)), [I, I], `${dev} mean of long rows`);
    const cols = sg.full([1030, 1024], 1e36, { device: dev });
    const m = await arr(cols.mean(0));
    assert.ok(m.every((v) => v === I), `${dev} mean of 1030-row columns`);
    rows.dispose(); cols.dispose();
  }
  assertEqualArrays(await arr(sg.tensor([3e38, 3e38], { dtype: 'float64', device: 'cpu' }).mean()), [3e38], 'cpu float64 mean');
});

test('number operands of float32 ops are float32: x·1e-50 is 0 on every backend', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([1e20, 3, -2], { device: dev });
    assertEqualArrays(await arr(x.mul(1e-50)), [0, 0, -0], `${dev} mul`);
    assertEqualArrays(await arr(x.add(1e-50)), [1e20, 3, -2].map(Math.fround), `${dev} add`);
    assertEqualArrays(await arr(x.mul(1e30)), [I, 3, -2].map((v) => Math.fround(v * Math.fround(1e30))), `${dev} mul past float32`);
    x.dispose();
  }
  allclose(await arr(sg.tensor([1e20], { dtype: 'float64', device: 'cpu' }).mul(1e-50)), [1e-30], { rtol: 1e-15 }, 'cpu float64');
});

test('int32 arithmetic wraps modulo 2^32 on every backend (as PyTorch int32)', async () => {
  const MAX = 2147483647;
  const MIN = -2147483648;
  for (const dev of await backends()) {
    const i32 = (v: number[]): Tensor => sg.tensor(v, { device: dev, dtype: 'int32' });
    const x = i32([MAX, MIN, 65536, 46341, 7, 0, -1, MIN]);
    const y = i32([1, 1, 65536, 46341, -9, MIN, MIN, -1]);
    assertEqualArrays(await arr(x.add(y)), [MIN, MIN + 1, 131072, 92682, -2, MIN, MAX, MAX], `${dev} add`);
    assertEqualArrays(await arr(x.sub(y)), [MAX - 1, MAX, 0, 0, 16, MIN, MAX, MIN + 1], `${dev} sub`);
    assertEqualArrays(await arr(x.mul(y)), [MAX, MIN, 0, -2147479015, -63, 0, MIN, MIN], `${dev} mul`);
    assertEqualArrays(await arr(x.add(1)), [MIN, MIN + 1, 65537, 46342, 8, 1, 0, MIN + 1], `${dev} add number`);
    assertEqualArrays(await arr(x.neg()), [-MAX, MIN, -65536, -46341, -7, 0, 1, MIN], `${dev} neg`);
    assertEqualArrays(await arr(x.abs()), [MAX, MIN, 65536, 46341, 7, 0, 1, MIN], `${dev} abs`);
    x.dispose(); y.dispose();
  }
});

test('scatteredExperts: an overflowing product is Inf on the CPU path too', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([[1e20, 1e20], [1, 1]], { device: dev });
    const w = sg.tensor([[[1e20], [-1e20]]], { device: dev });
    const r = sg.flattenSortCount(sg.tensor(new Int32Array([0, 0]), { shape: [2, 1], device: dev }), 1);
    const y = sg.scatteredExperts(x, w, 1, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets);
    const v = await arr(y);
    assert.ok(overflowed(v[0], dev), `${dev} scatteredExperts: ${v[0]}`);
    assert.is(v[1], 0);
    x.dispose(); w.dispose();
  }
});

test.run();
