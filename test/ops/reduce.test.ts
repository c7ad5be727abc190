// Reductions, softmax/logSoftmax, crossEntropy and topk on every backend, against float64
// reference loops written here; gradients by gradcheck (CPU float64) and, on WebGPU,
// against the CPU float64 autograd gradients.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, assertEqualArrays, backends, f64Copies, forEachIndex, gradsOf, randArray, randInts, rt, throwsWith, keysOf, type Dev } from '../helpers.js';

// ---- float64 references ----

/** Flat indices of each row: rows enumerate the kept dims row-major, a row its reduced dims. */
function rowsOf(shape: number[], dims: number[]): number[][] {
  const rows = new Map<number, number[]>();
  forEachIndex(shape, (i, idx) => {
    let key = 0;
    for (let d = 0; d < shape.length; d++) if (!dims.includes(d)) key = key * shape[d] + idx[d];
    if (!rows.has(key)) rows.set(key, []);
    rows.get(key)!.push(i);
  });
  return [...rows.keys()].sort((a, b) => a - b).map((k) => rows.get(k)!);
}

const norm = (dims: number[] | number | undefined, nd: number): number[] =>
  dims === undefined ? Array.from({ length: nd }, (_, i) => i) : (typeof dims === 'number' ? [dims] : dims).map((d) => (d < 0 ? d + nd : d));

function outShape(shape: number[], dims: number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((s, i) => (dims.includes(i) ? 1 : s)) : shape.filter((_, i) => !dims.includes(i));
}

const refSum = (x: ArrayLike<number>, rows: number[][]): number[] => rows.map((r) => r.reduce((a, i) => a + x[i], 0));

function refArg(x: ArrayLike<number>, rows: number[][], isMax: boolean): { v: number[]; i: number[] } {
  const v: number[] = [];
  const ix: number[] = [];
  for (const r of rows) {
    let b = 0;
    for (let j = 1; j < r.length; j++) if (isMax ? x[r[j]] > x[r[b]] : x[r[j]] < x[r[b]]) b = j;
    v.push(x[r[b]]);
    ix.push(b);
  }
  return { v, i: ix };
}

function refSoftmax(x: ArrayLike<number>, shape: number[], dim: number, log: boolean): Float64Array {
  const out = new Float64Array(x.length);
  for (const r of rowsOf(shape, [dim])) {
    const m = Math.max(...r.map((i) => x[i]));
    const s = r.reduce((a, i) => a + Math.exp(x[i] - m), 0);
    for (const i of r) out[i] = log ? x[i] - m - Math.log(s) : Math.exp(x[i] - m) / s;
  }
  return out;
}

/** Data with many exact ties: small integers as floats. */
const tied = (n: number, seed: number): Float64Array => Float64Array.from(randInts(n, seed, -3, 4));

async function arr(t: Tensor): Promise<number[]> {
  return Array.from(await t.toArray());
}

// ---- sum and mean ----

const SUM_CASES: Array<[number[], number | number[] | undefined, boolean]> = [
  [[1], undefined, false], [[7], 0, false], [[65], -1, true], [[257], undefined, false],
  [[3, 5], 0, false], [[3, 5], 1, true], [[3, 5], [-1, -2], false],
  [[4, 6, 5], [0, 2], false], // non-adjacent dims: the copy path
  [[4, 6, 5], 1, true], [[2, 3, 4, 5], [1, 2], false], [[2, 3, 4, 5], [0, 3], true],
  [[300, 7], 1, false], [[7, 300], 0, false], [[5, 1030], -1, false], [[33, 1, 9], [1, 2], false],
];

test('sum and mean: dims, negative dims, keepdim, odd sizes', async () => {
  for (const dev of await backends()) {
    let seed = 10;
    for (const [shape, dim, keepdim] of SUM_CASES) {
      const { t, x } = rt(shape, seed++, dev);
      const dims = norm(dim, shape.length);
      const rows = rowsOf(shape, dims);
      const s = refSum(x, rows);
      const what = `${dev} ${JSON.stringify(shape)} dim ${JSON.stringify(dim)} keepdim ${keepdim}`;
      const ys = sg.sum(t, dim, keepdim);
      assert.equal(ys.shape, outShape(shape, dims, keepdim), what);
      allclose(await ys.toArray(), s, { rtol: 1e-5, atol: 1e-4 }, `sum ${what}`);
      const ym = t.mean(dim, keepdim);
      allclose(await ym.toArray(), s.map((v, i) => v / rows[i].length), { rtol: 1e-5, atol: 1e-5 }, `mean ${what}`);
      [t, ys, ym].forEach((z) => z.dispose());
    }
  }
});

