import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import {
  allclose, assertEqualArrays, backends, f64Copies, forEachIndex, gradsOf, numel, randInts, rt, throwsWith, type Dev,
} from '../helpers.js';

const test = suite('gather');

// ---- float64 references on row-major arrays ----

const stridesOf = (shape: readonly number[]): number[] => shape.map((_, i) => numel(shape.slice(i + 1)));
const at = (x: ArrayLike<number>, shape: readonly number[], idx: readonly number[]): number => {
  const st = stridesOf(shape);
  return x[idx.reduce((acc, v, d) => acc + v * st[d], 0)];
};

function gatherRef(x: ArrayLike<number>, shape: number[], dim: number, ix: ArrayLike<number>, ixShape: number[]): number[] {
  const out: number[] = [];
  forEachIndex(ixShape, (i, idx) => {
    const src = [...idx];
    src[dim] = ix[i];
    out.push(at(x, shape, src));
  });
  return out;
}

function indexSelectRef(x: ArrayLike<number>, shape: number[], dim: number, ix: ArrayLike<number>): number[] {
  const outShape = [...shape];
  outShape[dim] = ix.length;
  const out: number[] = [];
  forEachIndex(outShape, (_i, idx) => {
    const src = [...idx];
    src[dim] = ix[idx[dim]];
    out.push(at(x, shape, src));
  });
  return out;
}

function indexAddRef(x: ArrayLike<number>, shape: number[], dim: number, ix: ArrayLike<number>, s: ArrayLike<number>, alpha: number): number[] {
  const out = Array.from(x);
  const sShape = [...shape];
  sShape[dim] = ix.length;
  const st = stridesOf(shape);
  forEachIndex(sShape, (i, idx) => {
    const dst = [...idx];
    dst[dim] = ix[idx[dim]];
    out[dst.reduce((acc, v, d) => acc + v * st[d], 0)] += alpha * s[i];
  });
  return out;
}

const norm = (dim: number, nd: number): number => (dim < 0 ? dim + nd : dim);
const idxT = (v: Int32Array, shape: number[], dev: Dev): Tensor => sg.tensor(v, { shape, dtype: 'int32', device: dev });

// ---- forward ----

test('gather matches the reference for several dims, odd sizes, views', async () => {
  const cases: Array<{ shape: number[]; dim: number; ix: number[] }> = [
    { shape: [7], dim: 0, ix: [65] },
    { shape: [257], dim: 0, ix: [1] },
    { shape: [1], dim: -1, ix: [7] },
    { shape: [3, 5, 4], dim: 1, ix: [2, 7, 4] },
    { shape: [3, 5, 4], dim: -1, ix: [3, 5, 9] },
    { shape: [3, 5, 4], dim: 0, ix: [4, 5, 2] },
    { shape: [65, 7], dim: 1, ix: [65, 1] },
    { shape: [2, 3, 1, 5], dim: 2, ix: [2, 2, 3, 5] },
  ];
  for (const dev of await backends()) {
    for (const [k, c] of cases.entries()) {
      const d = norm(c.dim, c.shape.length);
      const { t, x } = rt(c.shape, 10 + k, dev);
      const ix = randInts(numel(c.ix), 20 + k, 0, c.shape[d]);
      const index = idxT(ix, c.ix, dev);
      const y = sg.gather(t, c.dim, index);
      if (y.shape.join() !== c.ix.join()) throw new Error(`gather shape ${y.shape} != ${c.ix}`);
      assertEqualArrays(await y.toArray(), gatherRef(x, c.shape, d, ix, c.ix), `gather ${JSON.stringify(c)} on ${dev}`);
      sg.tidy(() => [t, index, y].forEach((z) => z.dispose()));
    }
    // strided input and strided index
    const { t, x } = rt([5, 6], 30, dev);
    const tt = t.transpose(0, 1); // [6, 5]
    const xt = Array.from({ length: 30 }, (_, i) => x[(i % 5) * 6 + Math.floor(i / 5)]);
    const ixBig = randInts(4 * 6, 31, 0, 6);
    const index = idxT(ixBig, [4, 6], dev).transpose(0, 1).slice(1, 0, 4, 2); // [6, 2], strides [1, 12]
    const ixDense = Int32Array.from(await index.toArray());
    const y = tt.gather(0, index);
    assertEqualArrays(await y.toArray(), gatherRef(xt, [6, 5], 0, ixDense, [6, 2]), `strided gather on ${dev}`);
    // 0-d
    const s = sg.tensor(3.5, { device: dev });
    const g0 = s.gather(0, sg.tensor(0, { dtype: 'int32', device: dev }));
    if (g0.ndim !== 0 || (await g0.item()) !== 3.5) throw new Error('0-d gather');
  }
});

