// NaN and ±Inf through reductions, comparisons, maximum/minimum, relu/abs and topk, on every
// backend, against PyTorch's rules written out here: reductions and maximum/minimum
// propagate NaN, argmax/argmin (and max/min's indices) name the first NaN, comparisons
// follow IEEE (only ne is true with a NaN), relu(NaN) is NaN, topk ranks NaN above +Inf.
// The specials sit at seeded random positions, in short rows, rows past the workgroup tree
// (> 5000), rows long enough for the chunked sum, and columns of > 1000 rows (the columns
// kernel); the kernel each case must reach is asserted from the dispatch keys.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, assertEqualArrays, backends, keysOf, randArray, randInts, arr } from '../helpers.js';

const test = suite('nan');

// ---- data with specials at random positions ----

/** The flat indices of line l of an [R, C] matrix: row l (dim 1) or column l (dim 0). */
const lineIdx = (R: number, C: number, dim: number, l: number): number[] =>
  dim === 1 ? Array.from({ length: C }, (_, j) => l * C + j) : Array.from({ length: R }, (_, j) => j * C + l);

/**
 * Random float32 values in [-1, 1) with, by line number mod 6: nothing special; one NaN; two
 * NaNs; +Inf and -Inf; +Inf and a NaN; -Inf. Positions are seeded and rarely the first.
 */
function spiked(R: number, C: number, dim: number, seed: number): Float64Array {
  const x = Float64Array.from(new Float32Array(randArray(R * C, seed)));
  const lines = dim === 1 ? R : C;
  const len = dim === 1 ? C : R;
  const pos = randInts(lines * 2, seed + 1, 0, len);
  for (let l = 0; l < lines; l++) {
    const ix = lineIdx(R, C, dim, l);
    const p = pos[2 * l];
    const q = (p + 1 + (pos[2 * l + 1] % (len - 1))) % len; // another position than p
    const kind = l % 6;
    if (kind === 1) x[ix[p]] = NaN;
    if (kind === 2) { x[ix[p]] = NaN; x[ix[q]] = NaN; }
    if (kind === 3) { x[ix[p]] = Infinity; x[ix[q]] = -Infinity; }
    if (kind === 4) { x[ix[p]] = Infinity; x[ix[q]] = NaN; }
    if (kind === 5) x[ix[p]] = -Infinity;
  }
  return x;
}

/** PyTorch's max/min of a line: NaN and the first NaN's index if there is one, else the first extreme. */
function refPick(v: number[], isMax: boolean): { v: number; i: number } {
  let b = 0;
  for (let j = 0; j < v.length; j++) {
    if (Number.isNaN(v[j])) return { v: NaN, i: j };
    if (isMax ? v[j] > v[b] : v[j] < v[b]) b = j;
  }
  return { v: v[b], i: b };
}

const refSum = (v: number[]): number => v.reduce((a, b) => a + b, 0);

interface Case { name: string; R: number; C: number; dim: number; keys: string[] }
const CASES: Case[] = [
  { name: 'short rows', R: 42, C: 37, dim: 1, keys: ['reduce:max:idx', 'reduce:min:idx', 'reduce:max:val'] },
  { name: 'rows > 5000 (workgroup tree)', R: 12, C: 5003, dim: 1, keys: ['reduce:max:idx', 'reduce:sum:val'] },
  { name: 'rows > 8192 (chunked sum)', R: 6, C: 9001, dim: 1, keys: ['reduce:sum_chunks', 'reduce:min:idx'] },
  { name: 'columns of 1030 rows (columns kernel)', R: 1030, C: 300, dim: 0, keys: ['reduce:col:max:idx', 'reduce:col:min:idx', 'reduce:col:max:val'] },
  { name: 'columns, 1M elements (chunked columns sum)', R: 1030, C: 1024, dim: 0, keys: ['reduce:col:sum_part', 'reduce:col:max:idx'] },
];

