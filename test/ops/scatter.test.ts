// scatter, scatterAdd, scatterReduce and oneHot on every backend against a float64 reference
// written here (duplicate targets, src larger than the index, every reduce with and without
// self, int32 and float16, NaN in amax/amin), gradients by gradcheck and WebGPU against
// float64 (ties share amax's gradient, a lone zero in prod), and the index rules: errors on
// the CPU, skipped writes on WebGPU.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, arr, assertEqualArrays, backends, f64Copies, forEachIndex, gradsOf, randArray, randInts, throwsBeforeWork } from '../helpers.js';

const test = suite('scatter');
type Red = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';

const flat = (idx: number[], shape: number[]): number => idx.reduce((a, v, d) => a * shape[d] + v, 0);

/** Reference: the scatter family in float64 (int: wrap and floor like the int32 kernels). */
function ref(self: number[], shape: number[], dim: number, index: number[], ishape: number[], src: number[], sshape: number[], mode: Red | 'put', includeSelf = true, int = false): number[] {
  const out = self.slice();
  const count = self.map(() => (includeSelf ? 1 : 0));
  const seen = new Set<number>();
  forEachIndex(ishape, (i, c) => {
    const t = flat(c.map((v, d) => (d === dim ? index[i] : v)), shape);
    const s = src[flat(c, sshape)];
    count[t]++;
    if (mode === 'put') { out[t] = s; return; }
    if (!includeSelf && !seen.has(t)) { seen.add(t); out[t] = s; return; }
    const a = out[t];
    if (mode === 'sum' || mode === 'mean') out[t] = a + s;
    else if (mode === 'prod') out[t] = a * s;
    else if (Number.isNaN(a) || Number.isNaN(s)) out[t] = NaN;
    else out[t] = mode === 'amax' ? Math.max(a, s) : Math.min(a, s);
    if (int) out[t] = mode === 'prod' ? Math.imul(a, s) : out[t] | 0;
  });
  if (mode === 'mean') return out.map((v, i) => (count[i] ? (int ? Math.floor(v / count[i]) : v / count[i]) : v));
  return out;
}

const CASES: Array<{ shape: number[]; dim: number; ishape: number[]; sshape: number[] }> = [
  { shape: [4, 5], dim: 0, ishape: [3, 4], sshape: [3, 5] },
  { shape: [4, 5], dim: 1, ishape: [4, 7], sshape: [4, 8] },
  { shape: [3, 4, 2], dim: -2, ishape: [2, 6, 2], sshape: [3, 6, 2] },
  { shape: [9], dim: 0, ishape: [13], sshape: [13] },
];

test('scatter family matches float64 for every reduce, with and without self, duplicates included', async () => {
  let seed = 1;
  for (const dev of await backends()) {
    for (const c of CASES) {
      const d = (c.dim + c.shape.length) % c.shape.length;
      const n = (s: number[]): number => s.reduce((a, b) => a * b, 1);
      const self = Array.from(new Float32Array(randArray(n(c.shape), seed++, 0.5, 1.5)));
      const src = Array.from(new Float32Array(randArray(n(c.sshape), seed++, -1.5, 1.5)));
      const index = Array.from(randInts(n(c.ishape), seed++, 0, c.shape[d]));
      const st = sg.tensor(self, { shape: c.shape, device: dev });
      const xt = sg.tensor(src, { shape: c.sshape, device: dev });
      const it = sg.tensor(index, { shape: c.ishape, device: dev, dtype: 'int32' });
      const what = `${dev} ${JSON.stringify(c)}`;
      assertEqualArrays(await arr(st.scatter(c.dim, it, xt)), ref(self, c.shape, d, index, c.ishape, src, c.sshape, 'put'), `${what} scatter`);
      allclose(await arr(st.scatterAdd(c.dim, it, xt)), ref(self, c.shape, d, index, c.ishape, src, c.sshape, 'sum'), { rtol: 1e-5, atol: 1e-6 }, `${what} scatterAdd`);
      for (const mode of ['sum', 'prod', 'mean', 'amax', 'amin'] as Red[]) {
        for (const includeSelf of [true, false]) {
          const got = await arr(sg.scatterReduce(st, c.dim, it, xt, mode, { includeSelf }));
          allclose(got, ref(self, c.shape, d, index, c.ishape, src, c.sshape, mode, includeSelf), { rtol: 1e-5, atol: 1e-6 }, `${what} ${mode} includeSelf ${includeSelf}`);
        }
      }
      const filled = ref(self, c.shape, d, index, c.ishape, new Array(n(c.ishape)).fill(-2.5), c.ishape, 'put');
      assertEqualArrays(await arr(st.scatter(c.dim, it, -2.5)), filled, `${what} scatter a number`);
      for (const t of [st, xt, it]) t.dispose();
    }
  }
});

