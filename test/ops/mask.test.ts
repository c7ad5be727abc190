// maskedFill, any/all, isnan/isinf/isfinite, tril/triu and select on both backends, against
// references computed here in plain JS (float64), with NaN/±Inf at non-first positions, empty
// dims and odd sizes; gradients by finite differences (gradcheck, CPU float64) and WebGPU's
// against the CPU's.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, arr, assertEqualArrays, backends, f64Copies, forEachIndex, gradsOf, randArray, rt, throwsBeforeWork, throwsWith } from '../helpers.js';

const test = suite('masks and selection');
const N = NaN;
const I = Infinity;

/** Row-major strides of a shape. */
const stridesOf = (s: number[]): number[] => s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));

test('isnan, isinf, isfinite: bool, on float32, float16, int32 and bool, vec4 and strided', async () => {
  const v = [0, N, I, -I, -0, 1e30, -N, 3.5, N, -1];
  for (const dev of await backends()) {
    for (const n of [8, 10]) {
      const x = sg.tensor(v.slice(0, n), { device: dev });
      const vs = v.slice(0, n);
      for (const [name, fn, ref] of [
        ['isnan', sg.isnan, (a: number) => Number.isNaN(a)],
        ['isinf', sg.isinf, (a: number) => a === I || a === -I],
        ['isfinite', sg.isfinite, (a: number) => Number.isFinite(a)],
      ] as const) {
        const y = fn(x);
        assert.is(y.dtype, 'bool');
        assertEqualArrays(await arr(y), vs.map((a) => +ref(a)), `${dev} ${name} n=${n}`);
      }
      assertEqualArrays(await arr(x.isnan()), vs.map((a) => +Number.isNaN(a)), `${dev} x.isnan()`);
      x.dispose();
    }
    // a transposed view
    const m = sg.tensor([[1, N, I], [-I, 0, N]], { device: dev }).transpose(0, 1);
    assertEqualArrays(await arr(m.isfinite()), [1, 0, 0, 1, 0, 0], `${dev} isfinite strided`);
    assertEqualArrays(await arr(m.isinf()), [0, 1, 0, 0, 1, 0], `${dev} isinf strided`);
    // ints are always finite numbers
    const i = sg.tensor(new Int32Array([2147483647, -2147483648, 0]), { device: dev });
    assertEqualArrays(await arr(i.isnan()), [0, 0, 0], `${dev} int32 isnan`);
    assertEqualArrays(await arr(i.isinf()), [0, 0, 0], `${dev} int32 isinf`);
    assertEqualArrays(await arr(i.isfinite()), [1, 1, 1], `${dev} int32 isfinite`);
    assertEqualArrays(await arr(sg.tensor([true, false], { device: dev }).isfinite()), [1, 1], `${dev} bool isfinite`);
    assert.equal(sg.isnan(sg.zeros([0, 3], { device: dev })).shape, [0, 3]);
    m.dispose(); i.dispose();
  }
  const h = sg.tensor([1, N, 70000, -I], { device: 'cpu', dtype: 'float16' });
  assertEqualArrays(await arr(h.isinf()), [0, 0, 1, 1], 'cpu float16 isinf (70000 overflows to Inf)');
  const d = sg.tensor([1e300, N, I], { device: 'cpu', dtype: 'float64' });
  assertEqualArrays(await arr(d.isfinite()), [1, 0, 0], 'cpu float64 isfinite');
});