test('reductions propagate NaN and name the first NaN, at random positions, through every kernel', async () => {
  let seed = 100;
  for (const dev of await backends()) {
    for (const c of CASES) {
      const x = spiked(c.R, c.C, c.dim, seed += 2);
      const t = sg.tensor(x, { shape: [c.R, c.C], device: dev });
      const lines = Array.from({ length: c.dim === 1 ? c.R : c.C }, (_, l) => lineIdx(c.R, c.C, c.dim, l).map((i) => x[i]));
      const what = `${dev} ${c.name}`;
      const got: Record<string, number[]> = {};
      const run = async (): Promise<void> => {
        const mx = t.max(c.dim);
        const mn = sg.min(t, c.dim);
        got.maxV = await arr(mx.values); got.maxI = await arr(mx.indices);
        got.minV = await arr(mn.values); got.minI = await arr(mn.indices);
        got.amax = await arr(t.amax(c.dim)); got.amin = await arr(sg.amin(t, c.dim));
        got.argmax = await arr(t.argmax(c.dim)); got.argmin = await arr(sg.argmin(t, c.dim));
        got.sum = await arr(t.sum(c.dim)); got.mean = await arr(t.mean(c.dim));
      };
      if (dev === 'webgpu') {
        const keys = [...await keysOf(run)].join(' ');
        for (const k of c.keys) if (!keys.includes(k)) throw new Error(`${what}: expected a ${k} dispatch, got ${keys}`);
      } else await run();
      const mx = lines.map((v) => refPick(v, true));
      const mn = lines.map((v) => refPick(v, false));
      // every NaN kind of line must show up, or the case tests nothing
      assert.ok(mx.some((r) => Number.isNaN(r.v) && r.i > 0), `${what}: a NaN line`);
      assertEqualArrays(got.maxV, mx.map((r) => r.v), `${what} max values`);
      assertEqualArrays(got.maxI, mx.map((r) => r.i), `${what} max indices`);
      assertEqualArrays(got.minV, mn.map((r) => r.v), `${what} min values`);
      assertEqualArrays(got.minI, mn.map((r) => r.i), `${what} min indices`);
      assertEqualArrays(got.amax, mx.map((r) => r.v), `${what} amax`);
      assertEqualArrays(got.amin, mn.map((r) => r.v), `${what} amin`);
      assertEqualArrays(got.argmax, mx.map((r) => r.i), `${what} argmax`);
      assertEqualArrays(got.argmin, mn.map((r) => r.i), `${what} argmin`);
      allclose(got.sum, lines.map(refSum), { rtol: 1e-4, atol: 1e-3 }, `${what} sum`);
      allclose(got.mean, lines.map((v) => refSum(v) / v.length), { rtol: 1e-4, atol: 1e-5 }, `${what} mean`);
      // over all elements: the first NaN in row-major order
      const flat = refPick(Array.from(x), true);
      assert.ok(Number.isNaN(await t.max().item()), `${what} max()`);
      assert.ok(Number.isNaN(await sg.min(t).item()), `${what} min()`);
      assert.is(await t.argmax().item(), flat.i, `${what} argmax()`);
      assert.is(await sg.argmin(t).item(), flat.i, `${what} argmin()`);
      t.dispose();
    }
  }
});

