// Loss modules: each, with torch's constructor options, gives torch's float64 value and input
// gradients (modules-torch.py) on every backend; options are checked when the module is made;
// errors name the class; a weight tensor stays the caller's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { allclose, backends, throwsBeforeWork, type Dev } from '../helpers.js';
import { LOSSES } from './modules-torch.js';

type LossModule = nn.Module & { forward(...xs: Tensor[]): Tensor };
type Ctor = new (opts: Record<string, unknown>) => LossModule;
interface Arg { v: number[]; shape: number[]; dtype: string; grad: boolean }

const toTensor = (a: Arg, dev: Dev): Tensor => (a.dtype === 'int32'
  ? sg.tensor(new Int32Array(a.v), { shape: a.shape, device: dev })
  : sg.tensor(a.v, { shape: a.shape, device: dev, requiresGrad: a.grad }));

test('every loss module: value and input gradients equal torch\'s on every backend', async () => {
  for (const dev of await backends()) {
    for (const c of LOSSES) {
      const what = `${dev} ${c.name}(${JSON.stringify(c.opts).slice(0, 60)})`;
      const owned: Tensor[] = [];
      const opts = Object.fromEntries(Object.entries(c.opts as Record<string, unknown>).map(([k, v]) => {
        if (v === null || typeof v !== 'object') return [k, v];
        const t = sg.tensor((v as { tensor: number[] }).tensor, { shape: (v as { shape: number[] }).shape, device: dev });
        owned.push(t);
        return [k, t];
      }));
      const m = new (nn as unknown as Record<string, Ctor>)[c.name](opts);
      const args = (c.args as Arg[]).map((a) => toTensor(a, dev));
      const y = m.forward(...args);
      allclose(await y.toArray(), c.y, { rtol: 2e-5, atol: 2e-6 }, `${what} value`);
      const loss = y.mul(sg.tensor(c.w, { shape: y.shape, device: dev })).sum();
      loss.backward();
      for (const [i, g] of c.grads.entries()) {
        if (g === null) continue;
        allclose(await args[i].grad!.toArray(), g, { rtol: 2e-5, atol: 2e-6 }, `${what} grad ${i}`);
      }
      m.dispose();
      assert.ok(owned.every((t) => !t.disposed), `${what}: dispose left the caller's option tensors alone`);
      assert.is(m.parameters().length, 0, `${what}: a weight option is not a parameter`);
      for (const t of [...owned, ...args, y, loss]) t.dispose();
    }
  }
});

test('bad options throw Errors starting with the class name, before any work', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['MSELoss', () => new nn.MSELoss({ reduction: 'avg' as 'mean' }), /^MSELoss: reduction must be 'mean', 'sum' or 'none', got "avg"/],
    ['L1Loss', () => new nn.L1Loss({ size_average: true } as Record<string, unknown>), /^L1Loss: unknown option 'size_average'/],
    ['SmoothL1Loss', () => new nn.SmoothL1Loss({ beta: -1 }), /^SmoothL1Loss: beta must be a finite number >= 0, got -1/],
    ['HuberLoss', () => new nn.HuberLoss({ delta: 0 }), /^HuberLoss: delta must be a finite number > 0, got 0/],
    ['CrossEntropyLoss smoothing', () => new nn.CrossEntropyLoss({ labelSmoothing: 1.5 }), /^CrossEntropyLoss: labelSmoothing must be a number from 0 to 1/],
    ['CrossEntropyLoss weight', () => new nn.CrossEntropyLoss({ weight: [1, 2] as unknown as Tensor }), /^CrossEntropyLoss: weight must be a Tensor/],
    ['NLLLoss', () => new nn.NLLLoss({ ignoreIndex: 0.5 }), /^NLLLoss: ignoreIndex must be an integer/],
    ['BCEWithLogitsLoss', () => new nn.BCEWithLogitsLoss({ posWeight: 2 as unknown as Tensor }), /^BCEWithLogitsLoss: posWeight must be a Tensor/],
    ['KLDivLoss', () => new nn.KLDivLoss({ logTarget: 1 as unknown as boolean }), /^KLDivLoss: logTarget must be a boolean/],
    ['KLDivLoss reduction', () => new nn.KLDivLoss({ reduction: 'batch' as 'sum' }), /^KLDivLoss: reduction must be/],
    ['PoissonNLLLoss', () => new nn.PoissonNLLLoss({ eps: -1 }), /^PoissonNLLLoss: eps must be/],
    ['TripletMarginLoss', () => new nn.TripletMarginLoss({ swap: 'yes' as unknown as boolean }), /^TripletMarginLoss: swap must be a boolean/],
    ['GaussianNLLLoss', () => new nn.GaussianNLLLoss(3 as unknown as object), /^GaussianNLLLoss: options must be a plain object/],
  ];
  for (const [what, run, re] of cases) throwsBeforeWork(what, run, [re]);
});

test('forward errors start with the class name, before any work', () => {
  const x = sg.zeros([2, 3], { device: 'cpu' });
  const t = sg.zeros([3], { device: 'cpu', dtype: 'int32' });
  throwsBeforeWork('CrossEntropyLoss target', () => new nn.CrossEntropyLoss().forward(x, t), [/^CrossEntropyLoss: crossEntropy: /]);
  const four = sg.zeros([4], { device: 'cpu' });
  throwsBeforeWork('MSELoss shapes', () => new nn.MSELoss().forward(x, four), [/^MSELoss: mseLoss: /]);
  const w = sg.ones([5], { device: 'cpu' });
  const t2 = sg.zeros([2], { device: 'cpu', dtype: 'int32' });
  throwsBeforeWork('NLLLoss weight', () => new nn.NLLLoss({ weight: w }).forward(x, t2), [/^NLLLoss: nllLoss: /, /weight/]);
  for (const a of [x, t, four, w, t2]) a.dispose();
});

test.run();
