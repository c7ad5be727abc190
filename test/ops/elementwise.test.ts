import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { erf } from '../../src/ops/elementwise.js';
import { runtime } from '../../src/backend/runtime.js';
import { roundF16 } from '../../src/tensor/dtype.js';
import {
  allclose, assertEqualArrays, backends, bcastGet, broadcastShape, f64Copies, forEachIndex, gradsOf, numel, randArray, rt, throwsWith,
  spyDispatches,
} from '../helpers.js';

const test = suite('elementwise');

const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

interface Unary { name: string; run: (t: Tensor) => Tensor; ref: (x: number) => number; lo: number; hi: number }
const UNARY: Unary[] = [
  { name: 'neg', run: (t) => t.neg(), ref: (x) => -x, lo: -2, hi: 2 },
  { name: 'exp', run: (t) => t.exp(), ref: Math.exp, lo: -3, hi: 3 },
  { name: 'log', run: (t) => t.log(), ref: Math.log, lo: 0.1, hi: 4 },
  { name: 'sqrt', run: (t) => t.sqrt(), ref: Math.sqrt, lo: 0.1, hi: 4 },
  { name: 'rsqrt', run: (t) => t.rsqrt(), ref: (x) => 1 / Math.sqrt(x), lo: 0.2, hi: 4 },
  { name: 'abs', run: (t) => t.abs(), ref: Math.abs, lo: -2, hi: 2 },
  { name: 'relu', run: (t) => t.relu(), ref: (x) => Math.max(x, 0), lo: -2, hi: 2 },
  { name: 'gelu', run: (t) => t.gelu(), ref: gelu, lo: -4, hi: 4 },
  { name: 'gelu tanh', run: (t) => t.gelu('tanh'), ref: geluTanh, lo: -4, hi: 4 },
  { name: 'silu', run: (t) => t.silu(), ref: (x) => x * sigmoid(x), lo: -5, hi: 5 },
  { name: 'sigmoid', run: (t) => t.sigmoid(), ref: sigmoid, lo: -6, hi: 6 },
  { name: 'tanh', run: (t) => t.tanh(), ref: Math.tanh, lo: -4, hi: 4 },
];

interface Binary { name: string; run: (a: Tensor, b: Tensor) => Tensor; ref: (a: number, b: number) => number; lo: number; hi: number }
const BINARY: Binary[] = [
  { name: 'add', run: (a, b) => a.add(b), ref: (a, b) => a + b, lo: -2, hi: 2 },
  { name: 'sub', run: (a, b) => a.sub(b), ref: (a, b) => a - b, lo: -2, hi: 2 },
  { name: 'mul', run: (a, b) => a.mul(b), ref: (a, b) => a * b, lo: -2, hi: 2 },
  { name: 'div', run: (a, b) => a.div(b), ref: (a, b) => a / b, lo: 0.5, hi: 2 },
  { name: 'pow', run: (a, b) => a.pow(b), ref: Math.pow, lo: 0.5, hi: 2 },
  { name: 'maximum', run: (a, b) => a.maximum(b), ref: Math.max, lo: -2, hi: 2 },
  { name: 'minimum', run: (a, b) => a.minimum(b), ref: Math.min, lo: -2, hi: 2 },
];

const SHAPES: Array<[number[], number[]]> = [
  [[7], [7]], [[1], [65]], [[3, 1, 5], [4, 5]], [[257], [257]], [[2, 3], []], [[65, 1], [1, 7]],
];

test('unary ops match float64 references at odd sizes', async () => {
  for (const dev of await backends()) {
    for (const op of UNARY) {
      for (const n of [1, 7, 65, 257, 1000]) {
        const { t, x } = rt([n], n + 3, dev, { lo: op.lo, hi: op.hi });
        const y = op.run(t);
        allclose(await y.toArray(), Array.from(x, op.ref), { rtol: 2e-5, atol: 2e-6 }, `${op.name} n=${n} on ${dev}`);
        t.dispose(); y.dispose();
      }
    }
  }
});

test('binary ops broadcast like PyTorch', async () => {
  for (const dev of await backends()) {
    for (const op of BINARY) {
      for (const [sa, sb] of SHAPES) {
        const { t: a, x } = rt(sa, 11, dev, { lo: op.lo, hi: op.hi });
        const { t: b, x: y } = rt(sb, 12, dev, { lo: op.lo, hi: op.hi });
        const out = op.run(a, b);
        const shape = broadcastShape(sa, sb);
        const exp = new Float64Array(numel(shape));
        forEachIndex(shape, (i, idx) => { exp[i] = op.ref(bcastGet(x, sa, idx), bcastGet(y, sb, idx)); });
        if (out.shape.join() !== shape.join()) throw new Error(`${op.name}: shape ${out.shape} != ${shape}`);
        allclose(await out.toArray(), exp, { rtol: 2e-5, atol: 1e-6 }, `${op.name} ${sa}x${sb} on ${dev}`);
        [a, b, out].forEach((t) => t.dispose());
      }
    }
  }
});