test('indexSelect along dim 0 (row gather, vec4 and scalar paths), other dims, views', async () => {
  const cases: Array<{ shape: number[]; dim: number; n: number }> = [
    { shape: [65, 7], dim: 0, n: 257 }, // scalar row copy
    { shape: [9, 8], dim: 0, n: 65 }, // vec4 row copy
    { shape: [7], dim: 0, n: 7 },
    { shape: [1, 5], dim: 0, n: 1 },
    { shape: [5, 9], dim: 1, n: 13 },
    { shape: [3, 5, 4], dim: -2, n: 7 },
    { shape: [3, 5, 4], dim: 2, n: 1 },
    { shape: [4, 3, 2, 5], dim: 0, n: 6 },
  ];
  for (const dev of await backends()) {
    for (const [k, c] of cases.entries()) {
      const d = norm(c.dim, c.shape.length);
      const { t, x } = rt(c.shape, 40 + k, dev);
      const ix = randInts(c.n, 50 + k, 0, c.shape[d]);
      const index = idxT(ix, [c.n], dev);
      const y = t.indexSelect(c.dim, index);
      const want = [...c.shape];
      want[d] = c.n;
      if (y.shape.join() !== want.join()) throw new Error(`indexSelect shape ${y.shape} != ${want}`);
      assertEqualArrays(await y.toArray(), indexSelectRef(x, c.shape, d, ix), `indexSelect ${JSON.stringify(c)} on ${dev}`);
      sg.tidy(() => [t, index, y].forEach((z) => z.dispose()));
    }
    // views: narrowed rows at an offset that is (8) and is not (1) a multiple of 4, a
    // transposed input, a strided index
    const { t, x } = rt([12, 8], 60, dev);
    const ix = randInts(9, 61, 0, 10);
    const index = idxT(ix, [9], dev);
    for (const start of [1, 2]) {
      const v = t.narrow(0, start, 10);
      const xs = Array.from(x).slice(start * 8, start * 8 + 80);
      assertEqualArrays(await v.indexSelect(0, index).toArray(), indexSelectRef(xs, [10, 8], 0, ix), `narrowed start ${start} on ${dev}`);
    }
    const xt = Array.from({ length: 96 }, (_, i) => x[(i % 12) * 8 + Math.floor(i / 12)]);
    const ix2 = randInts(5, 62, 0, 8);
    assertEqualArrays(await t.T.indexSelect(0, idxT(ix2, [5], dev)).toArray(), indexSelectRef(xt, [8, 12], 0, ix2), `transposed on ${dev}`);
    const wide = idxT(randInts(14, 63, 0, 12), [14], dev);
    const every2 = wide.slice(0, 0, 14, 2);
    const ix3 = Int32Array.from(await every2.toArray());
    assertEqualArrays(await t.indexSelect(0, every2).toArray(), indexSelectRef(x, [12, 8], 0, ix3), `strided index on ${dev}`);
    // a 0-d index keeps the dim (size 1)
    const y0 = t.indexSelect(1, sg.tensor(3, { dtype: 'int32', device: dev }));
    if (y0.shape.join() !== '12,1') throw new Error(`0-d index shape ${y0.shape}`);
  }
});

