// The special functions (erfc erfinv lgamma digamma logit sinc tanhshrink), the shrinks and
// threshold, signbit sgn positive deg2rad rad2deg clampMin clampMax softmin, and the binary and
// ternary copysign ldexp logaddexp2 heaviside addcmul addcdiv trueDivide, on both backends
// against torch 2.14 float64 values (math-extra-more-torch.ts, from math-extra-more-torch.py)
// rounded to f32: NaN, ±Inf, ±0, poles and huge arguments at non-first positions, at an odd size
// and a multiple of 4 (the map's scalar and vec4 kernels); relative accuracy with no absolute
// slack for the special functions; gradcheck in float64 on the CPU; dtypes and bad arguments.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, arr, assertEqualArrays, backends, erfRef, rt, throwsBeforeWork } from '../helpers.js';
import { ACCURACY, ADDC, BINARY, SIGNBIT, UNARY } from './math-extra-more-torch.js';

const test = suite('math extra more');
const fr = (v: number[]): number[] => v.map(Math.fround);

type U = (x: Tensor) => Tensor;
const UN: Record<string, U> = {
  erfc: (x) => x.erfc(), erfinv: (x) => sg.erfinv(x), lgamma: (x) => x.lgamma(), digamma: (x) => sg.digamma(x), sinc: (x) => x.sinc(),
  tanhshrink: (x) => sg.tanhshrink(x), logit: (x) => x.logit(), 'logit(0.1)': (x) => sg.logit(x, 0.1), 'logit(-0.1)': (x) => x.logit(-0.1),
  deg2rad: (x) => x.deg2rad(), rad2deg: (x) => sg.rad2deg(x), hardshrink: (x) => x.hardshrink(), 'hardshrink(1.5)': (x) => sg.hardshrink(x, 1.5),
  softshrink: (x) => sg.softshrink(x), 'softshrink(0)': (x) => sg.softshrink(x, 0), 'threshold(0.5, -7)': (x) => sg.threshold(x, 0.5, -7),
  sgn: (x) => x.sgn(), positive: (x) => sg.positive(x).mul(1), 'clampMin(0.25)': (x) => x.clampMin(0.25), 'clampMax(-0.25)': (x) => sg.clampMax(x, -0.25),
};
// Relative accuracy, no absolute slack: the special functions' tails, poles and zeros.
const REL = new Set(['erfc', 'erfinv', 'lgamma', 'digamma', 'tanhshrink']);

test('every op of the torch table has a case, and every case an op', () => {
  assert.equal(UNARY.map((c) => c.name).sort(), Object.keys(UN).sort());
});

test('unary ops and their gradients match torch, NaN/±Inf/±0/poles included, at an odd size and 24', async () => {
  for (const dev of await backends()) {
    for (const c of UNARY) {
      for (const n of [c.x.length, 24]) {
        const what = `${c.name} n=${n} on ${dev}`;
        const x = sg.tensor(c.x.slice(0, n), { device: dev, requiresGrad: true });
        const y = UN[c.name](x);
        y.backward(sg.tensor(c.g.slice(0, n), { device: dev }));
        const got = await arr(y);
        const want = fr(c.y.slice(0, n));
        allclose(got, want, { rtol: 4e-6, atol: REL.has(c.name) ? 0 : 1e-6 }, what);
        want.forEach((v, i) => { if (v === 0) assert.ok(Object.is(got[i], v), `${what}: sign of zero at ${i} (x = ${c.x[i]}): got ${Object.is(got[i], -0) ? '-0' : got[i]}`); });
        allclose(await arr(x.grad!), fr(c.dx.slice(0, n)), { rtol: 2e-5, atol: 1e-6 }, `${what} grad`);
        x.dispose();
      }
    }
  }
});

test('relative accuracy of lgamma, digamma, erfc and erfinv near poles, zeros, tails and for huge arguments', async () => {
  for (const dev of await backends()) {
    for (const c of ACCURACY) {
      const y = UN[c.name](sg.tensor(c.x, { device: dev }));
      allclose(await arr(y), fr(c.y), { rtol: 4e-6, atol: 0 }, `${c.name} on ${dev}`);
    }
  }
});

