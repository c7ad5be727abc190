// clamp, the unary math ops and integer-style division on both backends, against float64
// references written here (special values as PyTorch and Python give them), gradcheck on the
// CPU in float64 and WebGPU gradients against it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, arr, assertEqualArrays, backends, erfRef, f64Copies, gradsOf, randArray, rt, throwsBeforeWork, throwsWith } from '../helpers.js';

const test = suite('math');
const N = NaN;
const I = Infinity;
const f32 = (v: ArrayLike<number>): number[] => Array.from(new Float32Array(Array.from(v)));

/** Seeded values in [lo, hi) with NaN, +Inf and -Inf planted at non-first positions. */
function withSpecials(n: number, seed: number, lo: number, hi: number): number[] {
  const x = f32(randArray(n, seed, lo, hi));
  if (n > 6) { x[3] = N; x[5] = I; x[6] = -I; }
  return x;
}

// ---- references (float64, written from the definitions) ----

function roundEvenRef(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f === 0 && (x < 0 || Object.is(x, -0)) ? -0 : f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}
const softplusRef = (beta: number, thr: number) => (x: number): number => (x * beta > thr ? x : Math.log1p(Math.exp(x * beta)) / beta);
const logsigRef = (x: number): number => (x === -I ? -I : -Math.log1p(Math.exp(-x)));
const eluRef = (alpha: number) => (x: number): number => (x > 0 || Number.isNaN(x) ? x : alpha * Math.expm1(x));
const leakyRef = (s: number) => (x: number): number => (x > 0 ? x : x * Math.fround(s));

interface Unary { name: string; run: (t: Tensor) => Tensor; ref: (x: number) => number; lo: number; hi: number; tol?: number }
const UNARY: Unary[] = [
  { name: 'sin', run: (t) => t.sin(), ref: Math.sin, lo: -6, hi: 6 },
  { name: 'cos', run: (t) => sg.cos(t), ref: Math.cos, lo: -6, hi: 6 },
  { name: 'erf', run: (t) => t.erf(), ref: erfRef, lo: -3, hi: 3, tol: 3e-6 },
  { name: 'floor', run: (t) => t.floor(), ref: Math.floor, lo: -5, hi: 5 },
  { name: 'ceil', run: (t) => sg.ceil(t), ref: Math.ceil, lo: -5, hi: 5 },
  { name: 'trunc', run: (t) => t.trunc(), ref: Math.trunc, lo: -5, hi: 5 },
  { name: 'round', run: (t) => t.round(), ref: roundEvenRef, lo: -5, hi: 5 },
  { name: 'softplus', run: (t) => sg.softplus(t), ref: softplusRef(1, 20), lo: -30, hi: 30 },
  { name: 'softplus beta 2 threshold 3', run: (t) => sg.softplus(t, 2, 3), ref: softplusRef(2, 3), lo: -4, hi: 4 },
  { name: 'leakyRelu', run: (t) => sg.leakyRelu(t), ref: leakyRef(0.01), lo: -3, hi: 3 },
  { name: 'leakyRelu 0.2', run: (t) => sg.leakyRelu(t, 0.2), ref: leakyRef(0.2), lo: -3, hi: 3 },
  { name: 'elu', run: (t) => sg.elu(t), ref: eluRef(1), lo: -4, hi: 2 },
  { name: 'elu alpha 0.5', run: (t) => sg.elu(t, 0.5), ref: eluRef(0.5), lo: -4, hi: 2 },
  { name: 'logsigmoid', run: (t) => sg.logsigmoid(t), ref: logsigRef, lo: -30, hi: 30 },
];

test('unary ops match float64 references, NaN and ±Inf included, at odd sizes and vec4 sizes', async () => {
  for (const dev of await backends()) {
    for (const op of UNARY) {
      for (const n of [37, 24, 1]) {
        const x = withSpecials(n, n + 7, op.lo, op.hi);
        const t = sg.tensor(x, { device: dev });
        const tol = op.tol ?? 2e-6;
        allclose(await arr(op.run(t)), x.map(op.ref), { rtol: tol, atol: tol }, `${op.name} n=${n} on ${dev}`);
        t.dispose();
      }
    }
  }
});

test('round is half to even; decimals scale as PyTorch does; int32 passes through', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 3.5, -3.5, 1e8 + 8], { device: dev });
    const got = await arr(x.round());
    assertEqualArrays(got, [0, 2, 2, -0, -2, -2, 0, 4, -4, 1e8 + 8], `round on ${dev}`);
    assert.ok(Object.is(got[3], -0), `round(-0.5) is -0 on ${dev}`);
    // f32 arithmetic: x·100 rounded to f32, rounded half to even, divided by 100
    const y = [1.2345, -2.675, 0.125, 1234.5678, -0.005];
    const fr = Math.fround;
    const want2 = y.map((v) => fr(roundEvenRef(fr(fr(v) * 100)) / 100));
    allclose(await arr(sg.tensor(y, { device: dev }).round(2)), want2, { rtol: 1e-7, atol: 0 }, `round 2 on ${dev}`);
    const wantM1 = y.map((v) => fr(roundEvenRef(fr(fr(v) / 10)) * 10));
    allclose(await arr(sg.round(sg.tensor(y, { device: dev }), { decimals: -1 })), wantM1, { rtol: 1e-7, atol: 0 }, `round -1 on ${dev}`);
    const xi = sg.tensor(new Int32Array([3, -7, 100]), { device: dev });
    for (const f of [(t: Tensor) => t.floor(), (t: Tensor) => t.ceil(), (t: Tensor) => t.round(), (t: Tensor) => t.trunc()]) {
      const r = f(xi);
      assert.is(r.dtype, 'int32');
      assertEqualArrays(await arr(r), [3, -7, 100], `int passthrough on ${dev}`);
    }
    const s = xi.sin();
    assert.is(s.dtype, 'float32');
    allclose(await arr(s), f32([Math.sin(3), Math.sin(-7), Math.sin(100)]), { rtol: 1e-5, atol: 1e-5 }, `sin of int on ${dev}`);
  }
});

