// var, std, varMean, stdMean, prod and cumsum on every backend against float64 references
// computed here, with gradcheck (CPU float64) and WebGPU gradients compared with it; NaN and
// ±Inf at non-first positions, empty dims, odd sizes, zeros in prod's gradient.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, arr, assertEqualArrays, backends, f64Copies, forEachIndex, gradsOf, rt, throwsBeforeWork } from '../helpers.js';

const test = suite('stats');

/** Flat indices of each slice over `dims` of a row-major `shape`, slices in kept-dims order. */
function slices(shape: number[], dims: number[]): number[][] {
  const m = new Map<number, number[]>();
  forEachIndex(shape, (i, idx) => {
    let key = 0;
    for (let d = 0; d < shape.length; d++) if (!dims.includes(d)) key = key * shape[d] + idx[d];
    if (!m.has(key)) m.set(key, []);
    m.get(key)!.push(i);
  });
  return [...m.keys()].sort((a, b) => a - b).map((k) => m.get(k)!);
}

function refVar(x: ArrayLike<number>, idx: number[], correction: number): number {
  const m = idx.reduce((a, i) => a + x[i], 0) / idx.length;
  return idx.reduce((a, i) => a + (x[i] - m) ** 2, 0) / Math.max(0, idx.length - correction);
}

test('var/std/varMean/stdMean match float64 over dims, lists, keepdim and correction', async () => {
  let seed = 11;
  const cases: Array<[number[], number | number[] | undefined, number, boolean]> = [
    [[7], undefined, 1, false], [[5, 3], 1, 1, false], [[5, 3], 0, 0, true], [[3, 4, 5], [0, 2], 1, false],
    [[3, 4, 5], -1, 2, true], [[2, 3, 4], [], 1, false], [[33, 65], 1, 1, false], [[4, 1], 1, 1, false],
  ];
  for (const dev of await backends()) {
    for (const [shape, dim, correction, keepdim] of cases) {
      const { t, x } = rt(shape, seed++, dev, { lo: -3, hi: 5 });
      const dims = dim === undefined || (Array.isArray(dim) && dim.length === 0) ? shape.map((_, i) => i) : (Array.isArray(dim) ? dim : [dim]).map((d) => (d + shape.length) % shape.length);
      const groups = slices(shape, dims);
      const v = groups.map((g) => refVar(x, g, correction));
      const m = groups.map((g) => g.reduce((a, i) => a + x[i], 0) / g.length);
      const what = `${dev} ${JSON.stringify(shape)} dim ${JSON.stringify(dim)} c=${correction}`;
      const tol = { rtol: 1e-4, atol: 1e-5 };
      const vt = t.var(dim, { correction, keepdim });
      const want = keepdim ? shape.map((s, i) => (dims.includes(i) ? 1 : s)) : shape.filter((_, i) => !dims.includes(i));
      assert.equal(vt.shape, want, `${what} shape`);
      allclose(await arr(vt), v, tol, `${what} var`);
      allclose(await arr(sg.std(t, dim, { correction, keepdim })), v.map(Math.sqrt), tol, `${what} std`);
      const [vm, mm] = sg.varMean(t, dim, { correction, keepdim });
      assert.equal(mm.shape, want, `${what} mean shape`);
      allclose(await arr(vm), v, tol, `${what} varMean[0]`);
      allclose(await arr(mm), m, tol, `${what} varMean[1]`);
      const [sm, mm2] = sg.stdMean(t, dim, { correction, keepdim });
      allclose(await arr(sm), v.map(Math.sqrt), tol, `${what} stdMean[0]`);
      allclose(await arr(mm2), m, tol, `${what} stdMean[1]`);
      t.dispose();
    }
  }
});

