// pad (constant, reflect, replicate), repeat, repeatInterleave, flip, roll: both backends
// against float64 references written here, hand-checked values from PyTorch's semantics,
// gradcheck on the CPU in float64 and WebGPU gradients against it, and bad input.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import {
  allclose, arr, assertEqualArrays, backends, f64Copies, forEachIndex, gradsOf, numel, rt, throwsBeforeWork, throwsWith, type Dev,
} from '../helpers.js';

const test = suite('shaping');

// ---- float64 references on row-major arrays ----

const stridesOf = (shape: readonly number[]): number[] => shape.map((_, i) => numel(shape.slice(i + 1)));
const at = (x: ArrayLike<number>, shape: readonly number[], idx: readonly number[]): number => {
  const st = stridesOf(shape);
  return x[idx.reduce((acc, v, d) => acc + v * st[d], 0)];
};

/** F.pad by its definition: reflect mirrors without repeating the edge, replicate repeats it. */
function padRef(x: ArrayLike<number>, shape: number[], pads: number[], mode: string, value: number): { out: number[]; shape: number[] } {
  const outShape = [...shape];
  const lo = shape.map(() => 0);
  for (let i = 0; i < pads.length / 2; i++) {
    const d = shape.length - 1 - i;
    lo[d] = pads[2 * i];
    outShape[d] = shape[d] + pads[2 * i] + pads[2 * i + 1];
  }
  const out: number[] = [];
  forEachIndex(outShape, (_i, idx) => {
    const src: number[] = [];
    for (let d = 0; d < shape.length; d++) {
      const n = shape[d];
      let j = idx[d] - lo[d];
      if (mode === 'reflect') {
        // distance from the edge element, folded back
        while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
      } else if (mode === 'replicate') j = j < 0 ? 0 : j >= n ? n - 1 : j;
      src.push(j);
    }
    out.push(src.every((j, d) => j >= 0 && j < shape[d]) ? at(x, shape, src) : value);
  });
  return { out, shape: outShape };
}

function flipRef(x: ArrayLike<number>, shape: number[], dims: number[]): number[] {
  const out: number[] = [];
  forEachIndex(shape, (_i, idx) => out.push(at(x, shape, idx.map((c, d) => (dims.includes(d) ? shape[d] - 1 - c : c)))));
  return out;
}

/** roll by placement: element i of a dim goes to (i + shift) mod n. */
function rollRef(x: ArrayLike<number>, shape: number[], shifts: number[], dims: number[]): number[] {
  const out = new Array<number>(numel(shape));
  const st = stridesOf(shape);
  forEachIndex(shape, (i, idx) => {
    const dst = idx.map((c, d) => {
      let s = 0;
      dims.forEach((dd, k) => { if (dd === d) s += shifts[k]; });
      return (((c + s) % shape[d]) + shape[d]) % shape[d];
    });
    out[dst.reduce((a, v, d) => a + v * st[d], 0)] = x[i];
  });
  return out;
}

function repeatRef(x: ArrayLike<number>, shape: number[], reps: number[]): { out: number[]; shape: number[] } {
  const full = [...new Array<number>(reps.length - shape.length).fill(1), ...shape];
  const outShape = full.map((n, d) => n * reps[d]);
  const out: number[] = [];
  forEachIndex(outShape, (_i, idx) => out.push(at(x, full, idx.map((c, d) => c % full[d]))));
  return { out, shape: outShape };
}

/** repeat_interleave by construction: each slice along dim is emitted repeats[k] times. */
function interleaveRef(x: ArrayLike<number>, shape: number[], reps: number[], dim: number): number[] {
  const outer = numel(shape.slice(0, dim));
  const inner = numel(shape.slice(dim + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < shape[dim]; k++) {
      for (let r = 0; r < reps[k]; r++) for (let i = 0; i < inner; i++) out.push(x[(o * shape[dim] + k) * inner + i]);
    }
  }
  return out;
}