test('logicalNot/And/Or/Xor: bool, any dtype, NaN is true, broadcasting, errors', async () => {
  const a = [0, N, I, -0, 2.5, 0, -1, N, 0];
  const b = [1, 0, 0, 0, N, 0, 3, -I, 0];
  const t = (v: number): boolean => v !== 0; // JS's truthiness differs for NaN: NaN is true here, as in PyTorch
  for (const dev of await backends()) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const cast = (v: number[]): number[] => (dtype === 'float32' ? v : v.map((x) => (Number.isNaN(x) || x === I || x === -I ? 1 : dtype === 'bool' ? +(x !== 0) : Math.trunc(x))));
      const [av, bv] = [cast(a), cast(b)];
      const x = sg.tensor(av, { device: dev }).cast(dtype);
      const y = sg.tensor(bv, { device: dev }).cast(dtype);
      const not = x.logicalNot();
      assert.is(not.dtype, 'bool');
      assertEqualArrays(await arr(not), av.map((v) => +!t(v)), `${dev} ${dtype} logicalNot`);
      assertEqualArrays(await arr(sg.logicalAnd(x, y)), av.map((v, i) => +(t(v) && t(bv[i]))), `${dev} ${dtype} logicalAnd`);
      assertEqualArrays(await arr(x.logicalOr(y)), av.map((v, i) => +(t(v) || t(bv[i]))), `${dev} ${dtype} logicalOr`);
      assertEqualArrays(await arr(x.logicalXor(y)), av.map((v, i) => +(t(v) !== t(bv[i]))), `${dev} ${dtype} logicalXor`);
    }
    // broadcasting (3, 1) with (4,), and an empty dim
    const p = sg.tensor([[0], [1], [N]], { device: dev });
    const q = sg.tensor([1, 0, 0, 2], { device: dev, dtype: 'int32' });
    assertEqualArrays(await arr(sg.logicalAnd(p, q)), [0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1], `${dev} broadcast and`);
    assert.equal(sg.logicalOr(sg.zeros([0, 3], { device: dev }), sg.ones([3], { device: dev })).shape, [0, 3]);
    throwsWith(() => sg.logicalAnd(sg.zeros([2], { device: dev }), sg.zeros([3], { device: dev })), /^logicalAnd: /);
    throwsWith(() => sg.logicalOr(sg.zeros([2], { device: dev }), 1 as unknown as Tensor), /^logicalOr: other must be a Tensor/);
  }
});

test('any and all: no dim gives a 0-d bool; dim, negative dim, dims, keepdim; NaN is true; empty', async () => {
  const shape = [3, 4, 5];
  const n = 60;
  const vals = Array.from(randArray(n, 7), (x) => (x > 0.3 ? 0 : x));
  vals[13] = N; vals[41] = I; vals[7] = -0;
  for (let j = 0; j < 5; j++) vals[20 + j] = 0; // row [1, 0] all zero
  for (let j = 0; j < 5; j++) vals[45 + j] = 2; // row [2, 1] all nonzero
  const ref = (dims: number[], isAny: boolean, keep: boolean): { shape: number[]; v: number[] } => {
    const outShape = shape.map((s, i) => (dims.includes(i) ? 1 : s));
    const acc = new Array(outShape.reduce((a, b) => a * b, 1)).fill(isAny ? 0 : 1);
    const os = stridesOf(outShape);
    forEachIndex(shape, (i, idx) => {
      const o = idx.reduce((a, c, d) => a + (dims.includes(d) ? 0 : c * os[d]), 0);
      const nz = vals[i] !== 0;
      acc[o] = isAny ? +(acc[o] || nz) : +(acc[o] && nz);
    });
    return { shape: keep ? outShape : shape.filter((_, i) => !dims.includes(i)), v: acc };
  };
  for (const dev of await backends()) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const src = dtype === 'float32' ? vals : vals.map((v) => (v === 0 ? 0 : Number.isFinite(v) ? Math.sign(v) * Math.ceil(Math.abs(v) * 10) : 1));
      const x = sg.tensor(src, { shape, device: dev, dtype });
      for (const isAny of [true, false]) {
        const fn = isAny ? sg.any : sg.all;
        const name = isAny ? 'any' : 'all';
        const whole = fn(x);
        assert.is(whole.dtype, 'bool');
        assert.equal(whole.shape, []);
        assertEqualArrays(await arr(whole), ref([0, 1, 2], isAny, false).v, `${dev} ${dtype} ${name}()`);
        for (const [dim, keep, dims] of [[2, false, [2]], [-1, true, [2]], [0, false, [0]], [[0, 2], false, [0, 2]], [1, true, [1]]] as Array<[number | number[], boolean, number[]]>) {
          const y = isAny ? x.any(dim, keep) : x.all(dim, keep);
          const want = ref(dims, isAny, keep);
          assert.equal(y.shape, want.shape, `${name}(${dim}, ${keep}) shape`);
          assertEqualArrays(await arr(y), want.v, `${dev} ${dtype} ${name}(${dim}, ${keep})`);
        }
      }
      x.dispose();
    }
    // a transposed view, and empty tensors (any of nothing is false, all of nothing is true)
    const t = sg.tensor([[0, N], [0, 0], [1, 2]], { device: dev }).transpose(0, 1);
    assertEqualArrays(await arr(t.any(0)), [1, 0, 1], `${dev} any strided`);
    assertEqualArrays(await arr(t.all(1)), [0, 0], `${dev} all strided`);
    const e = sg.zeros([0, 3], { device: dev });
    assertEqualArrays(await arr(e.any()), [0], `${dev} any of empty`);
    assertEqualArrays(await arr(e.all()), [1], `${dev} all of empty`);
    assertEqualArrays(await arr(e.all(0)), [1, 1, 1], `${dev} all(0) of [0, 3]`);
    assert.equal(e.any(1).shape, [0]);
    t.dispose(); e.dispose();
  }
});