test('var: one element is NaN, N <= correction divides by 0, NaN/Inf propagate, empty is NaN', async () => {
  const N = NaN;
  const I = Infinity;
  for (const dev of await backends()) {
    const one = sg.tensor([3], { device: dev });
    assertEqualArrays(await arr(one.var()), [N], `${dev} var of one element`);
    assertEqualArrays(await arr(one.var(0, { correction: 0 })), [0], `${dev} correction 0`);
    const four = sg.tensor([[1, 2], [3, 4]], { device: dev });
    assertEqualArrays(await arr(four.var({ correction: 0 })), [1.25], `${dev} options without a dim`);
    // WGSL's sqrt is not correctly rounded (an H100 gives the f32 next to sqrt(1.25)): a few ulp.
    allclose(await arr(sg.std(four, { correction: 0, keepdim: true })), [Math.sqrt(1.25)], { rtol: 5e-7, atol: 0 }, `${dev} std options without a dim`);
    four.dispose();
    const two = sg.tensor([1, 2], { device: dev });
    assertEqualArrays(await arr(two.var(0, { correction: 3 })), [I], `${dev} N - correction < 0 divides by 0`);
    const x = sg.tensor([[1, 2, N], [1, I, 3], [2, 4, 6]], { device: dev });
    allclose(await arr(x.var(1)), [N, N, 4], {}, `${dev} NaN and Inf rows`);
    allclose(await arr(x.std(1)), [N, N, 2], {}, `${dev} std`);
    const e = sg.zeros([0, 3], { device: dev });
    assertEqualArrays(await arr(e.var(0)), [N, N, N], `${dev} empty dim`);
    assert.equal(e.var(1).shape, [0], `${dev} empty rows`);
    const h = sg.tensor([[1, 2, 3, 4], [0.5, 0.5, 0.5, 1.5]], { device: dev, dtype: 'float16' });
    const hv = h.var(1);
    assert.is(hv.dtype, 'float16');
    allclose(await arr(hv), [5 / 3, 0.25], { rtol: 1e-3, atol: 1e-3 }, `${dev} float16 var`);
    allclose(await arr(sg.stdMean(h, 1)[1]), [2.5, 0.75], { rtol: 1e-3, atol: 1e-3 }, `${dev} float16 mean`);
    for (const t of [one, two, x, e, h]) t.dispose();
  }
});

test('var/std gradients: gradcheck, WebGPU against float64, std of a constant slice gives 0', async () => {
  await sg.gradcheck((a) => a.var(1), [sg.tensor(Array.from({ length: 15 }, (_, i) => Math.sin(i * 1.3)), { shape: [3, 5], dtype: 'float64', device: 'cpu' })]);
  await sg.gradcheck((a) => sg.std(a, [0, 2], { correction: 0, keepdim: true }), [sg.tensor(Array.from({ length: 24 }, (_, i) => Math.cos(i * 0.7)), { shape: [2, 3, 4], dtype: 'float64', device: 'cpu' })]);
  await sg.gradcheck((a) => sg.stdMean(a, 0), [sg.tensor([0.3, -1.2, 2.5, 0.9, 1.1, -0.4], { shape: [3, 2], dtype: 'float64', device: 'cpu' })]);
  for (const dev of await backends()) {
    const { t } = rt([4, 7], 5, dev, { requiresGrad: true });
    const [r] = await f64Copies([t]);
    const f = (a: Tensor): Tensor => a.std(1).add(a.var(0).sum());
    const got = await gradsOf(f, [t]);
    const want = await gradsOf(f, [r]);
    allclose(got.grads[0]!, want.grads[0]!, { rtol: 1e-4, atol: 1e-5 }, `${dev} grads`);
    // PyTorch masks std's gradient where std is 0 (instead of 0/0 = NaN).
    const c = sg.tensor([[2, 2, 2], [1, 2, 3]], { device: dev, requiresGrad: true });
    c.std(1).sum().backward();
    allclose(await c.grad!.toArray(), [0, 0, 0, -0.5, 0, 0.5], {}, `${dev} std grad at 0`);
    t.dispose(); c.dispose();
  }
});