test('float16 inputs compute in f32 and round to half', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) continue;
    const { t, x } = rt([29], 5, dev, { lo: -3, hi: 3, dtype: 'float16' });
    const y = sg.softplus(t.sin());
    assert.is(y.dtype, 'float16');
    allclose(await arr(y), Array.from(x, (v) => Math.log1p(Math.exp(Math.sin(v)))), { rtol: 2e-3, atol: 2e-3 }, `f16 on ${dev}`);
    t.dispose();
  }
});

test('unary gradients: gradcheck on the CPU, WebGPU against it; rounding ops give zero', async () => {
  const fns: Array<[string, (x: Tensor) => Tensor, number, number]> = [
    ['sin', (x) => x.sin(), -4, 4], ['cos', (x) => x.cos(), -4, 4], ['erf', (x) => x.erf(), -2, 2],
    ['softplus', (x) => sg.softplus(x), -5, 5], ['softplus beta 2 threshold 3', (x) => sg.softplus(x, 2, 3), -4, 4],
    ['leakyRelu', (x) => sg.leakyRelu(x, 0.2), -3, 3], ['elu', (x) => sg.elu(x, 0.7), -3, 3], ['logsigmoid', (x) => sg.logsigmoid(x), -6, 6],
  ];
  let seed = 40;
  for (const [name, fn, lo, hi] of fns) {
    const x = rt([13], seed++, 'cpu', { lo, hi }).t;
    // no point within 1e-3 of a kink (0 for leakyRelu/elu, 1.5 for softplus's threshold)
    await sg.gradcheck(fn, [x]);
    if ((await backends()).includes('webgpu')) {
      const g = rt([13], seed - 1, 'webgpu', { lo, hi, requiresGrad: true }).t;
      const [c] = await f64Copies([g]);
      const got = await gradsOf(fn, [g]);
      const want = await gradsOf(fn, [c]);
      allclose(got.grads[0]!, want.grads[0]!, { rtol: 1e-5, atol: 2e-6 }, `${name} grad on webgpu`);
    }
  }
  for (const dev of await backends()) {
    for (const f of [(t: Tensor) => t.floor(), (t: Tensor) => t.ceil(), (t: Tensor) => t.round(), (t: Tensor) => t.trunc(), (t: Tensor) => t.round(1)]) {
      const x = sg.tensor([0.3, -1.7, 2.5], { device: dev, requiresGrad: true });
      f(x).mul(3).sum().backward();
      assertEqualArrays(await x.grad!.toArray(), [0, 0, 0], `rounding grad on ${dev}`);
    }
    // PyTorch's: leakyRelu and elu take the negative branch at 0, softplus at the threshold
    const x = sg.tensor([0, 0, 20], { device: dev, requiresGrad: true });
    sg.leakyRelu(x, 0.25).sum().backward();
    allclose(await x.grad!.toArray(), [0.25, 0.25, 1], { rtol: 1e-7 }, `leakyRelu grad at 0 on ${dev}`);
    const z = sg.tensor([0, -I, I, N], { device: dev, requiresGrad: true });
    sg.elu(z, 2).sum().backward();
    assertEqualArrays(await z.grad!.toArray(), [2, 0, 1, 1], `elu grad at 0 and ±Inf on ${dev}`);
  }
});

// ---- clamp ----

const clampRef = (x: number, lo: number, hi: number): number => (Number.isNaN(x) || Number.isNaN(lo) || Number.isNaN(hi) ? N : Math.min(Math.max(x, lo), hi));