test('argmax/argmin without a dim index the flattened tensor, also of a transposed view', async () => {
  for (const dev of await backends()) {
    // transposed: the NaN that comes first row-major is not the first in memory
    const base = sg.tensor([[1, NaN, 5], [NaN, 9, 2]], { device: dev });
    const t = base.T; // [[1, NaN], [NaN, 9], [5, 2]]
    assert.is(await t.argmax().item(), 1, `${dev} argmax of a transposed view`);
    assert.is(await sg.argmin(t).item(), 1, `${dev} argmin of a transposed view`);
    const clean = sg.tensor([[3, 9, 9], [-4, 0, -4]], { device: dev }).T; // [[3, -4], [9, 0], [9, -4]]
    assert.is(await clean.argmax().item(), 2);
    assert.is(await clean.argmin().item(), 1);
    const k = clean.argmax(undefined, true);
    assert.equal(k.shape, [1, 1]);
    assert.is(await k.item(), 2);
    assert.is(await sg.tensor(7, { device: dev }).argmax().item(), 0);
    assert.ok(Number.isNaN(await base.max().item()));
    base.dispose(); clean.dispose();
    // float16 (computed in f32 on the GPU): the same rules
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) continue;
    const h = sg.tensor([1, NaN, 3, NaN, -Infinity], { device: dev, dtype: 'float16' });
    assert.ok(Number.isNaN(await h.amax().item()), `${dev} float16 amax`);
    assert.is(await h.argmin().item(), 1, `${dev} float16 argmin`);
    assertEqualArrays(await arr(h.ne(h)), [0, 1, 0, 1, 0], `${dev} float16 ne`);
    h.dispose();
  }
});

// ---- comparisons ----

const SPECIAL = [NaN, 1, -Infinity, Infinity, 0, -0, 2, NaN, -1.5, 3];
const CMP: Array<[string, (a: Tensor, b: Tensor | number) => Tensor, (a: number, b: number) => boolean]> = [
  ['eq', (a, b) => a.eq(b), (a, b) => a === b],
  ['ne', (a, b) => a.ne(b), (a, b) => a !== b],
  ['lt', (a, b) => a.lt(b), (a, b) => a < b],
  ['le', (a, b) => a.le(b), (a, b) => a <= b],
  ['gt', (a, b) => a.gt(b), (a, b) => a > b],
  ['ge', (a, b) => a.ge(b), (a, b) => a >= b],
];

test('comparisons follow IEEE with NaN and ±Inf: contiguous, odd-sized, strided, scalar, int32', async () => {
  let seed = 200;
  for (const dev of await backends()) {
    for (const n of [8, 13, 4000]) {
      // random pairs of specials and ordinary values, at random positions
      const pick = randInts(2 * n, seed++, 0, SPECIAL.length);
      const a = Array.from({ length: n }, (_, i) => SPECIAL[pick[i]]);
      const b = Array.from({ length: n }, (_, i) => SPECIAL[pick[n + i]]);
      const ta = sg.tensor(a, { device: dev });
      const tb = sg.tensor(b, { device: dev });
      for (const [name, run, ref] of CMP) {
        assertEqualArrays(await arr(run(ta, tb)), a.map((v, i) => +ref(v, b[i])), `${dev} ${name} n=${n}`);
        for (const s of [NaN, 1, -Infinity]) assertEqualArrays(await arr(run(ta, s)), a.map((v) => +ref(v, s)), `${dev} ${name} n=${n} scalar ${s}`);
      }
      ta.dispose(); tb.dispose();
    }
    // strided operands (the general map kernel) and broadcasting
    const m = sg.tensor([[NaN, 1, 2], [3, NaN, -Infinity]], { device: dev }).T;
    const col = sg.tensor([[NaN], [1], [Infinity]], { device: dev });
    const mv = [[NaN, 3], [1, NaN], [2, -Infinity]];
    const cv = [NaN, 1, Infinity];
    for (const [name, run, ref] of CMP) {
      assertEqualArrays(await arr(run(m, col)), mv.flatMap((r, i) => r.map((v) => +ref(v, cv[i]))), `${dev} ${name} strided, broadcast`);
    }
    // int32 operands compare as ints; a NaN number operand makes the comparison float
    const ti = sg.tensor([1, -2147483648, 2147483647, 0], { device: dev, dtype: 'int32' });
    assertEqualArrays(await arr(ti.lt(sg.tensor([2, 0, 2147483647, -1], { device: dev, dtype: 'int32' }))), [1, 1, 0, 0], `${dev} int32 lt`);
    assertEqualArrays(await arr(ti.ne(NaN)), [1, 1, 1, 1], `${dev} int32 ne NaN`);
    assertEqualArrays(await arr(ti.eq(NaN)), [0, 0, 0, 0], `${dev} int32 eq NaN`);
    // the idiom that replaces NaN
    const x = sg.tensor(a13(), { device: dev });
    const clean = await arr(sg.where(x.ne(x), 0, x));
    assertEqualArrays(clean, a13().map((v) => (Number.isNaN(v) ? 0 : v)), `${dev} where(x.ne(x), 0, x)`);
    m.dispose(); col.dispose(); ti.dispose(); x.dispose();
  }
});