test('indexAdd accumulates duplicate indices, is out of place, takes alpha', async () => {
  const cases: Array<{ shape: number[]; dim: number; n: number; alpha: number }> = [
    { shape: [65, 7], dim: 0, n: 257, alpha: 1 }, // many duplicates
    { shape: [1], dim: 0, n: 7, alpha: 1 }, // everything lands in one element
    { shape: [5, 9], dim: -1, n: 13, alpha: 0.5 },
    { shape: [3, 5, 4], dim: 1, n: 7, alpha: -2 },
    { shape: [3, 5, 4], dim: 0, n: 1, alpha: 1 },
  ];
  for (const dev of await backends()) {
    for (const [k, c] of cases.entries()) {
      const d = norm(c.dim, c.shape.length);
      const sShape = [...c.shape];
      sShape[d] = c.n;
      const { t, x } = rt(c.shape, 70 + k, dev);
      const { t: s, x: sx } = rt(sShape, 80 + k, dev);
      const ix = randInts(c.n, 90 + k, 0, c.shape[d]);
      const index = idxT(ix, [c.n], dev);
      const y = t.indexAdd(c.dim, index, s, c.alpha);
      allclose(await y.toArray(), indexAddRef(x, c.shape, d, ix, sx, c.alpha), { rtol: 1e-5, atol: 1e-5 }, `indexAdd ${JSON.stringify(c)} on ${dev}`);
      assertEqualArrays(await t.toArray(), Float32Array.from(x), `indexAdd left its input alone on ${dev}`);
      sg.tidy(() => [t, s, index, y].forEach((z) => z.dispose()));
    }
    // int32 tensors, a strided (transposed) source
    const ti = sg.tensor(Int32Array.from(randInts(12, 100, -5, 5)), { shape: [4, 3], device: dev });
    const si = sg.tensor(Int32Array.from(randInts(15, 101, -5, 5)), { shape: [3, 5], device: dev }).T; // [5, 3]
    const ix = Int32Array.from([3, 0, 3, 3, 1]);
    const yi = sg.indexAdd(ti, 0, idxT(ix, [5], dev), si, 3);
    if (yi.dtype !== 'int32') throw new Error(`int indexAdd dtype ${yi.dtype}`);
    assertEqualArrays(await yi.toArray(), indexAddRef(await ti.toArray(), [4, 3], 0, ix, await si.toArray(), 3), `int32 indexAdd on ${dev}`);
  }
});

test('indexAdd and an embedding gradient sum in index order: the CPU\'s float32 bits, every run', async () => {
  // Values of mixed magnitude with many duplicate targets, so the order of the additions
  // shows in the last bits; NaN and ±Inf in later slices; a target nobody hits; a strided index.
  const V = 9, D = 37, n = 3001;
  const x = Array.from(randInts(V * D, 130, -1000, 1000), (v, i) => v * (i % 3 === 0 ? 1e-3 : i % 3 === 1 ? 1 : 7.3e2));
  const sx = Array.from(randInts(n * D, 131, -1000, 1000), (v, i) => v * (i % 5 === 0 ? 1e-4 : 3.1));
  sx[2000 * D + 5] = NaN; sx[2500 * D + 6] = Infinity; sx[2501 * D + 7] = -Infinity; sx[2600 * D + 7] = Infinity;
  const ix = Int32Array.from(randInts(2 * n, 132, 0, V - 1)); // target V-1 never hit
  const results: Float32Array[] = [];
  for (const dev of await backends()) {
    const t = sg.tensor(x, { shape: [V, D], device: dev });
    const src = sg.tensor(sx, { shape: [n, D], device: dev });
    const all = idxT(ix, [2 * n], dev);
    const index = all.slice(0, 1, undefined, 2); // entries 1, 3, 5, ...: a strided view
    all.dispose();
    for (let run = 0; run < 3; run++) {
      const y = t.indexAdd(0, index, src);
      results.push(await y.toArray() as Float32Array);
      y.dispose();
    }
    // The gradient of an embedding lookup (indexSelect's backward) is the same sum.
    const w = sg.tensor(x, { shape: [V, D], device: dev, requiresGrad: true });
    const rows = w.indexSelect(0, index);
    rows.backward(src);
    results.push(await w.grad!.toArray() as Float32Array);
    [t, src, index, w, rows].forEach((z) => z.dispose());
  }
  // float32 sequential sums in index order, as the CPU kernel stores each partial sum
  const idx = Array.from({ length: n }, (_, i) => ix[1 + 2 * i]);
  const ref = Float32Array.from(x);
  const grad = new Float32Array(V * D);
  idx.forEach((j, i) => {
    for (let c = 0; c < D; c++) {
      ref[j * D + c] += Math.fround(sx[i * D + c]);
      grad[j * D + c] += Math.fround(sx[i * D + c]);
    }
  });
  results.forEach((r, k) => {
    const want = k % 4 === 3 ? grad : ref;
    const bad = r.findIndex((v, i) => !Object.is(v, want[i]));
    if (bad >= 0) throw new Error(`result ${k} (backend ${Math.floor(k / 4)}) differs at ${bad}: ${r[bad]} vs ${want[bad]}`);
  });
});