const shapeIs = (t: Tensor, want: number[], what: string): void => {
  if (t.shape.join() !== want.join()) throw new Error(`${what}: shape [${t.shape}] != [${want}]`);
};

// ---- forward ----

test('pad: hand-checked values (reflect, replicate, constant, negative crop)', async () => {
  for (const dev of await backends()) {
    const x = sg.arange(6, { dtype: 'float32', device: dev }).view(1, 2, 3);
    assertEqualArrays(await arr(sg.pad(x, [2, 1], 'reflect')), [2, 1, 0, 1, 2, 1, 5, 4, 3, 4, 5, 4], `reflect on ${dev}`);
    assertEqualArrays(await arr(sg.pad(x, [2, 1], 'replicate')), [0, 0, 0, 1, 2, 2, 3, 3, 3, 4, 5, 5], `replicate on ${dev}`);
    assertEqualArrays(await arr(sg.pad(x, [1, 0, 0, 1], 'constant', -7)), [-7, 0, 1, 2, -7, 3, 4, 5, -7, -7, -7, -7], `constant on ${dev}`);
    assertEqualArrays(await arr(sg.pad(x, [-1, 1])), [1, 2, 0, 4, 5, 0], `crop left, pad right on ${dev}`);
    assertEqualArrays(await arr(sg.pad(x, [0, 1], { value: 9 })), [0, 1, 2, 9, 3, 4, 5, 9], `options object on ${dev}`);
    assertEqualArrays(await arr(sg.pad(x, [1, 0], { mode: 'replicate' })), [0, 0, 1, 2, 3, 3, 4, 5], `options mode on ${dev}`);
    assertEqualArrays(await arr(sg.pad(x, [0, 0, 1, -1], 'reflect')), [3, 4, 5, 0, 1, 2], `reflect rows with a crop on ${dev}`);
    x.dispose();
  }
});