test('any and all with dim [] reduce nothing (PyTorch 2.14): each element\'s truth, input shape, bool', async () => {
  for (const dev of await backends()) {
    // torch.tensor([[1., 0], [0, 0]]).any([]) and .all([]): [[True, False], [False, False]]
    const x = sg.tensor([[1, 0], [0, 0]], { device: dev });
    for (const y of [x.any([]), x.all([]), x.any([], true), sg.all(x, [], true)]) {
      assert.is(y.dtype, 'bool');
      assert.equal(y.shape, [2, 2]);
      assertEqualArrays(await arr(y), [1, 0, 0, 0], `${dev} any/all([]) of [[1, 0], [0, 0]]`);
    }
    // NaN and -0: torch.tensor([[1.5, -0.], [-2, nan]]).all([]): [[True, False], [True, True]]
    assertEqualArrays(await arr(sg.tensor([[1.5, -0], [-2, N]], { device: dev }).all([])), [1, 0, 1, 1], `${dev} all([]) NaN`);
    // int32, bool, a transposed view, an empty tensor and a 0-d tensor
    assertEqualArrays(await arr(sg.tensor(Int32Array.from([3, 0, -1]), { device: dev }).any([])), [1, 0, 1], `${dev} int32 any([])`);
    assertEqualArrays(await arr(sg.tensor([true, false], { device: dev }).all([])), [1, 0], `${dev} bool all([])`);
    assertEqualArrays(await arr(sg.tensor([[1, 0], [3, 4]], { device: dev }).T.all([])), [1, 1, 0, 1], `${dev} transposed all([])`);
    const e = sg.zeros([0, 3], { device: dev }).any([]);
    assert.equal(e.shape, [0, 3]);
    assert.is(e.dtype, 'bool');
    const z = sg.tensor(0, { device: dev }).any([]);
    assert.equal(z.shape, []);
    assertEqualArrays(await arr(z), [0], `${dev} 0-d any([])`);
    // sum/mean keep PyTorch's other rule: [] reduces every dim (torch: 4. and 1.)
    const s = sg.tensor([[1, 0], [0, 3]], { device: dev });
    assertEqualArrays(await arr(s.sum([])), [4], `${dev} sum([])`);
    assertEqualArrays(await arr(s.mean([])), [1], `${dev} mean([])`);
    assertEqualArrays(await arr(s.amax([])), [3], `${dev} amax([])`);
    x.dispose(); e.dispose(); s.dispose();
  }
});

