// In-place ops, fills and .grad as PyTorch has them: no fractional or overflowing value lands
// in a tensor silently, copy_ crosses devices one way, an assigned .grad belongs to the tensor,
// and a Function's backward that breaks its contract is named.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Ctx, Tensor } from '../../src/index.js';
import { allclose, assertEqualArrays, backends, throwsBeforeWork, throwsWith } from '../helpers.js';

const test = suite('in place, fill and grad');

test('int32 in place: a float tensor, a fraction or a fractional alpha is refused; integers work', async () => {
  for (const dev of await backends()) {
    const a = sg.tensor([1, 2], { dtype: 'int32', device: dev });
    const f = sg.tensor([0.5, 0.7], { device: dev });
    throwsBeforeWork('add_ float', () => a.add_(f), [/^add_: result type float32 can't be cast to the int32 tensor/]);
    throwsBeforeWork('mul_ float', () => a.mul_(f), [/^mul_:/, /int32/]);
    throwsBeforeWork('add_ 0.5', () => a.add_(0.5), [/^add_: 0\.5 is not an integer/]);
    throwsBeforeWork('add_ alpha', () => a.add_(1, 0.5), [/^add_: alpha must be an integer for an int32 tensor, got 0\.5/]);
    throwsBeforeWork('sub_ alpha NaN', () => a.sub_(1, NaN), [/^sub_: alpha must be a number, got NaN/]);
    assertEqualArrays(await a.toArray(), [1, 2], `a refused op left the tensor as it was on ${dev}`);
    // Out of place too, as torch 2.14: a fractional alpha needs a float operand.
    throwsBeforeWork('add alpha', () => a.add(a, 0.5), [/^add: alpha must not be fractional where input and other are integral \(int32\), got 0\.5/]);
    throwsBeforeWork('sub alpha', () => a.sub(1, 0.5), [/^sub: alpha must not be fractional/]);
    allclose(await a.add(f, 0.5).toArray(), [1.25, 2.35], { rtol: 1e-6, atol: 0 }, `int32 + float · 0.5 on ${dev}`);
    a.add_(sg.tensor([3, 4], { dtype: 'int32', device: dev }), 2).sub_(1);
    assertEqualArrays(await a.toArray(), [6, 9], `integer in-place ops on ${dev}`);
    // a copy or a fill casts, as PyTorch's do
    a.copy_(sg.tensor([2.9, -2.9], { device: dev }));
    assertEqualArrays(await a.toArray(), [2, -2], `copy_ of floats into int32 truncates on ${dev}`);
  }
});

// As torch 2.14: refused where the result would depend on the order elements are written in.
test('in place into repeated or shared memory: refused as PyTorch refuses it, fills and exact aliases allowed', async () => {
  for (const dev of await backends()) {
    const row = sg.tensor([1, 2, 3], { device: dev });
    const ex = row.expand([2, 3]);
    const ones = sg.ones([2, 3], { device: dev });
    for (const [what, f] of [['add_', () => ex.add_(1)], ['mul_', () => ex.mul_(2)], ['copy_', () => ex.copy_(ones)]] as const) {
      throwsBeforeWork(`${what} into expand on ${dev}`, f, [new RegExp(`^${what}: unsupported operation: more than one element of the written-to tensor refers to a single memory location \\(shape \\[2, 3\\], stride 0 in dim 0\\)`)]);
    }
    // A fill writes the same value everywhere: allowed, as in PyTorch.
    ex.fill_(7);
    assertEqualArrays(await row.toArray(), [7, 7, 7], `fill_ through expand on ${dev}`);
    ex.zero_();
    assertEqualArrays(await row.toArray(), [0, 0, 0], `zero_ through expand on ${dev}`);
    const m = sg.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8], { device: dev }).reshape([3, 3]);
    const v = sg.tensor([0, 1, 2, 3, 4], { device: dev });
    const [mT, v1, v0, first, row0] = [m.T, v.narrow(0, 1, 4), v.narrow(0, 0, 4), v.select(0, 0), m.select(0, 0)];
    for (const [what, f] of [['add_', () => m.add_(mT)], ['copy_', () => m.copy_(mT)], ['copy_', () => v1.copy_(v0)],
      ['add_', () => v.add_(first)], ['add_', () => m.add_(row0)]] as const) {
      throwsBeforeWork(`${what} from overlapping memory on ${dev}`, f, [new RegExp(`^${what}: unsupported operation: some elements of other \\(shape \\[[0-9, ]*\\]\\) and of the written-to tensor \\(shape \\[[0-9, ]+\\]\\) refer to a single memory location`)]);
    }
    assertEqualArrays(await m.toArray(), [0, 1, 2, 3, 4, 5, 6, 7, 8], `refused writes left m as it was on ${dev}`);
    // Allowed, as in PyTorch: the same view, disjoint parts, strided views it does not analyse.
    v.mul_(v.view([5]));
    assertEqualArrays(await v.toArray(), [0, 1, 4, 9, 16], `v *= v on ${dev}`);
    v.narrow(0, 0, 2).add_(v.select(0, 4));
    assertEqualArrays(await v.toArray(), [16, 17, 4, 9, 16], `a disjoint element on ${dev}`);
    m.select(0, 1).add_(m.select(0, 0));
    assertEqualArrays(await m.toArray(), [0, 1, 2, 3, 5, 7, 6, 7, 8], `one row into another on ${dev}`);
    const w = sg.tensor([0, 1, 2, 3, 4, 5], { device: dev });
    w.slice(0, 0, 6, 2).copy_(w.slice(0, 1, 6, 2));
    assertEqualArrays(await w.toArray(), [1, 1, 3, 3, 5, 5], `interleaved strided views on ${dev}`);
  }
});