test('pad matches the reference: modes, odd sizes, views, NaN/Inf, dtypes, empty dims', async () => {
  const cases: Array<{ shape: number[]; pads: number[]; mode: 'constant' | 'reflect' | 'replicate'; value?: number }> = [
    { shape: [3, 7], pads: [3, 2], mode: 'constant', value: 1.5 },
    { shape: [2, 3, 5], pads: [4, 4, 2, 1], mode: 'reflect' },
    { shape: [2, 3, 5], pads: [6, 0, 0, 3], mode: 'replicate' },
    { shape: [2, 2, 3, 5, 4], pads: [1, 2, 2, 1, 1, 1], mode: 'reflect' },
    { shape: [2, 3, 4, 5], pads: [1, 1, 2, 0, 1, 3], mode: 'replicate' },
    { shape: [2, 3, 4, 5], pads: [1, -2, -1, 2, 0, 1, 1, 0], mode: 'constant', value: -2 },
    { shape: [5], pads: [0, 0], mode: 'constant' },
    { shape: [2, 9], pads: [8, 8], mode: 'reflect' },
  ];
  for (const dev of await backends()) {
    for (const [k, c] of cases.entries()) {
      const { t, x } = rt(c.shape, 10 + k, dev);
      const want = padRef(x, c.shape, c.pads, c.mode, c.value ?? 0);
      const y = sg.pad(t, c.pads, c.mode, c.value);
      shapeIs(y, want.shape, `pad ${JSON.stringify(c)}`);
      assertEqualArrays(await arr(y), want.out, `pad ${JSON.stringify(c)} on ${dev}`);
      t.dispose();
    }
    // a transposed (strided) input
    const { t, x } = rt([4, 6], 30, dev);
    const xt = Array.from({ length: 24 }, (_, i) => x[(i % 4) * 6 + Math.floor(i / 4)]);
    assertEqualArrays(await arr(sg.pad(t.T.unsqueeze(0), [2, 3, 1, 1], 'reflect')), padRef(xt, [1, 6, 4], [2, 3, 1, 1], 'reflect', 0).out, `strided reflect on ${dev}`);
    // NaN and ±Inf pass through untouched, and may be the fill value
    const v = [1, NaN, 3, Infinity, -Infinity, 6];
    const s = sg.tensor(v, { shape: [2, 3], device: dev });
    allclose(await arr(sg.pad(s, [2, 2], 'reflect')), padRef(v, [2, 3], [2, 2], 'reflect', 0).out, {}, `reflect with NaN on ${dev}`);
    allclose(await arr(sg.pad(s, [1, 1], 'constant', NaN)), padRef(v, [2, 3], [1, 1], 'constant', NaN).out, {}, `NaN fill on ${dev}`);
    allclose(await arr(sg.pad(s, [0, 1], 'constant', -Infinity)), padRef(v, [2, 3], [0, 1], 'constant', -Infinity).out, {}, `-Inf fill on ${dev}`);
    // int32 and float16
    const iv = [5, -3, 7, 2, 0, 9];
    const it = sg.tensor(Int32Array.from(iv), { shape: [2, 3], device: dev });
    const py = sg.pad(it, [1, 2], 'constant', -4);
    if (py.dtype !== 'int32') throw new Error('pad keeps int32');
    assertEqualArrays(await arr(py), padRef(iv, [2, 3], [1, 2], 'constant', -4).out, `int32 on ${dev}`);
    assertEqualArrays(await arr(sg.pad(it, [2, 1], 'reflect')), padRef(iv, [2, 3], [2, 1], 'reflect', 0).out, `int32 reflect on ${dev}`);
    const h = sg.tensor([0.5, -1.25, 3, 65504, 2, -0.125], { shape: [2, 3], dtype: 'float16', device: dev });
    const hy = sg.pad(h, [1, 1], 'constant', 0.75);
    if (hy.dtype !== 'float16') throw new Error('pad keeps float16');
    assertEqualArrays(await arr(hy), padRef([0.5, -1.25, 3, 65504, 2, -0.125], [2, 3], [1, 1], 'constant', 0.75).out, `float16 on ${dev}`);
    assertEqualArrays(await arr(sg.pad(h, [2, 0], 'replicate')), padRef([0.5, -1.25, 3, 65504, 2, -0.125], [2, 3], [2, 0], 'replicate', 0).out, `float16 replicate on ${dev}`);
    // empty dims: a constant pad of an empty dim is all fill; an empty batch stays empty
    const e = sg.zeros([2, 0], { device: dev });
    assertEqualArrays(await arr(sg.pad(e, [1, 2], 'constant', 3)), [3, 3, 3, 3, 3, 3], `padding an empty dim on ${dev}`);
    const eb = sg.pad(sg.zeros([0, 2, 3], { device: dev }), [1, 1], 'reflect');
    shapeIs(eb, [0, 2, 5], 'empty batch reflect');
    const crop = sg.pad(rt([2, 3], 31, dev).t, [-2, -1]);
    shapeIs(crop, [2, 0], 'crop to empty');
    [s, it, h, e, eb, crop, t].forEach((z) => z.dispose());
  }
});