const a13 = (): number[] => [1, 2, NaN, 4, 5, Infinity, NaN, -0, 9, 10, 11, 12, NaN];

// ---- maximum, minimum, relu, abs ----

test('maximum/minimum propagate NaN (any position, broadcast); gradients as PyTorch', async () => {
  let seed = 300;
  for (const dev of await backends()) {
    for (const n of [12, 1001]) {
      const x = Array.from(new Float32Array(randArray(n, seed++)));
      const y = Array.from(new Float32Array(randArray(n, seed++)));
      const pos = randInts(6, seed++, 0, n);
      x[pos[0]] = NaN; y[pos[1]] = NaN; x[pos[2]] = Infinity; y[pos[3]] = -Infinity; x[pos[4]] = NaN; y[pos[4]] = NaN;
      const ref = (f: (a: number, b: number) => number) => x.map((v, i) => (Number.isNaN(v) || Number.isNaN(y[i]) ? NaN : f(v, y[i])));
      const tx = sg.tensor(x, { device: dev });
      const ty = sg.tensor(y, { device: dev });
      assertEqualArrays(await arr(tx.maximum(ty)), ref(Math.max), `${dev} maximum n=${n}`);
      assertEqualArrays(await arr(sg.minimum(tx, ty)), ref(Math.min), `${dev} minimum n=${n}`);
      tx.dispose(); ty.dispose();
    }
    const row = sg.tensor([[NaN, 1, 2]], { device: dev });
    const c = sg.tensor([[3], [NaN]], { device: dev });
    assertEqualArrays(await arr(row.maximum(c)), [NaN, 3, 3, NaN, NaN, NaN], `${dev} maximum broadcast`);
    // int32 maximum is plain
    const i1 = sg.tensor([1, -5, 7], { device: dev, dtype: 'int32' });
    assertEqualArrays(await arr(i1.maximum(sg.tensor([2, -6, 7], { device: dev, dtype: 'int32' }))), [2, -5, 7], `${dev} int32 maximum`);
    // PyTorch: where a NaN is involved both operands get the whole gradient; ties share it
    for (const isMax of [true, false]) {
      const a = sg.tensor([1, NaN, 2, 2], { device: dev, requiresGrad: true });
      const b = sg.tensor([NaN, 1, 3, 2], { device: dev, requiresGrad: true });
      (isMax ? a.maximum(b) : a.minimum(b)).sum().backward();
      assertEqualArrays(await a.grad!.toArray(), isMax ? [1, 1, 0, 0.5] : [1, 1, 1, 0.5], `${dev} ${isMax ? 'maximum' : 'minimum'} grad a`);
      assertEqualArrays(await b.grad!.toArray(), isMax ? [1, 1, 1, 0.5] : [1, 1, 0, 0.5], `${dev} ${isMax ? 'maximum' : 'minimum'} grad b`);
    }
  }
});