test('sum: strided inputs (transposed, sliced), 0-d, empty dims, many rows', async () => {
  for (const dev of await backends()) {
    const { t, x } = rt([6, 9, 4], 3, dev);
    const p = t.permute([2, 0, 1]); // [4, 6, 9], strides [1, 36, 4]
    const pShape = [4, 6, 9];
    const px = new Float64Array(4 * 6 * 9);
    forEachIndex(pShape, (i, [a, b, c]) => { px[i] = x[b * 36 + c * 4 + a]; });
    for (const dim of [0, 1, 2, [0, 2], [1, 2], undefined] as Array<number | number[] | undefined>) {
      const dims = norm(dim, 3);
      allclose(await p.sum(dim).toArray(), refSum(px, rowsOf(pShape, dims)), { atol: 1e-5 }, `${dev} permuted sum dim ${JSON.stringify(dim)}`);
    }
    const sl = t.slice(1, 2, 9, 3); // [6, 3, 4]
    const sx = new Float64Array(6 * 3 * 4);
    forEachIndex([6, 3, 4], (i, [a, b, c]) => { sx[i] = x[a * 36 + (2 + 3 * b) * 4 + c]; });
    allclose(await sl.sum(1).toArray(), refSum(sx, rowsOf([6, 3, 4], [1])), { atol: 1e-5 }, `${dev} sliced sum`);
    allclose(await sl.mean([0, 2], true).toArray(), refSum(sx, rowsOf([6, 3, 4], [0, 2])).map((v) => v / 24), { atol: 1e-5 }, `${dev} sliced mean`);

    const z = sg.tensor(2.5, { device: dev });
    assert.equal(z.sum().shape, []);
    assert.equal(await z.sum(0).item(), 2.5);
    assert.equal(await z.mean(-1, true).item(), 2.5);

    const e = sg.zeros([3, 0, 2], { device: dev });
    assert.equal(Array.from(await e.sum(1).toArray()), [0, 0, 0, 0, 0, 0]);
    assert.equal(e.sum(0).shape, [0, 2]);

    // more rows than one dispatch dimension holds (65535 workgroups)
    const rows = 66000;
    const { t: big, x: bx } = rt([rows, 2], 4, dev);
    const got = await big.sum(1).toArray();
    allclose(got, Array.from({ length: rows }, (_, i) => bx[2 * i] + bx[2 * i + 1]), { atol: 1e-6 }, `${dev} ${rows} rows`);
    const gotM = await big.max(1).indices.toArray();
    assertEqualArrays(gotM, Array.from({ length: rows }, (_, i) => (bx[2 * i + 1] > bx[2 * i] ? 1 : 0)), `${dev} ${rows} rows argmax`);
    // a few long rows: the GPU sums chunks first, then the partial sums
    const { t: long, x: lx } = rt([3, 30001], 7, dev);
    const lrows = rowsOf([3, 30001], [1]);
    allclose(await long.sum(1).toArray(), refSum(lx, lrows), { rtol: 1e-5, atol: 1e-3 }, `${dev} long rows sum`);
    allclose([await long.mean().item()], [refSum(lx, [lrows.flat()])[0] / 90003], { atol: 1e-6 }, `${dev} long mean`);
    const lt = long.T; // [30001, 3]: rows of stride 3
    allclose(await lt.mean(0, true).toArray(), refSum(lx, lrows).map((v) => v / 30001), { atol: 1e-6 }, `${dev} long strided mean`);
    const li = sg.tensor(randInts(50000, 8, -100, 100), { device: dev });
    assert.is(await li.sum().item(), Array.from(await li.toArray()).reduce((a, b) => a + b, 0));
    sg.tidy(() => [t, p, sl, z, e, big, long, lt, li].forEach((a) => a.dispose()));
  }
});