test('signbit: −0, −Inf and −NaN (from the bits) are true, on both backends; bool and int32 inputs', async () => {
  const negNan = new Float32Array(new Uint32Array([0xffc00000, 0x7fc00000, 0x80000000, 0]).buffer);
  for (const dev of await backends()) {
    for (const n of [SIGNBIT.x.length, 24]) {
      const y = sg.signbit(sg.tensor(SIGNBIT.x.slice(0, n), { device: dev }));
      assert.is(y.dtype, 'bool');
      assertEqualArrays(await arr(y), SIGNBIT.y.slice(0, n), `signbit n=${n} on ${dev}`);
    }
    assertEqualArrays(await arr(sg.tensor(negNan, { device: dev }).signbit()), [1, 0, 1, 0], `signbit of −NaN, NaN, −0, 0 on ${dev}`);
    assertEqualArrays(await arr(sg.tensor(new Int32Array([-3, 0, 5]), { device: dev }).signbit()), [1, 0, 0], `signbit of int32 on ${dev}`);
    assertEqualArrays(await arr(sg.tensor([1, 0], { device: dev, dtype: 'bool' }).signbit()), [0, 0], `signbit of bool on ${dev}`);
    // copysign reads the same sign bit: −NaN as other makes the result negative
    const cs = sg.copysign(sg.tensor([2, 2, 2, 2], { device: dev }), sg.tensor(negNan, { device: dev }));
    assertEqualArrays(await arr(cs), [-2, 2, -2, 2], `copysign by −NaN, NaN, −0, 0 on ${dev}`);
    assertEqualArrays(await arr(sg.copysign(sg.tensor([3, -1], { device: dev }), -0)), [-3, -1], `copysign by the number −0 on ${dev}`);
  }
});

type B = (a: Tensor, b: Tensor) => Tensor;
const BIN: Record<string, B> = {
  copysign: (a, b) => a.copysign(b), ldexp: (a, b) => sg.ldexp(a, b), logaddexp2: (a, b) => a.logaddexp2(b), heaviside: (a, b) => a.heaviside(b),
};

test('binary ops and their gradients match torch, NaN/±Inf/±0 pairs and exponents past f32 range included', async () => {
  assert.equal(BINARY.map((c) => c.name).sort(), Object.keys(BIN).sort());
  for (const dev of await backends()) {
    for (const c of BINARY) {
      for (const n of [c.a.length, 24]) {
        const what = `${c.name} n=${n} on ${dev}`;
        const grad = c.da.length > 0;
        const a = sg.tensor(c.a.slice(0, n), { device: dev, requiresGrad: grad });
        const b = sg.tensor(c.b.slice(0, n), { device: dev, requiresGrad: grad });
        const y = BIN[c.name](a, b);
        if (grad) y.backward(sg.tensor(c.g.slice(0, n), { device: dev }));
        const got = await arr(y);
        const want = fr(c.y.slice(0, n));
        allclose(got, want, { rtol: 4e-6, atol: c.name === 'ldexp' ? 0 : 1e-6 }, what);
        want.forEach((v, i) => { if (v === 0) assert.ok(Object.is(got[i], v), `${what}: sign of zero at ${i} (${c.a[i]}, ${c.b[i]})`); });
        if (grad) {
          allclose(await arr(a.grad!), fr(c.da.slice(0, n)), { rtol: 2e-5, atol: 1e-6 }, `${what} grad of input`);
          allclose(await arr(b.grad!), fr(c.db.slice(0, n)), { rtol: 2e-5, atol: 1e-6 }, `${what} grad of other`);
        }
        a.dispose();
        b.dispose();
      }
    }
  }
});

