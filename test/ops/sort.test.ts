// sort and argsort on every backend against a reference stable sort written here: ties keep
// their order, NaN is the largest (first when descending), -0 equals 0, rows longer than a
// workgroup and not a power of two, strided dims, int32 and float16; the values' gradient
// goes back through the indices (gradcheck, and WebGPU against float64).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import { allclose, arr, assertEqualArrays, backends, f64Copies, forEachIndex, gradsOf, keysOf, randInts, rt, throwsBeforeWork } from '../helpers.js';

const test = suite('sort');

/** Reference: per row along `dim` of a row-major `shape`, a stable insertion sort. */
function refSort(x: ArrayLike<number>, shape: number[], dim: number, desc: boolean): { v: number[]; i: number[] } {
  const v = new Array<number>(x.length);
  const ix = new Array<number>(x.length);
  const n = shape[dim];
  const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  // rank: NaN above everything, -0 == 0
  const before = (a: number, b: number): boolean => {
    if (Number.isNaN(a) || Number.isNaN(b)) return desc ? Number.isNaN(a) && !Number.isNaN(b) : !Number.isNaN(a) && Number.isNaN(b);
    return desc ? a > b : a < b;
  };
  forEachIndex(shape, (flat, idx) => {
    if (idx[dim] !== 0) return;
    const row: number[] = [];
    for (let j = 0; j < n; j++) row.push(j);
    // insertion sort moves an element only past strictly-after ones: stable
    for (let a = 1; a < n; a++) {
      const k = row[a];
      let b = a - 1;
      while (b >= 0 && before(x[flat + k * stride], x[flat + row[b] * stride])) { row[b + 1] = row[b]; b--; }
      row[b + 1] = k;
    }
    row.forEach((j, q) => { v[flat + q * stride] = x[flat + j * stride]; ix[flat + q * stride] = j; });
  });
  return { v, i: ix };
}

test('sort matches a stable reference: ties, dims, descending, odd and long rows', async () => {
  let seed = 1;
  const cases: Array<[number[], number]> = [[[7], 0], [[5, 9], 1], [[5, 9], 0], [[3, 4, 6], 1], [[2, 300], -1], [[1, 1025], 1], [[4, 1], 1], [[33, 3], 0]];
  for (const dev of await backends()) {
    for (const [shape, dim] of cases) {
      for (const desc of [false, true]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = Array.from(randInts(n, seed++, -4, 5)); // many ties
        const t = sg.tensor(x, { shape, device: dev });
        const d = (dim + shape.length) % shape.length;
        const want = refSort(x, shape, d, desc);
        const what = `${dev} ${JSON.stringify(shape)} dim ${dim} desc ${desc}`;
        const { values, indices } = t.sort(dim, desc);
        assert.is(indices.dtype, 'int32');
        assertEqualArrays(await arr(values), want.v, `${what} values`);
        assertEqualArrays(await arr(indices), want.i, `${what} indices`);
        assertEqualArrays(await arr(sg.argsort(t, dim, desc)), want.i, `${what} argsort`);
        const o = sg.sort(t, { dim, descending: desc, stable: true });
        assertEqualArrays(await arr(o.indices), want.i, `${what} options`);
        o.values.dispose();
        t.dispose();
      }
    }
    // random floats on a transposed (strided) view
    const { t, x } = rt([6, 11], 3, dev);
    const xt = Array.from({ length: 66 }, (_, k) => x[(k % 6) * 11 + Math.floor(k / 6)]);
    const want = refSort(xt, [11, 6], 1, false);
    const s = t.T.sort();
    assertEqualArrays(await arr(s.values), want.v, `${dev} transposed values`);
    assertEqualArrays(await arr(s.indices), want.i, `${dev} transposed indices`);
    t.dispose();
  }
});