test('sum of int32 stays int32 and exact; mean of int32 is an error', async () => {
  for (const dev of await backends()) {
    const xi = randInts(5 * 67, 5, -1000, 1000);
    const t = sg.tensor(xi, { shape: [5, 67], device: dev });
    const s = t.sum(1);
    assert.is(s.dtype, 'int32');
    assertEqualArrays(await s.toArray(), refSum(xi, rowsOf([5, 67], [1])), `${dev} int sum`);
    assert.is(await t.sum().item(), Array.from(xi).reduce((a, b) => a + b, 0));
    const m = t.max(0);
    assert.is(m.values.dtype, 'int32');
    const r = refArg(xi, rowsOf([5, 67], [0]), true);
    assertEqualArrays(await m.values.toArray(), r.v, `${dev} int max`);
    assertEqualArrays(await m.indices.toArray(), r.i, `${dev} int max indices`);
    throwsWith(() => t.mean(), /mean/, /int32/);
    throwsWith(() => sg.mean(t, 1), /mean/, /int32/);
    assert.is(await t.sum().item(), Array.from(xi).reduce((a, b) => a + b, 0));
  }
});

test('float16 sum and softmax (where the backend has float16)', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) continue;
    const { t, x } = rt([9, 70], 6, dev, { dtype: 'float16' });
    const s = t.sum(-1);
    assert.is(s.dtype, 'float16');
    allclose(await s.toArray(), refSum(x, rowsOf([9, 70], [1])), { rtol: 1e-2, atol: 5e-2 }, `${dev} f16 sum`);
    allclose(await t.softmax(0).toArray(), refSoftmax(x, [9, 70], 0, false), { rtol: 1e-2, atol: 1e-3 }, `${dev} f16 softmax`);
  }
});

test('sum, mean, max/min over a strided dim (columns): one pass and chunked, f32/int32/f16, strided views; the kernels are the column ones on WebGPU', async () => {
  const devs = await backends();
  for (const dev of devs) {
    let seed = 90;
    // [shape, dim]: short columns (a workgroup per row), a middle dim of many rows (one pass),
    // long columns (chunked, then summed again), a kept dim split in two, columns the
    // workgroup does not divide; max/min take columns from 256 rows.
    const cases: Array<[number[], number | number[]]> = [[[37, 64], 0], [[3, 9, 4100], 1], [[1100, 1000], 0], [[2, 4, 3, 2900], [1, 2]], [[6, 300, 70], 1], [[3, 1200, 301], 1]];
    const run = async (): Promise<void> => {
      for (const [shape, dim] of cases) {
        const { t, x } = rt(shape, seed++, dev);
        const dims = norm(dim, shape.length);
        const rows = rowsOf(shape, dims);
        const what = `${dev} ${JSON.stringify(shape)} dim ${JSON.stringify(dim)}`;
        const s = refSum(x, rows);
        allclose(await t.sum(dim).toArray(), s, { rtol: 1e-5, atol: 1e-4 }, `sum ${what}`);
        allclose(await t.mean(dim, true).toArray(), s.map((v, i) => v / rows[i].length), { rtol: 1e-5, atol: 1e-5 }, `mean ${what}`);
        const xi = randInts(x.length, seed++, -1000, 1000);
        const ti = sg.tensor(xi, { shape, device: dev });
        assertEqualArrays(await ti.sum(dim).toArray(), refSum(xi, rows), `int32 sum ${what}`);
        if (typeof dim === 'number') {
          for (const isMax of [true, false]) {
            const xt = tied(x.length, seed++);
            const tt = sg.tensor(xt, { shape, device: dev });
            const r = refArg(xt, rows, isMax);
            const { values, indices } = isMax ? tt.max(dim) : tt.min(dim);
            assertEqualArrays(await values.toArray(), r.v, `${isMax ? 'max' : 'min'} ${what}`);
            assertEqualArrays(await indices.toArray(), r.i, `${isMax ? 'max' : 'min'} indices ${what}`);
            tt.dispose(); values.dispose(); indices.dispose();
          }
        }
        if (dev === 'cpu' || sg.deviceInfo().features.includes('shader-f16')) {
          const { t: th, x: xh } = rt(shape, seed++, dev, { dtype: 'float16' });
          allclose(await th.sum(dim).toArray(), refSum(xh, rowsOf(shape, dims)), { rtol: 1e-2, atol: 0.1 }, `f16 sum ${what}`);
          th.dispose();
        }
        // The same columns through a transposed view: (n, m)ᵀ summed over its rows.
        if (shape.length === 2) {
          const { t: tv, x: xv } = rt([shape[1], shape[0]], seed++, dev);
          const xT = new Float64Array(xv.length);
          forEachIndex(shape, (i, [a, b]) => { xT[i] = xv[b * shape[0] + a]; });
          // tv.T has strides (1, shape[0]): its dim 1 is the strided one, its rows neighbours.
          allclose(await tv.T.sum(1).toArray(), refSum(xT, rowsOf(shape, [1])), { rtol: 1e-5, atol: 1e-4 }, `transposed sum ${what}`);
          tv.dispose();
        }
        [t, ti].forEach((z) => z.dispose());
      }
    };
    if (dev === 'cpu') { await run(); continue; }
    const keys = await keysOf(run);
    for (const k of ['reduce:col:sum:val:f32>f32', 'reduce:col:sum_part:f32>f32', 'reduce:col:sum:val:i32>i32', 'reduce:col:max:idx:f32>f32']) {
      if (!keys.has(k)) throw new Error(`no ${k} kernel among ${[...keys].join(', ')}`);
    }
  }
});

