import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor, Ctx } from '../../src/index.js';
import * as assert from 'uvu/assert';
import { allclose, assertEqualArrays, backends, randArray, rt, throwsWith } from '../helpers.js';

const test = suite('autograd');

// A user-defined Function, written the way docs/guide.md tells users to.
let squareBackwardCalls = 0;
class Square extends sg.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.mul(x);
  }
  static override backward(ctx: Ctx, dy: Tensor): Tensor[] {
    squareBackwardCalls++;
    const [x] = ctx.savedTensors;
    return [dy.mul(x).mul(2)];
  }
}

test('a user-defined Function gets gradients and passes gradcheck', async () => {
  for (const dev of await backends()) {
    const { t: x, x: xv } = rt([7], 3, dev, { requiresGrad: true });
    const y: Tensor = Square.apply(x);
    if (!y.requiresGrad || !y.gradFn) throw new Error('output of apply must record a node');
    y.sum().backward();
    allclose(await x.grad!.toArray(), Array.from(xv, (v) => 2 * v), {}, `d(x^2)/dx on ${dev}`);
  }
  await sg.gradcheck((x) => Square.apply(x), [rt([3, 2], 4, 'cpu').t]);
});

test('shared subgraphs are walked once and gradients add up', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([0.5, -1.5, 2], { device: dev, requiresGrad: true });
    squareBackwardCalls = 0;
    const s: Tensor = Square.apply(x); // used three times below
    const z = s.mul(s).add(s).add(s.mul(3));
    z.sum().backward();
    if (squareBackwardCalls !== 1) throw new Error(`Square.backward ran ${squareBackwardCalls} times, expected once`);
    // z = x^4 + 4x^2 -> dz/dx = 4x^3 + 8x
    allclose(await x.grad!.toArray(), [0.5, -1.5, 2].map((v) => 4 * v ** 3 + 8 * v), {}, `grad on ${dev}`);
  }
});

test('leaf gradients accumulate across backward calls; retainGraph allows a second pass', async () => {
  for (const dev of await backends()) {
    const { t: x, x: xv } = rt([5], 7, dev, { requiresGrad: true });
    const y = x.exp().sum();
    y.backward(undefined, { retainGraph: true });
    const first = await x.grad!.toArray();
    y.backward();
    allclose(await x.grad!.toArray(), Array.from(first, (v) => 2 * v), {}, 'accumulated');
    allclose(first, Array.from(xv, Math.exp), { rtol: 1e-6 }, 'first pass');
    throwsWith(() => y.backward(), /backward/, /retainGraph/);
    const w = x.mul(3).sum();
    w.backward();
    allclose(await x.grad!.toArray(), Array.from(first, (v) => 2 * v + 3), {}, 'after a new graph');
  }
});

test('a leaf reached by several edges sums them all, and a later backward adds into the same .grad', async () => {
  for (const dev of await backends()) {
    const xs = [0.5, -1.25, 2];
    const x = sg.tensor(xs, { device: dev, requiresGrad: true });
    const w = sg.tensor([3, 0.5, -2], { device: dev });
    // x + x: one Add hands the same gradient to both of its inputs, which are one leaf.
    sg.tidy(() => { x.add(x).sum().backward(); });
    assertEqualArrays(await x.grad!.toArray(), [2, 2, 2], `x + x on ${dev}`);
    const g = x.grad!;
    // x·w + x + x²: three edges into x; the first contribution is a gradient other edges hold.
    sg.tidy(() => { x.mul(w).add(x).add(x.mul(x)).sum().backward(); });
    assert.ok(x.grad === g, 'the second backward added into the same .grad');
    assertEqualArrays(await x.grad!.toArray(), xs.map((v, i) => 2 + [3, 0.5, -2][i] + 1 + 2 * v), `three edges, accumulated, on ${dev}`);
    // var over every element: x reaches the loss through the mean and directly.
    x.grad = null;
    g.dispose();
    sg.tidy(() => { x.var().backward(); });
    const m = (xs[0] + xs[1] + xs[2]) / 3;
    allclose(await x.grad!.toArray(), xs.map((v) => (2 * (v - m)) / 2), { rtol: 1e-6, atol: 1e-6 }, `var on ${dev}`);
    [x, w].forEach((t) => t.dispose());
  }
});

