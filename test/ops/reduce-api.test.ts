// The reductions API as PyTorch has it, on every backend: amax/amin over a dim or a list of
// dims with keepdim (as sg.* and as methods), max()/min() without a dim, argmax/argmin with
// or without a dim (then the index into the flattened tensor), amax's gradient shared evenly
// among the ties of each reduced slice, and PyTorch's errors for empty reduced dims.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, assertEqualArrays, backends, forEachIndex, randInts, rt, throwsBeforeWork, throwsWith, arr } from '../helpers.js';

const test = suite('reduce-api');

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

const outShape = (shape: number[], dims: number[], keepdim: boolean): number[] =>
  keepdim ? shape.map((s, i) => (dims.includes(i) ? 1 : s)) : shape.filter((_, i) => !dims.includes(i));

// small integers: many exact ties
const tiedData = (n: number, seed: number): number[] => Array.from(randInts(n, seed, -3, 4));

test('amax/amin take a dim, a list of dims, negative dims and keepdim; sg.* and methods agree', async () => {
  let seed = 700;
  const cases: Array<[number[], number | number[] | undefined]> = [
    [[2, 2], 1], [[4, 5], 0], [[4, 5], -1], [[3, 4, 5], [0, 2]], [[3, 4, 5], [-1, 1]], [[3, 4, 5], []], [[6], undefined], [[2, 3, 4], [0, 1, 2]],
  ];
  for (const dev of await backends()) {
    for (const [shape, dim] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = tiedData(n, seed++);
      const t = sg.tensor(x, { shape, device: dev });
      const dims = dim === undefined || (Array.isArray(dim) && dim.length === 0) ? shape.map((_, i) => i)
        : (typeof dim === 'number' ? [dim] : dim).map((d) => (d < 0 ? d + shape.length : d)).sort();
      const sl = slices(shape, dims);
      for (const keepdim of [false, true]) {
        const what = `${dev} ${JSON.stringify(shape)} dim ${JSON.stringify(dim)} keepdim ${keepdim}`;
        const mx = sg.amax(t, dim, keepdim);
        const mn = t.amin(dim, keepdim);
        assert.equal(mx.shape, outShape(shape, dims, keepdim), `${what} shape`);
        assertEqualArrays(await arr(mx), sl.map((s) => Math.max(...s.map((i) => x[i]))), `${what} amax`);
        assertEqualArrays(await arr(mn), sl.map((s) => Math.min(...s.map((i) => x[i]))), `${what} amin`);
        assertEqualArrays(await arr(t.amax(dim, keepdim)), await arr(sg.amax(t, dim, keepdim)), `${what} method`);
      }
      t.dispose();
    }
    // the example: the dim is not ignored
    assertEqualArrays(await arr(sg.amax(sg.tensor([[1, 5], [7, 2]], { device: dev }), 1)), [5, 7], `${dev} amax([[1, 5], [7, 2]], 1)`);
    // a transposed input (strided rows)
    const tt = sg.tensor([[1, 5, 0], [7, 2, 9]], { device: dev }).T;
    assertEqualArrays(await arr(tt.amax(1)), [7, 5, 9], `${dev} amax of a transposed view`);
    assertEqualArrays(await arr(sg.amin(tt, 0, true)), [0, 2], `${dev} amin of a transposed view`);
  }
});

test('max()/min() without a dim, as functions and methods; argmax/argmin with and without dims', async () => {
  let seed = 720;
  for (const dev of await backends()) {
    const shape = [3, 5, 4];
    const x = tiedData(60, seed++);
    const t = sg.tensor(x, { shape, device: dev });
    assert.is(await sg.max(t).item(), Math.max(...x));
    assert.is(await t.min().item(), Math.min(...x));
    assert.equal(sg.min(t).shape, []);
    const first = (v: number[], best: number): number => v.indexOf(best);
    assert.is(await t.argmax().item(), first(x, Math.max(...x)), `${dev} argmax()`);
    assert.is(await sg.argmin(t).item(), first(x, Math.min(...x)), `${dev} argmin()`);
    for (const dim of [0, 1, -1]) {
      for (const keepdim of [false, true]) {
        const d = dim < 0 ? dim + 3 : dim;
        const sl = slices(shape, [d]);
        const what = `${dev} dim ${dim} keepdim ${keepdim}`;
        const am = t.argmin(dim, keepdim);
        assert.equal(am.shape, outShape(shape, [d], keepdim), `${what} argmin shape`);
        assertEqualArrays(await arr(am), sl.map((s) => { const v = s.map((i) => x[i]); return first(v, Math.min(...v)); }), `${what} argmin`);
        assertEqualArrays(await arr(sg.argmax(t, dim, keepdim)), sl.map((s) => { const v = s.map((i) => x[i]); return first(v, Math.max(...v)); }), `${what} argmax`);
        const r = sg.min(t, dim, keepdim);
        assertEqualArrays(await arr(r.values), sl.map((s) => Math.min(...s.map((i) => x[i]))), `${what} min values`);
        r.indices.dispose();
      }
    }
    t.dispose();
  }
});