// ---- max, min, amax, amin, argmax ----

test('max/min along a dim: values and first-occurrence indices, keepdim; argmax', async () => {
  for (const dev of await backends()) {
    const cases: Array<[number[], number]> = [[[1], 0], [[7], -1], [[65, 3], 0], [[3, 257], 1], [[4, 5, 6], 1], [[300, 9], -1], [[2, 3, 130], -2]];
    let seed = 30;
    for (const [shape, dim] of cases) {
      for (const data of ['random', 'tied']) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = data === 'tied' ? tied(n, seed++) : Float64Array.from(new Float32Array(randArray(n, seed++)));
        const t = sg.tensor(x, { shape, device: dev });
        const d = norm(dim, shape.length);
        const rows = rowsOf(shape, d);
        for (const isMax of [true, false]) {
          for (const keepdim of [false, true]) {
            const what = `${dev} ${isMax ? 'max' : 'min'} ${JSON.stringify(shape)} dim ${dim} ${data} keepdim ${keepdim}`;
            const r = refArg(x, rows, isMax);
            const { values, indices } = isMax ? t.max(dim, keepdim) : t.min(dim, keepdim);
            assert.equal(values.shape, outShape(shape, d, keepdim), what);
            assert.is(indices.dtype, 'int32');
            assertEqualArrays(await values.toArray(), r.v, what);
            assertEqualArrays(await indices.toArray(), r.i, `${what} indices`);
            if (isMax) assertEqualArrays(await t.argmax(dim, keepdim).toArray(), r.i, `${what} argmax`);
          }
        }
        const all = rowsOf(shape, norm(undefined, shape.length));
        assert.is(await t.max().item(), refArg(x, all, true).v[0]);
        assert.is(await sg.amin(t).item(), refArg(x, all, false).v[0]);
        assert.equal(sg.amax(t).shape, []);
        t.dispose();
      }
    }
  }
});

// ---- softmax and logSoftmax ----

test('softmax / logSoftmax: every dim, strided input, large logits stay finite', async () => {
  for (const dev of await backends()) {
    const cases: Array<[number[], number]> = [[[1], 0], [[7], -1], [[4, 65], 1], [[257, 3], 0], [[3, 5, 7], 1], [[300, 10], -1], [[2, 1030], -1]];
    let seed = 50;
    for (const [shape, dim] of cases) {
      const { t, x } = rt(shape, seed++, dev, { lo: -4, hi: 4 });
      const d = norm(dim, shape.length)[0];
      allclose(await t.softmax(dim).toArray(), refSoftmax(x, shape, d, false), { rtol: 1e-5, atol: 1e-6 }, `${dev} softmax ${JSON.stringify(shape)} ${dim}`);
      allclose(await sg.logSoftmax(t, dim).toArray(), refSoftmax(x, shape, d, true), { rtol: 1e-5, atol: 1e-5 }, `${dev} logSoftmax ${JSON.stringify(shape)} ${dim}`);
      t.dispose();
    }
    const { t, x } = rt([5, 8], 60, dev, { lo: 1000, hi: 1010 });
    const tt = t.transpose(0, 1); // [8, 5], softmax over the strided dim
    const tx = new Float64Array(40);
    forEachIndex([8, 5], (i, [a, b]) => { tx[i] = x[b * 8 + a]; });
    allclose(await tt.softmax(1).toArray(), refSoftmax(tx, [8, 5], 1, false), { rtol: 1e-4, atol: 1e-6 }, `${dev} softmax of large, transposed logits`);
    allclose(await tt.logSoftmax(0).toArray(), refSoftmax(tx, [8, 5], 0, true), { rtol: 1e-4, atol: 1e-4 }, `${dev} logSoftmax of large, transposed logits`);
    assert.is(await sg.tensor(3, { device: dev }).softmax(0).item(), 1);
  }
});