test('relu(NaN) is NaN and passes its gradient (PyTorch masks only where the output is <= 0); abs and its gradient', async () => {
  for (const dev of await backends()) {
    for (const n of [6, 8]) { // the vec4 map and the scalar one
      const v = [NaN, -1, 2, 0, -Infinity, Infinity, NaN, -0].slice(0, n);
      const x = sg.tensor(v, { device: dev, requiresGrad: true });
      const y = x.relu();
      assertEqualArrays(await y.toArray(), v.map((a) => (Number.isNaN(a) ? NaN : Math.max(a, 0))), `${dev} relu n=${n}`);
      y.sum().backward();
      assertEqualArrays(await x.grad!.toArray(), v.map((a) => (a <= 0 ? 0 : 1)), `${dev} relu grad n=${n}`);
      assertEqualArrays(await arr(x.detach().abs()), v.map(Math.abs), `${dev} abs n=${n}`);
      // abs's gradient is g·sign(x) with PyTorch's sign(NaN) = 0
      const z = sg.tensor(v, { device: dev, requiresGrad: true });
      z.abs().sum().backward();
      assertEqualArrays(await z.grad!.toArray(), v.map((a) => (a > 0 ? 1 : a < 0 ? -1 : 0)), `${dev} abs grad n=${n}`);
    }
    const xi = sg.tensor([-3, 0, 4, -2147483647], { device: dev, dtype: 'int32' });
    assertEqualArrays(await arr(xi.relu()), [0, 0, 4, 0], `${dev} int32 relu`);
  }
});

// ---- topk ----

/** PyTorch's topk order: NaN above +Inf, equal values by index. */
function refTopk(v: number[], k: number, largest: boolean): { v: number[]; i: number[] } {
  const rank = (a: number, b: number): number => {
    const an = Number.isNaN(a);
    const bn = Number.isNaN(b);
    if (an || bn) return +an - +bn;
    return a === b ? 0 : a < b ? -1 : 1;
  };
  const order = v.map((_, j) => j).sort((i, j) => (largest ? rank(v[j], v[i]) : rank(v[i], v[j])) || i - j);
  return { v: order.slice(0, k).map((j) => v[j]), i: order.slice(0, k) };
}

test('topk ranks NaN above +Inf with NaN and ±Inf at random positions', async () => {
  let seed = 400;
  for (const dev of await backends()) {
    const R = 24;
    const C = 50;
    const x = Array.from(new Float32Array(randArray(R * C, seed++)));
    const pos = randInts(R * 4, seed++, 0, C);
    for (let r = 0; r < R; r++) {
      const specials = [NaN, Infinity, -Infinity, NaN].slice(0, r % 5);
      specials.forEach((s, q) => { x[r * C + pos[4 * r + q]] = s; });
    }
    const t = sg.tensor(x, { shape: [R, C], device: dev });
    for (const largest of [true, false]) {
      const k = 6;
      const got = t.topk(k, 1, largest);
      const gv = await arr(got.values);
      const gi = await arr(got.indices);
      for (let r = 0; r < R; r++) {
        const want = refTopk(x.slice(r * C, (r + 1) * C), k, largest);
        assertEqualArrays(gv.slice(r * k, (r + 1) * k), want.v, `${dev} topk row ${r} largest=${largest} values`);
        assertEqualArrays(gi.slice(r * k, (r + 1) * k), want.i, `${dev} topk row ${r} largest=${largest} indices`);
      }
    }
    t.dispose();
  }
});

test("abs's gradient is g·sign(x) in IEEE arithmetic: a NaN or infinite g times sign 0 is NaN", async () => {
  // PyTorch's g * sgn(x): sgn(NaN) = sgn(0) = 0, and 0 · NaN = 0 · Inf = NaN. A compiler that
  // assumes no NaN may fold 0 · g to 0 (an H100 did), so every combination is spelled out.
  const x = [NaN, NaN, 0, 0, 2, -2, NaN, 0, -0, 5, Infinity, -Infinity];
  const g = [NaN, 1, NaN, Infinity, NaN, Infinity, -Infinity, -3, 2, -Infinity, NaN, 4];
  const want = x.map((v, i) => g[i] * (v > 0 ? 1 : v < 0 ? -1 : 0));
  for (const dev of await backends()) {
    for (const n of [12, 16]) { // 16 takes the vec4 kernel
      const xs = Array.from({ length: n }, (_, i) => x[i % x.length]);
      const gs = Array.from({ length: n }, (_, i) => g[i % g.length]);
      const t = sg.tensor(xs, { device: dev, requiresGrad: true });
      t.abs().backward(sg.tensor(gs, { device: dev }));
      const got = await arr(t.grad!);
      const exp = Array.from({ length: n }, (_, i) => want[i % want.length]);
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(exp[i]) ? !Number.isNaN(got[i]) : got[i] !== exp[i]) throw new Error(`${dev} abs grad [${i}] at x=${xs[i]}, g=${gs[i]}: got ${got[i]}, want ${exp[i]}`);
      }
    }
  }
});