test('number operands on either side', async () => {
  for (const dev of await backends()) {
    const { t, x } = rt([33], 5, dev, { lo: 0.5, hi: 2 });
    const cases: Array<[Tensor, (v: number) => number, string]> = [
      [t.add(2.5), (v) => v + 2.5, 'add'], [t.sub(1.5), (v) => v - 1.5, 'sub'], [sg.sub(3, t), (v) => 3 - v, 'rsub'],
      [t.mul(-2), (v) => -2 * v, 'mul'], [t.div(4), (v) => v / 4, 'div'], [sg.div(1, t), (v) => 1 / v, 'rdiv'],
      [t.pow(3), (v) => v ** 3, 'pow'], [sg.pow(2, t), (v) => 2 ** v, 'rpow'], [t.add(t, 0.5), (v) => 1.5 * v, 'add alpha'],
    ];
    for (const [y, f, name] of cases) allclose(await y.toArray(), Array.from(x, f), { rtol: 2e-5 }, `${name} on ${dev}`);
  }
});

test('int32 arithmetic stays integer; comparisons give 0/1; where selects', async () => {
  for (const dev of await backends()) {
    const a = sg.tensor(new Int32Array([5, -3, 7, 0, 12, -8]), { device: dev });
    const b = sg.tensor(new Int32Array([2, 4, -7, 9, 12, 3]), { device: dev });
    const sum = a.add(b);
    if (sum.dtype !== 'int32') throw new Error(`int add gave ${sum.dtype}`);
    assertEqualArrays(await sum.toArray(), [7, 1, 0, 9, 24, -5], `int add on ${dev}`);
    assertEqualArrays(await a.mul(b).toArray(), [10, -12, -49, 0, 144, -24], `int mul on ${dev}`);
    const q = a.div(b);
    if (q.dtype !== 'float32') throw new Error('int div must be true division');
    allclose(await q.toArray(), [2.5, -0.75, -1, 0, 1, -8 / 3], {}, `int div on ${dev}`);
    assertEqualArrays(await a.gt(b).toArray(), [1, 0, 1, 0, 0, 0], 'gt');
    assertEqualArrays(await a.eq(b).toArray(), [0, 0, 0, 0, 1, 0], 'eq');
    assertEqualArrays(await a.le(0).toArray(), [0, 1, 0, 1, 0, 1], 'le scalar');
    const w = sg.where(a.gt(b), a, b);
    assertEqualArrays(await w.toArray(), [5, 4, 7, 9, 12, 3], `where on ${dev}`);
    const f = sg.tensor([1.5, -2.7, 3.99, -0.2], { device: dev });
    assertEqualArrays(await f.int().toArray(), [1, -2, 3, 0], `cast to int truncates on ${dev}`);
    assertEqualArrays(await a.float().add(0.5).toArray(), [5.5, -2.5, 7.5, 0.5, 12.5, -7.5], 'cast to float');
  }
});

test('float16 storage computes in f32 and rounds to half', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) continue;
    const { t, x } = rt([65], 21, dev, { lo: -3, hi: 3, dtype: 'float16' });
    const y = t.gelu().add(t);
    if (y.dtype !== 'float16') throw new Error(`got ${y.dtype}`);
    allclose(await y.toArray(), Array.from(x, (v) => gelu(v) + v), { rtol: 2e-3, atol: 2e-3 }, `f16 gelu+add on ${dev}`);
    const mixed = t.add(sg.ones([65], { device: dev }));
    if (mixed.dtype !== 'float32') throw new Error('float16 + float32 must promote to float32');
  }
});

test('strided inputs: transposed and expanded views are read without copies', async () => {
  for (const dev of await backends()) {
    const { t: a, x } = rt([5, 7], 31, dev);
    const at = a.transpose(0, 1); // [7, 5]
    const { t: b, x: y } = rt([7, 1], 32, dev);
    const out = at.mul(b.expand(7, 5));
    const exp: number[] = [];
    for (let i = 0; i < 7; i++) for (let j = 0; j < 5; j++) exp.push(x[j * 7 + i] * y[i]);
    allclose(await out.toArray(), exp, {}, `transposed mul on ${dev}`);
    const sl = a.slice(1, 1, 7, 2); // every other column from 1
    const e2: number[] = [];
    for (let i = 0; i < 5; i++) for (let j = 1; j < 7; j += 2) e2.push(Math.exp(x[i * 7 + j]));
    allclose(await sl.exp().toArray(), e2, { rtol: 2e-6 }, `sliced exp on ${dev}`);
  }
});