// ---- crossEntropy ----

function refXent(x: ArrayLike<number>, n: number, c: number, target: ArrayLike<number>): number[] {
  return Array.from({ length: n }, (_, i) => {
    const row = Array.from({ length: c }, (_, j) => x[i * c + j]);
    const m = Math.max(...row);
    return m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - row[target[i]];
  });
}

test('crossEntropy: mean, sum, none; [N, C] and [C]', async () => {
  for (const dev of await backends()) {
    for (const [n, c] of [[1, 1], [7, 3], [65, 10], [300, 7], [4, 257]]) {
      const { t, x } = rt([n, c], 70 + n, dev, { lo: -3, hi: 3 });
      const tg = randInts(n, 80 + c, 0, c);
      const target = sg.tensor(tg, { device: dev });
      const ref = refXent(x, n, c, tg);
      const what = `${dev} [${n}, ${c}]`;
      const none = sg.crossEntropy(t, target, { reduction: 'none' });
      assert.equal(none.shape, [n]);
      allclose(await none.toArray(), ref, { rtol: 1e-5, atol: 1e-5 }, `${what} none`);
      const total = ref.reduce((a, b) => a + b, 0);
      allclose([await sg.crossEntropy(t, target, { reduction: 'sum' }).item()], [total], { rtol: 1e-5, atol: 1e-4 }, `${what} sum`);
      const mean = sg.crossEntropy(t, target);
      assert.equal(mean.shape, []);
      allclose([await mean.item()], [total / n], { rtol: 1e-5, atol: 1e-5 }, `${what} mean`);
    }
    const { t, x } = rt([9], 90, dev);
    const one = sg.crossEntropy(t, sg.tensor(new Int32Array([4]), { shape: [], device: dev }));
    allclose([await one.item()], refXent(x, 1, 9, [4]), { atol: 1e-6 }, `${dev} [C] logits`);
  }
});

// ---- topk ----

function refTopk(x: ArrayLike<number>, shape: number[], dim: number, k: number, largest: boolean): { v: number[]; i: number[] } {
  // reference output is laid out with the k results along `dim`
  const rows = rowsOf(shape, [dim]);
  const oshape = shape.map((s, i) => (i === dim ? k : s));
  const orows = rowsOf(oshape, [dim]);
  const v = new Array<number>(oshape.reduce((a, b) => a * b, 1));
  const ix = new Array<number>(v.length);
  rows.forEach((r, ri) => {
    const order = r.map((_, j) => j).sort((a, b) => (largest ? x[r[b]] - x[r[a]] : x[r[a]] - x[r[b]]) || a - b);
    for (let q = 0; q < k; q++) { v[orows[ri][q]] = x[r[order[q]]]; ix[orows[ri][q]] = order[q]; }
  });
  return { v, i: ix };
}