test('scatter: with duplicate targets the last source wins on every backend, every run', async () => {
  for (const dev of await backends()) {
    const idx = sg.tensor(new Array(300).fill(0).map((_, i) => (i * 7) % 3), { shape: [300], device: dev, dtype: 'int32' });
    const src = sg.arange(300, { device: dev }).float();
    const base = sg.zeros([3], { device: dev });
    for (let r = 0; r < 3; r++) assertEqualArrays(await arr(base.scatter(0, idx, src)), [297, 298, 299], `${dev} run ${r}`);
    for (const t of [idx, src, base]) t.dispose();
  }
});

test('float sums and products of duplicate targets: the same bits on both backends, every run', async () => {
  const devs = await backends();
  const n = 700;
  const vals = Array.from(new Float32Array(randArray(n * 2, 21, -1, 1)));
  const index = Array.from(randInts(n * 2, 22, 0, 5)); // ~140 sources per target
  const runs: Array<{ exact: number[]; mean: number[] }> = [];
  for (const dev of devs) {
    const s = sg.tensor(Array.from(new Float32Array(randArray(10, 23, 0.9, 1.1))), { shape: [5, 2], device: dev });
    const x = sg.tensor(vals.map((v) => 1 + v / 64), { shape: [n, 2], device: dev });
    const i = sg.tensor(index, { shape: [n, 2], device: dev, dtype: 'int32' });
    for (let r = 0; r < 2; r++) {
      runs.push({ exact: [...await arr(s.scatterAdd(0, i, x)), ...await arr(s.scatterReduce(0, i, x, 'prod'))], mean: await arr(s.scatterReduce(0, i, x, 'mean', { includeSelf: false })) });
    }
    for (const t of [s, x, i]) t.dispose();
  }
  // Sums and products in index order are correctly rounded everywhere: the same bits. The mean
  // ends with a division, which WGSL allows 2.5 ulp (an H100 differs from the CPU by one):
  // the same bits run after run on a backend, within a few ulp across backends.
  for (const r of runs.slice(1)) assertEqualArrays(r.exact, runs[0].exact, 'bits');
  runs.forEach((r, k) => {
    if (k % 2) assertEqualArrays(r.mean, runs[k - 1].mean, `mean bits, run after run (${devs[k >> 1]})`);
    allclose(r.mean, runs[0].mean, { rtol: 5e-7, atol: 0 }, 'mean across backends');
  });
});