test('clamp: numbers, null, one bound, tensors broadcast, min > max, NaN anywhere, clip', async () => {
  for (const dev of await backends()) {
    for (const n of [37, 24]) {
      const x = withSpecials(n, n, -2, 2);
      const t = sg.tensor(x, { device: dev });
      const cases: Array<[string, Tensor, (v: number) => number]> = [
        ['clamp(-0.5, 0.7)', t.clamp(-0.5, 0.7), (v) => clampRef(v, -0.5, 0.7)],
        ['clamp(null, 0.3)', t.clamp(null, 0.3), (v) => clampRef(v, -I, 0.3)],
        ['clamp(0.2)', t.clamp(0.2), (v) => clampRef(v, 0.2, I)],
        ['clamp(1, -1)', sg.clamp(t, 1, -1), (v) => clampRef(v, 1, -1)],
        ['clip(-1, 1)', t.clip(-1, 1), (v) => clampRef(v, -1, 1)],
        ['sg.clip(undefined, 0)', sg.clip(t, undefined, 0), (v) => clampRef(v, -I, 0)],
      ];
      for (const [name, y, f] of cases) allclose(await arr(y), x.map((v) => f32([f(v)])[0]), { rtol: 0, atol: 0 }, `${name} n=${n} on ${dev}`);
      t.dispose();
    }
    // tensor bounds broadcast: x [2, 5], min [5], max [2, 1]; a NaN bound gives NaN
    const x = f32(randArray(10, 3, -2, 2));
    const lo = [-1, -0.5, N, 0, -2];
    const hi = [0.5, 1];
    const tx = sg.tensor(x, { shape: [2, 5], device: dev });
    const tlo = sg.tensor(lo, { device: dev });
    const thi = sg.tensor(hi, { shape: [2, 1], device: dev });
    const want = x.map((v, i) => clampRef(v, lo[i % 5], hi[Math.floor(i / 5)]));
    allclose(await arr(tx.clamp(tlo, thi)), f32(want), { rtol: 0, atol: 0 }, `tensor bounds on ${dev}`);
    allclose(await arr(tx.clamp(tlo, 0.25)), f32(x.map((v, i) => clampRef(v, lo[i % 5], 0.25))), { rtol: 0, atol: 0 }, `tensor min, number max on ${dev}`);
    allclose(await arr(tx.clamp(-0.25, thi)), f32(x.map((v, i) => clampRef(v, -0.25, hi[Math.floor(i / 5)]))), { rtol: 0, atol: 0 }, `number min, tensor max on ${dev}`);
    allclose(await arr(tx.clamp(null, thi)), f32(x.map((v, i) => clampRef(v, -I, hi[Math.floor(i / 5)]))), { rtol: 0, atol: 0 }, `tensor max only on ${dev}`);
    // dtypes: int stays int with int bounds, a fractional bound promotes to float32
    const xi = sg.tensor(new Int32Array([-5, 0, 3, 9]), { device: dev });
    const ci = xi.clamp(-2, 4);
    assert.is(ci.dtype, 'int32');
    assertEqualArrays(await arr(ci), [-2, 0, 3, 4], `int clamp on ${dev}`);
    const cf = xi.clamp(0.5);
    assert.is(cf.dtype, 'float32');
    assertEqualArrays(await arr(cf), [0.5, 0.5, 3, 9], `int clamp with a float bound on ${dev}`);
    assertEqualArrays(await arr(sg.zeros([0, 3], { device: dev }).clamp(0, 1)), [], `empty on ${dev}`);
  }
});

test('clamp gradients: PyTorch\'s masks, gradcheck, WebGPU against the CPU', async () => {
  for (const dev of await backends()) {
    // number bounds, torch 2.x: only x strictly inside passes its gradient (none at a bound,
    // as relu and hardtanh); a NaN x passes none
    const x = sg.tensor([-2, -0.5, 0.1, 0.5, 2, N], { device: dev, requiresGrad: true });
    x.clamp(-0.5, 0.5).sum().backward();
    assertEqualArrays(await x.grad!.toArray(), [0, 0, 1, 0, 0, 0], `x grad on ${dev}`);
    const x1 = sg.tensor([-1, 0, 1, N], { device: dev, requiresGrad: true });
    x1.clamp(0).sum().backward();
    assertEqualArrays(await x1.grad!.toArray(), [0, 0, 1, 0], `min only at the bound on ${dev}`);
    const x2 = sg.tensor([-1, 0, 1, N], { device: dev, requiresGrad: true });
    x2.clamp(null, 0).sum().backward();
    assertEqualArrays(await x2.grad!.toArray(), [1, 0, 0, 0], `max only at the bound on ${dev}`);
    const x3 = sg.tensor([-1, 0, 1], { device: dev, requiresGrad: true });
    x3.clamp(0, 0).sum().backward();
    assertEqualArrays(await x3.grad!.toArray(), [0, 0, 0], `min == max on ${dev}`);
    // tensor bounds: min gets it where x < min < max, max where x > max or max < min
    const a = sg.tensor([-3, 0, 3, 0, 5], { device: dev, requiresGrad: true });
    const lo = sg.tensor([-1, -1, -1, 2, 2], { device: dev, requiresGrad: true });
    const hi = sg.tensor([1, 1, 1, 1, 1], { device: dev, requiresGrad: true });
    a.clamp(lo, hi).sum().backward();
    assertEqualArrays(await a.grad!.toArray(), [0, 1, 0, 0, 0], `x grad with tensor bounds on ${dev}`);
    assertEqualArrays(await lo.grad!.toArray(), [1, 0, 0, 0, 0], `min grad on ${dev}`);
    assertEqualArrays(await hi.grad!.toArray(), [0, 0, 1, 1, 1], `max grad on ${dev}`);
    const b = sg.tensor([-3, 0, 3], { device: dev, requiresGrad: true });
    const m = sg.tensor([0.5], { device: dev, requiresGrad: true });
    b.clamp(m).sum().backward();
    assertEqualArrays(await m.grad!.toArray(), [2], `broadcast min grad sums on ${dev}`);
  }
  const fns: Array<[string, number[][], (...xs: Tensor[]) => Tensor]> = [
    ['tensor bounds', [[3, 5], [5], [3, 1]], (x, lo, hi) => x.clamp(lo, hi.add(1))],
    ['numbers', [[17]], (x) => x.clamp(-0.3, 0.4)],
    ['min only', [[4, 3], [3]], (x, lo) => x.clamp(lo)],
    ['max only', [[4, 3], [4, 1]], (x, hi) => sg.clamp(x, null, hi)],
  ];
  let seed = 70;
  for (const [name, shapes, fn] of fns) {
    const ins = shapes.map((s) => rt(s, seed++, 'cpu', { lo: -1, hi: 1 }).t);
    await sg.gradcheck(fn, ins);
    if ((await backends()).includes('webgpu')) {
      const gpu = shapes.map((s, i) => rt(s, seed - shapes.length + i, 'webgpu', { lo: -1, hi: 1, requiresGrad: true }).t);
      const cpu = await f64Copies(gpu);
      const got = await gradsOf(fn, gpu);
      const want = await gradsOf(fn, cpu);
      allclose(got.out, want.out, { rtol: 1e-6, atol: 1e-7 }, `${name} out`);
      got.grads.forEach((g, i) => allclose(g!, want.grads[i]!, { rtol: 1e-5, atol: 1e-6 }, `${name} grad ${i} on webgpu`));
    }
  }
});