test('amax/amin gradients: shared evenly among each slice\'s ties; NaN as PyTorch', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([[3, 1, 3], [2, 2, 0]], { device: dev, requiresGrad: true });
    x.amax(1).mul(sg.tensor([6, 10], { device: dev })).sum().backward();
    assertEqualArrays(await x.grad!.toArray(), [3, 0, 3, 5, 5, 0], `${dev} amax(1) ties`);
    const y = sg.tensor([[3, 1, 3], [2, 2, 0]], { device: dev, requiresGrad: true });
    sg.amin(y, 0, true).sum().backward();
    assertEqualArrays(await y.grad!.toArray(), [0, 1, 0, 1, 0, 1], `${dev} amin(0) keepdim`);
    // a slice over two dims of a 3-D tensor: its ties share
    const z = sg.tensor([[[5, 1], [5, 0]], [[2, 2], [1, 2]]], { device: dev, requiresGrad: true });
    z.amax([0, 2]).sum().backward(); // slices: z[:, 0, :] max 5 (once), z[:, 1, :] max 5 (once)
    assertEqualArrays(await z.grad!.toArray(), [1, 0, 1, 0, 0, 0, 0, 0], `${dev} amax([0, 2])`);
    // PyTorch: amax's NaN slice gets NaN gradients; max() shares among the NaNs
    const a = sg.tensor([[1, NaN, 3, NaN], [1, 2, 2, 0]], { device: dev, requiresGrad: true });
    a.amax(1).sum().backward();
    assertEqualArrays(await a.grad!.toArray(), [NaN, NaN, NaN, NaN, 0, 0.5, 0.5, 0], `${dev} amax with a NaN slice`);
    const b = sg.tensor([1, NaN, 3, NaN], { device: dev, requiresGrad: true });
    b.max().backward();
    assertEqualArrays(await b.grad!.toArray(), [0, 0.5, 0, 0.5], `${dev} max() with NaNs`);
    const c = sg.tensor([3, 1, 3], { device: dev, requiresGrad: true });
    sg.min(c.neg()).backward();
    assertEqualArrays(await c.grad!.toArray(), [-0.5, 0, -0.5], `${dev} min() ties`);
  }
  // no ties: a smooth function of the inputs, so gradcheck applies
  const g = rt([3, 4, 5], 740, 'cpu').t;
  await sg.gradcheck((v) => v.amax([0, 2], true).mul(v.amin(1).sum()), [g]);
  await sg.gradcheck((v) => sg.max(v).add(sg.min(v, 1).values.sum()), [g]);
});

test('empty reduced dims: PyTorch\'s errors, named by op, before any GPU work; empty kept dims are fine', async () => {
  for (const dev of await backends()) {
    const e = sg.zeros([0, 3], { device: dev });
    throwsBeforeWork('amax', () => sg.amax(e), [/^amax: /, /reduction dim 0 to have non-zero size/, /\[0, 3\]/]);
    throwsBeforeWork('amin(0)', () => e.amin(0), [/^amin: /, /dim 0 to have non-zero size/]);
    throwsBeforeWork('max()', () => e.max(), [/^max: /, /reduction dim to be specified/, /\[0, 3\]/]);
    throwsBeforeWork('min()', () => sg.min(e), [/^min: /, /reduction dim to be specified/]);
    throwsBeforeWork('argmax()', () => e.argmax(), [/^argmax: /, /reduction dim to be specified/]);
    throwsBeforeWork('argmin(0)', () => sg.argmin(e, 0), [/^argmin: /, /dim 0 to have non-zero size/]);
    throwsBeforeWork('max(0)', () => e.max(0), [/^max: /, /dim 0 to have non-zero size/]);
    // reducing a dim of non-zero size of an empty tensor gives an empty result
    const r = e.amax(1);
    assert.equal(r.shape, [0]);
    assert.equal(e.max(1).values.shape, [0]);
    assert.equal(sg.argmin(e, 1, true).shape, [0, 1]);
    // bad arguments
    const t = sg.tensor([[1, 2], [3, 4]], { device: dev });
    throwsWith(() => sg.amax(t, 'a' as unknown as number), /^amax: /, /dim must be a number or an array/, /"a"/);
    throwsWith(() => sg.max(t, t as unknown as number), /^max: /, /dim must be a number/, /Tensor of shape \[2, 2\]/);
    throwsWith(() => t.argmax(0, 1 as unknown as boolean), /^argmax: /, /keepdim/);
    throwsWith(() => sg.amax(t, [0, 0]), /^amax: /, /more than once/);
    throwsWith(() => t.amin(2), /^amin: /, /dim 2/);
    // the engine still works
    allclose(await arr(t.amax(0)), [3, 4], {}, `${dev} after the errors`);
    e.dispose(); t.dispose();
  }
});

test.run();