test('scatter family on int32 (wraps, floor mean) and float16; amax/amin propagate NaN', async () => {
  for (const dev of await backends()) {
    const self = [5, -7, 3, 0];
    const src = [2, -3, 4, 9, -8, 2147483647];
    const index = [0, 1, 1, 2, 1, 3];
    const s = sg.tensor(self, { device: dev, dtype: 'int32' });
    const x = sg.tensor(src, { device: dev, dtype: 'int32' });
    const i = sg.tensor(index, { device: dev, dtype: 'int32' });
    for (const mode of ['sum', 'prod', 'mean', 'amax', 'amin'] as Red[]) {
      for (const includeSelf of [true, false]) {
        const y = s.scatterReduce(0, i, x, mode, { includeSelf });
        assert.is(y.dtype, 'int32');
        assertEqualArrays(await arr(y), ref(self, [4], 0, index, [6], src, [6], mode, includeSelf, true), `${dev} int32 ${mode} ${includeSelf}`);
      }
    }
    assertEqualArrays(await arr(s.scatter(0, i, x)), [2, -8, 9, 2147483647], `${dev} int32 scatter`);
    const h = sg.tensor([1, 2, 3], { device: dev, dtype: 'float16' });
    const hx = sg.tensor([0.5, 0.25, 1024], { device: dev, dtype: 'float16' });
    const hi = sg.tensor([2, 2, 0], { device: dev, dtype: 'int32' });
    const hy = h.scatterAdd(0, hi, hx);
    assert.is(hy.dtype, 'float16');
    assertEqualArrays(await arr(hy), [1025, 2, 3.75], `${dev} float16 scatterAdd`);
    const f = sg.tensor([1, 2, NaN], { device: dev });
    const fx = sg.tensor([NaN, 5, 3, -Infinity], { device: dev });
    const fi = sg.tensor([0, 1, 2, 1], { device: dev, dtype: 'int32' });
    assertEqualArrays(await arr(f.scatterReduce(0, fi, fx, 'amax')), [NaN, 5, NaN], `${dev} amax NaN`);
    assertEqualArrays(await arr(f.scatterReduce(0, fi, fx, 'amin', { includeSelf: false })), [NaN, -Infinity, 3], `${dev} amin NaN`);
    for (const t of [s, x, i, h, hx, hi, f, fx, fi]) t.dispose();
  }
});

test('float16 mean divides the float16-rounded sum (PyTorch sums into self first)', async () => {
  for (const dev of await backends()) {
    const self = sg.tensor([1, 0], { device: dev, dtype: 'float16' });
    const src = sg.tensor([2048, 1, 1, 1, 1], { device: dev, dtype: 'float16' });
    const idx = sg.tensor(Int32Array.from([0, 0, 0, 0, 0]), { device: dev });
    // The sum 2053 rounds to 2052 in float16 (ties to even), and 2052 / 6 = 342 exactly; dividing
    // the unrounded 2053 would give 342.17, which rounds to 342.25.
    assertEqualArrays(await arr(self.scatterReduce(0, idx, src, 'mean')), [342, 0], `${dev} mean`);
    assertEqualArrays(await arr(self.scatterReduce(0, idx, src, 'sum')), [2052, 0], `${dev} sum`);
    for (const t of [self, src, idx]) t.dispose();
  }
});

test('bool self: sums and extremes are or, products and minima are and; boolean values; 0-d index', async () => {
  for (const dev of await backends()) {
    const self = sg.tensor([false, true, true], { device: dev });
    const idx = sg.tensor(Int32Array.from([0, 0, 1, 1]), { device: dev });
    const src = sg.tensor([true, false, false, false], { device: dev });
    // Reference (PyTorch's logic on bools): targets 0 <- {T, F}, 1 <- {F, F}, 2 untouched.
    const want: Record<string, [number[], number[]]> = {
      sum: [[1, 1, 1], [1, 0, 1]], amax: [[1, 1, 1], [1, 0, 1]], prod: [[0, 0, 1], [0, 0, 1]], amin: [[0, 0, 1], [0, 0, 1]],
    };
    for (const [mode, [inc, exc]] of Object.entries(want)) {
      const a = self.scatterReduce(0, idx, src, mode as 'sum', { includeSelf: true });
      assert.is(a.dtype, 'bool');
      assertEqualArrays(await arr(a), inc, `${dev} ${mode} includeSelf`);
      assertEqualArrays(await arr(self.scatterReduce(0, idx, src, mode as 'sum', { includeSelf: false })), exc, `${dev} ${mode} without self`);
    }
    const two = sg.tensor([true, true], { device: dev });
    assertEqualArrays(await arr(self.scatterAdd(0, sg.tensor(Int32Array.from([0, 0]), { device: dev }), two)), [1, 1, 1], `${dev} scatterAdd stays 0/1`);
    throwsBeforeWork('bool mean', () => self.scatterReduce(0, idx, src, 'mean'), [/^scatterReduce: reduce 'mean' is not defined for bool/]);
    assertEqualArrays(await arr(self.scatter(0, sg.tensor(Int32Array.from([0]), { device: dev }), true as never)), [1, 1, 1], `${dev} boolean value`);
    // A 0-d index and src beside a 1-d self act as size 1 (PyTorch).
    const f = sg.tensor([1, 2], { device: dev });
    assertEqualArrays(await arr(f.scatter(0, sg.tensor(1, { dtype: 'int32', device: dev }), sg.tensor(5, { device: dev }))), [1, 5], `${dev} 0-d index`);
    assertEqualArrays(await arr(f.scatterAdd(0, sg.tensor(0, { dtype: 'int32', device: dev }), sg.tensor(5, { device: dev }))), [6, 2], `${dev} 0-d scatterAdd`);
    const empty = sg.tensor(Int32Array.from([]), { device: dev });
    throwsBeforeWork('oneHot empty 0', () => sg.oneHot(empty, 0), [/^oneHot: cannot infer/]);
    for (const t of [self, idx, src, two, f, empty]) t.dispose();
  }
});