test('float16 gather / indexSelect / indexAdd where the adapter has shader-f16', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) continue;
    // multiples of 1/8 below 8: every sum is exact in half precision whatever the order
    const x = Array.from(randInts(6 * 8, 110, -16, 16), (v) => v / 8);
    const t = sg.tensor(x, { shape: [6, 8], dtype: 'float16', device: dev });
    const ix = Int32Array.from([5, 0, 5, 2, 5, 5, 1]);
    const index = idxT(ix, [7], dev);
    assertEqualArrays(await t.indexSelect(0, index).toArray(), indexSelectRef(x, [6, 8], 0, ix), `f16 indexSelect rows on ${dev}`);
    assertEqualArrays(await t.narrow(1, 1, 5).indexSelect(0, index).toArray(),
      indexSelectRef(Array.from({ length: 30 }, (_, i) => x[Math.floor(i / 5) * 8 + 1 + (i % 5)]), [6, 5], 0, ix), `f16 indexSelect narrowed on ${dev}`);
    const gi = idxT(randInts(6 * 3, 111, 0, 8), [6, 3], dev);
    assertEqualArrays(await t.gather(1, gi).toArray(), gatherRef(x, [6, 8], 1, await gi.toArray(), [6, 3]), `f16 gather on ${dev}`);
    const s = Array.from(randInts(7 * 8, 112, -8, 8), (v) => v / 8);
    const st = sg.tensor(s, { shape: [7, 8], dtype: 'float16', device: dev });
    // odd columns: two float16 elements share a 32-bit word, so neighbours update the same word
    assertEqualArrays(await t.indexAdd(0, index, st).toArray(), indexAddRef(x, [6, 8], 0, ix, s, 1), `f16 indexAdd on ${dev}`);
    const s2 = Array.from(randInts(6 * 7, 113, -8, 8), (v) => v / 8);
    const st2 = sg.tensor(s2, { shape: [6, 7], dtype: 'float16', device: dev });
    assertEqualArrays(await t.indexAdd(1, index, st2).toArray(), indexAddRef(x, [6, 8], 1, ix, s2, 1), `f16 indexAdd dim 1 on ${dev}`);
  }
});

test('cat and stack: dims incl. negative, odd sizes, mixed dtypes, empty tensors', async () => {
  for (const dev of await backends()) {
    const a = rt([2, 3, 4], 120, dev);
    const b = rt([2, 5, 4], 121, dev);
    const c = rt([2, 1, 4], 122, dev);
    const y = sg.cat([a.t, b.t, c.t], 1);
    if (y.shape.join() !== '2,9,4') throw new Error(`cat shape ${y.shape}`);
    const ref: number[] = [];
    forEachIndex([2, 9, 4], (_i, [i, j, k]) => {
      if (j < 3) ref.push(at(a.x, [2, 3, 4], [i, j, k]));
      else if (j < 8) ref.push(at(b.x, [2, 5, 4], [i, j - 3, k]));
      else ref.push(at(c.x, [2, 1, 4], [i, 0, k]));
    });
    assertEqualArrays(await y.toArray(), ref, `cat dim 1 on ${dev}`);
    // last dim, negative, odd sizes (1, 7, 65), one input transposed
    const p = rt([3, 1], 123, dev);
    const q = rt([7, 3], 124, dev);
    const r = rt([3, 65], 125, dev);
    const z = sg.cat([p.t, q.t.T, r.t], -1);
    const refZ: number[] = [];
    forEachIndex([3, 73], (_i, [i, j]) => {
      if (j < 1) refZ.push(p.x[i]);
      else if (j < 8) refZ.push(q.x[(j - 1) * 3 + i]);
      else refZ.push(r.x[i * 65 + j - 8]);
    });
    assertEqualArrays(await z.toArray(), refZ, `cat dim -1 on ${dev}`);
    // dim 0 of 1-D, with a legacy empty [0] tensor that is skipped
    const e = sg.zeros([0], { device: dev });
    const w = sg.cat([p.t.view(3), e, r.t.flatten()], 0);
    assertEqualArrays(await w.toArray(), [...p.x, ...r.x], `cat 1-D on ${dev}`);
    // mixed dtypes promote (int32 + float32 -> float32)
    const ints = sg.tensor(Int32Array.from([1, 2, 3]), { device: dev });
    const m = sg.cat([ints, sg.tensor([0.5, 1.5], { device: dev })]);
    if (m.dtype !== 'float32') throw new Error(`cat promotion gave ${m.dtype}`);
    assertEqualArrays(await m.toArray(), [1, 2, 3, 0.5, 1.5], `cat mixed on ${dev}`);
    // stack at every position
    const s1 = rt([3, 5], 126, dev);
    const s2 = rt([3, 5], 127, dev);
    for (const dim of [0, 1, 2, -1, -3]) {
      const d = norm(dim, 3);
      const st = sg.stack([s1.t, s2.t], dim);
      const want = [3, 5];
      want.splice(d, 0, 2);
      if (st.shape.join() !== want.join()) throw new Error(`stack shape ${st.shape} != ${want}`);
      const refS: number[] = [];
      forEachIndex(want, (_i, idx) => {
        const which = idx[d];
        const rest = idx.filter((_, k) => k !== d);
        refS.push(at(which ? s2.x : s1.x, [3, 5], rest));
      });
      assertEqualArrays(await st.toArray(), refS, `stack dim ${dim} on ${dev}`);
    }
    const one = sg.stack([sg.tensor(2, { device: dev })]);
    if (one.shape.join() !== '1' || (await one.item()) !== 2) throw new Error('stack of one 0-d tensor');
  }
});