test('clamp with tensor bounds: PyTorch 2.x splits ties in halves and passes NaN as maximum/minimum do', async () => {
  // [x, min, max, grad x, grad min, grad max], read off torch 2.x's autograd for clamp(x, min_t, max_t)
  const rows: number[][] = [
    [N, -1, 1, 1, 0, 0], [N, 1, -1, 1, 0, 1], [-1, -1, 0, 0.5, 0.5, 0], [0, -1, 0, 0.5, 0, 0.5], [0, 0, 0, 1, 0, 0],
    [-1, 1, 1, 0, 1, 0], [1, 0, 0, 0, 0, 1], [0, 1, 0, 0, 0, 1], [0, N, -1, 0, 0, 0], [0, N, 1, 1, 0, 0],
    [-1, 0, N, 0, 0, 0], [1, 0, N, 1, 0, 0], [0.5, -1, 1, 1, 0, 0], [-2, -1, 1, 0, 1, 0], [2, -1, 1, 0, 0, 1],
  ];
  // min only is maximum(x, min); max only is minimum(x, max): [x, bound, grad x, grad bound]
  const minOnly: number[][] = [[N, 0, 1, 1], [0, N, 1, 1], [0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0], [-1, 0, 0, 1]];
  const maxOnly: number[][] = [[N, 0, 1, 1], [0, N, 1, 1], [0.5, 0.5, 0.5, 0.5], [1, 0, 0, 1], [-1, 0, 1, 0]];
  const col = (t: number[][], j: number): number[] => t.map((r) => r[j]);
  for (const dev of await backends()) {
    const [x, lo, hi] = [0, 1, 2].map((j) => sg.tensor(col(rows, j), { device: dev, requiresGrad: true }));
    x.clamp(lo, hi).sum().backward();
    assertEqualArrays(await x.grad!.toArray(), col(rows, 3), `x grad on ${dev}`);
    assertEqualArrays(await lo.grad!.toArray(), col(rows, 4), `min grad on ${dev}`);
    assertEqualArrays(await hi.grad!.toArray(), col(rows, 5), `max grad on ${dev}`);
    for (const [name, t] of [['min', minOnly], ['max', maxOnly]] as const) {
      const [a, b] = [0, 1].map((j) => sg.tensor(col(t, j), { device: dev, requiresGrad: true }));
      (name === 'min' ? a.clamp(b) : a.clamp(null, b)).sum().backward();
      assertEqualArrays(await a.grad!.toArray(), col(t, 2), `${name} only: x grad on ${dev}`);
      assertEqualArrays(await b.grad!.toArray(), col(t, 3), `${name} only: bound grad on ${dev}`);
    }
    // a bool or int32 x against a float bound: x's values as numbers (true is 1)
    const xb = sg.tensor([true, false, true], { device: dev });
    const m = sg.tensor(0.5, { device: dev, requiresGrad: true });
    xb.clamp(null, m).sum().backward();
    assertEqualArrays(await m.grad!.toArray(), [2], `max grad with a bool x on ${dev}`);
    const m2 = sg.tensor(0.5, { device: dev, requiresGrad: true });
    sg.tensor(new Int32Array([0, 1, 2]), { device: dev }).clamp(m2).sum().backward();
    assertEqualArrays(await m2.grad!.toArray(), [1], `min grad with an int32 x on ${dev}`);
  }
});

test('float16 division casts a number or a 0-d float32 tensor to float16 first, as PyTorch', async () => {
  for (const dev of await backends()) {
    const h = (v: number[]): Tensor => sg.tensor(v, { dtype: 'float16', device: dev });
    // 2.00976 is 2.0097656 in half: 16.078125 / it is exactly 8 (7.99998 unrounded)
    assertEqualArrays(await sg.floorDivide(h([16.078125]), 2.00976).toArray(), [8], `floorDivide number on ${dev}`);
    // -3.579087 is -3.578125 in half: fmod(-34.8125, it) = -34.8125 + 9 * 3.578125
    assertEqualArrays(await sg.fmod(h([-34.8125]), -3.579087).toArray(), [-2.609375], `fmod number on ${dev}`);
    const z = sg.tensor(-16.080717, { device: dev });
    const q = sg.floorDivide(z, h([2.0089469]));
    assert.is(q.dtype, 'float16', 'a 0-d float32 tensor does not lift float16');
    assertEqualArrays(await q.toArray(), [-8], `0-d float32 tensor is cast to half on ${dev}`);
    assertEqualArrays(await sg.remainder(sg.tensor(-36.950146, { device: dev }), h([-1.3781327])).toArray(), [-1.111328125], `remainder on ${dev}`);
  }
});