test('gradients: gradcheck for every op and reduce, WebGPU against float64', async () => {
  const cpu = { device: 'cpu' as const, dtype: 'float64' as const };
  const self = sg.tensor(Array.from(randArray(12, 3, 0.5, 1.5)), { shape: [3, 4], ...cpu });
  const src = sg.tensor(Array.from(randArray(10, 4, -1.5, 1.5)), { shape: [2, 5], ...cpu });
  const index = sg.tensor([2, 0, 1, 2, 0, 0, 2, 1], { shape: [2, 4], device: 'cpu', dtype: 'int32' });
  // scatter's src gradient is gather(g) even for a source another one overwrites (PyTorch's
  // formula), which finite differences see as 0: check it on distinct targets.
  const distinct = sg.tensor([2, 0, 1, 2, 0, 1, 2, 1], { shape: [2, 4], device: 'cpu', dtype: 'int32' });
  await sg.gradcheck((a, b) => a.scatter(0, distinct, b), [self, src]);
  await sg.gradcheck((a) => a.scatter(1, index, 7), [self]);
  await sg.gradcheck((a, b) => sg.scatterAdd(a, 0, index, b), [self, src]);
  for (const mode of ['sum', 'prod', 'mean', 'amax', 'amin'] as Red[]) {
    for (const includeSelf of [true, false]) await sg.gradcheck((a, b) => a.scatterReduce(0, index, b, mode, { includeSelf }), [self, src]);
  }
  for (const dev of await backends()) {
    const s = sg.tensor(Array.from(randArray(20, 5, 0.5, 1.5)), { shape: [4, 5], device: dev, requiresGrad: true });
    const x = sg.tensor(Array.from(randArray(21, 6, -1.5, 1.5)), { shape: [3, 7], device: dev, requiresGrad: true });
    const i = sg.tensor(Array.from(randInts(15, 7, 0, 4)), { shape: [3, 5], device: dev, dtype: 'int32' });
    const [s64, x64, i64] = await f64Copies([s, x, i]);
    const fns: Array<[string, (a: Tensor, b: Tensor, c: Tensor) => Tensor]> = [
      ['scatter', (a, b, c) => a.scatter(0, c, b)],
      ['scatterAdd', (a, b, c) => a.scatterAdd(0, c, b)],
      ...(['sum', 'prod', 'mean', 'amax', 'amin'] as Red[]).flatMap((m) => [true, false].map((inc) => [`${m} ${inc}`, (a: Tensor, b: Tensor, c: Tensor) => a.scatterReduce(0, c, b, m, { includeSelf: inc })] as [string, (a: Tensor, b: Tensor, c: Tensor) => Tensor])),
    ];
    for (const [name, f] of fns) {
      const got = await gradsOf((a, b) => f(a, b, i), [s, x]);
      const want = await gradsOf((a, b) => f(a, b, i64), [s64, x64]);
      allclose(got.out, want.out, { rtol: 1e-5, atol: 1e-6 }, `${dev} ${name} out`);
      allclose(got.grads[0]!, want.grads[0]!, { rtol: 1e-5, atol: 1e-6 }, `${dev} ${name} self grad`);
      allclose(got.grads[1]!, want.grads[1]!, { rtol: 1e-5, atol: 1e-6 }, `${dev} ${name} src grad`);
      s.grad = null; x.grad = null; s64.grad = null; x64.grad = null;
    }
    for (const t of [s, x, i, s64, x64, i64]) t.dispose();
  }
});