test('gradients of a zero slope or alpha, and of floor/ceil/round/trunc, with NaN and ±Inf, as PyTorch', async () => {
  // leakyRelu(x, 0) and elu(x, 0): PyTorch's g · 0 (· exp(x)) where x <= 0, NaN for a NaN or
  // infinite g; a compiler may fold the constant 0 away (NVIDIA's folds g · 0.0, lavapipe's
  // does not, so on CI these cases guard the CPU and the rule). floor, ceil, round and trunc:
  // zeros_like(g), zero even for a NaN or infinite g.
  const x = [-1, -2, NaN, 3, -Infinity, -0.5, 1, Infinity, 0, -3, 2, -0.25, 0.5];
  const g = [1, 2, Infinity, NaN, -Infinity, 3, Infinity, 1, Infinity, NaN, -4, -Infinity, 5];
  const leaky = (v: number, d: number): number => (v > 0 ? d : d * 0);
  const elu0 = (v: number, d: number): number => (v <= 0 ? d * 0 * Math.exp(v) : d);
  const cases: Array<[string, (t: Tensor) => Tensor, (v: number, d: number) => number]> = [
    ['leakyRelu(x, 0)', (t) => sg.leakyRelu(t, 0), leaky],
    ['elu(x, 0)', (t) => sg.elu(t, 0), elu0],
    ...(['floor', 'ceil', 'round', 'trunc'] as const).map((f): [string, (t: Tensor) => Tensor, (v: number, d: number) => number] => [f, (t) => sg[f](t), () => 0]),
  ];
  for (const dev of await backends()) {
    for (const [name, f, rule] of cases) {
      for (const n of [13, 16]) { // 16 takes the vec4 kernel
        const xs = Array.from({ length: n }, (_, i) => x[i % x.length]);
        const gs = Array.from({ length: n }, (_, i) => g[(i + 3) % g.length]);
        const t = sg.tensor(xs, { device: dev, requiresGrad: true });
        f(t).backward(sg.tensor(gs, { device: dev }));
        const got = await arr(t.grad!);
        allclose(got, xs.map((v, i) => rule(v, gs[i])), { rtol: 1e-6, atol: 0 }, `${dev} ${name} gradient (n=${n})`);
      }
    }
  }
});