// torch 2.14's values: mul and div read a 0-d operand in f32 (as a number), add casts it to half.
test('float16 mul and div read a 0-d tensor in f32, as a number; add casts it to half first', async () => {
  for (const dev of await backends()) {
    const h = (v: number[]): Tensor => sg.tensor(v, { dtype: 'float16', device: dev });
    const x = h([1000, 60000, 0.5, 1000, 60000]);
    const small = [1.0013580322265625e-05, 0.0005998611450195312, 0, 1.0013580322265625e-05, 0.0005998611450195312];
    const p = x.mul(sg.tensor(1e-8, { device: dev }));
    assert.is(p.dtype, 'float16', `${dev} a 0-d float32 tensor does not lift float16`);
    assertEqualArrays(await p.toArray(), small, `${dev} half · 0-d 1e-8`);
    assertEqualArrays(await x.mul(1e-8).toArray(), small, `${dev} half · 1e-8`);
    assertEqualArrays(await x.div(sg.tensor(1e8, { device: dev })).toArray(), small, `${dev} half / 0-d 1e8`);
    assertEqualArrays(await h([3, 3, 3, 3]).mul(sg.tensor(new Int32Array([2049]), { device: dev }).reshape([])).toArray(), [6148, 6148, 6148, 6148], `${dev} half · 0-d int32`);
    assertEqualArrays(await h([0.5]).div(sg.tensor(1 / 4099, { device: dev })).toArray(), [2050], `${dev} half / 0-d`);
    assertEqualArrays(await h([0.5]).add(sg.tensor(2049, { device: dev })).toArray(), [2048], `${dev} half + 0-d casts`);
  }
});

test('leakyRelu with slope 0: NaN stays NaN, -Inf * 0 is NaN, -1 * 0 is -0 (no folding of x * 0)', async () => {
  for (const dev of await backends()) {
    const y = Array.from(await sg.leakyRelu(sg.tensor([-1, N, 2, -I, I, 0], { device: dev }), 0).toArray());
    // PyTorch: [-0, nan, 2, nan, inf, 0]
    assert.ok(Object.is(y[0], -0) && Number.isNaN(y[1]) && y[2] === 2 && Number.isNaN(y[3]) && y[4] === I && Object.is(y[5], 0), `got [${y}] on ${dev}`);
  }
});

test('float16 rounding division rounds each step to half, as PyTorch\'s half kernels', async () => {
  for (const dev of await backends()) {
    const h = (v: number[]): Tensor => sg.tensor(v, { dtype: 'float16', device: dev });
    // trunc(half(a / b)): 23.578125 / 0.08154296875 = 288.93 rounds to 289 in half first
    assertEqualArrays(await sg.div(h([17.640625, 23.578125]), h([0.08154296875, 0.08154296875]), 'trunc').toArray(), [216, 289], `trunc on ${dev}`);
    // floor division's steps in half (PyTorch's values; exact f32 steps give 675, -2058, 3593, 734)
    const a = h([4.99609375, -28.125, -36.6875, 36.15625]);
    const b = h([0.00739288330078125, 0.013671875, -0.0102081298828125, 0.0491943359375]);
    assertEqualArrays(await sg.floorDivide(a, b).toArray(), [674, -2060, 3594, 733], `floor on ${dev}`);
    // an int32 tensor in a float16 op is cast to half first: 2049 is 2048 in half
    assertEqualArrays(await sg.floorDivide(sg.tensor(new Int32Array([2049]), { device: dev }), h([1])).toArray(), [2048], `int32 operand on ${dev}`);
  }
});

test('floor, ceil, trunc, round, bool-bool division and bool clamp are refused, as PyTorch', async () => {
  for (const dev of await backends()) {
    const b = sg.tensor([true, false], { device: dev });
    for (const f of ['floor', 'ceil', 'trunc', 'round'] as const) throwsBeforeWork(`${f} bool`, () => b[f](), [new RegExp(`^${f}: input dtype bool`)]);
    const t = sg.tensor([true, true], { device: dev });
    throwsBeforeWork('floorDivide bool', () => sg.floorDivide(t, t), [/^floorDivide: both operands are bool/]);
    throwsBeforeWork('remainder bool', () => sg.remainder(t, t), [/^remainder: both operands are bool/]);
    throwsBeforeWork('fmod bool', () => sg.fmod(t, t), [/^fmod: both operands are bool/]);
    throwsBeforeWork('div trunc bool', () => sg.div(t, t, 'trunc'), [/^div: both operands are bool/]);
    throwsBeforeWork('clamp bool', () => t.clamp(b, t), [/^clamp: bool input with bool bounds/]);
    // a number bound lifts bool to int32, as PyTorch
    assert.is(t.clamp(0, 1).dtype, 'int32');
    t.dispose();
    b.dispose();
  }
});

// ---- integer-style division ----

// [a, b, floor div, trunc div, remainder, fmod], as Python/PyTorch give them for floats
const FDIV: number[][] = [
  [5, 3, 1, 1, 2, 2], [-5, 3, -2, -1, 1, -2], [5, -3, -2, -1, -1, 2], [-5, -3, 1, 1, -2, -2],
  [0, 3, 0, 0, 0, 0], [7.5, 2, 3, 3, 1.5, 1.5], [-7.5, 2, -4, -3, 0.5, -1.5], [I, 2, N, I, N, N],
  [5, I, 0, 0, 5, 5], [-5, I, -1, -0, I, -5], [5, 0, I, I, N, N], [-5, 0, -I, -I, N, N], [N, 2, N, N, N, N],
  [5, N, N, N, N, N], [1, -I, -1, -0, -I, 1], [0, 0, N, N, N, N], [6, 2, 3, 3, 0, 0], [-6, 2, -3, -3, 0, -0],
];