test('contiguous maps of whole vec4s run four elements per invocation; the rest one', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const { keys, restore } = spyDispatches();
  try {
    const { t: a, x } = rt([1028], 41, 'webgpu', { lo: -3, hi: 3 });
    const { t: b, x: y } = rt([1028], 42, 'webgpu', { lo: -3, hi: 3 });
    // Slices at offsets 4 (vec4-aligned) and 1 (not), of 1024 elements.
    const cases: Array<[string, () => Tensor, (i: number) => number, 'v4' | 'c']> = [
      ['gelu', () => a.narrow(0, 4, 1024).gelu(), (i) => gelu(x[4 + i]), 'v4'],
      ['gelu at offset 1', () => a.narrow(0, 1, 1024).gelu(), (i) => gelu(x[1 + i]), 'c'],
      ['add', () => a.narrow(0, 4, 1024).add(b.narrow(0, 0, 1024)), (i) => x[4 + i] + y[i], 'v4'],
      ['mul by a number', () => a.narrow(0, 0, 1024).mul(2.5), (i) => 2.5 * x[i], 'v4'],
      ['where', () => sg.where(a.gt(b), a, b), (i) => (x[i] > y[i] ? x[i] : y[i]), 'v4'],
      ['gt (0/1)', () => a.gt(b), (i) => (x[i] > y[i] ? 1 : 0), 'v4'],
      ['int add', () => a.mul(10).int().add(b.mul(10).int()), (i) => Math.trunc(Math.fround(x[i] * 10)) + Math.trunc(Math.fround(y[i] * 10)), 'v4'],
    ];
    if (sg.deviceInfo().features.includes('shader-f16')) {
      cases.push(['float16 gelu, cast back', () => a.half().gelu().float(), (i) => roundF16(gelu(roundF16(x[i]))), 'v4']);
    }
    for (const [name, run, ref, kind] of cases) {
      const n0 = keys.length;
      const out = run();
      const got = await out.toArray();
      // float16: one half ulp either way where f32 and f64 round differently.
      const tol = name.startsWith('float16') ? { rtol: 1e-3, atol: 1e-3 } : { rtol: 2e-5, atol: 2e-5 };
      allclose(got, Array.from({ length: got.length }, (_, i) => ref(i)), tol, name);
      const mine = keys.slice(n0).filter((k) => k.startsWith('map:'));
      if (!mine.length || !mine[mine.length - 1].endsWith(`:${kind}`)) throw new Error(`${name}: expected a :${kind} map last, dispatched ${mine.join(', ')}`);
      out.dispose();
    }
    [a, b].forEach((t) => t.dispose());
  } finally {
    restore();
  }
});

test('more elements than one dispatch holds (65535 workgroups x 256)', async () => {
  const n = 65535 * 256 + 77;
  for (const dev of await backends()) {
    const t = sg.arange(n, { device: dev }).float();
    const y = t.mul(2).add(1);
    const got = await y.toArray();
    for (const i of [0, 1, 256, 65535 * 256 - 1, 65535 * 256, n - 1]) {
      if (got[i] !== Math.fround(2 * i + 1)) throw new Error(`element ${i}: ${got[i]} on ${dev}`);
    }
    t.dispose(); y.dispose();
  }
});

test('gradcheck: every unary and binary op, with broadcasting', async () => {
  for (const op of UNARY) {
    const { t } = rt([2, 3], 41, 'cpu', { lo: op.lo, hi: op.hi });
    if (op.name === 'relu' || op.name === 'abs') {
      // keep away from the kink at 0, where finite differences are meaningless
      const x = sg.tensor(randArray(6, 41, 0.2, 1).map((v, i) => (i % 2 ? v : -v)), { shape: [2, 3], device: 'cpu' });
      await sg.gradcheck(op.run, [x]);
      continue;
    }
    await sg.gradcheck(op.run, [t]);
  }
  for (const op of BINARY) {
    const a = rt([3, 1, 4], 42, 'cpu', { lo: op.lo, hi: op.hi }).t;
    const b = rt([2, 4], 43, 'cpu', { lo: op.lo, hi: op.hi }).t;
    await sg.gradcheck(op.run, [a, b]);
  }
  const base = rt([4], 44, 'cpu', { lo: 0.5, hi: 2 }).t;
  await sg.gradcheck((x) => sg.sub(2, x).mul(3).div(x.add(4)).add(sg.div(1, x)), [base]);
  await sg.gradcheck((x) => sg.pow(1.7, x).add(x.pow(2.5)), [base]);
  const cond = sg.tensor(new Int32Array([1, 0, 0, 1]), { device: 'cpu' });
  await sg.gradcheck((x, y) => sg.where(cond, x, y.mul(2)), [base, rt([1], 45, 'cpu').t]);
  // A trip through float32 rounds to ~1e-7, so finite differences need a larger step here.
  await sg.gradcheck((x) => x.cast('float32').cast('float64').mul(x), [base], { eps: 1e-3, atol: 1e-4 });
});