test('addcmul and addcdiv match torch with broadcasting, NaN/Inf/±0 and each value, gradients to all three', async () => {
  for (const dev of await backends()) {
    for (const [key, want] of Object.entries(ADDC).filter(([k]) => k.startsWith('addc'))) {
      const w = want as { y: number[]; di: number[]; d1: number[]; d2: number[] };
      const [name, v] = [key.slice(0, 7), Number(key.slice(8, -1))];
      const i = sg.tensor(ADDC.input, { shape: [3, 1], device: dev, requiresGrad: true });
      const t1 = sg.tensor(ADDC.t1, { shape: [1, 5], device: dev, requiresGrad: true });
      const t2 = sg.tensor(ADDC.t2, { shape: [3, 5], device: dev, requiresGrad: true });
      const y = name === 'addcmul' ? i.addcmul(t1, t2, { value: v }) : sg.addcdiv(i, t1, t2, { value: v });
      y.backward(sg.tensor(ADDC.g, { shape: [3, 5], device: dev }));
      const what = `${key} on ${dev}`;
      assert.equal(y.shape, [3, 5]);
      allclose(await arr(y), fr(w.y), { rtol: 2e-6, atol: 1e-6 }, what);
      allclose(await arr(i.grad!), fr(w.di), { rtol: 2e-6, atol: 1e-6 }, `${what} grad of input`);
      allclose(await arr(t1.grad!), fr(w.d1), { rtol: 2e-6, atol: 1e-6 }, `${what} grad of tensor1`);
      allclose(await arr(t2.grad!), fr(w.d2), { rtol: 2e-6, atol: 1e-6 }, `${what} grad of tensor2`);
      [i, t1, t2].forEach((t) => t.dispose());
    }
  }
});

test('softmin is softmax of −x along dim, and trueDivide is div', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([[1, 2, 3], [0, -1, NaN]], { device: dev });
    const e = [[-1, -2, -3]].map((r) => r.map(Math.exp))[0];
    const s = e.reduce((p, q) => p + q, 0);
    const y = await arr(sg.softmin(x, 1));
    allclose(y.slice(0, 3), e.map((v) => v / s), { rtol: 1e-6, atol: 1e-7 }, `softmin row 0 on ${dev}`);
    assert.ok(y.slice(3).every(Number.isNaN), `softmin: a NaN row is NaN on ${dev}`);
    allclose(await arr(sg.softmin(x.slice(0, 0, 1), 0)), [1, 1, 1], { rtol: 0, atol: 0 }, `softmin of one row along dim 0 on ${dev}`);
    const i = sg.tensor(new Int32Array([7, -7, 1]), { device: dev });
    const q = sg.trueDivide(i, sg.tensor(new Int32Array([2, 2, 0]), { device: dev }));
    assert.is(q.dtype, 'float32');
    assertEqualArrays(await arr(q), [3.5, -3.5, Infinity], `trueDivide of int32 on ${dev}`);
    assertEqualArrays(await arr(i.trueDivide(4)), [1.75, -1.75, 0.25], `trueDivide by a number on ${dev}`);
    x.dispose();
    i.dispose();
  }
});