test('float division with rounding modes, remainder and fmod: signs, zeros, NaN, ±Inf', async () => {
  for (const dev of await backends()) {
    for (const rows of [FDIV, FDIV.slice(0, 16)]) {
      const a = sg.tensor(rows.map((r) => r[0]), { device: dev });
      const b = sg.tensor(rows.map((r) => r[1]), { device: dev });
      const col = (k: number): number[] => rows.map((r) => r[k]);
      assertEqualArrays(await arr(a.div(b, 'floor')), col(2), `div floor n=${rows.length} on ${dev}`);
      assertEqualArrays(await arr(sg.floorDivide(a, b)), col(2), `floorDivide on ${dev}`);
      assertEqualArrays(await arr(sg.div(a, b, { roundingMode: 'trunc' })), col(3), `div trunc on ${dev}`);
      assertEqualArrays(await arr(a.remainder(b)), col(4), `remainder on ${dev}`);
      assertEqualArrays(await arr(sg.fmod(a, b)), col(5), `fmod on ${dev}`);
      a.dispose(); b.dispose();
    }
    // random values against float64 references (exact: fmod is exact, the quotients are small)
    const x = f32(randArray(41, 9, -20, 20));
    const y = f32(randArray(41, 10, 0.3, 4)).map((v, i) => (i % 3 ? v : -v));
    const [tx, ty] = [sg.tensor(x, { device: dev }), sg.tensor(y, { device: dev })];
    const fl = x.map((v, i) => Math.floor(v / y[i]));
    allclose(await arr(tx.div(ty, 'floor')), fl, { rtol: 0, atol: 0 }, `random floor div on ${dev}`);
    allclose(await arr(tx.remainder(ty)), f32(x.map((v, i) => v - y[i] * fl[i])), { rtol: 1e-6, atol: 2e-6 }, `random remainder on ${dev}`);
    allclose(await arr(tx.fmod(ty)), f32(x.map((v, i) => v % y[i])), { rtol: 1e-6, atol: 2e-6 }, `random fmod on ${dev}`);
    allclose(await arr(tx.div(2.5, 'trunc')), x.map((v) => Math.trunc(v / 2.5)), { rtol: 0, atol: 0 }, `trunc by a number on ${dev}`);
    allclose(await arr(sg.remainder(5.5, ty)), f32(y.map((v) => 5.5 - v * Math.floor(5.5 / v))), { rtol: 1e-6, atol: 2e-6 }, `number % tensor on ${dev}`);
    // true division when the mode is null or absent
    allclose(await arr(tx.div(ty, null)), f32(x.map((v, i) => v / y[i])), { rtol: 1e-6, atol: 0 }, `div null mode on ${dev}`);
  }
});

// Quotients that round to a whole number in float32 (1 / 0.1 is 10 there, the exact one 9.99999985):
// a - b·trunc(a / b) in f32 gave remainder 0 and floor 10 on WebGPU, and the CPU truncated the
// exact quotient (19 for 2 / 0.1). As torch 2.14 gives them for float32.
const ROUNDED_Q = {
  a: [1, 2, 7, -3, 0.7, 100, 1e6, 123456.7, -1, -2],
  b: [0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.1, 0.001, -0.1, 0.1],
  floor: [9, 19, 69, -30, 6, 333, 9999999, 123456696, 9, -20],
  trunc: [10, 20, 70, -30, 7, 333, 10000000, 123456696, 10, -20],
  rem: [0.09999998658895493, 0.09999997168779373, 0.09999989718198776, 4.470348358154297e-08, 0.09999997913837433, 0.09999603033065796,
    0.08509884029626846, 0.00026112154591828585, -0.09999998658895493, 2.9802322387695312e-08],
  fmod: [0.09999998658895493, 0.09999997168779373, 0.09999989718198776, -0.09999995678663254, 0.09999997913837433, 0.09999603033065796,
    0.08509884029626846, 0.00026112154591828585, -0.09999998658895493, -0.09999997168779373],
};

test('rounding division, remainder and fmod where the float32 quotient rounds to a whole number', async () => {
  for (const dev of await backends()) {
    const { a: xa, b: xb } = ROUNDED_Q;
    // Each case at every position of a vec4 and past it: the same rows three times over.
    const rep = <T,>(v: T[]): T[] => [...v, ...v, ...v];
    const [a, b] = [sg.tensor(rep(xa), { device: dev }), sg.tensor(rep(xb), { device: dev })];
    assertEqualArrays(await arr(sg.floorDivide(a, b)), rep(ROUNDED_Q.floor), `floorDivide on ${dev}`);
    assertEqualArrays(await arr(a.div(b, 'floor')), rep(ROUNDED_Q.floor), `div floor on ${dev}`);
    assertEqualArrays(await arr(a.div(b, 'trunc')), rep(ROUNDED_Q.trunc), `div trunc on ${dev}`);
    assertEqualArrays(await arr(a.remainder(b)), f32(rep(ROUNDED_Q.rem)), `remainder on ${dev}`);
    assertEqualArrays(await arr(sg.fmod(a, b)), f32(rep(ROUNDED_Q.fmod)), `fmod on ${dev}`);
    // A number divisor, and huge quotients (fmod stays exact: 1e30 fmod 0.007).
    assertEqualArrays(await arr(sg.tensor([1, 2, 7], { device: dev }).remainder(0.1)), f32(ROUNDED_Q.rem.slice(0, 3)), `remainder by a number on ${dev}`);
    assertEqualArrays(await arr(sg.tensor([2, -3, 7], { device: dev }).div(0.1, 'trunc')), [20, -30, 70], `trunc by a number on ${dev}`);
    assertEqualArrays(await arr(sg.fmod(sg.tensor([1e30, -1e30], { device: dev }), 7e-3)), f32([0.006301673129200935, -0.006301673129200935]), `huge quotient on ${dev}`);
    a.dispose(); b.dispose();
  }
});

