// pow's special values and gradients, on every backend, as C's pow and PyTorch's
// pow_backward give them (each expected value below was checked against torch):
//   x^0 = 1 and 1^y = 1 even for NaN, (-1)^±Inf = 1, 0^NaN = NaN, (-0)^odd keeps the sign;
//   d/dx x^y = y·x^(y−1), but 0 where y == 0 (even at x == 0);
//   d/dy x^y = x^y·log(x), but 0 where x == 0 and y >= 0,
// so one zero base leaves a learnable exponent's gradient finite. Away from the singular
// points the gradients are checked by gradcheck (CPU float64) and, on WebGPU, against it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, assertEqualArrays, backends, f64Copies, gradsOf, rt, arr } from '../helpers.js';

const test = suite('pow');
const N = NaN;
const I = Infinity;

// [base, exponent, C's pow]
const TABLE: Array<[number, number, number]> = [
  [1, N, 1], [N, 0, 1], [0, N, N], [N, 1, N], [-1, I, 1], [-1, -I, 1], [-0, -1, -I], [-0, 3, -0], [-0, 2, 0],
  [-I, 0.5, I], [-I, 3, -I], [-I, -3, -0], [-2, I, I], [-0.5, I, 0], [-2, 3, -8], [-2, 0.5, N], [0, -1, I], [0, 2, 0],
  [2, -I, 0], [I, -1, 0], [-1, 16777216, 1], [-1, 16777215, -1], [-3, -2, 1 / 9], [2, 0.5, Math.SQRT2], [0, 0, 1],
];

test('pow follows C: tensor^tensor, tensor^number and number^tensor, vec4 and scalar maps', async () => {
  for (const dev of await backends()) {
    // 25 entries (the scalar map) and the first 24 (four per invocation)
    for (const n of [TABLE.length, 24]) {
      const rows = TABLE.slice(0, n);
      const a = sg.tensor(rows.map((r) => r[0]), { device: dev });
      const b = sg.tensor(rows.map((r) => r[1]), { device: dev });
      const got = await arr(a.pow(b));
      // exact at the special points; WGSL's pow is within a few ulp elsewhere
      allclose(got, rows.map((r) => r[2]), { rtol: 1e-6, atol: 0 }, `${dev} pow n=${n}`);
      rows.forEach((r, i) => assert.is(Object.is(got[i], -0), Object.is(r[2], -0), `${dev} sign of pow(${r[0]}, ${r[1]})`));
      a.dispose(); b.dispose();
    }
    const x = sg.tensor([N, 0, -2, 1, I], { device: dev });
    assertEqualArrays(await arr(x.pow(0)), [1, 1, 1, 1, 1], `${dev} x^0`);
    assertEqualArrays(await arr(sg.tensor([1, 1], { device: dev }).pow(N)), [1, 1], `${dev} 1^NaN (number exponent)`);
    assertEqualArrays(await arr(sg.pow(1, sg.tensor([N, 2, -I], { device: dev }))), [1, 1, 1], `${dev} 1^y`);
    assertEqualArrays(await arr(sg.pow(0, sg.tensor([0, 1, -1, N], { device: dev }))), [1, 0, I, N], `${dev} 0^y`);
    assertEqualArrays(await arr(sg.pow(-2, sg.tensor([2, 3, 0.5], { device: dev }))), [4, -8, N], `${dev} (-2)^y`);
    x.dispose();
  }
});

// Each expected value from torch 2.14.
test('integer pow stays int32 and wraps; a negative number exponent of ints and bool^bool are refused', async () => {
  for (const dev of await backends()) {
    const i32 = (v: number[]): Tensor => sg.tensor(new Int32Array(v), { device: dev });
    const x = i32([5, 6, 3, -2, 0]);
    const sq = x.pow(2);
    assert.is(sq.dtype, 'int32', `${dev} int32 ^ 2 is int32`);
    assertEqualArrays(await arr(sq), [25, 36, 9, 4, 0], `${dev} int ^ 2`);
    assertEqualArrays(await arr(x.pow(0)), [1, 1, 1, 1, 1], `${dev} int ^ 0`);
    assertEqualArrays(await arr(x.pow(i32([2, 0, 31, 3, 1]))), [25, 1, 1264544299, -8, 0], `${dev} int ^ int tensor, wrapping`);
    assertEqualArrays(await arr(i32([2, 1, -1, 0, -1]).pow(i32([-1, -1, -3, -1, -2]))), [0, 1, -1, 0, 1], `${dev} int ^ negative int tensor`);
    assertEqualArrays(await arr(i32([46341]).pow(2)), [-2147479015], `${dev} int32 overflow wraps`);
    const r = sg.pow(2, i32([5, 6, 3]));
    assert.is(r.dtype, 'int32', `${dev} 2 ^ int32 is int32`);
    assertEqualArrays(await arr(r), [32, 64, 8], `${dev} 2 ^ int`);
    assert.is(x.pow(2.5).dtype, 'float32', `${dev} int ^ 2.5 is float32`);
    const b = sg.tensor([true, false], { device: dev, dtype: 'bool' });
    assertEqualArrays(await arr(b.pow(2)), [1, 0], `${dev} bool ^ 2`);
    assert.throws(() => x.pow(-1), (e: Error) => /^pow: integers to negative integer powers are not allowed \(exponent -1, int32 input of shape \[5\]\)/.test(e.message), `${dev} int ^ -1`);
    assert.throws(() => b.pow(b), (e: Error) => /^pow: both operands are bool/.test(e.message), `${dev} bool ^ bool`);
    // Still usable after the refusals.
    assertEqualArrays(await arr(x.pow(1)), [5, 6, 3, -2, 0], `${dev} after errors`);
  }
});