test('empty, 0-d and non-contiguous inputs on both backends', async () => {
  for (const dev of await backends()) {
    for (const shape of [[0], [2, 0, 3]]) {
      const ops: Array<[string, (x: Tensor, y: Tensor) => Tensor]> = [
        ...Object.entries(UN).map(([n, f]) => [n, (x: Tensor) => f(x)] as [string, (x: Tensor, y: Tensor) => Tensor]),
        ...Object.entries(BIN).filter(([n]) => n !== 'heaviside'), ['addcmul', (x, y) => x.addcmul(y, y)], ['addcdiv', (x, y) => sg.addcdiv(x, x, y)],
      ];
      for (const [name, f] of ops) {
        const x = sg.zeros(shape, { device: dev, requiresGrad: true });
        const y = sg.ones([shape[shape.length - 1]], { device: dev });
        const out = f(x, y);
        assert.equal(out.shape, shape, `${name} of ${JSON.stringify(shape)} on ${dev}`);
        out.sum().backward();
        assert.equal(x.grad!.shape, shape, `${name} gradient of ${JSON.stringify(shape)} on ${dev}`);
        [x, y, out].forEach((t) => t.dispose());
      }
    }
    const z = sg.tensor(0.5, { device: dev });
    const zs: Array<[string, Tensor, number]> = [
      ['lgamma', z.lgamma(), Math.log(Math.sqrt(Math.PI))], ['erfinv', z.erfinv(), 0.4769362762044699], ['logit', z.logit(), 0],
      ['sinc', z.sinc(), 2 / Math.PI], ['copysign', z.copysign(-1), -0.5], ['addcmul', z.addcmul(z, z, 2), 1],
    ];
    for (const [name, t, v] of zs) { assert.equal(t.shape, [], `${name} 0-d shape`); allclose(await arr(t), [v], { rtol: 1e-6, atol: 1e-7 }, `${name} 0-d on ${dev}`); }
    // a transposed view (strided kernel) against its contiguous copy
    const m = rt([5, 7], 3, dev, { lo: 0.05, hi: 4 }).t;
    const mt = m.transpose(0, 1);
    for (const [name, f] of Object.entries(UN)) {
      allclose(await arr(f(mt)), await arr(f(mt.contiguous())), { rtol: 0, atol: 0 }, `${name} of a transposed view on ${dev}`);
    }
    const o = rt([7, 5], 4, dev).t;
    allclose(await arr(sg.ldexp(mt, sg.tensor(new Int32Array(35).fill(3), { shape: [7, 5], device: dev }))), (await mt.contiguous().toArray()).map((v) => v * 8), { rtol: 0, atol: 0 }, `ldexp of a view on ${dev}`);
    allclose(await arr(sg.addcdiv(o, mt, o)), await arr(sg.addcdiv(o, mt.contiguous(), o)), { rtol: 0, atol: 0 }, `addcdiv of a view on ${dev}`);
    [z, m, o].forEach((t) => t.dispose());
  }
});

test('gradcheck in float64 on the CPU, with broadcasting for the binary and ternary ops', async () => {
  const un: Array<[string, number, number]> = [
    ['erfc', -2, 2], ['erfinv', -0.9, 0.9], ['lgamma', 0.2, 9], ['lgamma', -2.9, -2.1], ['lgamma', 9, 30], ['digamma', 0.2, 9], ['digamma', -0.9, -0.1], ['digamma', 11, 40],
    ['sinc', -3, 3], ['sinc', -0.2, 0.2], ['tanhshrink', -2, 2], ['logit', 0.05, 0.95], ['logit(0.1)', 0.15, 0.85], ['deg2rad', -5, 5], ['rad2deg', -5, 5],
    ['hardshrink', 0.6, 2], ['softshrink', -2, -0.6], ['threshold(0.5, -7)', 0.6, 2], ['clampMin(0.25)', 0.4, 2], ['clampMax(-0.25)', -2, -0.3], ['positive', -1, 1],
  ];
  let seed = 500;
  for (const [name, lo, hi] of un) {
    const x = rt([7], seed++, 'cpu', { lo, hi }).t;
    await sg.gradcheck(UN[name], [x]);
  }
  for (const name of ['copysign', 'ldexp', 'logaddexp2']) {
    const a = rt([2, 3], seed++, 'cpu', { lo: 0.5, hi: 2 }).t;
    const b = rt([3], seed++, 'cpu', { lo: -2, hi: -0.6 }).t;
    await sg.gradcheck(BIN[name], [a, b]);
  }
  const [i, t1, t2] = [rt([2, 1], 1, 'cpu').t, rt([3], 2, 'cpu').t, rt([2, 3], 3, 'cpu', { lo: 0.5, hi: 2 }).t];
  await sg.gradcheck((p, q, r) => sg.addcmul(p, q, r, { value: -1.5 }), [i, t1, t2]);
  await sg.gradcheck((p, q, r) => sg.addcdiv(p, q, r, { value: 0.75 }), [i, t1, t2]);
  await sg.gradcheck((p) => sg.softmin(p, 1), [rt([2, 3], 4, 'cpu').t]);
});