test('flip, roll, repeat, repeatInterleave match the references', async () => {
  for (const dev of await backends()) {
    const shape = [3, 5, 4];
    const { t, x } = rt(shape, 40, dev);
    for (const dims of [[0], [2], [0, 2], [-1, 1], [0, 1, 2]]) {
      const nd = dims.map((d) => (d < 0 ? d + 3 : d));
      assertEqualArrays(await arr(t.flip(dims)), flipRef(x, shape, nd), `flip ${dims} on ${dev}`);
    }
    assertEqualArrays(await arr(t.flip(0, 2)), flipRef(x, shape, [0, 2]), `flip varargs on ${dev}`);
    assertEqualArrays(await arr(sg.flip(t, -2)), flipRef(x, shape, [1]), `sg.flip one dim on ${dev}`);
    for (const [shifts, dims] of [[[2], [0]], [[-3], [1]], [[7, -1], [2, 0]], [[1, 2], [1, 1]], [[0], [2]], [[13], [-1]]] as Array<[number[], number[]]>) {
      const nd = dims.map((d) => (d < 0 ? d + 3 : d));
      assertEqualArrays(await arr(t.roll(shifts, dims)), rollRef(x, shape, shifts, nd), `roll ${shifts} ${dims} on ${dev}`);
    }
    assertEqualArrays(await arr(t.roll(2, 1)), rollRef(x, shape, [2], [1]), `roll numbers on ${dev}`);
    // no dims: a roll of the flattened tensor, shape kept
    const flat = await arr(t.roll(-7));
    assertEqualArrays(flat, rollRef(x, [60], [-7], [0]), `flattened roll on ${dev}`);
    for (const reps of [[1, 1, 1], [2, 1, 3], [2, 1, 2, 1], [1, 0, 1], [3, 2, 1, 1, 1]]) {
      const want = repeatRef(x, shape, reps);
      const y = t.repeat(reps);
      shapeIs(y, want.shape, `repeat ${reps}`);
      assertEqualArrays(await arr(y), want.out, `repeat ${reps} on ${dev}`);
    }
    assertEqualArrays(await arr(t.repeat(2, 1, 1)), repeatRef(x, shape, [2, 1, 1]).out, `repeat varargs on ${dev}`);
    assertEqualArrays(await arr(sg.repeat(t, [1, 2, 1])), repeatRef(x, shape, [1, 2, 1]).out, `sg.repeat on ${dev}`);
    assertEqualArrays(await arr(t.repeatInterleave(2, 1)), interleaveRef(x, shape, [2, 2, 2, 2, 2], 1), `repeatInterleave 2 dim 1 on ${dev}`);
    shapeIs(t.repeatInterleave(2, 1, { outputSize: 10 }), [3, 10, 4], 'repeatInterleave with a matching outputSize');
    assertEqualArrays(await arr(t.repeatInterleave([1, 0, 3], 0)), interleaveRef(x, shape, [1, 0, 3], 0), `repeatInterleave list on ${dev}`);
    const rtens = sg.tensor(Int32Array.from([0, 2, 1, 3]), { device: 'cpu' });
    assertEqualArrays(await arr(sg.repeatInterleave(t, rtens, -1)), interleaveRef(x, shape, [0, 2, 1, 3], 2), `repeatInterleave tensor on ${dev}`);
    const flatI = t.repeatInterleave(3);
    shapeIs(flatI, [180], 'repeatInterleave without dim');
    assertEqualArrays(await arr(flatI), interleaveRef(x, [60], new Array(60).fill(3), 0), `repeatInterleave flat on ${dev}`);
    shapeIs(t.repeatInterleave(sg.tensor(2, { dtype: 'int32', device: 'cpu' }), 0), [6, 5, 4], 'a 0-d repeats tensor broadcasts');
    // strided input, int32, float16, NaN/Inf, 0-d, empty
    const xt = Array.from({ length: 60 }, (_, i) => x[(i % 3) * 20 + Math.floor(i / 3)]);
    const tt = t.view(3, 20).T; // [20, 3]
    assertEqualArrays(await arr(tt.flip(0)), flipRef(xt, [20, 3], [0]), `strided flip on ${dev}`);
    assertEqualArrays(await arr(tt.roll(3, 0)), rollRef(xt, [20, 3], [3], [0]), `strided roll on ${dev}`);
    assertEqualArrays(await arr(tt.repeat(1, 2)), repeatRef(xt, [20, 3], [1, 2]).out, `strided repeat on ${dev}`);
    const iv = [4, -8, 2147483647, -2147483648, 0, 1];
    const it = sg.tensor(Int32Array.from(iv), { shape: [2, 3], device: dev });
    assertEqualArrays(await arr(it.flip(1)), flipRef(iv, [2, 3], [1]), `int32 flip on ${dev}`);
    assertEqualArrays(await arr(it.roll(1, 1)), rollRef(iv, [2, 3], [1], [1]), `int32 roll on ${dev}`);
    assertEqualArrays(await arr(it.repeatInterleave(2, 0)), interleaveRef(iv, [2, 3], [2, 2], 0), `int32 interleave on ${dev}`);
    const hv = [0.5, NaN, -Infinity, 1024, 0.25, -3];
    const h = sg.tensor(hv, { shape: [3, 2], dtype: 'float16', device: dev });
    allclose(await arr(h.flip(0)), flipRef(hv, [3, 2], [0]), {}, `float16 flip on ${dev}`);
    allclose(await arr(h.repeat(2, 1)), repeatRef(hv, [3, 2], [2, 1]).out, {}, `float16 repeat on ${dev}`);
    const fv = [1, 2, NaN, Infinity, -Infinity, 6, 7];
    allclose(await arr(sg.tensor(fv, { device: dev }).roll(3)), rollRef(fv, [7], [3], [0]), {}, `roll with NaN on ${dev}`);
    const z = sg.tensor(2.5, { device: dev });
    shapeIs(z.roll(3), [], '0-d roll');
    shapeIs(z.flip([]), [], '0-d flip');
    assertEqualArrays(await arr(z.repeat(2, 3)), [2.5, 2.5, 2.5, 2.5, 2.5, 2.5], `0-d repeat on ${dev}`);
    assertEqualArrays(await arr(z.repeatInterleave(3)), [2.5, 2.5, 2.5], `0-d interleave on ${dev}`);
    const e = sg.zeros([0, 3], { device: dev });
    shapeIs(e.roll(2, 0), [0, 3], 'empty roll');
    shapeIs(e.flip(0), [0, 3], 'empty flip');
    shapeIs(e.repeat(2, 2), [0, 6], 'empty repeat');
    shapeIs(e.repeatInterleave(2, 1), [0, 6], 'empty interleave');
    // more dims than the strided map kernels take (the layout lives in a buffer)
    const big = [2, 3, 2, 2, 3, 2, 2, 2, 3, 2, 2];
    const b = rt(big, 45, dev);
    const every = big.map((_, d) => d);
    assertEqualArrays(await arr(b.t.flip(every)), flipRef(b.x, big, every), `11-d flip on ${dev}`);
    assertEqualArrays(await arr(b.t.roll(every.map((d) => d + 1), every)), rollRef(b.x, big, every.map((d) => d + 1), every), `11-d roll on ${dev}`);
    b.t.dispose();
    // views made along the way (flatten, reshape) are not left live
    const before = sg.memory().liveTensors;
    const kept = [t.roll(3), t.repeat(2, 1, 1, 1), t.repeatInterleave(2), z.repeatInterleave(2), z.roll(1)];
    if (sg.memory().liveTensors !== before + kept.length) throw new Error(`temporaries left live on ${dev}`);
    [t, rtens, it, h, z, e, ...kept].forEach((q) => q.dispose());
  }
});