test('float pow with whole exponents is exact where the result is (WGSL\'s pow is exp2(b·log2 a))', async () => {
  for (const dev of await backends()) {
    const base = [1.1, 3, 5, -3, 10, 7, 2, -1.5, 0.25];
    const a = sg.tensor(base, { device: dev });
    const e = sg.tensor([10, 6, 4, 5, -2, 11, -20, 3, -3], { device: dev });
    const got = await arr(a.pow(e));
    // exact: 3^6, 5^4, (-3)^5, 7^11, 2^-20, (-1.5)^3, 0.25^-3; 1.1^10 and 10^-2 within 2 ulp
    assertEqualArrays([got[1], got[2], got[3], got[5], got[6], got[7], got[8]], [729, 625, -243, 1977326720, 2 ** -20, -3.375, 64], `${dev} tensor exponents`);
    allclose([got[0], got[4]], [2.593743085861206, 0.009999999776482582], { rtol: 2.5e-7, atol: 0 }, `${dev} inexact results`);
    const n = sg.arange(0, 11, 1, { device: dev });
    assertEqualArrays(await arr(n.pow(2)), Array.from({ length: 11 }, (_, i) => i * i), `${dev} arange ^ 2`);
    assertEqualArrays(await arr(n.pow(3)), Array.from({ length: 11 }, (_, i) => i ** 3), `${dev} arange ^ 3`);
    assertEqualArrays(await arr(sg.tensor([3, 5, -3, 10], { device: dev }).pow(4)), [81, 625, 81, 10000], `${dev} ^ 4`);
    const inv = await arr(sg.tensor([3, 5, -3, 10, 1.1], { device: dev }).pow(-3));
    allclose(inv, [0.03703703731298447, 0.00800000037997961, -0.03703703731298447, 0.0010000000474974513, 0.7513147592544556], { rtol: 2.5e-7, atol: 0 }, `${dev} ^ -3`);
    [a, e, n].forEach((t) => t.dispose());
  }
});

test('x.pow(0.5) and x.pow(-0.5) are sqrt and rsqrt, as PyTorch computes a number exponent, gradients too', async () => {
  // Unlike C's pow (and a tensor exponent): sqrt(-0) = -0, sqrt(-Inf) = NaN, rsqrt(-0) = -Inf.
  // The gradient's x ** (b − 1) follows the same rule: 0.5 · rsqrt(x) for b = 0.5, 1.5 · sqrt(x)
  // for b = 1.5 (torch 2.14 gives each value below).
  const xs = [-0, -I, 4, 0, -1, I, N, 2.25];
  const rules: Array<[number, (x: number) => number, (x: number) => number]> = [
    [0.5, Math.sqrt, (x) => 0.5 / Math.sqrt(x)],
    [-0.5, (x) => 1 / Math.sqrt(x), (x) => -0.5 * x ** -1.5],
    [1.5, (x) => x ** 1.5, (x) => 1.5 * Math.sqrt(x)],
  ];
  for (const dev of await backends()) {
    for (const [e, f, df] of rules) {
      const x = sg.tensor(xs, { device: dev, requiresGrad: true });
      const y = x.pow(e);
      y.backward(sg.onesLike(y));
      const [got, grad] = [await arr(y), await arr(x.grad!)];
      const [want, wantGrad] = [xs.map(f), xs.map(df)];
      allclose(got, want, { rtol: 1e-6, atol: 0 }, `${dev} x.pow(${e})`);
      allclose(grad, wantGrad, { rtol: 1e-6, atol: 0 }, `${dev} x.pow(${e}) gradient`);
      xs.forEach((v, i) => {
        assert.is(Object.is(got[i], -0), Object.is(want[i], -0), `${dev} sign of (${v}).pow(${e})`);
        assert.is(Object.is(grad[i], -0), Object.is(wantGrad[i], -0), `${dev} sign of the gradient of (${v}).pow(${e})`);
      });
    }
  }
});