test('cat and stack promote over every piece, the skipped empty [0] ones too (PyTorch 2.14)', async () => {
  for (const dev of await backends()) {
    const ints = sg.tensor(Int32Array.from([1, 2]), { device: dev });
    const f0 = sg.zeros([0], { device: dev });
    const i0 = sg.zeros([0], { device: dev, dtype: 'int32' });
    const b0 = sg.tensor([true], { device: dev }).slice(0, 0, 0);
    // [pieces, torch's dtype, shape and values]
    const cases: Array<[Tensor[], string, number[], number[]]> = [
      [[ints, f0], 'float32', [2], [1, 2]], // torch.cat([int32 [2], float32 [0]]): float32 [1., 2.]
      [[f0, ints], 'float32', [2], [1, 2]],
      [[ints.view(1, 2), f0], 'float32', [1, 2], [1, 2]], // the legacy skip of a 1-D [0] beside 2-D
      [[ints.view(1, 2), sg.zeros([0, 2], { device: dev })], 'float32', [1, 2], [1, 2]],
      [[b0, ints], 'int32', [2], [1, 2]],
      [[i0, f0], 'float32', [0], []],
    ];
    if (dev === 'cpu' || sg.deviceInfo().features.includes('shader-f16')) {
      cases.push([[sg.zeros([0], { device: dev, dtype: 'float16' }), ints], 'float16', [2], [1, 2]], [[sg.zeros([2], { device: dev, dtype: 'float16' }), f0], 'float32', [2], [0, 0]]);
    }
    for (const [pieces, dtype, shape, want] of cases) {
      const y = sg.cat(pieces);
      const what = `cat of ${pieces.map((p) => `${p.dtype}[${p.shape}]`).join(', ')} on ${dev}`;
      if (y.dtype !== dtype || y.shape.join() !== shape.join()) throw new Error(`${what}: ${y.dtype}[${y.shape}], torch gives ${dtype}[${shape}]`);
      assertEqualArrays(await y.toArray(), want, what);
    }
    // torch.stack([int32 [0], float32 [0]]): float32 of shape [2, 0]
    const st = sg.stack([i0, f0]);
    if (st.dtype !== 'float32' || st.shape.join() !== '2,0') throw new Error(`stack of empty int32 and float32: ${st.dtype}[${st.shape}]`);
  }
});