test('fill_, full and the like refuse values the dtype cannot hold; fill_ takes a 0-d tensor', async () => {
  for (const dev of await backends()) {
    const z = sg.zeros(2, { dtype: 'int32', device: dev });
    throwsBeforeWork('fill_ 2**31', () => z.fill_(2 ** 31), [/^fill_: value 2147483648 cannot be converted to int32/]);
    throwsBeforeWork('fill_ 1e300', () => z.fill_(1e300), [/^fill_:/, /int32/]);
    throwsBeforeWork('fill_ 1.5', () => z.fill_(1.5), [/^fill_:/]);
    throwsBeforeWork('copy_ NaN', () => z.copy_(NaN), [/^copy_:/, /NaN/]);
    throwsBeforeWork('full float32 1e39', () => sg.full([2], 1e39, { device: dev }), [/^full: value 1e\+39 cannot be converted to float32 without overflow/]);
    const zf = sg.zeros(2, { device: dev });
    throwsBeforeWork('fill_ string', () => zf.fill_('1' as unknown as number), [/^fill_: value must be a number or a 0-d tensor, got "1"/]);
    const x = sg.zeros(3, { device: dev });
    x.fill_(Infinity);
    x.narrow(0, 1, 1).fill_(sg.tensor(2.5, { device: dev }));
    assertEqualArrays(await x.toArray(), [Infinity, 2.5, Infinity], `fill_ with Inf and a 0-d tensor on ${dev}`);
    if (dev === 'cpu' || sg.deviceInfo().features.includes('shader-f16')) {
      throwsBeforeWork('full float16 1e6', () => sg.full([2], 1e6, { dtype: 'float16', device: dev }), [/^full:/, /float16 without overflow/]);
      const h = sg.zeros(2, { dtype: 'float16', device: dev });
      throwsBeforeWork('fill_ float16', () => h.fill_(-7e4), [/^fill_:/, /float16/]);
    }
  }
});

test('copy_ uploads a CPU tensor into a GPU one and refuses the other way by name', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const g = sg.zeros([2, 3], { device: 'webgpu' });
  const c = sg.tensor([[1, 2, 3], [4, 5, 6]], { device: 'cpu' });
  g.copy_(c.transpose(0, 1).contiguous().transpose(0, 1)); // a strided CPU source
  assertEqualArrays(await g.toArray(), [1, 2, 3, 4, 5, 6], 'copy_ from the CPU');
  g.narrow(1, 0, 1).copy_(sg.tensor([[9], [8]], { device: 'cpu', dtype: 'int32' }));
  assertEqualArrays(await g.toArray(), [9, 2, 3, 8, 5, 6], 'copy_ of an int32 CPU column into a float GPU view');
  throwsWith(() => c.copy_(g), /^copy_: cannot copy a webgpu tensor into a cpu tensor synchronously; use await src\.to\('cpu'\)/);
});

test('creators refuse requiresGrad on int32 before allocating anything; zerosLike keeps the dtype', async () => {
  for (const dev of await backends()) {
    throwsBeforeWork('ones int32 grad', () => sg.ones(2, { dtype: 'int32', requiresGrad: true, device: dev }), [/^ones: only floating point tensors can require grad/]);
    throwsBeforeWork('randint grad', () => sg.randint(0, 3, [2], { requiresGrad: true, device: dev }), [/^randint:/, /require grad/]);
    throwsBeforeWork('arange grad', () => sg.arange(3, { requiresGrad: true, device: dev }), [/^arange:/, /require grad/]);
    throwsBeforeWork('tensor grad', () => sg.tensor(new Int32Array([1]), { requiresGrad: true, device: dev }), [/^tensor:/, /require grad/]);
    const i = sg.tensor(new Int32Array([1, 2]), { device: dev });
    const z = sg.zerosLike(i, { dtype: undefined });
    if (z.dtype !== 'int32') throw new Error(`zerosLike(int32, { dtype: undefined }) gave ${z.dtype}`);
  }
});

