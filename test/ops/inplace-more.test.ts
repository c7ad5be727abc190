// The in-place ops past add_/mul_ (exp_, div_, clamp_, maskedFill_, addcmul_, lerp_, uniform_,
// normal_...): torch 2.14's values written through a strided view into its base, PyTorch's
// dtype, grad-mode and overlap refusals before any GPU work, and the version counter.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, assertEqualArrays, backends, throwsBeforeWork, throwsWith, type Dev } from '../helpers.js';
import { CASES, M, W, X, Y, Z } from './inplace-more-torch.js';

const test = suite('in place: more ops');

type Op = (x: Tensor, t: (v: number[]) => Tensor, mask: Tensor) => Tensor;
const OPS: Record<string, Op> = {
  'exp_': (x) => x.exp_(), 'log_': (x) => x.log_(), 'sqrt_': (x) => x.sqrt_(), 'abs_': (x) => x.abs_(), 'neg_': (x) => x.neg_(),
  'sigmoid_': (x) => x.sigmoid_(), 'tanh_': (x) => x.tanh_(), 'relu_': (x) => x.relu_(), 'square_': (x) => x.square_(),
  'div_(y)': (x, t) => x.div_(t(Y)), 'div_(y, trunc)': (x, t) => x.div_(t(Y), 'trunc'),
  'div_(y, floor)': (x, t) => x.div_(t(Y), { roundingMode: 'floor' }), 'div_(0)': (x) => x.div_(0),
  'pow_(y)': (x, t) => x.pow_(t(Y)), 'pow_(2.5)': (x) => x.pow_(2.5),
  'clamp_(-1, 1)': (x) => x.clamp_(-1, 1), 'clamp_(y, z)': (x, t) => x.clamp_(t(Y), t(Z)),
  'clampMin_(0.5)': (x) => x.clampMin_(0.5), 'clampMax_(z)': (x, t) => x.clampMax_(t(Z)),
  'maskedFill_(m, 7.5)': (x, _t, m) => x.maskedFill_(m, 7.5), 'maskedFill_(m, -inf)': (x, _t, m) => x.maskedFill_(m, -Infinity),
  'addcmul_(y, z, 0.5)': (x, t) => x.addcmul_(t(Y), t(Z), { value: 0.5 }), 'addcdiv_(y, z, 2)': (x, t) => x.addcdiv_(t(Y), t(Z), 2),
  'lerp_(z, 0.3)': (x, t) => x.lerp_(t(Z), 0.3), 'lerp_(z, w)': (x, t) => x.lerp_(t(Z), t(W)),
};

/** A base [n, 2] tensor whose column 1 holds X: the op writes through that strided view. */
function column(dev: Dev): { base: Tensor; view: Tensor } {
  const base = sg.full([X.length, 2], -9, { device: dev });
  const view = base.select(1, 1);
  view.copy_(sg.tensor(X, { device: dev }));
  return { base, view };
}

test('every op matches torch, written through a strided view into its base, one version bump each', async () => {
  for (const dev of await backends()) {
    const mask = sg.tensor(M.map(Boolean), { device: dev });
    for (const [name, expected] of Object.entries(CASES)) {
      const { base, view } = column(dev);
      const v0 = base.version;
      const out = OPS[name](view, (v) => sg.tensor(v, { device: dev }), mask);
      if (out !== view) throw new Error(`${name} did not return self on ${dev}`);
      if (base.version !== v0 + 1) throw new Error(`${name}: version ${base.version}, expected ${v0 + 1} on ${dev}`);
      const got = Array.from(await base.toArray());
      allclose(got.filter((_, i) => i % 2 === 1), expected, { rtol: 2e-6, atol: 1e-6 }, `${name} on ${dev}`);
      assertEqualArrays(got.filter((_, i) => i % 2 === 0), X.map(() => -9), `${name} left the other column alone on ${dev}`);
      base.dispose();
    }
    if (Object.keys(CASES).length !== Object.keys(OPS).length) throw new Error('a case without an op');
  }
});