test('dtypes as PyTorch: int32 and bool promote to float32; threshold, addcmul, heaviside keep int32; float16 computes in f32', async () => {
  for (const dev of await backends()) {
    const xi = sg.tensor(new Int32Array([3, -2, 0, 7, 1]), { device: dev });
    const bo = sg.tensor([1, 0], { device: dev, dtype: 'bool' });
    const promo: Array<[string, Tensor, number[]]> = [
      ['erfc', xi.erfc(), [2.209049699858544e-5, 1.9953222650189528, 1, 4.183825607779414e-23, 0.15729920705028513]],
      ['lgamma', xi.lgamma(), [Math.log(2), Infinity, Infinity, Math.log(720), 0]], ['deg2rad', bo.deg2rad(), [Math.PI / 180, 0]],
      ['logit', bo.logit(), [Infinity, -Infinity]], ['copysign', xi.copysign(-1), [-3, -2, -0, -7, -1]],
      ['ldexp', sg.ldexp(xi, xi), [24, -0.5, 0, 896, 2]], ['sinc', xi.sinc(), [0, 0, 1, 0, 0]],
    ];
    for (const [name, y, want] of promo) { assert.is(y.dtype, 'float32', `${name} dtype on ${dev}`); allclose(await arr(y), fr(want), { rtol: 2e-6, atol: 1e-7 }, `${name} of int/bool on ${dev}`); }
    const keep: Array<[string, Tensor, string, number[]]> = [
      ['threshold', sg.threshold(xi, 1.5, -7.5), 'int32', [3, -7, -7, 7, -7]], ['addcmul', xi.addcmul(xi, xi, { value: -2 }), 'int32', [-15, -10, 0, -91, -1]],
      ['heaviside', xi.heaviside(sg.tensor(new Int32Array([9]), { device: dev })), 'int32', [1, 0, 9, 1, 1]],
      ['heaviside bool', bo.heaviside(sg.tensor([1], { device: dev, dtype: 'bool' })), 'bool', [1, 1]], ['sgn', xi.sgn(), 'int32', [1, -1, 0, 1, 1]],
    ];
    for (const [name, y, dt, want] of keep) { assert.is(y.dtype, dt, `${name} dtype on ${dev}`); assertEqualArrays(await arr(y), want, `${name} on ${dev}`); }
    if (dev === 'cpu' || sg.deviceInfo().features.includes('shader-f16')) {
      const h = sg.tensor([0.1, 2.5, 3.3, 1e-3, 7], { device: dev, dtype: 'float16' });
      const hv = Array.from(await h.toArray());
      const cases: Array<[string, Tensor, (v: number) => number]> = [
        ['erfc', h.erfc(), (v) => 1 - erfRef(v)], ['tanhshrink', sg.tanhshrink(h), (v) => v - Math.tanh(v)],
        ['addcmul', h.addcmul(h, h, { value: 0.5 }), (v) => v + 0.5 * v * v], ['rad2deg', h.rad2deg(), (v) => (v * 180) / Math.PI],
      ];
      for (const [name, y, f] of cases) {
        assert.is(y.dtype, 'float16', `${name} f16 dtype on ${dev}`);
        // computed in f32 from the half inputs, rounded once to half
        allclose(await arr(y), hv.map(f), { rtol: 2 ** -11, atol: 1e-7 }, `${name} f16 on ${dev}`);
      }
      // the shrinks compare against lambd rounded to half, as torch casts it (half(0.5004) = 0.50049 > 0.5004); threshold does not
      const hx = sg.tensor([0.5004], { device: dev, dtype: 'float16' });
      assertEqualArrays(await arr(sg.hardshrink(hx, 0.5004)), [0], `hardshrink f16 at half(lambd) on ${dev}`);
      assertEqualArrays(await arr(sg.softshrink(hx, 0.5004)), [0], `softshrink f16 at half(lambd) on ${dev}`);
      assertEqualArrays(await arr(sg.threshold(hx, 0.5004, 5)), [0.50048828125], `threshold f16 above the float threshold on ${dev}`);
      hx.dispose();
      h.dispose();
    }
    xi.dispose();
    bo.dispose();
  }
});