test('maskedFill: number or 0-d tensor, bool or int32 mask, broadcast, keeps x dtype', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([[1, N, 3], [4, 5, I]], { device: dev });
    const mrow = sg.tensor([true, false, true], { device: dev });
    assertEqualArrays(await arr(x.maskedFill(mrow, -1)), [-1, N, -1, -1, 5, -1], `${dev} row mask`);
    assertEqualArrays(await arr(sg.maskedFill(x, mrow.int(), N)), [N, N, N, N, 5, N], `${dev} int32 mask, NaN value`);
    assertEqualArrays(await arr(x.maskedFill(x.isnan(), 0)), [1, 0, 3, 4, 5, I], `${dev} clear NaN`);
    assertEqualArrays(await arr(x.maskedFill(sg.tensor([[true], [false]], { device: dev }), sg.tensor(-I, { device: dev }))), [-I, -I, -I, 4, 5, I], `${dev} column mask, 0-d tensor value`);
    // the mask may broadcast x up
    const col = sg.tensor([[2], [3]], { device: dev });
    const wide = col.maskedFill(mrow, 0);
    assert.equal(wide.shape, [2, 3]);
    assertEqualArrays(await arr(wide), [0, 2, 0, 0, 3, 0], `${dev} mask broadcasts x`);
    // x's dtype decides: int32 truncates the value, bool makes it true/false
    const xi = sg.tensor(new Int32Array([1, 2, 3]), { device: dev });
    const yi = xi.maskedFill(mrow, 2.7);
    assert.is(yi.dtype, 'int32');
    assertEqualArrays(await arr(yi), [2, 2, 2], `${dev} int32 maskedFill 2.7`);
    const xb = sg.tensor([false, false, true], { device: dev });
    const yb = xb.maskedFill(mrow, 5);
    assert.is(yb.dtype, 'bool');
    assertEqualArrays(await arr(yb), [1, 0, 1], `${dev} bool maskedFill`);
    // a causal mask, as attention uses it
    const scores = sg.zeros([3, 3], { device: dev });
    const causal = sg.ones([3, 3], { device: dev, dtype: 'bool' }).triu(1);
    allclose(await arr(scores.maskedFill(causal, -I).softmax(-1)), [1, 0, 0, 0.5, 0.5, 0, 1 / 3, 1 / 3, 1 / 3], { rtol: 1e-6, atol: 0 }, `${dev} causal softmax`);
    const fm = sg.ones([3], { device: dev });
    throwsBeforeWork(`${dev} float mask`, () => x.maskedFill(fm, 0), [/^maskedFill:/, /mask/, /float32/]);
    fm.dispose();
    throwsWith(() => x.maskedFill(sg.tensor([true, false], { device: dev }), 0), /^maskedFill:/, /\[2, 3\]/, /\[2\]/);
    throwsWith(() => x.maskedFill(mrow, sg.tensor([1, 2], { device: dev })), /^maskedFill:/, /0-d/);
    throwsWith(() => x.maskedFill(mrow, 'a' as unknown as number), /^maskedFill:/, /value/);
    x.dispose(); mrow.dispose(); col.dispose(); xi.dispose(); xb.dispose(); scores.dispose(); causal.dispose();
  }
});

test('maskedFill refuses a value an int32 input cannot hold (NaN, ±Inf, out of range), as PyTorch', async () => {
  for (const dev of await backends()) {
    const xi = sg.tensor(new Int32Array([1, 2, 3]), { device: dev });
    const m = sg.tensor([true, false, true], { device: dev });
    for (const v of [NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1]) throwsBeforeWork(`maskedFill ${v}`, () => xi.maskedFill(m, v), [/^maskedFill: value/, /int32/]);
    assert.equal(await arr(xi.maskedFill(m, -(2 ** 31) + 1)), [-(2 ** 31) + 1, 2, -(2 ** 31) + 1]);
    xi.dispose(); m.dispose();
  }
});