test('non-scalar backward needs a gradient of the same shape', async () => {
  for (const dev of await backends()) {
    const x = sg.ones([2, 3], { device: dev, requiresGrad: true });
    const y = x.mul(2);
    throwsWith(() => y.backward(), /backward/, /scalar/, /\[2, 3\]/);
    throwsWith(() => y.backward(sg.ones([3, 2], { device: dev })), /backward/, /\[3, 2\]/, /\[2, 3\]/);
    const g = sg.tensor(randArray(6, 1), { shape: [2, 3], device: dev });
    y.backward(g);
    allclose(await x.grad!.toArray(), Array.from(await g.toArray(), (v) => 2 * v), {}, 'vjp');
    throwsWith(() => sg.ones([2], { device: dev }).backward(), /does not require grad/);
  }
});

test('noGrad records nothing; detach cuts the graph; requiresGrad_ is for floats', async () => {
  for (const dev of await backends()) {
    const x = sg.ones([3], { device: dev, requiresGrad: true });
    const y = sg.noGrad(() => x.mul(2));
    if (y.requiresGrad || y.gradFn) throw new Error('noGrad result must not record');
    const d = x.mul(2).detach();
    if (d.requiresGrad || d.gradFn) throw new Error('detach must cut the graph');
    throwsWith(() => sg.tensor(new Int32Array([1, 2]), { device: dev }).requiresGrad_(), /only floating point/);
    const z = x.mul(x.detach()).sum();
    z.backward();
    allclose(await x.grad!.toArray(), [1, 1, 1], {}, 'detached factor is a constant');
  }
});

test('a backward that returns a wrong shape is caught and named', async () => {
  class Bad extends sg.Function {
    static override forward(_ctx: Ctx, x: Tensor): Tensor { return x.mul(2); }
    static override backward(_ctx: Ctx, dy: Tensor): Tensor[] { return [dy.sum()]; }
  }
  const x = sg.ones([4], { requiresGrad: true, device: 'cpu' });
  throwsWith(() => (Bad.apply(x) as Tensor).sum().backward(), /Bad\.backward/, /shape \[\]/, /\[4\]/);
  // the engine still works afterwards
  x.mul(3).sum().backward();
  allclose(await x.grad!.toArray(), [3, 3, 3, 3], {}, 'next backward');
});

test('a 5,000-op chain back-propagates without recursion', async () => {
  const x = sg.tensor([1.0], { device: 'cpu', requiresGrad: true });
  let y = x;
  for (let i = 0; i < 5000; i++) y = y.mul(1.0001);
  y.sum().backward();
  allclose(await x.grad!.toArray(), [1.0001 ** 5000], { rtol: 1e-3 }, 'chain');
});

test('tidy disposes what it made, keeps what it returns, and memory stays flat', async () => {
  for (const dev of await backends()) {
    const w = sg.tensor(randArray(8, 5), { device: dev, requiresGrad: true });
    const x = sg.tensor(randArray(8, 6), { device: dev });
    const step = (): number => sg.tidy(() => {
      const loss = w.mul(x).tanh().sub(0.25).pow(2).mean();
      loss.backward();
      const upd = sg.noGrad(() => w.sub(w.grad!.mul(0.1)));
      return upd;
    }).numel;
    const samples: number[][] = [];
    for (let i = 0; i < 30; i++) {
      step();
      w.grad?.dispose();
      w.grad = null;
      const m = sg.memory();
      samples.push([m.liveTensors, m.bytesInUse]);
    }
    // each step returns one tensor (the update) that we deliberately do not dispose:
    // live tensors grow by exactly one per step, nothing else.
    const growth = samples[29][0] - samples[9][0];
    if (growth !== 20) throw new Error(`live tensors grew by ${growth} over 20 steps (expected 20: one returned tensor per step) on ${dev}`);
    const kept = sg.tidy(() => {
      const a = sg.ones([2], { device: dev });
      const b = sg.keep(a.add(1));
      a.mul(5);
      return { nested: [a] };
    });
    if (kept.nested[0].disposed) throw new Error('tidy disposed a returned tensor');
    const m0 = sg.memory().liveTensors;
    sg.tidy(() => { sg.ones([3], { device: dev }).exp().log(); });
    if (sg.memory().liveTensors !== m0) throw new Error('tidy left tensors behind');
  }
});