test('var gradient at N <= correction and varMean mean with Inf follow PyTorch (adversarial review)', async () => {
  const I = Infinity;
  const N = NaN;
  for (const dev of await backends()) {
    // With a dim, PyTorch's gradient is 2/(N − c)·g·(x − mean): N = c gives ±Inf by the sign of
    // x − mean (NaN where x is the mean), c > N a finite negative factor; no term through the mean.
    const x = sg.tensor([[1, 2, 6], [4, 4, 4]], { device: dev, requiresGrad: true });
    x.var(1, { correction: 3 }).sum().backward();
    assertEqualArrays(await x.grad!.toArray(), [-I, -I, I, N, N, N], `${dev} dim, N = c`);
    x.grad = null;
    x.var(1, { correction: 4 }).sum().backward();
    allclose(await x.grad!.toArray(), [-2 * (1 - 3) * 1, -2 * (2 - 3), -2 * (6 - 3), 0, 0, 0], {}, `${dev} dim, c > N: 2/(3-4)·(x − mean)`);
    x.grad = null;
    // Over every dim with N <= c PyTorch gives g·(NaN where x is the mean, else +Inf).
    const y = sg.tensor([1, 2, 3], { device: dev, requiresGrad: true });
    y.var({ correction: 3 }).backward();
    assertEqualArrays(await y.grad!.toArray(), [I, N, I], `${dev} whole, N = c`);
    // torch.var_mean's Welford mean is NaN once an Inf precedes the slice's last element.
    const z = sg.tensor([[-I, 1, 2], [1, 2, I], [I, I, 1], [1, 2, 3]], { device: dev });
    assertEqualArrays(await arr(sg.varMean(z, 1)[1]), [N, I, N, 2], `${dev} varMean mean`);
    assertEqualArrays(await arr(sg.stdMean(z.T, 0)[1]), [N, I, N, 2], `${dev} stdMean mean, strided`);
    assertEqualArrays(await arr(sg.varMean(sg.tensor([-I], { device: dev }))[1]), [-I], `${dev} one element`);
    for (const t of [x, y, z]) t.dispose();
  }
});

test('float16 var/std compute in float32 and round once (squares would overflow float16)', async () => {
  for (const dev of await backends()) {
    // Mean 57, squares 243² + 9·27² = 65610 > 65504 (float16's max); var = 65610 / 9 = 7290,
    // a tie between 7288 and 7292 that rounds to even.
    const a = sg.tensor([300, 30, 30, 30, 30, 30, 30, 30, 30, 30], { device: dev, dtype: 'float16' });
    const v = a.var();
    assert.is(v.dtype, 'float16');
    assertEqualArrays(await arr(v), [7288], `${dev} var`);
    // Every square is 60025, their sum 6.0e6 overflows float16; var = 60025·100/99 = 60631.3 -> 60640.
    const b = sg.tensor(Array.from({ length: 100 }, (_, i) => (i % 2 ? 245 : -245)), { device: dev, dtype: 'float16' });
    assertEqualArrays(await arr(b.var()), [60640], `${dev} var of many`);
    // sqrt(60631.3) = 246.23, rounded once to float16.
    assertEqualArrays(await arr(sg.stdMean(b)[0]), [246.25], `${dev} std`);
    a.dispose(); b.dispose();
  }
});

test('cumsum and prod of bool count in int32 (PyTorch int64)', async () => {
  for (const dev of await backends()) {
    const b = sg.tensor([[true, false, true], [true, true, true]], { device: dev });
    const c = b.cumsum(1);
    assert.is(c.dtype, 'int32');
    assertEqualArrays(await arr(c), [1, 1, 2, 1, 2, 3], `${dev} cumsum`);
    const p = b.prod(1);
    assert.is(p.dtype, 'int32');
    assertEqualArrays(await arr(p), [0, 1], `${dev} prod`);
    b.dispose();
  }
});