test('gradients at ties (amax shares evenly) and zeros (prod), as PyTorch', async () => {
  for (const dev of await backends()) {
    // self [1, 3], src [3, 2, 3] all into slot 1: amax 3 is reached by self and two sources.
    const s = sg.tensor([1, 3], { device: dev, requiresGrad: true });
    const x = sg.tensor([3, 2, 3], { device: dev, requiresGrad: true });
    const i = sg.tensor([1, 1, 1], { device: dev, dtype: 'int32' });
    s.scatterReduce(0, i, x, 'amax').mul(sg.tensor([1, 6], { device: dev })).sum().backward();
    assertEqualArrays(await s.grad!.toArray(), [1, 2], `${dev} amax self share`);
    assertEqualArrays(await x.grad!.toArray(), [2, 0, 2], `${dev} amax src shares`);
    // prod: slot 0 = 2·0·5 (one zero in src), slot 1 = 3·0·0 (two zeros)
    const p = sg.tensor([2, 3], { device: dev, requiresGrad: true });
    const q = sg.tensor([0, 5, 0, 0], { device: dev, requiresGrad: true });
    const j = sg.tensor([0, 0, 1, 1], { device: dev, dtype: 'int32' });
    p.scatterReduce(0, j, q, 'prod').sum().backward();
    assertEqualArrays(await p.grad!.toArray(), [0, 0], `${dev} prod self grads`);
    assertEqualArrays(await q.grad!.toArray(), [10, 0, 0, 0], `${dev} prod src grads`);
    for (const t of [s, x, i, p, q, j]) t.dispose();
  }
});

test('oneHot: int32 vectors, inferred or given class count, errors', async () => {
  for (const dev of await backends()) {
    const t = sg.tensor([[2, 0], [1, 2]], { device: dev, dtype: 'int32' });
    const y = sg.oneHot(t, 4);
    assert.is(y.dtype, 'int32');
    assert.equal(y.shape, [2, 2, 4]);
    assertEqualArrays(await arr(y), [0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], `${dev} oneHot`);
    if (dev === 'cpu') assertEqualArrays(await arr(sg.oneHot(t)), [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1], 'inferred count');
    else throwsBeforeWork('gpu -1', () => sg.oneHot(t), [/^oneHot: numClasses must be given for a webgpu tensor/]);
    const e = sg.oneHot(sg.zeros([0], { device: dev, dtype: 'int32' }), 3);
    assert.equal(e.shape, [0, 3]);
    e.dispose();
    const f = sg.zeros([2], { device: 'cpu' });
    throwsBeforeWork('float', () => sg.oneHot(f), [/^oneHot: index must be int32/]);
    t.dispose(); f.dispose();
  }
  const c = sg.tensor([1, 5], { device: 'cpu', dtype: 'int32' });
  throwsBeforeWork('too big', () => sg.oneHot(c, 3), [/^oneHot: class values must be smaller than numClasses \(3\), got 5/]);
  c.dispose();
});