test('gather: a 0-d input or index counts as 1-d of size 1 (PyTorch 2.14)', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor(3.5, { device: dev });
    const v = sg.tensor([1, 2, 3], { device: dev });
    // torch.tensor(3.5).gather(0, torch.tensor([0, 0])): [3.5, 3.5]
    const a = x.gather(0, idxT(Int32Array.from([0, 0]), [2], dev));
    if (a.shape.join() !== '2') throw new Error(`0-d input, [2] index gave shape [${a.shape}]`);
    assertEqualArrays(await a.toArray(), [3.5, 3.5], `0-d input, 1-d index on ${dev}`);
    // torch.tensor([1., 2, 3]).gather(0, torch.tensor(2)): tensor(3.)
    const b = v.gather(-1, idxT(Int32Array.from([2]), [], dev));
    if (b.ndim !== 0) throw new Error(`1-d input, 0-d index gave shape [${b.shape}]`);
    assertEqualArrays(await b.toArray(), [3], `1-d input, 0-d index on ${dev}`);
    const c = x.gather(0, idxT(Int32Array.from([0]), [], dev));
    assertEqualArrays(await c.toArray(), [3.5], `0-d input, 0-d index on ${dev}`);
    // "Index tensor must have the same number of dimensions as input tensor"
    throwsWith(() => x.gather(0, idxT(Int32Array.from([0]), [1, 1], dev)), /^gather: /, /as many dims/, /\[1, 1\]/, /\[\]/);
    if (dev === 'cpu') throwsWith(() => x.gather(0, idxT(Int32Array.from([1]), [1], dev)), /^gather: /, /index 1/, /size 1/);
    // gradients: the 0-d input gets both picks, the 1-d input one
    const w = sg.tensor(3.5, { device: dev, requiresGrad: true });
    w.gather(0, idxT(Int32Array.from([0, 0, 0]), [3], dev)).sum().backward();
    assertEqualArrays(await w.grad!.toArray(), [3], `0-d gather grad on ${dev}`);
    const u = sg.tensor([1, 2, 3], { device: dev, requiresGrad: true });
    u.gather(0, idxT(Int32Array.from([1]), [], dev)).mul(2).backward();
    assertEqualArrays(await u.grad!.toArray(), [0, 2, 0], `1-d gather by 0-d index grad on ${dev}`);
  }
});

// ---- gradients ----

const idxCpu = (v: number[], shape: number[]): Tensor => sg.tensor(Int32Array.from(v), { shape, dtype: 'int32', device: 'cpu' });

test('gradcheck: gather, indexSelect, indexAdd (both inputs), cat, stack', async () => {
  const gi = idxCpu([0, 2, 2, 1, 0, 0, 2, 1, 1, 1, 0, 2], [2, 3, 2]); // duplicates along dim 1
  await sg.gradcheck((x) => x.gather(1, gi), [rt([2, 3, 4], 1, 'cpu').t]);
  await sg.gradcheck((x) => x.gather(-1, gi.transpose(1, 2)), [rt([2, 4, 3], 2, 'cpu').t]);
  const si = idxCpu([4, 0, 4, 2, 4, 1, 0], [7]);
  await sg.gradcheck((x) => x.indexSelect(0, si), [rt([5, 3], 3, 'cpu').t]);
  await sg.gradcheck((x) => x.indexSelect(1, si), [rt([2, 5], 4, 'cpu').t]);
  await sg.gradcheck((x, s) => x.indexAdd(0, si, s, 2.5), [rt([5, 3], 5, 'cpu').t, rt([7, 3], 6, 'cpu').t]);
  await sg.gradcheck((x, s) => x.indexAdd(-1, si, s).mul(x), [rt([2, 5], 7, 'cpu').t, rt([2, 7], 8, 'cpu').t]);
  await sg.gradcheck((a, b, c) => sg.cat([a, b, c], 1).mul(sg.cat([c, b, a], 1)), [rt([2, 1], 9, 'cpu').t, rt([2, 3], 10, 'cpu').t, rt([2, 1], 11, 'cpu').t]);
  // b.exp().T: a strided input (exp first so that b's own gradient comes out contiguous)
  await sg.gradcheck((a, b) => sg.cat([a, b.exp().T], 0), [rt([3, 2], 12, 'cpu').t, rt([2, 4], 13, 'cpu').t]);
  await sg.gradcheck((a, b) => sg.stack([a, b, a], -1), [rt([2, 3], 14, 'cpu').t, rt([2, 3], 15, 'cpu').t]);
});