test('topk: largest and smallest, any dim, ties give the lower index first', async () => {
  for (const dev of await backends()) {
    const cases: Array<[number[], number, number]> = [[[1], 1, 0], [[7], 3, -1], [[65, 8], 2, 1], [[300, 64], 8, -1], [[5, 257], 7, 1], [[9, 6, 4], 4, 1], [[6, 3], 6, 0]];
    let seed = 100;
    for (const [shape, k, dim] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      for (const x of [Float64Array.from(new Float32Array(randArray(n, seed++))), tied(n, seed++)]) {
        const t = sg.tensor(x, { shape, device: dev });
        const d = norm(dim, shape.length)[0];
        for (const largest of [true, false]) {
          const what = `${dev} topk ${JSON.stringify(shape)} k ${k} dim ${dim} largest ${largest}`;
          const r = refTopk(x, shape, d, k, largest);
          const { values, indices } = t.topk(k, dim, largest);
          assert.equal(values.shape, shape.map((s, i) => (i === d ? k : s)), what);
          assert.is(indices.dtype, 'int32');
          assertEqualArrays(await values.toArray(), r.v, what);
          assertEqualArrays(await indices.toArray(), r.i, `${what} indices`);
        }
        t.dispose();
      }
    }
    const ints = sg.tensor(new Int32Array([5, -2, 9, 9, 0]), { device: dev });
    const r = ints.topk(2);
    assert.equal(Array.from(await r.values.toArray()), [9, 9]);
    assert.equal(Array.from(await r.indices.toArray()), [2, 3]);
  }
});

// ---- gradients ----

type Op = { name: string; shapes: number[][]; fn: (...xs: Tensor[]) => Tensor; ints?: Array<(dev: Dev) => Tensor> };

const GRAD_OPS: Op[] = [
  { name: 'sum all', shapes: [[3, 4]], fn: (x) => x.sum() },
  { name: 'sum dims keepdim', shapes: [[3, 4, 5]], fn: (x) => x.sum([0, -1], true) },
  { name: 'sum middle', shapes: [[2, 7, 3]], fn: (x) => x.sum(1) },
  { name: 'mean', shapes: [[5, 6]], fn: (x) => x.mean(0) },
  { name: 'mean all of a transposed view', shapes: [[4, 3]], fn: (x) => x.T.mean() },
  { name: 'amax', shapes: [[4, 5]], fn: (x) => sg.amax(x) },
  { name: 'amin', shapes: [[7]], fn: (x) => x.min() },
  { name: 'max dim', shapes: [[4, 6]], fn: (x) => x.max(1).values },
  { name: 'min dim keepdim', shapes: [[5, 3, 2]], fn: (x) => x.min(0, true).values },
  { name: 'softmax last', shapes: [[3, 7]], fn: (x) => x.softmax(-1) },
  { name: 'softmax dim 0', shapes: [[5, 4]], fn: (x) => x.softmax(0) },
  { name: 'logSoftmax', shapes: [[2, 3, 4]], fn: (x) => x.logSoftmax(1) },
  { name: 'topk', shapes: [[4, 9]], fn: (x) => x.topk(3, 1).values },
  { name: 'topk smallest dim 0', shapes: [[6, 3]], fn: (x) => x.topk(2, 0, false).values },
];

const XENT_OPS: Array<{ name: string; n: number; c: number; reduction: 'mean' | 'sum' | 'none' }> = [
  { name: 'crossEntropy mean', n: 5, c: 4, reduction: 'mean' },
  { name: 'crossEntropy sum', n: 3, c: 6, reduction: 'sum' },
  { name: 'crossEntropy none', n: 4, c: 3, reduction: 'none' },
];

test('gradcheck: every op (CPU float64)', async () => {
  let seed = 200;
  for (const op of GRAD_OPS) {
    const xs = op.shapes.map((s) => rt(s, seed++, 'cpu').t);
    try {
      await sg.gradcheck(op.fn, xs);
    } catch (e) {
      throw new Error(`${op.name}: ${(e as Error).message}`);
    }
  }
  for (const op of XENT_OPS) {
    const x = rt([op.n, op.c], seed++, 'cpu', { lo: -2, hi: 2 }).t;
    const target = sg.tensor(randInts(op.n, seed++, 0, op.c), { device: 'cpu' });
    await sg.gradcheck((l, tg) => sg.crossEntropy(l, tg, { reduction: op.reduction }), [x, target]);
  }
  const c1 = rt([6], seed++, 'cpu').t;
  await sg.gradcheck((l) => sg.crossEntropy(l, sg.tensor(new Int32Array([2]), { shape: [], device: 'cpu' })), [c1]);
});

