// maxPool2d and avgPool2d on both backends against float64 loops written here after
// PyTorch's kernels: the scan order of max pooling (first maximum on ties, a NaN wins and
// the last NaN's index is kept, an all −Inf window points at its first pixel), the three
// divisors of average pooling, ceil mode; gradients by gradcheck and WebGPU against CPU.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, arr, assertEqualArrays, backends, f64Copies, gradsOf, rt, throwsWith } from '../helpers.js';

const test = suite('pool');

interface P { k: number[]; s: number[]; p: number[]; d: number[]; ceil: boolean }

function outLen(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

/** Max pooling of `planes` H×W planes: values and flat indices. */
function refMax(x: ArrayLike<number>, planes: number, H: number, W: number, q: P): { v: number[]; i: number[]; OH: number; OW: number } {
  const OH = outLen(H, q.k[0], q.s[0], q.p[0], q.d[0], q.ceil);
  const OW = outLen(W, q.k[1], q.s[1], q.p[1], q.d[1], q.ceil);
  const v: number[] = [];
  const idx: number[] = [];
  for (let pl = 0; pl < planes; pl++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let best = -Infinity;
    let at = -1;
    for (let kh = 0; kh < q.k[0]; kh++) for (let kw = 0; kw < q.k[1]; kw++) {
      const h = oh * q.s[0] - q.p[0] + kh * q.d[0];
      const w = ow * q.s[1] - q.p[1] + kw * q.d[1];
      if (h < 0 || h >= H || w < 0 || w >= W) continue;
      const val = x[pl * H * W + h * W + w];
      if (at < 0) at = h * W + w;
      // PyTorch: `if ((val > maxval) || isnan(val))`, with maxval NaN after the first NaN
      if (val > best || Number.isNaN(val)) { best = val; at = h * W + w; }
    }
    v.push(best); idx.push(at);
  }
  return { v, i: idx, OH, OW };
}

function refAvg(x: ArrayLike<number>, planes: number, H: number, W: number, q: P, incl: boolean, div: number | null): number[] {
  const OH = outLen(H, q.k[0], q.s[0], q.p[0], 1, q.ceil);
  const OW = outLen(W, q.k[1], q.s[1], q.p[1], 1, q.ceil);
  const out: number[] = [];
  for (let pl = 0; pl < planes; pl++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const h0 = oh * q.s[0] - q.p[0], w0 = ow * q.s[1] - q.p[1];
    const h1 = Math.min(h0 + q.k[0], H + q.p[0]), w1 = Math.min(w0 + q.k[1], W + q.p[1]);
    let sum = 0, n = 0;
    for (let h = Math.max(h0, 0); h < Math.min(h1, H); h++) for (let w = Math.max(w0, 0); w < Math.min(w1, W); w++) { sum += x[pl * H * W + h * W + w]; n++; }
    out.push(sum / (div ?? (incl ? (h1 - h0) * (w1 - w0) : n)));
  }
  return out;
}

const q = (k: number[], s: number[], p: number[], d: number[], ceil: boolean): P => ({ k, s, p, d, ceil });
const CASES: Array<[string, number[], P]> = [
  ['2x2 stride 2 on 7x5 (floor drops the edge)', [2, 3, 7, 5], q([2, 2], [2, 2], [0, 0], [1, 1], false)],
  ['3x3 stride 2 pad 1 ceil on 8x7', [1, 2, 8, 7], q([3, 3], [2, 2], [1, 1], [1, 1], true)],
  ['3x2 stride [1,2] dilation [2,1] pad 1', [2, 2, 9, 6], q([3, 2], [1, 2], [1, 1], [2, 1], false)],
  ['unbatched 3x3 stride 3 ceil past the edge', [3, 7, 8], q([3, 3], [3, 3], [0, 1], [1, 1], true)],
];

const planesOf = (shape: number[]): number => shape.slice(0, -2).reduce((a, b) => a * b, 1);

test('maxPool2d values and indices match the PyTorch scan, both backends', async () => {
  let seed = 1;
  for (const dev of await backends()) {
    for (const [name, shape, p] of CASES) {
      const { t: x, x: xv } = rt(shape, seed++, dev);
      const [H, W] = shape.slice(-2);
      const want = refMax(xv, planesOf(shape), H, W, p);
      const [y, i] = sg.maxPool2d(x, p.k, p.s, p.p, p.d, { ceilMode: p.ceil, returnIndices: true }) as [Tensor, Tensor];
      assert.equal(y.shape, [...shape.slice(0, -2), want.OH, want.OW], `${dev} ${name} shape`);
      assert.is(i.dtype, 'int32');
      assertEqualArrays(await arr(y), want.v, `${dev} ${name} values`);
      assertEqualArrays(await arr(i), want.i, `${dev} ${name} indices`);
      // the options-object form and the module give the same
      const y2 = sg.maxPool2d(x, p.k, { stride: p.s, padding: p.p, dilation: p.d, ceilMode: p.ceil }) as Tensor;
      assertEqualArrays(await arr(y2), want.v, `${dev} ${name} (options)`);
      const m = new sg.nn.MaxPool2d(p.k, { stride: p.s, padding: p.p, dilation: p.d, ceilMode: p.ceil });
      assertEqualArrays(await arr(m.forward(x) as Tensor), want.v, `${dev} ${name} (nn.MaxPool2d)`);
      x.dispose();
    }
  }
});

test('maxPool2d: ties pick the first, NaN wins (last NaN index), all −Inf points at the first pixel', async () => {
  const N = NaN, I = Infinity;
  const xv = [
    1, 1, 5, 5, 0,
    1, 1, 5, N, 2,
    -I, -I, N, N, N,
    -I, -I, 7, 7, 9,
  ];
  const p = q([2, 2], [2, 2], [0, 0], [1, 1], true);
  const want = refMax(xv, 1, 4, 5, p);
  assert.equal(want.i, [0, 8, 9, 10, 13, 14], 'reference: first tie, a NaN, all -inf, last of two NaNs');
  for (const dev of await backends()) {
    const [y, i] = sg.maxPool2d(sg.tensor(xv, { shape: [1, 1, 4, 5], device: dev }), 2, null, 0, 1, { ceilMode: true, returnIndices: true }) as [Tensor, Tensor];
    assertEqualArrays(await arr(y), want.v, `${dev} special values`);
    assertEqualArrays(await arr(i), want.i, `${dev} special indices`);
    // the gradient follows the indices: ties send it to the first element only
    const x = sg.tensor([2, 2, 2, 2, 2, 2, 2, 2, 2], { shape: [1, 3, 3], device: dev, requiresGrad: true });
    (sg.maxPool2d(x, 2, 1) as Tensor).sum().backward();
    assertEqualArrays(await x.grad!.toArray(), [1, 1, 0, 1, 1, 0, 0, 0, 0], `${dev} tie gradient`);
  }
});

test('avgPool2d: countIncludePad, divisorOverride, ceil mode, both backends', async () => {
  let seed = 50;
  for (const dev of await backends()) {
    for (const [name, shape, p] of CASES) {
      const { t: x, x: xv } = rt(shape, seed++, dev);
      const [H, W] = shape.slice(-2);
      const pp = { ...p, d: [1, 1] };
      for (const [incl, div] of [[true, null], [false, null], [true, 5], [false, -3]] as Array<[boolean, number | null]>) {
        const want = refAvg(xv, planesOf(shape), H, W, pp, incl, div);
        const y = sg.avgPool2d(x, p.k, p.s, p.p, p.ceil, incl, div);
        allclose(await arr(y), want, { rtol: 1e-5, atol: 1e-6 }, `${dev} ${name} incl ${incl} div ${div}`);
      }
      const m = new sg.nn.AvgPool2d(p.k, { stride: p.s, padding: p.p, ceilMode: p.ceil, countIncludePad: false });
      allclose(await arr(m.forward(x)), refAvg(xv, planesOf(shape), H, W, pp, false, null), { rtol: 1e-5, atol: 1e-6 }, `${dev} ${name} nn.AvgPool2d`);
      x.dispose();
    }
    // NaN and Inf stay in their windows
    const xv = [1, 2, NaN, 4, 5, 6, 7, Infinity, 9, 10, 11, 12];
    const y = sg.avgPool2d(sg.tensor(xv, { shape: [1, 3, 4], device: dev }), 2, 1);
    allclose(await arr(y), refAvg(xv, 1, 3, 4, q([2, 2], [1, 1], [0, 0], [1, 1], false), true, null), {}, `${dev} avg NaN/Inf`);
    // default stride is the kernel size
    assert.equal(sg.avgPool2d(sg.zeros([1, 1, 7, 7], { device: dev }), 3).shape, [1, 1, 2, 2]);
    assert.equal((sg.maxPool2d(sg.zeros([0, 2, 7, 7], { device: dev }), 3) as Tensor).shape, [0, 2, 2, 2], 'empty batch');
  }
});

test('ceilMode: a window longer than the input still counts when it starts inside (PyTorch)', async () => {
  for (const dev of await backends()) {
    // H = 3, kernel 4, stride 4, ceil: floor((3 − 4 + 3) / 4) + 1 = 1 window over rows 0..2.
    const x = sg.tensor([1, 5, 2, 4, 3, 6, 0, 8, 7], { shape: [1, 3, 3], device: dev, requiresGrad: true });
    const [m, i] = sg.maxPool2d(x, 4, { ceilMode: true, returnIndices: true }) as [Tensor, Tensor];
    assert.equal(m.shape, [1, 1, 1]);
    assertEqualArrays(await arr(m), [8], `${dev} max`);
    assertEqualArrays(await arr(i), [7], `${dev} index`);
    // avg: the divisor is the window clipped to input + padding, 3·3 here (PyTorch's pool_size).
    allclose(await arr(sg.avgPool2d(x, 4, { ceilMode: true })), [36 / 9], {}, `${dev} avg`);
    // kernel 5, padding 2, stride 3 on 2×2: 2 windows a side; with the padding counted the divisor
    // is the window clipped to [−2, 4): 5 or 3 a side; without it, the in-bounds pixels.
    const y = sg.tensor([1, 2, 3, 4], { shape: [1, 2, 2], device: dev });
    allclose(await arr(sg.avgPool2d(y, 5, { stride: 3, padding: 2, ceilMode: true })), [10 / 25, 6 / 15, 7 / 15, 4 / 9], {}, `${dev} avg padded`);
    allclose(await arr(sg.avgPool2d(y, 5, { stride: 3, padding: 2, ceilMode: true, countIncludePad: false })), [10 / 4, 6 / 2, 7 / 2, 4 / 1], {}, `${dev} avg in bounds`);
    // Without ceil mode the same kernel does not fit: an error naming the op.
    throwsWith(() => sg.maxPool2d(x, 4), /^maxPool2d: output size 0/);
    (sg.maxPool2d(x, 4, { ceilMode: true }) as Tensor).sum().backward();
    assertEqualArrays(await x.grad!.toArray(), [0, 0, 0, 0, 0, 0, 0, 1, 0], `${dev} grad`);
    x.dispose(); y.dispose();
  }
});

test('pooling gradients: gradcheck in float64 on the CPU, WebGPU against the CPU', async () => {
  let seed = 200;
  const fns: Array<[string, number[], (x: Tensor) => Tensor]> = CASES.flatMap(([name, shape, p]) => [
    [`max ${name}`, shape, (x: Tensor) => sg.maxPool2d(x, p.k, p.s, p.p, p.d, { ceilMode: p.ceil }) as Tensor],
    [`avg ${name}`, shape, (x: Tensor) => sg.avgPool2d(x, p.k, p.s, p.p, p.ceil, true)],
    [`avg exclusive ${name}`, shape, (x: Tensor) => sg.avgPool2d(x, p.k, p.s, p.p, p.ceil, false)],
  ] as Array<[string, number[], (x: Tensor) => Tensor]>);
  for (const [name, shape, fn] of fns) {
    const small = shape.length === 4 ? [1, 1, ...shape.slice(2)] : [1, ...shape.slice(1)];
    await sg.gradcheck(fn, [sg.tensor(rt(small, seed++, 'cpu').x, { shape: small, dtype: 'float64', device: 'cpu', requiresGrad: true })]);
    if ((await backends()).includes('webgpu')) {
      const gpu = [rt(shape, seed++, 'webgpu', { requiresGrad: true }).t];
      const got = await gradsOf(fn, gpu);
      const want = await gradsOf(fn, await f64Copies(gpu));
      allclose(got.out, want.out, { rtol: 1e-5, atol: 1e-6 }, `${name} output`);
      allclose(got.grads[0]!, want.grads[0]!, { rtol: 1e-5, atol: 1e-6 }, `${name} grad`);
    }
  }
});

test('float16 pooling where the adapter has shader-f16', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) continue;
    const [, shape, p] = CASES[1];
    const { t: x } = rt(shape, 900, dev, { dtype: 'float16' });
    const xv = await x.toArray(); // the float16-rounded values
    const [H, W] = shape.slice(-2);
    assertEqualArrays(await arr(sg.maxPool2d(x, p.k, p.s, p.p, p.d, { ceilMode: p.ceil }) as Tensor), refMax(xv, 2, H, W, p).v, `${dev} f16 max`);
    allclose(await arr(sg.avgPool2d(x, p.k, p.s, p.p, p.ceil)), refAvg(xv, 2, H, W, p, true, null), { rtol: 1e-2, atol: 1e-3 }, `${dev} f16 avg`);
    x.dispose();
  }
});