test('WebGPU gradients match CPU float64 autograd', async () => {
  const cases: Array<{ name: string; fn: (...xs: Tensor[]) => Tensor; shapes: number[][]; idx: (dev: Dev) => Tensor }> = [
    { name: 'gather dim 1', fn: (x, i) => x.gather(1, i), shapes: [[3, 5, 4]], idx: (dev) => idxT(randInts(3 * 9 * 4, 200, 0, 5), [3, 9, 4], dev) },
    { name: 'gather dim 0', fn: (x, i) => x.gather(0, i), shapes: [[7, 65]], idx: (dev) => idxT(randInts(65 * 65, 201, 0, 7), [65, 65], dev) },
    { name: 'indexSelect rows', fn: (x, i) => x.indexSelect(0, i), shapes: [[9, 8]], idx: (dev) => idxT(randInts(257, 202, 0, 9), [257], dev) },
    { name: 'indexSelect dim -1', fn: (x, i) => x.indexSelect(-1, i), shapes: [[7, 5]], idx: (dev) => idxT(randInts(13, 203, 0, 5), [13], dev) },
    { name: 'indexAdd', fn: (x, s, i) => x.indexAdd(0, i, s, 0.5), shapes: [[7, 3], [65, 3]], idx: (dev) => idxT(randInts(65, 204, 0, 7), [65], dev) },
    { name: 'cat', fn: (a, b) => sg.cat([a, b], 0), shapes: [[1, 7], [65, 7]], idx: () => sg.tensor(0) },
    { name: 'stack', fn: (a, b) => sg.stack([a, b], 1), shapes: [[7, 5], [7, 5]], idx: () => sg.tensor(0) },
  ];
  for (const dev of await backends()) {
    if (dev === 'cpu') continue;
    for (const [k, c] of cases.entries()) {
      const xs = c.shapes.map((s, j) => rt(s, 300 + 10 * k + j, dev, { requiresGrad: true }).t);
      const index = c.idx(dev);
      const run = (...args: Tensor[]): Tensor => c.fn(...args);
      const got = await gradsOf((...a) => run(...a.slice(0, xs.length), index), xs);
      const cpuIndex = sg.tensor(await index.toArray(), { shape: index.shape, dtype: 'int32', device: 'cpu' });
      const ref = await gradsOf((...a) => run(...a.slice(0, xs.length), cpuIndex), await f64Copies(xs));
      allclose(got.out, ref.out, { rtol: 1e-5, atol: 1e-6 }, `${c.name} forward on ${dev}`);
      got.grads.forEach((g, j) => allclose(g!, ref.grads[j]!, { rtol: 1e-5, atol: 1e-5 }, `${c.name} grad ${j} on ${dev}`));
    }
  }
});

// ---- bad input ----

test('bad input throws before any GPU work, naming the op; the next call works', async () => {
  for (const dev of await backends()) {
    const { t } = rt([4, 5], 400, dev);
    const fidx = sg.tensor([0, 1], { device: dev });
    const good = idxT(Int32Array.from([3, 0, 1]), [3], dev);
    throwsWith(() => t.gather(0, fidx.view(2, 1)), /gather: index must be int32, got float32/);
    throwsWith(() => t.indexSelect(0, fidx), /indexSelect/, /int32/);
    throwsWith(() => t.indexAdd(0, fidx, t), /indexAdd/, /int32/);
    throwsWith(() => t.gather(0, good), /gather/, /as many dims/, /\[3\]/, /\[4, 5\]/);
    throwsWith(() => t.gather(0, idxT(Int32Array.from(new Array(12).fill(0)), [2, 6], dev)), /gather/, /dim 1/, /\[2, 6\]/);
    throwsWith(() => t.gather(2, good.view(3, 1)), /gather/, /dim 2/);
    throwsWith(() => t.indexSelect(-3, good), /indexSelect/, /dim -3/);
    throwsWith(() => t.indexSelect(0, good.view(1, 3)), /indexSelect/, /1-D/, /\[1, 3\]/);
    // @ts-expect-error: not a tensor, on purpose
    throwsWith(() => t.indexSelect(0, null), /indexSelect/, /index/);
    throwsWith(() => t.indexAdd(0, good, rt([3, 4], 401, dev).t), /indexAdd/, /source/, /\[3, 5\]/, /\[3, 4\]/);
    throwsWith(() => t.indexAdd(1, good, rt([4, 4], 402, dev).t), /indexAdd/, /\[4, 3\]/);
    throwsWith(() => t.indexAdd(0, good, sg.zeros([3, 5], { dtype: 'int32', device: dev })), /indexAdd/, /int32/, /float32/);
    throwsWith(() => sg.indexAdd(sg.zeros([2], { dtype: 'int32', device: dev }), 0, good.narrow(0, 1, 2), sg.zeros([2], { dtype: 'int32', device: dev }), 0.5), /indexAdd/, /alpha/);
    throwsWith(() => sg.cat([t, rt([4, 6], 403, dev).t], 0), /cat/, /tensor 1/, /\[4, 6\]/, /\[4, 5\]/);
    throwsWith(() => sg.cat([t, t, rt([4], 404, dev).t], 1), /cat/, /tensor 2/);
    throwsWith(() => sg.cat([t, sg.tensor(1, { device: dev })]), /cat/, /zero-dimensional/, /position 1/);
    throwsWith(() => sg.cat([], 0), /cat/, /non-empty/);
    throwsWith(() => sg.cat([t], 2), /cat/, /dim 2/);
    throwsWith(() => sg.stack([t, t.T]), /stack/, /tensor 1/, /\[5, 4\]/);
    throwsWith(() => sg.stack([t, t], 3), /stack/, /dim 3/);
    // @ts-expect-error: not a tensor, on purpose
    throwsWith(() => sg.cat([t, 3]), /cat/, /element 1/);
    const gone = rt([3], 406, dev).t;
    gone.dispose();
    throwsWith(() => gone.gather(0, good), /gather/, /disposed/);
    throwsWith(() => sg.stack([t.view(20), gone]), /stack/, /disposed/);
    if (dev === 'cpu') {
      const bad = idxT(Int32Array.from([0, 4, 1]), [3], dev);
      throwsWith(() => t.indexSelect(0, bad), /indexSelect/, /index 4/, /0 to 3/);
      throwsWith(() => t.indexAdd(0, idxT(Int32Array.from([-1, 0, 1]), [3], dev), rt([3, 5], 405, dev).t), /indexAdd/, /index -1/, /0 to 3/);
      throwsWith(() => t.gather(1, idxT(Int32Array.from([0, 5]), [2, 1], dev)), /gather/, /index 5/, /0 to 4/);
    } else {
      // mixing devices is an error too
      throwsWith(() => t.indexSelect(0, idxT(Int32Array.from([0]), [1], 'cpu')), /indexSelect/, /different devices/);
    }
    // the engine is still usable
    const y = t.indexSelect(0, good);
    if (y.shape.join() !== '3,5') throw new Error('follow-up call');
    await y.toArray();
  }
});