test('maximum/minimum split the gradient evenly on ties', async () => {
  for (const dev of await backends()) {
    const a = sg.tensor([1, 2, 3], { device: dev, requiresGrad: true });
    const b = sg.tensor([3, 2, 1], { device: dev, requiresGrad: true });
    a.maximum(b).sum().backward();
    allclose(await a.grad!.toArray(), [0, 0.5, 1], {}, 'dmax/da');
    allclose(await b.grad!.toArray(), [1, 0.5, 0], {}, 'dmax/db');
  }
});

test('WebGPU gradients match CPU float64 autograd', async () => {
  const devs = await backends();
  for (const dev of devs) {
    const a = rt([5, 1, 7], 51, dev, { lo: 0.3, hi: 2, requiresGrad: true }).t;
    const b = rt([3, 7], 52, dev, { lo: 0.3, hi: 2, requiresGrad: true }).t;
    const f = (x: Tensor, y: Tensor): Tensor => x.mul(y).add(x.div(y)).gelu().sub(y.sqrt().tanh()).mul(x.sigmoid()).add(y.pow(x).silu()).exp().log().relu();
    const got = await gradsOf(f, [a, b]);
    const ref = await gradsOf(f, await f64Copies([a, b]));
    allclose(got.out, ref.out, { rtol: 1e-4, atol: 1e-5 }, `forward on ${dev}`);
    allclose(got.grads[0]!, ref.grads[0]!, { rtol: 1e-4, atol: 1e-5 }, `grad a on ${dev}`);
    allclose(got.grads[1]!, ref.grads[1]!, { rtol: 1e-4, atol: 1e-5 }, `grad b on ${dev}`);
  }
});

test('in-place updates: copy_ add_ sub_ mul_ fill_ zero_, refused on tensors that require grad', async () => {
  for (const dev of await backends()) {
    const { t: w, x } = rt([2, 3], 61, dev, { requiresGrad: true });
    const g = rt([3], 62, dev).t;
    throwsWith(() => w.sub_(g), /sub_/, /requires grad/, /noGrad/);
    sg.noGrad(() => w.sub_(g, 0.5).mul_(2));
    const gv = await g.toArray();
    allclose(await w.toArray(), Array.from(x, (v, i) => 2 * (v - 0.5 * gv[i % 3])), {}, `sub_ mul_ on ${dev}`);
    const z = sg.zeros([2, 3], { device: dev });
    z.add_(1).copy_(g);
    allclose(await z.toArray(), [...gv, ...gv], {}, 'copy_ broadcasts');
    allclose(await z.fill_(4).toArray(), [4, 4, 4, 4, 4, 4], {}, 'fill_');
    allclose(await z.zero_().toArray(), [0, 0, 0, 0, 0, 0], {}, 'zero_');
    throwsWith(() => z.add_(sg.ones([4], { device: dev })), /add_/, /\[4\]/);
  }
});

test('bad input names the op and shapes; the next call works', async () => {
  for (const dev of await backends()) {
    const a = sg.ones([2, 3], { device: dev });
    const b = sg.ones([4, 3], { device: dev });
    throwsWith(() => a.add(b), /add/, /\[2, 3\]/, /\[4, 3\]/);
    throwsWith(() => a.mul('x' as unknown as number), /mul/, /other/);
    throwsWith(() => a.gelu('fast' as 'tanh'), /gelu/, /approximate/);
    throwsWith(() => a.cast('float8' as 'float32'), /cast/, /dtype/);
    const c = sg.ones([2, 3], { device: dev });
    c.dispose();
    throwsWith(() => a.add(c), /add/, /disposed/);
    allclose(await a.add(a).toArray(), [2, 2, 2, 2, 2, 2], {}, 'next call');
  }
});

test.run();
