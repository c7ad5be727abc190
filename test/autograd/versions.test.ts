// In-place changes to tensors that backward needs: PyTorch's version counter. Every in-place
// op and optimizer step bumps the storage's version; backward refuses a graph whose saved
// tensors changed since they were saved, and leaves every .grad as it was.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, backends, throwsWith } from '../helpers.js';

const test = suite('autograd: in-place versions');

const STALE = /^backward: one of the variables needed for gradient computation has been modified by an inplace operation/;

test('in-place ops bump the version of the storage, shared by views', async () => {
  for (const dev of await backends()) {
    const x = sg.randn([2, 3], { seed: 1, device: dev });
    const v = x.narrow(1, 1, 2);
    if (x.version !== 0) throw new Error(`a new tensor has version ${x.version}`);
    x.add_(1);
    x.mul_(2);
    v.sub_(1);
    v.copy_(sg.ones([2, 2], { device: dev }));
    x.fill_(3);
    x.zero_();
    const [vx, vv]: number[] = [x.version, v.version];
    if (vx !== 6 || vv !== 6) throw new Error(`versions ${vx}, ${vv} after six in-place ops, expected 6 on ${dev}`);
    const y = x.add(1);
    if (y.version !== 0) throw new Error('an out-of-place result shares the version');
  }
});

test("the issue's example: h modified in place after h*h saved it", async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([1, 2, 3], { device: dev, requiresGrad: true });
    const h = x.mul(2);
    const y = h.mul(h).sum();
    sg.noGrad(() => h.add_(100));
    throwsWith(() => y.backward(), STALE, /shape \[3\]/, /saved by Mul/, /version 1; expected version 0/);
    if (x.grad !== null) throw new Error('a refused backward must leave .grad untouched');
    // the engine still works, and a fresh graph gives PyTorch's [8, 16, 24]
    const h2 = x.mul(2);
    h2.mul(h2).sum().backward();
    allclose(await x.grad!.toArray(), [8, 16, 24], {}, `d/dx (2x)^2 on ${dev}`);
  }
});

test('an in-place change through a view of a saved tensor is caught', async () => {
  for (const dev of await backends()) {
    const x = sg.randn([4], { seed: 2, device: dev, requiresGrad: true });
    const e = x.exp(); // saves its output
    const loss = e.sum();
    sg.noGrad(() => e.narrow(0, 1, 2).mul_(0));
    throwsWith(() => loss.backward(), STALE, /saved by Exp/);
  }
});

test('backward takes its options as the first argument too, and refuses a non-tensor gradient', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([1, 2], { device: dev, requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward({ retainGraph: true });
    y.backward(undefined, { retainGraph: true });
    allclose(await x.grad!.toArray(), [4, 8], {}, `two backward passes on ${dev}`);
    throwsWith(() => y.backward([1] as unknown as Tensor), /^backward: gradient must be a Tensor/);
    throwsWith(() => y.backward(undefined, { retainGraph: 'yes' } as unknown as { retainGraph: boolean }), /^backward: retainGraph must be a boolean/);
    throwsWith(() => y.backward(sg.tensor(1, { device: dev, dtype: 'int32' })), /^backward: gradient has dtype int32/);
  }
});

test('ops that save nothing ignore later in-place changes (as in PyTorch)', async () => {
  for (const dev of await backends()) {
    const x = sg.randn([3], { seed: 3, device: dev, requiresGrad: true });
    const h = x.add(1);
    const y = h.sum(); // sum saves no tensor
    sg.noGrad(() => h.add_(5));
    y.backward();
    allclose(await x.grad!.toArray(), [1, 1, 1], {}, `sum's gradient on ${dev}`);
  }
});

test('an optimizer step between forward and backward is refused, for SGD and AdamW', async () => {
  for (const dev of await backends()) {
    for (const make of [(p: Tensor[]) => new sg.optim.SGD(p, { lr: 0.1 }), (p: Tensor[]) => new sg.optim.AdamW(p, { lr: 0.1 })]) {
      const lin = new sg.nn.Linear(3, 2, { seed: 4, device: dev });
      const opt = make(lin.parameters());
      // x requires grad, so the matmul saves the weight for dx
      const x = sg.randn([5, 3], { seed: 5, device: dev, requiresGrad: true });
      lin.forward(x).pow(2).sum().backward();
      const loss = lin.forward(x).pow(2).sum();
      const before = lin.weight.version;
      opt.step(); // uses the first backward's gradients and changes the weight in place
      if (lin.weight.version !== before + 1) throw new Error(`the optimizer step left the weight at version ${lin.weight.version}`);
      throwsWith(() => loss.backward(), STALE);
      opt.zeroGrad();
      // the usual order works
      lin.forward(x).pow(2).sum().backward();
      opt.step();
      lin.dispose();
      opt.dispose();
    }
  }
});

test('loadStateDict and clipGradNorm count as in-place changes', async () => {
  for (const dev of await backends()) {
    const lin = new sg.nn.Linear(2, 2, { seed: 6, device: dev });
    const x = sg.randn([3, 2], { seed: 7, device: dev, requiresGrad: true });
    const loss = lin.forward(x).sum();
    lin.loadStateDict(new sg.nn.Linear(2, 2, { seed: 8, device: dev }).stateDict());
    throwsWith(() => loss.backward(), STALE);
    const loss2 = lin.forward(x).sum();
    loss2.backward();
    const g = lin.weight.grad!;
    const v = g.version;
    sg.optim.clipGradNorm(lin.parameters(), 1e-3);
    if (g.version !== v + 1) throw new Error('clipGradNorm must bump the gradients it scales');
  }
});

test('retainGraph: a second backward after an in-place change is refused, the first one is right', async () => {
  for (const dev of await backends()) {
    const w = sg.tensor([[1, 2], [3, 4]], { device: dev, requiresGrad: true });
    const x = sg.tensor([[1, 1]], { device: dev, requiresGrad: true });
    const loss = x.matmul(w).pow(2).sum();
    loss.backward({ retainGraph: true });
    allclose(await w.grad!.toArray(), [8, 12, 8, 12], {}, `d/dw on ${dev}`);
    sg.noGrad(() => w.sub_(w.grad!, 0.1));
    throwsWith(() => loss.backward(), STALE, /shape \[2, 2\]/);
  }
});

test.run();