test('gradients: amax ties share evenly, max/topk route to the index', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([3, 1, 3, 2, 3], { device: dev, requiresGrad: true });
    sg.amax(x).mul(6).backward();
    assert.equal(Array.from(await x.grad!.toArray()), [2, 0, 2, 0, 2]);
    const y = sg.tensor([[1, 5, 5], [7, 0, 7]], { device: dev, requiresGrad: true });
    y.max(1).values.sum().backward();
    assert.equal(Array.from(await y.grad!.toArray()), [0, 1, 0, 1, 0, 0]);
    const z = sg.tensor([[0.5, 2, -1, 2, 4]], { device: dev, requiresGrad: true });
    const tk = z.topk(3);
    tk.values.mul(sg.tensor([[10, 20, 30]], { device: dev })).sum().backward();
    assert.equal(Array.from(await z.grad!.toArray()), [0, 20, 0, 30, 10]);
  }
});

test('gradients on WebGPU match the CPU float64 autograd gradients', async () => {
  const devs = await backends();
  if (!devs.includes('webgpu')) return;
  let seed = 300;
  const cases: Array<{ name: string; shapes: number[][]; fn: (...xs: Tensor[]) => Tensor; target?: [number, number] }> = [
    ...GRAD_OPS,
    { name: 'sum rows > 256', shapes: [[300, 5]], fn: (x) => x.sum(1).mul(x.sum(1)) },
    { name: 'mean big', shapes: [[65, 257]], fn: (x) => x.mean([0]) },
    { name: 'softmax wide', shapes: [[7, 257]], fn: (x) => x.softmax(1) },
    { name: 'logSoftmax many rows', shapes: [[300, 9]], fn: (x) => x.logSoftmax(-1) },
    { name: 'max many rows', shapes: [[300, 65]], fn: (x) => x.max(1).values },
    { name: 'topk moe-like', shapes: [[300, 64]], fn: (x) => x.topk(8).values },
    { name: 'broadcast add backward (sumToShape)', shapes: [[65, 7], [7]], fn: (a, b) => a.add(b).mul(a) },
  ];
  for (const c of cases) {
    const gpu = c.shapes.map((s) => rt(s, seed++, 'webgpu', { requiresGrad: true }).t);
    const cpu = await f64Copies(gpu);
    const got = await gradsOf(c.fn, gpu);
    const want = await gradsOf(c.fn, cpu);
    allclose(got.out, want.out, { rtol: 1e-4, atol: 1e-5 }, `${c.name} output`);
    got.grads.forEach((g, i) => allclose(g!, want.grads[i]!, { rtol: 1e-4, atol: 1e-5 }, `${c.name} grad ${i}`));
    sg.tidy(() => [...gpu, ...cpu].forEach((t) => t.dispose()));
  }
  for (const [n, cls, reduction] of [[5, 4, 'mean'], [300, 10, 'sum'], [65, 7, 'none']] as Array<[number, number, 'mean' | 'sum' | 'none']>) {
    const l = rt([n, cls], seed++, 'webgpu', { requiresGrad: true, lo: -3, hi: 3 }).t;
    const tg = randInts(n, seed++, 0, cls);
    const [lc] = await f64Copies([l]);
    const fn = (dev: Dev) => (x: Tensor) => sg.crossEntropy(x, sg.tensor(tg, { device: dev }), { reduction });
    const got = await gradsOf(fn('webgpu'), [l]);
    const want = await gradsOf(fn('cpu'), [lc]);
    allclose(got.out, want.out, { rtol: 1e-4, atol: 1e-5 }, `crossEntropy ${reduction} output`);
    allclose(got.grads[0]!, want.grads[0]!, { rtol: 1e-4, atol: 1e-6 }, `crossEntropy ${reduction} grad`);
  }
});

// ---- bad input ----