test('bad arguments throw naming the op, before any work', async () => {
  for (const dev of await backends()) {
    const x = sg.zeros([1, 2, 6, 6], { device: dev });
    throwsWith(() => sg.maxPool2d(x, 3, 1, 2), /^maxPool2d: padding \[2, 2\] must be at most half the kernel size/);
    throwsWith(() => sg.maxPool2d(x, 0), /^maxPool2d: kernelSize must be/);
    throwsWith(() => sg.maxPool2d(x, 7), /^maxPool2d: output size 0×0 is too small/);
    throwsWith(() => sg.maxPool2d(sg.zeros([6, 6], { device: dev }), 2), /^maxPool2d: expected a 3-D/);
    throwsWith(() => sg.maxPool2d(x.cast('int32'), 2), /^maxPool2d: input has dtype int32/);
    throwsWith(() => sg.maxPool2d(x, 2, { ceil: true } as never), /^maxPool2d: unknown option 'ceil'/);
    throwsWith(() => sg.maxPool2d(x, 2, null, 0, 1, { returnIndices: 1 } as never), /^maxPool2d: returnIndices must be a boolean/);
    throwsWith(() => sg.avgPool2d(x, 2, null, 0, false, true, 0), /^avgPool2d: divisorOverride must be a nonzero integer/);
    throwsWith(() => sg.avgPool2d(x, [2, 2, 2]), /^avgPool2d: kernelSize must be an integer or a pair/);
    throwsWith(() => sg.avgPool2d(sg.zeros([1, 0, 4, 4], { device: dev }), 2), /^avgPool2d: input of shape \[1, 0, 4, 4\] has an empty/);
    assert.equal(sg.avgPool2d(x, 2).shape, [1, 2, 3, 3], 'still usable');
    x.dispose();
  }
});

test.run();