test('index rules: CPU errors name the op and value; WebGPU skips out-of-range writes', async () => {
  for (const dev of await backends()) {
    const s = sg.zeros([2, 3], { device: dev });
    const x = sg.ones([2, 3], { device: dev });
    const bad = sg.tensor([[0, 5, 1]], { device: dev, dtype: 'int32' });
    if (dev === 'cpu') {
      throwsBeforeWork('oob', () => s.scatter(0, bad, x), [/^scatter: index 5 is out of range for dim 0 of size 2/]);
      throwsBeforeWork('oob add', () => s.scatterAdd(0, bad, x), [/^scatterAdd: index 5 is out of range/]);
      const neg = sg.tensor([[0, -1, 1]], { device: dev, dtype: 'int32' });
      throwsBeforeWork('negative', () => s.scatterReduce(0, neg, x, 'sum'), [/^scatterReduce: index -1 is out of range/]);
      neg.dispose();
    } else {
      assertEqualArrays(await arr(s.scatter(0, bad, x)), [1, 0, 0, 0, 0, 1], 'gpu skips');
      assertEqualArrays(await arr(s.scatterReduce(0, bad, x, 'amax', { includeSelf: false })), [1, 0, 0, 0, 0, 1], 'gpu skips amax');
    }
    const i = sg.tensor([[0, 1, 1]], { device: dev, dtype: 'int32' });
    const i1 = sg.tensor([0], { device: dev, dtype: 'int32' });
    const xi = sg.ones([2, 3], { device: dev, dtype: 'int32' });
    const small = sg.ones([1, 2], { device: dev });
    const zi = sg.zeros([2], { device: dev, dtype: 'int32' });
    throwsBeforeWork('dims', () => s.scatter(0, i1, 1), [/^scatter: index must have as many dims as self/]);
    throwsBeforeWork('dtype', () => s.scatterAdd(0, i, xi), [/^scatterAdd: src dtype int32 does not match self's float32/]);
    throwsBeforeWork('src small', () => s.scatter(0, i, small), [/^scatter: index size 3 at dim 1 exceeds src's 2/]);
    throwsBeforeWork('reduce', () => s.scatterReduce(0, i, x, 'max' as never), [/^scatterReduce: reduce must be one of 'sum', 'prod', 'mean', 'amax', 'amin', got "max"/]);
    throwsBeforeWork('opts', () => s.scatterReduce(0, i, x, 'sum', { include_self: false } as never), [/^scatterReduce: unknown option 'include_self'/]);
    throwsBeforeWork('value', () => zi.scatter(0, i1, 0.5), [/^scatter: value 0.5 cannot be converted to int32/]);
    for (const t of [s, x, bad, i, i1, xi, small, zi]) t.dispose();
  }
});

test('0-d and empty: a 0-d self acts as size 1; an empty index gives a copy', async () => {
  for (const dev of await backends()) {
    const z = sg.tensor(2, { device: dev });
    const y = z.scatter(0, sg.tensor(0, { device: dev, dtype: 'int32' }), sg.tensor(7, { device: dev }));
    assert.equal(y.shape, []);
    assertEqualArrays(await arr(y), [7], `${dev} 0-d`);
    const s = sg.ones([2, 2], { device: dev });
    const e = s.scatterAdd(1, sg.zeros([2, 0], { device: dev, dtype: 'int32' }), sg.ones([2, 2], { device: dev }));
    assertEqualArrays(await arr(e), [1, 1, 1, 1], `${dev} empty index`);
    z.dispose(); s.dispose();
  }
});

test('no tensor is left behind by the forward and backward of any op here (var to scatterReduce)', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([[0.5, -1, 2], [1.5, 0.25, -2]], { device: dev, requiresGrad: true });
    const i = sg.tensor([[1, 0, 1]], { device: dev, dtype: 'int32' });
    const h = sg.tensor([3, 1, 2], { device: dev, dtype: 'float16', requiresGrad: true });
    const before = sg.liveTensors();
    const fns: Array<() => Tensor> = [
      () => x.var(1), () => x.std(), () => sg.stdMean(x, 0)[0].add(sg.stdMean(x, 0)[1]), () => sg.varMean(x)[0], () => x.prod(1), () => x.cumsum(0),
      () => x.sort(1).values, () => x.scatter(0, i, x), () => x.scatterAdd(0, i, x), () => x.scatterReduce(0, i, x, 'prod', { includeSelf: false }),
      () => x.scatterReduce(0, i, x, 'mean'), () => x.scatterReduce(0, i, x, 'amin'), () => h.sort().values.float(),
    ];
    fns.forEach((f, k) => {
      const n0 = sg.liveTensors();
      sg.tidy(() => f().sum().backward());
      x.grad?.dispose(); x.grad = null;
      h.grad?.dispose(); h.grad = null;
      assert.is(sg.liveTensors(), n0, `${dev} live tensors after op ${k}`);
    });
    assert.is(sg.liveTensors(), before, `${dev} live tensors`);
    // float16 values' gradient (the permutation scatter in float16)
    h.sort().values.float().mul(sg.tensor([10, 20, 30], { device: dev })).sum().backward();
    assertEqualArrays(await h.grad!.toArray(), [30, 10, 20], `${dev} float16 sort grad`);
    for (const t of [x, i, h]) t.dispose();
  }
});

test.run();