test('bad input throws naming op, argument and shapes/values; the next call works', async () => {
  for (const dev of await backends()) {
    const { t } = rt([3, 4], 400, dev);
    throwsWith(() => t.sum(2), /sum/, /dim 2/, /2 dims/);
    throwsWith(() => t.sum([0, -2]), /sum/, /dim 0/, /more than once/);
    throwsWith(() => sg.mean(t, 1.5), /mean/, /dim 1.5/);
    throwsWith(() => sg.sum(null as unknown as Tensor), /sum/, /input/, /Tensor/);
    throwsWith(() => t.max(-3), /max/, /dim -3/);
    throwsWith(() => t.argmax(5), /argmax/, /dim 5/);
    throwsWith(() => sg.max(sg.zeros([2, 0], { device: dev }), 1), /max/, /zero-size/, /\[2, 0\]/);
    throwsWith(() => sg.amax(sg.zeros([0], { device: dev })), /amax/, /zero-size/);
    throwsWith(() => t.softmax(2), /softmax/, /dim 2/);
    throwsWith(() => sg.tensor(new Int32Array([1, 2]), { device: dev }).softmax(0), /softmax/, /int32/);
    throwsWith(() => t.topk(5, 1), /topk/, /k \(5\)/, /size of dim 1/, /\[3, 4\]/);
    throwsWith(() => t.topk(2, 2), /topk/, /dim 2/);
    throwsWith(() => t.topk(1.5), /topk/, /k \(1.5\)/);
    throwsWith(() => t.sum(0, 'yes' as unknown as boolean), /sum/, /keepdim/);
    // A 0-d tensor takes dim 0 or -1, but not both at once: PyTorch's "dim 0 appears multiple
    // times in the list of dims" for sum/mean/amax/amin/var/any/logsumexp([0, -1]).
    const z = sg.tensor(3.5, { device: dev });
    for (const [op, f] of [
      ['sum', () => z.sum([0, -1])], ['mean', () => z.mean([-1, 0])], ['amax', () => z.amax([0, -1])], ['amin', () => z.amin([0, 0])],
      ['var', () => z.var([0, -1])], ['any', () => z.any([0, -1])], ['logsumexp', () => sg.logsumexp(z, [0, -1])],
    ] as Array<[string, () => Tensor]>) throwsWith(f, new RegExp(`^${op}: `), /dim 0/, /more than once/);
    assert.is(await z.amax([0]).item(), 3.5);
    assert.is(await z.sum([-1], true).item(), 3.5);
    z.dispose();

    const logits = rt([4, 3], 401, dev).t;
    const good = sg.tensor(new Int32Array([0, 2, 1, 1]), { device: dev });
    throwsWith(() => sg.crossEntropy(logits, sg.tensor([0, 2, 1, 1], { device: dev })), /crossEntropy/, /target/, /int32/, /float32/);
    throwsWith(() => sg.crossEntropy(logits, sg.tensor(new Int32Array([0, 1]), { device: dev })), /crossEntropy/, /target/, /\[2\]/, /\[4, 3\]/);
    throwsWith(() => sg.crossEntropy(logits, good, { reduction: 'avg' as 'mean' }), /crossEntropy/, /reduction/, /avg/);
    throwsWith(() => sg.crossEntropy(sg.zeros([2, 3, 4], { device: dev }), good), /crossEntropy/, /logits/, /\[2, 3, 4\]/);
    if (dev === 'cpu') {
      throwsWith(() => sg.crossEntropy(logits, sg.tensor(new Int32Array([0, 3, 1, 1]), { device: dev })), /crossEntropy/, /target value 3/, /index 1/, /3 classes/);
      throwsWith(() => sg.crossEntropy(logits, sg.tensor(new Int32Array([0, 1, -1, 1]), { device: dev })), /crossEntropy/, /target value -1/);
    }
    const d = rt([2, 2], 402, dev).t;
    d.dispose();
    for (const f of [() => d.sum(), () => d.max(0), () => d.softmax(0), () => d.topk(1), () => sg.crossEntropy(d, good.narrow(0, 0, 2))]) {
      throwsWith(f, /disposed/);
    }
    // the next call works
    const s = await t.sum().item();
    assert.ok(Number.isFinite(s));
    assert.ok(Number.isFinite(await sg.crossEntropy(logits, good).item()));
    assert.equal(t.topk(2).values.shape, [3, 2]);
  }
});

test('no tensors leak from reductions under tidy, with and without grad', async () => {
  for (const dev of await backends()) {
    const x = rt([30, 9], 500, dev, { requiresGrad: true }).t;
    const tg = sg.tensor(randInts(30, 501, 0, 9), { device: dev });
    const before = sg.liveTensors();
    for (let i = 0; i < 3; i++) {
      sg.tidy(() => {
        const l = sg.crossEntropy(x, tg).add(x.softmax(1).max(1).values.sum()).add(x.topk(2).values.mean()).add(x.permute([1, 0]).sum([1]).max());
        l.backward();
      });
      x.grad?.dispose();
      x.grad = null;
    }
    assert.is(sg.liveTensors(), before);
  }
});

test.run();