test('bad arguments throw naming the op and the argument, before any GPU work', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([1, 2, 3], { device: dev });
    const xi = sg.tensor(new Int32Array([1, 2, 3]), { device: dev });
    const y2 = sg.tensor([1, 2], { device: dev });
    const bool = sg.tensor([1, 0, 1], { device: dev, dtype: 'bool' });
    const cases: Array<[string, () => unknown, RegExp[]]> = [
      ['hardshrink int', () => sg.hardshrink(xi), [/^hardshrink: input dtype int32 is not supported/, /\[3\]/]],
      ['softshrink negative lambd', () => sg.softshrink(x, -1), [/^softshrink: lambd must be >= 0, got -1/]],
      ['softshrink NaN lambd', () => sg.softshrink(x, NaN), [/^softshrink: lambd must be a finite number, got NaN/]],
      ['threshold bool', () => sg.threshold(bool, 0, 1), [/^threshold: input dtype bool is not supported/]],
      ['threshold value', () => sg.threshold(x, 0, '1' as unknown as number), [/^threshold: value must be a finite number/]],
      ['threshold int overflow', () => sg.threshold(xi, 0, 1e10), [/^threshold: threshold and value must fit int32/]],
      ['tanhshrink bool', () => sg.tanhshrink(bool), [/^tanhshrink: input dtype bool is not supported/]],
      ['positive bool', () => sg.positive(bool), [/^positive: input dtype bool is not supported/]],
      ['logit eps string', () => sg.logit(x, '0.1' as unknown as number), [/^logit: eps must be a finite number or null/]],
      ['softmin int', () => sg.softmin(xi, 0), [/^softmin: input dtype int32 is not supported/]],
      ['softmin dim', () => sg.softmin(x, 1), [/^softmin: dim 1 is out of range/]],
      ['clampMin null', () => sg.clampMin(x, null as unknown as number), [/^clampMin: min must be a Tensor or a number/]],
      ['clampMax shapes', () => x.clampMax(y2), [/^clampMax/, /\[3\]/, /\[2\]/]],
      ['erfc number', () => sg.erfc(3 as unknown as Tensor), [/^erfc: input must be a Tensor, got/]],
      ['copysign string', () => sg.copysign(x, 'a' as unknown as number), [/^copysign: other must be a Tensor, got/]],
      ['ldexp shapes', () => sg.ldexp(x, y2), [/^ldexp/, /\[3\]/, /\[2\]/]],
      ['logaddexp2 int', () => sg.logaddexp2(xi, xi), [/^logaddexp2: int32 operands are not supported/]],
      ['heaviside dtypes', () => sg.heaviside(x, xi), [/^heaviside: input \(float32, shape \[3\]\) and values \(int32/]],
      ['heaviside number', () => sg.heaviside(x, 0 as unknown as Tensor), [/^heaviside: values must be a Tensor/]],
      ['trueDivide numbers', () => sg.trueDivide(1, 2), [/^trueDivide: at least one of input and other must be a Tensor/]],
      ['addcmul shapes', () => sg.addcmul(x, y2, x), [/^addcmul/, /\[3\]/, /\[2\]/]],
      ['addcmul bool', () => sg.addcmul(bool, bool, bool), [/^addcmul: bool operands are not supported/]],
      ['addcmul int fractional value', () => sg.addcmul(xi, xi, xi, { value: 0.5 }), [/^addcmul: value must be an integer where the operands are integral \(int32\), got 0.5/]],
      ['addcmul option', () => sg.addcmul(x, x, x, { valu: 2 } as unknown as { value: number }), [/^addcmul: unknown option 'valu'/]],
      ['addcdiv int division', () => sg.addcdiv(x, xi, xi), [/^addcdiv: integer division with addcdiv is not supported \(tensor1 int32 and tensor2 int32/]],
      ['addcdiv value NaN', () => sg.addcdiv(x, x, x, NaN), [/^addcdiv: value must be a finite number, got NaN/]],
    ];
    for (const [what, run, pats] of cases) throwsBeforeWork(`${what} on ${dev}`, run, pats);
    for (const t of [x, xi, y2, bool]) t.dispose();
  }
});

test.run();