test('int32: ops whose result stays integral work as torch; float results, fractions and bool are refused by name', async () => {
  for (const dev of await backends()) {
    const i = (v: number[]): Tensor => sg.tensor(new Int32Array(v), { device: dev });
    assertEqualArrays(await i([-3, 4, -5]).abs_().toArray(), [3, 4, 5], `abs_ on ${dev}`);
    assertEqualArrays(await i([-3, 4, 0]).neg_().toArray(), [3, -4, 0], `neg_ on ${dev}`);
    assertEqualArrays(await i([-3, 4, 0]).square_().toArray(), [9, 16, 0], `square_ on ${dev}`);
    assertEqualArrays(await i([-3, 4, 0]).relu_().toArray(), [0, 4, 0], `relu_ on ${dev}`);
    assertEqualArrays(await i([-7, 7, 5]).div_(2, 'trunc').toArray(), [-3, 3, 2], `div_ trunc on ${dev}`);
    assertEqualArrays(await i([-7, 7, 5]).div_(i([2, 2, -2]), 'floor').toArray(), [-4, 3, -3], `div_ floor on ${dev}`);
    assertEqualArrays(await i([-7, 1, 5]).clamp_(0, 2).toArray(), [0, 1, 2], `clamp_ on ${dev}`);
    assertEqualArrays(await i([-3, 2, 5]).pow_(2).toArray(), [9, 4, 25], `pow_ on ${dev}`);
    assertEqualArrays(await i([1, 2, 3]).addcmul_(i([1, 2, 3]), i([2, 2, 2]), 3).toArray(), [7, 14, 21], `addcmul_ on ${dev}`);
    assertEqualArrays(await i([1, 2, 3]).maskedFill_(sg.tensor([true, false, true], { device: dev }), 9).toArray(), [9, 2, 9], `maskedFill_ on ${dev}`);
    const a = i([1, 2, 3]);
    const f = sg.tensor([0.5, 1, 2], { device: dev });
    for (const [name, run] of [['exp_', () => a.exp_()], ['log_', () => a.log_()], ['sqrt_', () => a.sqrt_()], ['sigmoid_', () => a.sigmoid_()],
      ['tanh_', () => a.tanh_()], ['div_', () => a.div_(2)], ['div_', () => a.div_(f, 'floor')], ['clamp_', () => a.clamp_(0.5, 2)],
      ['clamp_', () => a.clamp_(f)], ['pow_', () => a.pow_(0.5)], ['addcdiv_', () => a.addcdiv_(f, f)]] as const) {
      throwsBeforeWork(`${name} int32 on ${dev}`, run, [new RegExp(`^${name}: result type float32 can't be cast to the int32 tensor modified in place`)]);
    }
    throwsBeforeWork('pow_ -1', () => a.pow_(-1), [/^pow_:/, /negative/]);
    throwsBeforeWork('lerp_ int', () => a.lerp_(a, 0.5), [/^lerp_:/, /int32/]);
    throwsBeforeWork('uniform_ int', () => a.uniform_(), [/^uniform_: needs a floating point tensor, got int32/]);
    throwsBeforeWork('normal_ int', () => a.normal_(), [/^normal_: needs a floating point tensor, got int32/]);
    throwsBeforeWork('addcmul_ value 0.5', () => a.addcmul_(a, a, 0.5), [/^addcmul_: value must be an integer/]);
    assertEqualArrays(await a.toArray(), [1, 2, 3], `refused ops left the tensor as it was on ${dev}`);
    const b = sg.tensor([true, false], { device: dev });
    throwsBeforeWork('abs_ bool', () => b.abs_(), [/^abs_: input dtype bool is not supported/]);
    throwsBeforeWork('neg_ bool', () => b.neg_(), [/^neg_:/]);
    throwsBeforeWork('relu_ bool', () => b.relu_(), [/^relu_:/, /bool/]);
    throwsBeforeWork('square_ bool', () => b.square_(), [/^square_: result type int32 can't be cast to the bool tensor/]);
    throwsBeforeWork('exp_ bool', () => b.exp_(), [/^exp_: result type float32 can't be cast to the bool tensor/]);
  }
});

test('refusals before any work: grad mode, repeated or shared memory, shapes, devices and bad arguments', async () => {
  for (const dev of await backends()) {
    const w = sg.tensor([1, 2, 3], { device: dev, requiresGrad: true });
    for (const [name, run] of [['exp_', () => w.exp_()], ['clamp_', () => w.clamp_(0, 1)], ['uniform_', () => w.uniform_()],
      ['normal_', () => w.normal_()], ['maskedFill_', () => w.maskedFill_(sg.tensor([true, false, true], { device: dev }), 0)]] as const) {
      throwsWith(run, new RegExp(`^${name}: a tensor that requires grad cannot be modified in place while grad mode is on`));
    }
    sg.noGrad(() => w.uniform_(0, 1, { seed: 3 }).mul_(2).sqrt_());
    const x = sg.tensor([0.5, 1.5, 2.5], { device: dev });
    const ex = x.expand([2, 3]);
    throwsBeforeWork('exp_ expand', () => ex.exp_(), [/^exp_: unsupported operation: more than one element of the written-to tensor refers to a single memory location/]);
    throwsBeforeWork('normal_ expand', () => ex.normal_(), [/^normal_: unsupported operation: more than one element/]);
    const m = sg.tensor([[1, 2], [3, 4]], { device: dev });
    const mT = m.T;
    throwsBeforeWork('addcmul_ overlap', () => m.addcmul_(m, mT), [/^addcmul_: unsupported operation: some elements of tensor2 \(shape \[2, 2\]\)/]);
    throwsBeforeWork('lerp_ overlap', () => m.lerp_(mT, 0.5), [/^lerp_: unsupported operation: some elements of end/]);
    throwsBeforeWork('clamp_ neither', () => x.clamp_(), [/^clamp_: at least one of min and max must be given/]);
    throwsBeforeWork('clampMin_ null', () => x.clampMin_(null as unknown as number), [/^clampMin_: min must be a Tensor or a number, got null/]);
    throwsBeforeWork('clamp_ string', () => x.clamp_('1' as unknown as number), [/^clamp_: min must be a Tensor or a number, got "1"/]);
    const z23 = sg.zeros([2, 3], { device: dev });
    throwsBeforeWork('clamp_ grows self', () => x.clamp_(z23), [/^clamp_: min of shape \[2, 3\] does not broadcast to self's shape \[3\]/]);
    throwsBeforeWork('div_ mode', () => x.div_(2, 'round' as 'floor'), [/^div_: roundingMode must be 'trunc', 'floor' or null, got "round"/]);
    throwsBeforeWork('maskedFill_ float mask', () => x.maskedFill_(x, 1), [/^maskedFill_:/, /mask/]);
    const b23 = sg.ones([2, 3], { dtype: 'bool', device: dev });
    throwsBeforeWork('maskedFill_ grows self', () => x.maskedFill_(b23, 1), [/^maskedFill_: mask of shape \[2, 3\] does not broadcast to self's shape \[3\]/]);
    const mk = sg.tensor([true, false, true], { device: dev });
    throwsBeforeWork('maskedFill_ 1-d value', () => x.maskedFill_(mk, x), [/^maskedFill_: value must be a number or a 0-d tensor/]);
    throwsBeforeWork('uniform_ from > to', () => x.uniform_(2, 1), [/^uniform_: expects a \[from, to\) range, but found from=2 > to=1/]);
    throwsBeforeWork('uniform_ Inf', () => x.uniform_(0, Infinity), [/^uniform_: to must be a finite number, got Infinity/]);
    throwsBeforeWork('uniform_ span', () => x.uniform_(-1.7e308, 1.7e308), [/^uniform_: to - from/]);
    throwsBeforeWork('normal_ std', () => x.normal_(0, -1), [/^normal_: expects std >= 0, but found std -1/]);
    throwsBeforeWork('normal_ seed', () => x.normal_(0, 1, { seed: 0.5 }), [/^normal_: seed must be an integer, got 0\.5/]);
    throwsBeforeWork('normal_ key', () => x.normal_(0, 1, { sed: 1 } as unknown as { seed: number }), [/^normal_:/, /sed/]);
    assertEqualArrays(await x.toArray(), [0.5, 1.5, 2.5], `refused ops left x as it was on ${dev}`);
    if (dev === 'webgpu') {
      const onCpu = sg.tensor([1, 1, 1], { device: 'cpu' });
      throwsBeforeWork('lerp_ device', () => x.lerp_(onCpu, 0.5), [/^lerp_: end is on cpu but self is on webgpu/]);
    }
  }
});

test('backward refuses a graph whose saved tensor an in-place op changed, directly or through a view', async () => {
  const STALE = /^backward: one of the variables needed for gradient computation has been modified by an inplace operation/;
  for (const dev of await backends()) {
    const x = sg.tensor([1, 2, 3], { device: dev, requiresGrad: true });
    for (const [name, change] of [['exp_', (h: Tensor) => h.exp_()], ['clamp_', (h: Tensor) => h.narrow(0, 1, 1).clamp_(0, 1)],
      ['uniform_', (h: Tensor) => h.uniform_()], ['maskedFill_', (h: Tensor) => h.maskedFill_(sg.tensor([false, true, false], { device: dev }), 0)]] as const) {
      const h = x.mul(2);
      const y = h.mul(h).sum();
      sg.noGrad(() => change(h));
      throwsWith(() => y.backward(), STALE, /saved by Mul/);
      if (x.grad !== null) throw new Error(`${name}: a refused backward set .grad`);
    }
  }
});

test('uniform_ and normal_: host-drawn like rand/randn, so a seed gives the same values on both backends', async () => {
  const seen: number[][] = [];
  for (const dev of await backends()) {
    const u = sg.zeros([3, 4], { device: dev }).uniform_(0, 1, { seed: 7 });
    assertEqualArrays(await u.toArray(), await sg.rand([3, 4], { seed: 7, device: dev }).toArray(), `uniform_(0, 1) is rand on ${dev}`);
    const n = sg.zeros([5], { device: dev }).normal_(0, 1, { seed: 8 });
    assertEqualArrays(await n.toArray(), await sg.randn([5], { seed: 8, device: dev }).toArray(), `normal_(0, 1) is randn on ${dev}`);
    const r = Array.from(await sg.zeros([2000], { device: dev }).uniform_(-2, 3, { seed: 1 }).toArray());
    if (r.some((v) => !(v >= -2 && v < 3))) throw new Error(`uniform_(-2, 3) left [-2, 3) on ${dev}`);
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    if (Math.abs(mean - 0.5) > 0.15) throw new Error(`uniform_(-2, 3) mean ${mean} on ${dev}`);
    const g = Array.from(await sg.zeros([2000], { device: dev }).normal_(5, 0.5, { seed: 2 }).toArray());
    const gm = g.reduce((a, b) => a + b, 0) / g.length;
    const gs = Math.sqrt(g.reduce((a, b) => a + (b - gm) ** 2, 0) / g.length);
    if (Math.abs(gm - 5) > 0.05 || Math.abs(gs - 0.5) > 0.05) throw new Error(`normal_(5, 0.5): mean ${gm}, std ${gs} on ${dev}`);
    const c = sg.zeros([4], { device: dev }).normal_(3, 0);
    assertEqualArrays(await c.toArray(), [3, 3, 3, 3], `normal_ with std 0 on ${dev}`);
    // Through a strided view: only the viewed elements change.
    const base = sg.zeros([3, 2], { device: dev });
    base.select(1, 0).uniform_(1, 2, { seed: 4 });
    const b = Array.from(await base.toArray());
    if (b.some((v, i) => (i % 2 === 0 ? !(v >= 1 && v < 2) : v !== 0))) throw new Error(`uniform_ through a view wrote ${b} on ${dev}`);
    seen.push(b);
  }
  if (seen.length === 2) assertEqualArrays(seen[1], seen[0], 'the same seed on both backends');
});

test.run();