test('an assigned .grad is handed to the tensor: backward adds into it in place, null lets go, itself is refused', async () => {
  for (const dev of await backends()) {
    const w = sg.tensor([1, 2, 3], { device: dev, requiresGrad: true });
    const mine = sg.onesLike(w);
    w.grad = mine.clone(); // keep a copy of your own: the assigned tensor is the tensor's now
    const handed = w.grad;
    w.mul(2).sum().backward();
    assertEqualArrays(await w.grad!.toArray(), [3, 3, 3], `the accumulated grad on ${dev}`);
    assertEqualArrays(await mine.toArray(), [1, 1, 1], `the caller's copy on ${dev}`);
    // As PyTorch's AccumulateGrad: the same tensor, summed into in place (its memory kept).
    if (w.grad !== handed || handed.disposed) throw new Error('backward replaced the assigned grad instead of adding into it');
    assertEqualArrays(await handed.toArray(), [3, 3, 3], `the assigned grad, summed into, on ${dev}`);
    throwsWith(() => { w.grad = w; }, /^grad: a tensor cannot be its own grad/);
    throwsWith(() => { w.grad = w.detach(); }, /^grad: a tensor cannot be its own grad/);
    // PyTorch's `g = p.grad; p.grad = None`: the tensor lets go of g, which stays usable.
    const g = w.grad!;
    w.grad = null;
    assertEqualArrays(await g.toArray(), [3, 3, 3], `a gradient taken off the tensor on ${dev}`);
    g.dispose();
    mine.dispose();
    w.dispose();
  }
});

class NumberForNumber extends sg.Function {
  static override forward(_ctx: Ctx, x: Tensor, s: number): Tensor { return x.mul(s); }
  static override backward(_ctx: Ctx, g: Tensor): Tensor[] { return [g.mul(2), 5 as unknown as Tensor]; }
}
class ExtraGradient extends sg.Function {
  static override forward(_ctx: Ctx, x: Tensor): Tensor { return x.mul(2); }
  static override backward(_ctx: Ctx, g: Tensor): Tensor[] { return [g.mul(2), g]; }
}
class TrailingNulls extends sg.Function {
  static override forward(_ctx: Ctx, x: Tensor): Tensor { return x.mul(2); }
  static override backward(_ctx: Ctx, g: Tensor): Array<Tensor | null> { return [g.mul(2), null, null]; }
}
class SavesANumber extends sg.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor { ctx.saveForBackward(x, 3 as unknown as Tensor); return x.mul(2); }
  static override backward(_ctx: Ctx, g: Tensor): Tensor[] { return [g]; }
}

test('Function contract: a gradient for a non-tensor, an extra gradient, a non-tensor saved: Errors naming it', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([1, 2], { device: dev, requiresGrad: true });
    const h1 = NumberForNumber.apply(x, 2) as Tensor;
    const h2 = ExtraGradient.apply(x) as Tensor;
    const y1 = h1.sum();
    const y2 = h2.sum();
    const live = sg.memory().liveTensors;
    throwsWith(() => y1.backward(), /^backward: NumberForNumber\.backward returned 5 for argument 1, which is not a tensor; return null there/);
    throwsWith(() => y2.backward(), /^backward: ExtraGradient\.backward returned 2 gradients but forward took 1 arguments/);
    if (sg.memory().liveTensors !== live) throw new Error(`failed backwards left ${sg.memory().liveTensors - live} tensors live on ${dev}`);
    for (const t of [y1, y2, h1, h2]) t.dispose();
    (TrailingNulls.apply(x) as Tensor).sum().backward();
    allclose(await x.grad!.toArray(), [2, 2], {}, `trailing nulls are fine on ${dev}`);
    throwsWith(() => SavesANumber.apply(x), /^saveForBackward: argument 1 must be a Tensor or null, got 3/);
  }
});

test('a float root gradient of another float dtype is cast; an int32 one is refused', async () => {
  const y = sg.tensor([1, 2], { device: 'cpu', requiresGrad: true });
  const z = y.mul(3);
  z.backward(sg.tensor([1, 1], { device: 'cpu', dtype: 'float64' }));
  if (y.grad!.dtype !== 'float32') throw new Error(`the leaf's grad became ${y.grad!.dtype}`);
  allclose(await y.grad!.toArray(), [3, 3], {}, 'cast root gradient');
  throwsWith(() => y.mul(3).backward(sg.tensor(new Int32Array([1, 1]), { device: 'cpu' })), /^backward: gradient has dtype int32/);
});

test.run();