// ---- gradients ----

const GRAD_CASES: Array<[string, number[], (x: Tensor) => Tensor]> = [
  ['pad constant with a crop', [2, 3, 5], (x) => sg.pad(x, [2, -1, 1, 1], 'constant', 0.5)],
  ['pad reflect 1-D', [2, 7], (x) => sg.pad(x, [6, 3], 'reflect')],
  ['pad reflect 2-D', [2, 4, 5], (x) => sg.pad(x, [2, 4, 3, 1], 'reflect')],
  ['pad replicate 3-D', [1, 3, 2, 4], (x) => sg.pad(x, [2, 1, 0, 2, 1, 1], 'replicate')],
  ['flip', [3, 4, 5], (x) => x.flip(0, 2)],
  ['roll', [3, 5], (x) => x.roll([2, -1], [1, 0])],
  ['roll flattened', [3, 5], (x) => x.roll(4)],
  ['repeat', [3, 2], (x) => x.repeat(2, 1, 3)],
  ['repeatInterleave list', [4, 3], (x) => x.repeatInterleave([2, 0, 1, 3], 0)],
  ['repeatInterleave flat', [2, 3], (x) => x.repeatInterleave(2)],
  ['chain on a view', [4, 6], (x) => sg.pad(x.T.flip(1).repeat(1, 2), [1, 2], 'reflect').roll(1, 0)],
];