test('gradients PyTorch masks with where: no NaN from a NaN or infinite g outside the mask', async () => {
  // clamp passes g where x is inside the bounds (strictly, for number bounds) and gives 0
  // elsewhere; max()/min() without a dim give 0 to the elements that are not the result;
  // pow's exponent gradient at base 0 is g · 0 (NaN for a NaN or infinite g, as PyTorch).
  const check = async (dev: string, t: Tensor, want: number[], what: string): Promise<void> => {
    allclose(await arr(t.grad!), want, { rtol: 1e-6, atol: 0 }, `${dev} ${what}`);
  };
  for (const dev of await backends()) {
    const T = (v: number[], grad = true): Tensor => sg.tensor(v, { device: dev, requiresGrad: grad });
    // clamp(x, -1, 1)
    const xs = [-2, 0, 2, -1, 1, NaN, Infinity, -Infinity, 0.5, 3, -0.5];
    const gs = [NaN, NaN, Infinity, Infinity, NaN, 1, NaN, Infinity, -Infinity, -Infinity, 2];
    let x = T(xs);
    x.clamp(-1, 1).backward(T(gs, false));
    await check(dev, x, xs.map((v, i) => (v > -1 && v < 1 ? gs[i] : 0)), 'clamp(x, -1, 1) gradient');
    // clamp with tensor bounds (no ties): x's, lo's and hi's shares
    const xt = [-2, 0.5, 2, -Infinity, Infinity, 0.25];
    const gt = [NaN, Infinity, Infinity, -Infinity, NaN, 3];
    x = T(xt);
    const lo = T(xt.map(() => -1));
    const hi = T(xt.map(() => 1));
    sg.clamp(x, lo, hi).backward(T(gt, false));
    await check(dev, x, xt.map((v, i) => (v > -1 && v < 1 ? gt[i] : 0)), 'clamp(x, lo, hi) gradient of x');
    await check(dev, lo, xt.map((v, i) => (v < -1 ? gt[i] : 0)), 'clamp(x, lo, hi) gradient of lo');
    await check(dev, hi, xt.map((v, i) => (v > 1 ? gt[i] : 0)), 'clamp(x, lo, hi) gradient of hi');
    // max() and min() without a dim, a NaN or infinite g
    for (const [vals, g, want] of [[[1, 3, 2, -1], NaN, [0, NaN, 0, 0]], [[1, 3, 3, -1], Infinity, [0, Infinity, Infinity, 0]], [[NaN, NaN, 1, NaN], Infinity, [Infinity, Infinity, 0, Infinity]]] as Array<[number[], number, number[]]>) {
      x = T(vals);
      x.max().backward(T([g], false).reshape([]));
      await check(dev, x, want, `max() of [${vals}] with g ${g}`);
      x = T(vals.map((v) => -v));
      x.min().backward(T([g], false).reshape([]));
      await check(dev, x, want, `min() of [${vals.map((v) => -v)}] with g ${g}`);
    }
    // pow's exponent gradient where the base is 0 and the exponent >= 0
    const e = T([2, 0, 3, 1]);
    sg.pow(0, e).backward(T([NaN, Infinity, 1, -Infinity], false));
    await check(dev, e, [NaN, NaN, 0, NaN], 'pow(0, e) gradient of e');
    const b = T([2, 1, 3]);
    T([0, 0, 2], false).pow(b).backward(T([Infinity, 1, 1], false));
    await check(dev, b, [NaN, 0, 8 * Math.log(2)], 'a.pow(b) gradient of b');
  }
});

test('float to int32: NaN is 0, values past int32 saturate, the rest truncate, on every layout', async () => {
  const specials = [NaN, Infinity, -Infinity, 3e9, -3e9, 2147483648, -2147483904, 2.9, -2.9, -0.5, 1e-30];
  const want = [0, 2147483647, -2147483648, 2147483647, -2147483648, 2147483647, -2147483648, 2, -2, 0, 0];
  for (const dev of await backends()) {
    for (const n of [11, 64, 67]) {
      // the specials at seeded positions among ordinary values; n = 64 takes the vec4 kernel
      const x = Array.from(new Float32Array(randArray(n, 700 + n, -100, 100)));
      const expect = x.map((v) => Math.trunc(v));
      const pos = randInts(specials.length, 800 + n, 0, n);
      specials.forEach((v, i) => { x[pos[i]] = v; expect[pos[i]] = want[i]; });
      // positions may repeat: the last write wins in both arrays
      const t = sg.tensor(x, { device: dev });
      assertEqualArrays(await arr(t.int()), expect, `${dev} cast of ${n} values`);
      assertEqualArrays(await arr(t.reshape([1, n]).transpose(0, 1).cast('int32')), expect, `${dev} strided cast of ${n} values`);
      if (dev === 'webgpu' && sg.deviceInfo().features.includes('shader-f16')) {
        const h = sg.tensor([NaN, Infinity, -Infinity, 65504, -7.5], { dtype: 'float16', device: dev });
        assertEqualArrays(await arr(h.int()), [0, 2147483647, -2147483648, 65504, -7], `${dev} float16 to int32`);
      }
    }
  }
});

test.run();