test('saved tensors outlive their disposed originals until backward is done', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([0.5, 1, 2], { device: dev, requiresGrad: true });
    const h = x.exp();
    const y = h.mul(h).sum();
    h.dispose(); // the user is done with h; backward still needs it
    y.backward();
    allclose(await x.grad!.toArray(), [0.5, 1, 2].map((v) => 2 * Math.exp(2 * v)), { rtol: 1e-5 }, `grad on ${dev}`);
    const live = sg.memory().liveTensors;
    y.dispose();
    if (sg.memory().liveTensors >= live) throw new Error('disposing the root must release the graph');
  }
});

// Functions whose backward breaks the contract: each is an Error naming the Function and the
// argument, no tensor is left behind, .grad is untouched, and the engine goes on working.
class ReturnsNumber extends sg.Function {
  static override forward(_ctx: Ctx, x: Tensor): Tensor { return x.mul(2); }
  static override backward(): Tensor[] { return [2 as unknown as Tensor]; }
}
class ReturnsInt extends sg.Function {
  static override forward(_ctx: Ctx, x: Tensor): Tensor { return x.mul(2); }
  static override backward(_ctx: Ctx, dy: Tensor): Tensor[] { return [dy.int()]; }
}
class ReturnsWrongShape extends sg.Function {
  static override forward(_ctx: Ctx, x: Tensor): Tensor { return x.mul(2); }
  static override backward(_ctx: Ctx, dy: Tensor): Tensor[] { return [dy.sum()]; }
}
class ReturnsHalf extends sg.Function {
  static override forward(_ctx: Ctx, x: Tensor): Tensor { return x.mul(2); }
  static override backward(_ctx: Ctx, dy: Tensor): Tensor[] { return [dy.mul(2).cast('float64')]; }
}

test('a backward that returns a number, an int32 or a wrong-shaped gradient is an Error naming it', async () => {
  for (const dev of await backends()) {
    const cases: Array<[typeof sg.Function, RegExp]> = [
      [ReturnsNumber, /^backward: ReturnsNumber\.backward returned 2 for argument 0; expected a Tensor or null/],
      [ReturnsInt, /^backward: ReturnsInt\.backward returned an int32 gradient for argument 0/],
      [ReturnsWrongShape, /^backward: ReturnsWrongShape\.backward returned a gradient of shape \[\] for argument 0 of shape \[3\]/],
    ];
    for (const [Fn, want] of cases) {
      const x = sg.tensor([1, 2, 3], { device: dev, requiresGrad: true });
      const loss = (Fn.apply(x) as Tensor).exp().sum();
      const live = sg.memory().liveTensors;
      throwsWith(() => loss.backward(), want);
      if (x.grad !== null) throw new Error(`${Fn.name}: .grad was set by a failed backward`);
      if (sg.memory().liveTensors > live) throw new Error(`${Fn.name}: ${sg.memory().liveTensors - live} tensors leaked by the failed backward on ${dev}`);
      loss.dispose(); x.dispose();
    }
    // A float gradient of another float dtype is cast to the input's, as in PyTorch.
    if (dev === 'cpu') {
      const x = sg.tensor([1, 2, 3], { device: dev, requiresGrad: true });
      (ReturnsHalf.apply(x) as Tensor).sum().backward();
      if (x.grad!.dtype !== 'float32') throw new Error(`the gradient kept dtype ${x.grad!.dtype}`);
      allclose(await x.grad!.toArray(), [2, 2, 2], {}, 'cast gradient');
    }
  }
});

test.run();