test('sort: NaN largest both ways, ±Inf, -0 equal to 0 (stable), int32 extremes, float16, empty, 0-d', async () => {
  const N = NaN;
  const I = Infinity;
  for (const dev of await backends()) {
    const x = sg.tensor([3, N, -I, 0, -0, I, N, -1, 0], { device: dev });
    const xs = [3, N, -I, 0, -0, I, N, -1, 0];
    for (const desc of [false, true]) {
      const want = refSort(xs, [9], 0, desc);
      const { values, indices } = x.sort(0, desc);
      const got = await arr(values);
      assertEqualArrays(got, want.v, `${dev} desc ${desc} values`);
      assertEqualArrays(await arr(indices), want.i, `${dev} desc ${desc} indices`);
      // -0 and 0 keep their order and their signs
      const gi = want.i.indexOf(4);
      assert.ok(Object.is(got[gi], -0), `${dev} -0 keeps its sign`);
    }
    assertEqualArrays(refSort(xs, [9], 0, false).i, [2, 7, 3, 4, 8, 0, 5, 1, 6], 'reference order (NaN last)');
    assertEqualArrays(refSort(xs, [9], 0, true).i, [1, 6, 5, 0, 3, 4, 8, 7, 2], 'reference order descending (NaN first)');
    const ints = sg.tensor([5, -2147483648, 2147483647, 0, -1], { device: dev, dtype: 'int32' });
    const si = ints.sort();
    assert.is(si.values.dtype, 'int32');
    assertEqualArrays(await arr(si.values), [-2147483648, -1, 0, 5, 2147483647], `${dev} int32`);
    assertEqualArrays(await arr(si.indices), [1, 4, 3, 0, 2], `${dev} int32 indices`);
    const h = sg.tensor([0.5, -2, 1e4, 0.5, NaN], { device: dev, dtype: 'float16' });
    const sh = h.sort(-1, true);
    assertEqualArrays(await arr(sh.values), [NaN, 1e4, 0.5, 0.5, -2], `${dev} float16`);
    assertEqualArrays(await arr(sh.indices), [4, 2, 0, 3, 1], `${dev} float16 indices`);
    const e = sg.zeros([3, 0], { device: dev });
    const se = e.sort(1);
    assert.equal(se.values.shape, [3, 0]);
    assert.equal(se.indices.shape, [3, 0]);
    const z = sg.tensor(4, { device: dev });
    const sz = z.sort();
    assertEqualArrays(await arr(sz.values), [4], `${dev} 0-d`);
    assertEqualArrays(await arr(sz.indices), [0], `${dev} 0-d index`);
    for (const t of [x, ints, si.values, si.indices, h, e, se.values, se.indices, z]) t.dispose();
  }
});

test('sort gradient scatters back through the indices (gradcheck, WebGPU against float64)', async () => {
  await sg.gradcheck((a) => a.sort(1).values, [sg.tensor([0.3, -1.2, 2.5, 0.9, 1.1, -0.4, 0.1, 0.2], { shape: [2, 4], dtype: 'float64', device: 'cpu' })]);
  await sg.gradcheck((a) => a.sort(0, true).values, [sg.tensor([0.3, -1.2, 2.5, 0.9, 1.1, -0.4], { shape: [3, 2], dtype: 'float64', device: 'cpu' })]);
  for (const dev of await backends()) {
    const { t } = rt([3, 70], 4, dev, { requiresGrad: true });
    const [r] = await f64Copies([t]);
    const f = (a: sg.Tensor): sg.Tensor => a.sort(-1, true).values;
    const got = await gradsOf(f, [t]);
    const want = await gradsOf(f, [r]);
    allclose(got.out, want.out, { rtol: 1e-6, atol: 1e-7 }, `${dev} values`);
    allclose(got.grads[0]!, want.grads[0]!, { rtol: 1e-6, atol: 1e-7 }, `${dev} grads`);
    const x = sg.tensor([3, 1, 2], { device: dev, requiresGrad: true });
    x.sort().values.mul(sg.tensor([10, 20, 30], { device: dev })).sum().backward();
    assertEqualArrays(await x.grad!.toArray(), [30, 10, 20], `${dev} grad lands where each value came from`);
    t.dispose(); x.dispose();
  }
});

test('sort/argsort errors before any work', async () => {
  for (const dev of await backends()) {
    const x = sg.ones([2, 3], { device: dev });
    throwsBeforeWork('dim', () => x.sort(2), [/^sort: /]);
    throwsBeforeWork('descending', () => x.sort(0, 1 as never), [/^sort: descending must be a boolean/]);
    throwsBeforeWork('option', () => x.sort({ dims: 0 } as never), [/^sort: unknown option 'dims'/]);
    throwsBeforeWork('both', () => x.sort({ dim: 0 }, true), [/^sort: pass descending inside the options object/]);
    throwsBeforeWork('argsort dim', () => x.argsort([0] as never), [/^argsort: dim must be a number/]);
    x.dispose();
  }
});

test('WebGPU: rows up to 512 sort in workgroup memory, longer ones step by step; both give the reference', async () => {
  if (!(await backends()).includes('webgpu')) return;
  for (const [n, kernel] of [[512, 'bitonic:local'], [513, 'bitonic:step']] as Array<[number, string]>) {
    const x = Array.from(randInts(2 * n, n, -50, 50));
    const t = sg.tensor(x, { shape: [2, n], device: 'webgpu' });
    let got: { values: sg.Tensor; indices: sg.Tensor } | null = null;
    const keys = await keysOf(async () => { got = t.sort(1, true); });
    assert.ok([...keys].some((k) => k.startsWith(kernel)), `${n}: ${kernel} ran`);
    const want = refSort(x, [2, n], 1, true);
    assertEqualArrays(await arr(got!.values), want.v, `${n} values`);
    assertEqualArrays(await arr(got!.indices), want.i, `${n} indices`);
    t.dispose();
  }
});

test.run();