test('int32 division: C truncation, Python floor, remainder with the divisor\'s sign; dtypes', async () => {
  for (const dev of await backends()) {
    const a = sg.tensor(new Int32Array([7, -7, 7, -7, 0, 6, -6, 2147483647, -2147483647]), { device: dev });
    const b = sg.tensor(new Int32Array([2, 2, -2, -2, 3, 3, -4, 10, 7]), { device: dev });
    const tr = a.div(b, 'trunc');
    assert.is(tr.dtype, 'int32');
    assertEqualArrays(await arr(tr), [3, -3, -3, 3, 0, 2, 1, 214748364, -306783378], `int trunc on ${dev}`);
    assertEqualArrays(await arr(a.floorDivide(b)), [3, -4, -4, 3, 0, 2, 1, 214748364, -306783379], `int floor on ${dev}`);
    assertEqualArrays(await arr(a.remainder(b)), [1, 1, -1, -1, 0, 0, -2, 7, 6], `int remainder on ${dev}`);
    assertEqualArrays(await arr(a.fmod(b)), [1, -1, 1, -1, 0, 0, -2, 7, -1], `int fmod on ${dev}`);
    assertEqualArrays(await arr(sg.remainder(100, sg.tensor(new Int32Array([7, -7, 30]), { device: dev }))), [2, -5, 10], `100 % x on ${dev}`);
    assertEqualArrays(await arr(a.remainder(-3)), [-2, -1, -2, -1, 0, 0, 0, -2, -1], `x % -3 on ${dev}`);
    const mixed = a.div(2.5, 'floor');
    assert.is(mixed.dtype, 'float32');
    assertEqualArrays(await arr(mixed), f32([7, -7, 7, -7, 0, 6, -6, 2147483647, -2147483647].map((v) => Math.floor(Math.fround(v) / 2.5))), `int // 2.5 on ${dev}`);
    assert.is(a.div(b).dtype, 'float32', 'true division of ints is float');
    throwsBeforeWork('int div by number 0', () => a.div(0, 'trunc'), [/^div: integer division by zero/]);
    throwsBeforeWork('int remainder by number 0', () => a.remainder(0), [/^remainder: integer division by zero/]);
    if (dev === 'cpu') {
      const z = sg.tensor(new Int32Array([1, 0]), { device: dev });
      throwsWith(() => sg.fmod(sg.tensor(new Int32Array([3, 4]), { device: 'cpu' }), z), /^fmod: integer division by zero/, /index 1/);
      throwsWith(() => sg.floorDivide(sg.tensor(new Int32Array([3, 4]), { device: 'cpu' }), z), /^floorDivide: integer division by zero/);
    }
    a.dispose(); b.dispose();
  }
});

test('remainder/fmod gradients (d/db = -floor or -trunc of a/b), div rounding modes give zero', async () => {
  const fns: Array<[string, (a: Tensor, b: Tensor) => Tensor]> = [
    ['remainder', (a, b) => a.remainder(b)], ['fmod', (a, b) => a.fmod(b)], ['number % tensor', (_a, b) => sg.remainder(3.3, b)],
    ['tensor % number', (a) => a.remainder(-1.7).add(a.fmod(0.9))],
  ];
  // a/b away from integers: |a| in [0.2, 5], b in ±[0.7, 1.3] with fractional parts checked below
  const ax = f32(randArray(12, 81, -5, 5));
  const bx = f32(randArray(12, 82, 0.7, 1.3)).map((v, i) => (i % 2 ? v : -v));
  for (const [name, fn] of fns) {
    const a = sg.tensor(ax, { shape: [3, 4], device: 'cpu' });
    const b = sg.tensor(bx, { shape: [3, 4], device: 'cpu' });
    await sg.gradcheck(fn, [a, b]);
    if ((await backends()).includes('webgpu')) {
      const ga = sg.tensor(ax, { shape: [3, 4], device: 'webgpu', requiresGrad: true });
      const gb = sg.tensor(bx, { shape: [3, 4], device: 'webgpu', requiresGrad: true });
      const cpu = await f64Copies([ga, gb]);
      const got = await gradsOf(fn, [ga, gb]);
      const want = await gradsOf(fn, cpu);
      got.grads.forEach((g, i) => { if (want.grads[i]) allclose(g!, want.grads[i]!, { rtol: 1e-5, atol: 1e-6 }, `${name} grad ${i} on webgpu`); });
    }
  }
  // the derivative wrt b by hand: -floor(a/b) for remainder, -trunc(a/b) for fmod
  for (const dev of await backends()) {
    for (const [isFmod, q] of [[false, Math.floor], [true, Math.trunc]] as const) {
      const a = sg.tensor([7, -7, 2.5], { device: dev, requiresGrad: true });
      const b = sg.tensor([2, 2, -1], { device: dev, requiresGrad: true });
      (isFmod ? a.fmod(b) : a.remainder(b)).sum().backward();
      assertEqualArrays(await a.grad!.toArray(), [1, 1, 1], `${isFmod ? 'fmod' : 'remainder'} d/da on ${dev}`);
      assertEqualArrays(await b.grad!.toArray(), [-q(3.5), -q(-3.5), -q(-2.5)], `${isFmod ? 'fmod' : 'remainder'} d/db on ${dev}`);
    }
    const a = sg.tensor([7, -7], { device: dev, requiresGrad: true });
    const b = sg.tensor([2, 3], { device: dev, requiresGrad: true });
    a.div(b, 'floor').add(a.div(b, 'trunc')).sum().backward();
    assertEqualArrays(await a.grad!.toArray(), [0, 0], `rounded div d/da on ${dev}`);
    assertEqualArrays(await b.grad!.toArray(), [0, 0], `rounded div d/db on ${dev}`);
  }
});