test('gradcheck: every op (CPU float64)', async () => {
  let seed = 100;
  for (const [name, shape, fn] of GRAD_CASES) {
    try {
      await sg.gradcheck((x) => fn(x).mul(fn(x)), [rt(shape, seed++, 'cpu').t]);
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`);
    }
  }
});

test('WebGPU gradients match CPU float64 autograd', async () => {
  if (!(await backends()).includes('webgpu')) return;
  let seed = 200;
  for (const [name, shape, fn] of GRAD_CASES) {
    const x = rt(shape, seed++, 'webgpu', { requiresGrad: true }).t;
    const got = await gradsOf(fn, [x]);
    const want = await gradsOf(fn, await f64Copies([x]));
    allclose(got.out, want.out, { rtol: 1e-6, atol: 1e-7 }, `${name} forward`);
    allclose(got.grads[0]!, want.grads[0]!, { rtol: 1e-5, atol: 1e-6 }, `${name} grad`);
    x.dispose();
  }
  // empty inputs and outputs get empty or zero gradients of the input's shape
  for (const [shape, fn] of [[[2, 0], (x: Tensor) => sg.pad(x, [1, 2], 'constant', 3)], [[0, 3], (x: Tensor) => x.repeat(1, 2)], [[2, 3], (x: Tensor) => x.repeat(0, 1)]] as Array<[number[], (x: Tensor) => Tensor]>) {
    const x = sg.zeros(shape, { device: 'webgpu', requiresGrad: true });
    fn(x).sum().backward();
    shapeIs(x.grad!, shape, 'empty-case grad');
    assertEqualArrays(await x.grad!.toArray(), new Array(numel(shape)).fill(0), 'empty-case grad values');
    x.dispose();
  }
  // float16 gradients flow too
  const h = sg.tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3], dtype: 'float16', device: 'webgpu', requiresGrad: true });
  sg.pad(h, [2, 1], 'reflect').sum().backward();
  assertEqualArrays(await h.grad!.toArray(), [1, 3, 2, 1, 3, 2], 'float16 reflect grad (c b a b c b: a once, b three times, c twice)');
  h.dispose();
});

// ---- bad input ----

test('bad input throws before any work, naming the op', async () => {
  for (const dev of await backends()) {
    const x = sg.zeros([2, 3, 4], { device: dev });
    const cases: Array<[string, () => unknown, RegExp[]]> = [
      ['odd pads', () => sg.pad(x, [1, 2, 3]), [/^pad: /, /divisible by 2/]],
      ['too many pads', () => sg.pad(x, [1, 1, 1, 1, 1, 1, 1, 1]), [/^pad: /, /8/, /\[2, 3, 4\]/]],
      ['bad mode', () => sg.pad(x, [1, 1], 'circular' as 'constant'), [/^pad: /, /mode/, /circular/]],
      ['value for reflect', () => sg.pad(x, [1, 1], 'reflect', 2), [/^pad: /, /doesn't take in value/]],
      ['reflect too wide', () => sg.pad(x, [4, 0], 'reflect'), [/^pad: /, /less than the corresponding input dimension/, /\(4, 0\)/]],
      ['reflect on 1-D', () => sg.pad(sg.zeros([5]), [1, 1], 'reflect'), [/^pad: /, /reflect padding supports/]],
      ['negative size', () => sg.pad(x, [-3, -2]), [/^pad: /, /crop more than its size 4/]],
      ['int32 fill', () => sg.pad(sg.zeros([2, 2], { dtype: 'int32' }), [1, 1], 'constant', 0.5), [/^pad: /, /int32/]],
      ['bad option', () => sg.pad(x, [1, 1], { valu: 2 } as never), [/^pad: /, /valu/]],
      ['pads not ints', () => sg.pad(x, [1.5, 1]), [/^pad: /, /pads/]],
      ['flip repeated dim', () => x.flip(0, -3), [/^flip: /, /multiple times/]],
      ['flip bad dim', () => x.flip(3), [/^flip: /, /3/]],
      ['roll misaligned', () => x.roll([1, 2], [0]), [/^roll: /, /align/]],
      ['roll no dims, two shifts', () => x.roll([1, 2]), [/^roll: /, /one number/]],
      ['repeat too few', () => x.repeat(2, 2), [/^repeat: /, /smaller/, /\[2, 3, 4\]/]],
      ['repeat negative', () => x.repeat(1, -1, 1), [/^repeat: /, />= 0/]],
      ['interleave negative', () => x.repeatInterleave(-1, 0), [/^repeatInterleave: /, /negative/]],
      ['interleave size', () => x.repeatInterleave([1, 2], 1), [/^repeatInterleave: /, /2 repeats for size 3/]],
      ['interleave float tensor', () => x.repeatInterleave(sg.tensor([1, 2], { device: 'cpu' }) as Tensor, 0), [/^repeatInterleave: /, /int32/]],
      ['interleave dim', () => x.repeatInterleave(2, 3), [/^repeatInterleave: /, /3/]],
      ['interleave outputSize', () => x.repeatInterleave(2, 1, { outputSize: 5 }), [/^repeatInterleave: /, /outputSize 5/, /6/]],
    ];
    for (const [what, run, pats] of cases) {
      if (what === 'reflect on 1-D' || what === 'int32 fill' || what === 'interleave float tensor') throwsWith(run, ...pats);
      else throwsBeforeWork(`${what} on ${dev}`, run, pats);
    }
    if (dev === 'webgpu') {
      const gpuReps = sg.tensor(Int32Array.from([1, 1]), { device: dev });
      throwsWith(() => x.repeatInterleave(gpuReps, 0), /^repeatInterleave: /, /cpu/);
      gpuReps.dispose();
    }
    assertEqualArrays(await arr(sg.pad(sg.ones([1, 2], { device: dev }), [1, 0])), [0, 1, 1], `usable after errors on ${dev}`);
    x.dispose();
  }
});

// Found by the adversarial PyTorch parity run (bench/parity/adv-shaping.mjs); the expected values
// are PyTorch 2.14's answers, written here.
test('pad, roll, repeatInterleave: PyTorch parity regressions', async () => {
  for (const dev of await backends()) {
    // a bool input's fill is any non-zero value cast to true: F.pad(tensor([T, F]), (1, 1), value=3) is [T, T, F, T]
    const b = sg.tensor([true, false], { dtype: 'bool', device: dev });
    for (const v of [3, NaN, -0.5]) {
      const y = sg.pad(b, [1, 1], 'constant', v);
      if (y.dtype !== 'bool') throw new Error('pad keeps bool');
      assertEqualArrays(await arr(y), [1, 1, 0, 1], `bool pad with value ${v} on ${dev}`);
    }
    assertEqualArrays(await arr(sg.pad(b, [1, 0], 'constant', 0)), [0, 1, 0], `bool pad with 0 on ${dev}`);
    // PyTorch crops negative pads with narrow() first: F.pad(zeros(5), (2, -6)) and (-6, 2) raise though 5 + 2 - 6 >= 0
    const f = sg.zeros([5], { device: dev });
    throwsBeforeWork(`crop past the start on ${dev}`, () => sg.pad(f, [-6, 2]), [/^pad: /, /crop more than its size 5/]);
    throwsBeforeWork(`crop past the end on ${dev}`, () => sg.pad(f, [2, -6]), [/^pad: /, /crop more than its size 5/]);
    const e = sg.zeros([4, 0, 1], { device: dev });
    throwsBeforeWork(`crop of an empty dim on ${dev}`, () => sg.pad(e, [3, 0, -2, 4], 'constant', 7), [/^pad: /, /size 0/]);
    shapeIs(sg.pad(f, [-5, 1]), [1], 'a crop of the whole dim, then a pad');
    // replicate has no narrow() step: F.pad(tensor([[5., 7.]]), (4, -3), mode='replicate') is [[5, 5, 5]]
    const r2 = sg.tensor([5, 7], { shape: [1, 2], device: dev });
    assertEqualArrays(await arr(sg.pad(r2, [4, -3], 'replicate')), [5, 5, 5], `replicate with a crop past the start on ${dev}`);
    r2.dispose();
    const [e204, e05, e034] = [[2, 0, 4], [0, 5], [0, 3, 4]].map((sh) => sg.zeros(sh, { device: dev }));
    // reflect/replicate: only the batch dim may be empty (PyTorch: "possibly 0 batch size and other non-zero dimensions")
    throwsBeforeWork(`replicate with an empty channel dim on ${dev}`, () => sg.pad(e204, [1, 1], 'replicate'), [/^pad: /, /non-zero/, /\[2, 0, 4\]/]);
    throwsBeforeWork(`reflect of an unbatched empty dim on ${dev}`, () => sg.pad(e05, [-2, 0], 'reflect'), [/^pad: /, /non-zero/]);
    throwsBeforeWork(`replicate 2-D with an empty dim on ${dev}`, () => sg.pad(e034, [1, 1, 1, 1], 'replicate'), [/^pad: /, /non-zero/]);
    shapeIs(sg.pad(sg.zeros([0, 2, 3, 4], { device: dev }), [1, 1, 1, 1], 'replicate'), [0, 2, 5, 6], 'an empty batch still pads');
    // torch.roll(tensor(1.), [1], [0]) and torch.repeat_interleave(tensor(1.), 2, dim=0) raise; without dims they work
    const z = sg.tensor(1.5, { device: dev });
    throwsBeforeWork(`roll of a 0-d tensor with dims on ${dev}`, () => z.roll([1], [0]), [/^roll: /, /0-d/]);
    throwsBeforeWork(`roll of a 0-d tensor with dim -1 on ${dev}`, () => z.roll(1, -1), [/^roll: /, /0-d/]);
    throwsBeforeWork(`repeatInterleave of a 0-d tensor with a dim on ${dev}`, () => z.repeatInterleave(2, 0), [/^repeatInterleave: /, /0-d/]);
    assertEqualArrays(await arr(z.repeatInterleave(2)), [1.5, 1.5], `flattened repeatInterleave of a 0-d tensor on ${dev}`);
    // torch.zeros(0).repeat(-1) has shape [0] (PyTorch refuses only a negative output size); zeros(0, 2).repeat(2, -1) raises
    const e0 = sg.zeros([0, 2], { device: dev });
    shapeIs(e0.repeat(-1, 3), [0, 6], 'an empty dim repeated -1 times');
    throwsBeforeWork(`a non-empty dim repeated -1 times on ${dev}`, () => e0.repeat(2, -1), [/^repeat: /, />= 0/, /\[0, 2\]/]);
    e0.dispose();
    [b, f, z, e, e204, e05, e034].forEach((q) => q.dispose());
  }
});

test.run();