test('var/std errors name the op and argument before any work', async () => {
  for (const dev of await backends()) {
    const x = sg.ones([2, 3], { device: dev });
    const i = sg.ones([2], { device: dev, dtype: 'int32' });
    throwsBeforeWork('int', () => i.var(), [/^var: input dtype int32/]);
    throwsBeforeWork('dim', () => x.std(2), [/^std: /]);
    throwsBeforeWork('opts', () => sg.varMean(x, 0, { unbiased: true } as never), [/^varMean: unknown option 'unbiased'/]);
    throwsBeforeWork('correction', () => sg.stdMean(x, 0, { correction: NaN }), [/^stdMean: correction must be a finite number/]);
    throwsBeforeWork('keepdim', () => x.var(0, { keepdim: 1 as never }), [/^var: keepdim must be a boolean/]);
    x.dispose(); i.dispose();
  }
});

// ---- prod ----

test('prod matches float64 (whole tensor, each dim, keepdim), int32 wraps, float16', async () => {
  let seed = 40;
  for (const dev of await backends()) {
    for (const [shape, dim] of [[[5, 7], 1], [[5, 7], 0], [[3, 4, 5], 1], [[3, 4, 5], undefined], [[130], 0], [[], undefined], [[0, 3], 0], [[2, 0], 1]] as Array<[number[], number | undefined]>) {
      const { t, x } = rt(shape, seed++, dev, { lo: 0.5, hi: 1.5 });
      const dims = dim === undefined ? shape.map((_, i) => i) : [dim];
      // an empty reduced dim has product 1 (slices() sees no element there)
      const want = x.length ? slices(shape, dims).map((g) => g.reduce((a, i) => a * x[i], 1)) : new Array(shape.reduce((a, s, i) => (dims.includes(i) ? a : a * s), 1)).fill(1);
      const what = `${dev} ${JSON.stringify(shape)} dim ${dim}`;
      const y = dim === undefined ? t.prod() : t.prod(dim, true);
      if (dim !== undefined) assert.equal(y.shape, shape.map((s, i) => (i === dim ? 1 : s)), `${what} keepdim shape`);
      allclose(await arr(y), want, { rtol: 1e-5, atol: 1e-6 }, what);
      t.dispose();
    }
    // a transposed view: the reduced dim is strided
    const { t, x } = rt([6, 5], 3, dev);
    allclose(await arr(t.T.prod(1)), Array.from({ length: 5 }, (_, c) => [0, 1, 2, 3, 4, 5].reduce((a, r) => a * x[r * 5 + c], 1)), { rtol: 1e-5, atol: 1e-7 }, `${dev} transposed`);
    t.dispose();
    const ints = sg.tensor([[3, -4, 5], [65536, 65536, 3]], { device: dev, dtype: 'int32' });
    const ip = ints.prod(1);
    assert.is(ip.dtype, 'int32');
    assertEqualArrays(await arr(ip), [-60, 0], `${dev} int32 (2^32 wraps to 0)`);
    const nan = sg.tensor([[2, NaN, 3], [0, Infinity, 1], [-Infinity, 2, -1]], { device: dev });
    assertEqualArrays(await arr(nan.prod(1)), [NaN, NaN, Infinity], `${dev} NaN, 0·Inf, -Inf`);
    const h = sg.tensor([1.5, 2, -3, 0.5], { device: dev, dtype: 'float16' });
    assertEqualArrays(await arr(h.prod()), [-4.5], `${dev} float16`);
    for (const a of [ints, nan, h]) a.dispose();
  }
});