test('maskedFill gradients: none where filled; the 0-d value gets the filled places; WebGPU against CPU', async () => {
  const mask = [1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 1, 0];
  const fn = (m: Tensor) => (x: Tensor, v: Tensor): Tensor => x.maskedFill(m, v).mul(x.add(1)).sum(1);
  const cpuMask = sg.tensor(mask, { shape: [5, 1, 3], dtype: 'bool', device: 'cpu' });
  const x = sg.tensor(randArray(30, 11), { shape: [5, 2, 3], dtype: 'float64', device: 'cpu', requiresGrad: true });
  const v = sg.tensor(0.7, { dtype: 'float64', device: 'cpu', requiresGrad: true });
  await sg.gradcheck(fn(cpuMask), [x, v]);
  for (const dev of await backends()) {
    if (dev === 'cpu') continue;
    const gx = rt([5, 2, 3], 11, dev, { requiresGrad: true }).t;
    const gv = sg.tensor(0.7, { device: dev, requiresGrad: true });
    const gm = sg.tensor(mask, { shape: [5, 1, 3], dtype: 'bool', device: dev });
    const got = await gradsOf(fn(gm), [gx, gv]);
    const want = await gradsOf(fn(cpuMask), await f64Copies([gx, gv]));
    allclose(got.out, want.out, { rtol: 1e-5, atol: 1e-6 }, `${dev} maskedFill out`);
    got.grads.forEach((g, i) => allclose(g!, want.grads[i]!, { rtol: 1e-5, atol: 1e-6 }, `${dev} maskedFill grad ${i}`));
  }
  // the reference: dx is dy where the mask is false, 0 where true
  const xs = sg.tensor([1, 2, 3], { requiresGrad: true, device: 'cpu' });
  xs.maskedFill(sg.tensor([false, true, false], { device: 'cpu' }), 9).mul(sg.tensor([5, 6, 7], { device: 'cpu' })).sum().backward();
  assertEqualArrays(await xs.grad!.toArray(), [5, 0, 7], 'maskedFill grad by hand');
});

/** tril/triu of a row-major [..., R, C] array, in JS. */
function triRef(x: ArrayLike<number>, shape: number[], k: number, lower: boolean): number[] {
  const [R, C] = shape.slice(-2);
  return Array.from(x, (v, i) => {
    const r = Math.floor(i / C) % R;
    const c = i % C;
    return (lower ? c - r <= k : c - r >= k) ? v : 0;
  });
}