test('empty tensors and strided views go through every op', async () => {
  for (const dev of await backends()) {
    const e = sg.zeros([3, 0], { device: dev });
    for (const y of [e.sin(), e.round(), sg.softplus(e), sg.elu(e), e.clamp(0, 1), e.div(e, 'floor'), e.remainder(2), sg.fmod(e, e)]) {
      assert.equal(y.shape, [3, 0]);
      assert.is((await arr(y)).length, 0);
    }
    // a transposed (non-contiguous) input and a broadcast divisor
    const x = f32(randArray(12, 90, -9, 9));
    const t = sg.tensor(x, { shape: [3, 4], device: dev }).transpose(0, 1);
    const b = sg.tensor([2.5, -1.5, 4], { device: dev });
    const want: number[] = [];
    for (let j = 0; j < 4; j++) for (let i = 0; i < 3; i++) want.push(x[i * 4 + j]);
    const rem = (v: number, d: number): number => v - d * Math.floor(v / d);
    const bv = [2.5, -1.5, 4];
    allclose(await arr(t.remainder(b)), f32(want.map((v, k) => rem(v, bv[k % 3]))), { rtol: 1e-6, atol: 2e-6 }, `strided remainder on ${dev}`);
    allclose(await arr(t.floor()), want.map(Math.floor), { rtol: 0, atol: 0 }, `strided floor on ${dev}`);
  }
});

test('bad arguments throw naming the op, before any work', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([1, 2], { device: dev });
    const xi = sg.tensor(new Int32Array([1, 2]), { device: dev });
    throwsBeforeWork('clamp neither', () => x.clamp(), [/^clamp: at least one of min and max/]);
    throwsBeforeWork('clamp string', () => x.clamp('a' as unknown as number), [/^clamp: min must be a Tensor or a number/]);
    const z3 = sg.zeros([3], { device: dev });
    throwsBeforeWork('clamp shape', () => x.clamp(z3), [/^clamp/, /\[3\]/]);
    z3.dispose();
    throwsBeforeWork('clip neither', () => sg.clip(x, null, null), [/^clip: /]);
    throwsBeforeWork('softplus int', () => sg.softplus(xi), [/^softplus: input dtype int32/]);
    throwsBeforeWork('softplus beta', () => sg.softplus(x, N), [/^softplus: beta must be a finite number/]);
    throwsBeforeWork('softplus beta 0', () => sg.softplus(x, 0), [/^softplus: beta must be nonzero/]);
    throwsBeforeWork('leakyRelu slope', () => sg.leakyRelu(x, 'a' as unknown as number), [/^leakyRelu: negativeSlope/]);
    throwsBeforeWork('elu alpha', () => sg.elu(x, I), [/^elu: alpha/]);
    throwsBeforeWork('logsigmoid int', () => sg.logsigmoid(xi), [/^logsigmoid: input dtype int32/]);
    throwsBeforeWork('round decimals', () => x.round(0.5), [/^round: decimals must be an integer/]);
    throwsBeforeWork('round int decimals', () => xi.round(1), [/^round: decimals is not supported for an int32 input/]);
    throwsBeforeWork('round option', () => x.round({ decimal: 2 } as unknown as number), [/^round: unknown option 'decimal'/]);
    throwsBeforeWork('div mode', () => x.div(x, 'round' as 'floor'), [/^div: roundingMode must be 'trunc', 'floor' or null/]);
    throwsBeforeWork('div option', () => x.div(x, { mode: 'floor' } as unknown as 'floor'), [/^div: unknown option 'mode'/]);
    throwsBeforeWork('remainder string', () => sg.remainder(x, 'a' as unknown as number), [/^remainder: other must be a Tensor or a number/]);
    throwsBeforeWork('remainder numbers', () => sg.remainder(1, 2 as unknown as Tensor), [/^remainder: other must be a Tensor/]);
    throwsBeforeWork('fmod number input', () => sg.fmod(1 as unknown as Tensor, x), [/^fmod: input must be a Tensor/]);
    throwsBeforeWork('sin string', () => sg.sin('x' as unknown as Tensor), [/^sin: input must be a Tensor/]);
    x.dispose(); xi.dispose();
  }
});

test.run();