test('prod gradient: product of the others, with one zero and with two zeros (PyTorch)', async () => {
  await sg.gradcheck((a) => a.prod(1), [sg.tensor([0.5, -1.2, 2, 0.7, 1.1, 0.9, -0.3, 1.4, 0.8], { shape: [3, 3], dtype: 'float64', device: 'cpu' })]);
  await sg.gradcheck((a) => a.prod(), [sg.tensor([0.5, -1.2, 2, 0.7, 1.1], { dtype: 'float64', device: 'cpu' })]);
  // A zero is no problem for the finite differences when it is alone in its row.
  await sg.gradcheck((a) => a.prod(1), [sg.tensor([0, -1.2, 2, 0.7, 0, 0.9], { shape: [2, 3], dtype: 'float64', device: 'cpu' })]);
  for (const dev of await backends()) {
    // rows: no zero, one zero, two zeros
    const x = sg.tensor([[2, 3, 4], [2, 0, 5], [0, 3, 0]], { device: dev, requiresGrad: true });
    x.prod(1).sum().backward();
    assertEqualArrays(await x.grad!.toArray(), [12, 8, 6, 0, 10, 0, 0, 0, 0], `${dev} prod grads`);
    const y = sg.tensor([1.5, 0, -2], { device: dev, requiresGrad: true });
    y.prod().backward();
    assertEqualArrays(await y.grad!.toArray(), [0, -3, 0], `${dev} whole-tensor prod`);
    x.dispose(); y.dispose();
    const { t } = rt([4, 6], 9, dev, { requiresGrad: true, lo: 0.5, hi: 1.5 });
    const [r] = await f64Copies([t]);
    const got = await gradsOf((a) => a.prod(0), [t]);
    const want = await gradsOf((a) => a.prod(0), [r]);
    allclose(got.grads[0]!, want.grads[0]!, { rtol: 1e-5, atol: 1e-6 }, `${dev} random grads`);
    t.dispose();
  }
});

test('prod errors before any work', async () => {
  for (const dev of await backends()) {
    const x = sg.ones([2, 3], { device: dev });
    throwsBeforeWork('dim list', () => x.prod([0, 1] as never), [/^prod: dim must be a number/]);
    throwsBeforeWork('dim range', () => x.prod(2), [/^prod: /]);
    throwsBeforeWork('keepdim without dim', () => sg.prod(x, undefined, true), [/^prod: keepdim needs a dim/]);
    x.dispose();
  }
});

// ---- cumsum ----

test('cumsum matches float64 along every dim, strided views, int32 stays int32, float16', async () => {
  let seed = 70;
  for (const dev of await backends()) {
    for (const [shape, dim] of [[[9], 0], [[4, 7], 1], [[4, 7], 0], [[3, 5, 2], 1], [[2, 1000], 1], [[3, 0], 1], [[], 0], [[5, 3], -2]] as Array<[number[], number]>) {
      const { t, x } = rt(shape, seed++, dev);
      const d = shape.length ? (dim + shape.length) % shape.length : 0;
      const want = new Float64Array(x.length);
      for (const g of slices(shape, shape.length ? [d] : [])) { let acc = 0; for (const i of g) { acc += x[i]; want[i] = acc; } }
      const y = t.cumsum(dim);
      assert.equal(y.shape, shape);
      allclose(await arr(y), want, { rtol: 1e-5, atol: 5e-5 }, `${dev} ${JSON.stringify(shape)} dim ${dim}`);
      t.dispose();
    }
    const { t, x } = rt([5, 6], 2, dev);
    const want = new Float64Array(30); // t.T.cumsum(1)[c][r] = sum over r' <= r of x[r'][c]
    for (let c = 0; c < 6; c++) { let acc = 0; for (let r = 0; r < 5; r++) { acc += x[r * 6 + c]; want[c * 5 + r] = acc; } }
    allclose(await arr(t.T.cumsum(1)), want, { rtol: 1e-5, atol: 1e-5 }, `${dev} transposed`);
    t.dispose();
    const i = sg.tensor([[1, 2, 3], [2147483647, 1, -5]], { device: dev, dtype: 'int32' });
    const ic = sg.cumsum(i, 1);
    assert.is(ic.dtype, 'int32');
    assertEqualArrays(await arr(ic), [1, 3, 6, 2147483647, -2147483648, 2147483643], `${dev} int32 wraps`);
    const n = sg.tensor([1, 2, NaN, 3, Infinity, -Infinity], { device: dev });
    assertEqualArrays(await arr(n.cumsum(0)), [1, 3, NaN, NaN, NaN, NaN], `${dev} NaN`);
    const f = sg.tensor([1, Infinity, 2, -Infinity], { device: dev });
    assertEqualArrays(await arr(f.cumsum(0)), [1, Infinity, Infinity, NaN], `${dev} Inf`);
    const h = sg.tensor([0.5, 1.25, 2, -1], { device: dev, dtype: 'float16' });
    assertEqualArrays(await arr(h.cumsum(0)), [0.5, 1.75, 3.75, 2.75], `${dev} float16`);
    for (const a of [i, n, f, h]) a.dispose();
  }
});