test('pow gradients at a zero base and a zero exponent are PyTorch\'s', async () => {
  const ln2 = Math.log(2);
  const f32 = (v: number[]): number[] => Array.from(new Float32Array(v));
  for (const dev of await backends()) {
    // tensor ^ tensor (values from torch: a.grad [0, 0, -inf, 0, inf], b.grad [0, 0, -inf, ln 2, 0])
    const a = sg.tensor([0, 0, 0, 2, 0], { device: dev, requiresGrad: true });
    const b = sg.tensor([0, 2, -1, 0, 0.5], { device: dev, requiresGrad: true });
    a.pow(b).sum().backward();
    assertEqualArrays(await a.grad!.toArray(), [0, 0, -I, 0, I], `${dev} d/da`);
    allclose(await b.grad!.toArray(), [0, 0, -I, ln2, 0], { rtol: 1e-6, atol: 0 }, `${dev} d/db`);
    // tensor ^ number
    for (const [e, want] of [[0, [0, 0, 0]], [2, [0, 0, 4]], [1, [1, 1, 1]], [0.5, [I, I, 1 / (2 * Math.SQRT2)]]] as Array<[number, number[]]>) {
      const x = sg.tensor([0, 0, 2], { device: dev, requiresGrad: true });
      x.pow(e).sum().backward();
      allclose(await x.grad!.toArray(), f32(want), { rtol: 1e-6, atol: 0 }, `${dev} d/dx x^${e}`);
    }
    // number ^ tensor
    for (const [base, ys, want] of [
      [0, [0, 1, -1, N], [0, 0, -I, N]], [2, [0, 1, -1], [ln2, 2 * ln2, ln2 / 2]], [-2, [0, 1], [N, N]], [1, [N, 3], [0, 0]],
    ] as Array<[number, number[], number[]]>) {
      const y = sg.tensor(ys, { device: dev, requiresGrad: true });
      sg.pow(base, y).sum().backward();
      allclose(await y.grad!.toArray(), f32(want), { rtol: 1e-6, atol: 0 }, `${dev} d/dy ${base}^y`);
    }
    // A learnable exponent shared by a batch holding a zero base: finite, the zero adds nothing.
    const xs = [0, 1.5, 2, 3, 0];
    const base = sg.tensor(xs, { device: dev });
    const p = sg.tensor([1.7], { device: dev, requiresGrad: true });
    base.pow(p).sum().backward();
    const want = xs.reduce((s, v) => s + (v === 0 ? 0 : v ** 1.7 * Math.log(v)), 0);
    const got = (await p.grad!.toArray())[0];
    assert.ok(Number.isFinite(got), `${dev} exponent grad with a zero base is ${got}`);
    allclose([got], [want], { rtol: 1e-5, atol: 0 }, `${dev} exponent grad`);
  }
});

test('pow gradients: gradcheck away from the singular points, WebGPU against the CPU', async () => {
  const fns: Array<[string, number[][], (...xs: Tensor[]) => Tensor]> = [
    ['tensor^tensor, broadcast', [[3, 4], [4]], (a, b) => a.pow(b)],
    ['tensor^number', [[7]], (a) => a.pow(2.5)],
    ['tensor^negative integer', [[7]], (a) => a.pow(-3)],
    ['number^tensor', [[2, 5]], (b) => sg.pow(1.7, b)],
  ];
  let seed = 600;
  for (const [name, shapes, fn] of fns) {
    // bases in [0.5, 2], exponents in [-2, 2]: no zero, no negative base
    const ins = shapes.map((s, i) => rt(s, seed++, 'cpu', { lo: name.startsWith('number') || i === 1 ? -2 : 0.5, hi: 2 }).t);
    await sg.gradcheck(fn, ins);
    if ((await backends()).includes('webgpu')) {
      const gpu = shapes.map((s, i) => rt(s, seed++, 'webgpu', { requiresGrad: true, lo: name.startsWith('number') || i === 1 ? -2 : 0.5, hi: 2 }).t);
      const cpu = await f64Copies(gpu);
      const got = await gradsOf(fn, gpu);
      const want = await gradsOf(fn, cpu);
      allclose(got.out, want.out, { rtol: 1e-5, atol: 1e-6 }, `${name} output`);
      got.grads.forEach((g, i) => allclose(g!, want.grads[i]!, { rtol: 1e-4, atol: 1e-5 }, `${name} grad ${i}`));
    }
  }
});

test.run();