test('WebGPU: out-of-range indices never touch memory out of bounds (gather gives 0, indexAdd skips)', async () => {
  for (const dev of await backends()) {
    if (dev === 'cpu') continue;
    const { t, x } = rt([4, 8], 500, dev);
    const ix = Int32Array.from([1, 4, -1, 3, 1000000]);
    const index = idxT(ix, [5], dev);
    const got = await t.indexSelect(0, index).toArray();
    const want = Array.from({ length: 40 }, (_, i) => { const r = ix[Math.floor(i / 8)]; return r >= 0 && r < 4 ? x[r * 8 + (i % 8)] : 0; });
    assertEqualArrays(got, want, 'indexSelect with bad rows');
    const g = await t.gather(1, idxT(Int32Array.from([0, 9, -3, 7]), [4, 1], dev)).toArray();
    assertEqualArrays(g, [x[0], 0, 0, x[31]], 'gather with bad indices');
    const src = sg.ones([5, 8], { device: dev });
    const added = await t.indexAdd(0, index, src).toArray();
    const wantAdd = Array.from(x, (v, i) => v + (Math.floor(i / 8) === 1 || Math.floor(i / 8) === 3 ? 1 : 0));
    allclose(added, wantAdd, {}, 'indexAdd with bad rows');
    // and the device is fine afterwards
    assertEqualArrays(await t.indexSelect(0, idxT(Int32Array.from([2]), [1], dev)).toArray(), Array.from(x).slice(16, 24), 'after');
  }
});

test('memory: indexing ops leave no tensors behind', async () => {
  for (const dev of await backends()) {
    const { t } = rt([6, 4], 600, dev, { requiresGrad: true });
    const s = rt([5, 4], 601, dev, { requiresGrad: true }).t;
    const index = idxT(Int32Array.from([0, 5, 5, 2, 1]), [5], dev);
    const before = sg.liveTensors();
    for (let i = 0; i < 3; i++) {
      sg.tidy(() => {
        const y = sg.cat([t.indexSelect(0, index), t.indexAdd(0, index, s), sg.stack([t, t], 0).view(12, 4)], 0);
        y.backward(sg.onesLike(y));
      });
      t.grad?.dispose(); t.grad = null;
      s.grad?.dispose(); s.grad = null;
    }
    if (sg.liveTensors() !== before) throw new Error(`live tensors ${before} -> ${sg.liveTensors()} on ${dev}`);
  }
});

test.run();