test('cumsum gradient is the reversed cumsum (gradcheck, WebGPU against float64)', async () => {
  await sg.gradcheck((a) => a.cumsum(1), [sg.tensor(Array.from({ length: 12 }, (_, i) => Math.sin(i)), { shape: [3, 4], dtype: 'float64', device: 'cpu' })]);
  await sg.gradcheck((a) => a.cumsum(0).cumsum(0), [sg.tensor(Array.from({ length: 12 }, (_, i) => Math.cos(i)), { shape: [4, 3], dtype: 'float64', device: 'cpu' })]);
  for (const dev of await backends()) {
    const { t } = rt([3, 130], 8, dev, { requiresGrad: true });
    const [r] = await f64Copies([t]);
    const got = await gradsOf((a) => a.cumsum(1), [t]);
    const want = await gradsOf((a) => a.cumsum(1), [r]);
    allclose(got.grads[0]!, want.grads[0]!, { rtol: 1e-5, atol: 1e-4 }, `${dev} grads`);
    const ones = sg.ones([4], { device: dev, requiresGrad: true });
    ones.cumsum(0).sum().backward();
    assertEqualArrays(await ones.grad!.toArray(), [4, 3, 2, 1], `${dev} reversed`);
    t.dispose(); ones.dispose();
  }
});

test('cumsum errors before any work', async () => {
  for (const dev of await backends()) {
    const x = sg.ones([2, 3], { device: dev });
    throwsBeforeWork('no dim', () => (x.cumsum as (d?: number) => Tensor)(), [/^cumsum: dim must be a number/]);
    throwsBeforeWork('dim range', () => x.cumsum(3), [/^cumsum: /]);
    x.dispose();
  }
});

// ---- argmin / argmax / max without a dim (they existed before; checked here as #24 lists them) ----

test('argmin/argmax/max/min without a dim: flat index, first occurrence, NaN wins', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([[3, -1, 7], [7, -1, 0]], { device: dev });
    assertEqualArrays(await arr(x.argmax()), [2], `${dev} argmax first of ties`);
    assertEqualArrays(await arr(sg.argmin(x)), [1], `${dev} argmin first of ties`);
    assertEqualArrays(await arr(x.max()), [7], `${dev} max`);
    assertEqualArrays(await arr(x.min()), [-1], `${dev} min`);
    assertEqualArrays(await arr(x.T.argmin()), [2], `${dev} argmin of a transposed view indexes its flattened order`);
    const n = sg.tensor([1, NaN, 5, NaN], { device: dev });
    assertEqualArrays(await arr(n.argmax()), [1], `${dev} argmax NaN`);
    assertEqualArrays(await arr(n.argmin()), [1], `${dev} argmin NaN`);
    assertEqualArrays(await arr(n.max()), [NaN], `${dev} max NaN`);
    const g = sg.tensor([2, 5, 5], { device: dev, requiresGrad: true });
    g.max().backward();
    assertEqualArrays(await g.grad!.toArray(), [0, 0.5, 0.5], `${dev} max() shares ties`);
    const e = sg.zeros([0], { device: dev });
    throwsBeforeWork('empty', () => e.argmin(), [/^argmin: /]);
    for (const t of [x, n, g, e]) t.dispose();
  }
});

test.run();