test('tril and triu: batched, every diagonal offset, NaN off the kept part becomes 0, dtypes', async () => {
  for (const dev of await backends()) {
    for (const shape of [[3, 4], [2, 5, 3], [4, 4], [2, 1, 3, 3], [0, 3], [3, 0], [2, 0, 2]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const vals = Array.from(randArray(n, shape.length * 7 + n), Math.fround);
      if (n > 5) { vals[1] = N; vals[n - 2] = I; }
      const x = sg.tensor(vals, { shape, device: dev });
      for (const k of [0, 1, -1, 2, -2, 5, -5, 100, -100]) {
        assertEqualArrays(await arr(x.tril(k)), triRef(vals, shape, k, true), `${dev} tril(${k}) of ${JSON.stringify(shape)}`);
        assertEqualArrays(await arr(sg.triu(x, k)), triRef(vals, shape, k, false), `${dev} triu(${k}) of ${JSON.stringify(shape)}`);
      }
      assertEqualArrays(await arr(sg.tril(x)), triRef(vals, shape, 0, true), `${dev} tril() default`);
      x.dispose();
    }
    // a strided input, int32 and bool
    const t = sg.tensor([[1, 2, 3], [4, 5, 6]], { device: dev }).transpose(0, 1);
    assertEqualArrays(await arr(t.triu()), [1, 4, 0, 5, 0, 0], `${dev} triu of a transposed view`);
    const ti = sg.tensor(new Int32Array([1, 2, 3, 4]), { shape: [2, 2], device: dev }).tril();
    assert.is(ti.dtype, 'int32');
    assertEqualArrays(await arr(ti), [1, 0, 3, 4], `${dev} int32 tril`);
    const tb = sg.ones([3, 3], { dtype: 'bool', device: dev }).tril(-1);
    assert.is(tb.dtype, 'bool');
    assertEqualArrays(await arr(tb), [0, 0, 0, 1, 0, 0, 1, 1, 0], `${dev} bool tril(-1)`);
    const one = sg.ones([3], { device: dev });
    throwsBeforeWork(`${dev} tril of 1-d`, () => sg.tril(one), [/^tril:/, /2 dims/, /\[3\]/]);
    one.dispose();
    throwsWith(() => sg.triu(sg.ones([3, 3], { device: dev }), 0.5), /^triu:/, /diagonal/);
    t.dispose();
  }
  const h = sg.tensor([1, 2, 3, 4], { shape: [2, 2], dtype: 'float16', device: 'cpu' }).triu();
  assert.is(h.dtype, 'float16');
  assertEqualArrays(await arr(h), [1, 2, 0, 4], 'cpu float16 triu');
});

test('tril and triu gradients: the same mask on dy (gradcheck; WebGPU against CPU)', async () => {
  for (const [k, lower] of [[0, true], [1, false], [-1, true], [2, false]] as Array<[number, boolean]>) {
    const fn = (x: Tensor): Tensor => (lower ? x.tril(k) : x.triu(k)).mul(x).sum(-1);
    const x = sg.tensor(randArray(2 * 3 * 4, 5 + k), { shape: [2, 3, 4], dtype: 'float64', device: 'cpu', requiresGrad: true });
    await sg.gradcheck(fn, [x]);
    for (const dev of await backends()) {
      if (dev === 'cpu') continue;
      const gx = rt([2, 3, 4], 5 + k, dev, { requiresGrad: true }).t;
      const got = await gradsOf(fn, [gx]);
      const want = await gradsOf(fn, await f64Copies([gx]));
      allclose(got.out, want.out, { rtol: 1e-5, atol: 1e-6 }, `${dev} tri out`);
      allclose(got.grads[0]!, want.grads[0]!, { rtol: 1e-5, atol: 1e-6 }, `${dev} tri grad k=${k}`);
    }
  }
});

test('select: a view with the dim removed, negative dim and index, errors, gradient', async () => {
  for (const dev of await backends()) {
    const shape = [3, 4, 5];
    const vals = Array.from(randArray(60, 21), Math.fround);
    vals[17] = N;
    const x = sg.tensor(vals, { shape, device: dev });
    for (const [dim, index] of [[0, 1], [1, -1], [-1, 4], [2, 0], [-3, -3]]) {
      const d = dim < 0 ? dim + 3 : dim;
      const i = index < 0 ? index + shape[d] : index;
      const y = x.select(dim, index);
      assert.equal(y.shape, shape.filter((_, j) => j !== d));
      assert.is(y.storage, x.storage, 'select is a view');
      const want: number[] = [];
      forEachIndex(shape, (flat, idx) => { if (idx[d] === i) want.push(vals[flat]); });
      assertEqualArrays(await arr(y), want, `${dev} select(${dim}, ${index})`);
    }
    // writes through the view land in x, as PyTorch's
    const z = sg.zeros([2, 3], { device: dev });
    sg.noGrad(() => z.select(1, -1).fill_(7));
    assertEqualArrays(await arr(z), [0, 0, 7, 0, 0, 7], `${dev} select then fill_`);
    const v1 = sg.tensor([1, 2, 3], { device: dev }).select(0, 2);
    assert.equal(v1.shape, []);
    assertEqualArrays(await arr(v1), [3], `${dev} select to 0-d`);
    throwsBeforeWork(`${dev} index 3 of 3`, () => x.select(0, 3), [/^select:/, /index 3/, /size 3/, /\[3, 4, 5\]/]);
    throwsWith(() => x.select(1, -5), /^select:/, /index -5/);
    throwsWith(() => x.select(3, 0), /^select:/, /dim 3/);
    throwsWith(() => x.select(0, 1.5), /^select:/, /index/);
    throwsWith(() => sg.tensor(1, { device: dev }).select(0, 0), /^select:/, /0-d/);
    throwsWith(() => sg.select(sg.zeros([0, 2], { device: dev }), 0, 0), /^select:/, /size 0/);
    x.dispose(); z.dispose();
  }
  const fn = (x: Tensor): Tensor => sg.select(x, 1, -2).mul(x.select(0, 0).select(0, 1));
  const x = sg.tensor(randArray(24, 4), { shape: [2, 3, 4], dtype: 'float64', device: 'cpu', requiresGrad: true });
  await sg.gradcheck(fn, [x]);
  for (const dev of await backends()) {
    if (dev === 'cpu') continue;
    const gx = rt([2, 3, 4], 4, dev, { requiresGrad: true }).t;
    const got = await gradsOf(fn, [gx]);
    const want = await gradsOf(fn, await f64Copies([gx]));
    allclose(got.grads[0]!, want.grads[0]!, { rtol: 1e-5, atol: 1e-6 }, `${dev} select grad`);
  }
});

test.run();
