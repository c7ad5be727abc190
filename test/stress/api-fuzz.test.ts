// Bad input over the whole public API, generated: every export and every Tensor method has
// one valid call below; each of its arguments in turn is replaced by each hostile value
// (a number where a tensor goes, a string, a BigInt, NaN, Infinity, a negative or fractional
// size, a disposed tensor, a tensor of the wrong dtype or on the other device...). A call
// may succeed (the value was valid there) or throw; what it may never do is throw anything
// but a plain Error whose message starts with the op's name, queue GPU work before
// throwing, or leave the engine unable to compute the next op.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, backends, type Dev } from '../helpers.js';

const test = suite('stress: hostile arguments over the whole API');

type Make = (d: Dev) => { fn: (...a: unknown[]) => unknown; args: unknown[] };
interface Entry { name: string; prefix?: string[]; make: Make }

const f = (d: Dev, shape: number[], seed = 1, requiresGrad = false): Tensor => sg.randn(shape, { seed, device: d, requiresGrad });
const ints = (d: Dev, v: number[], shape?: number[]): Tensor => sg.tensor(new Int32Array(v), { shape, device: d });
const m = (name: string, make: (d: Dev) => [Tensor, ...unknown[]], prefix?: string[]): Entry => ({
  name: `x.${name}`,
  prefix: prefix ?? [name],
  make: (d) => {
    const [self, ...args] = make(d);
    return { fn: (...a: unknown[]) => (self as unknown as Record<string, (...b: unknown[]) => unknown>)[name](...a), args };
  },
});
const s = (name: string, args: (d: Dev) => unknown[], prefix?: string[]): Entry => ({
  name: `sg.${name}`,
  prefix: prefix ?? [name],
  make: (d) => ({ fn: (sg as unknown as Record<string, (...b: unknown[]) => unknown>)[name], args: args(d) }),
});
const route = (d: Dev): ReturnType<typeof sg.flattenSortCount> => sg.flattenSortCount(ints(d, [0, 1, 1, 0], [2, 2]), 2);

const ENTRIES: Entry[] = [
  // creation
  s('tensor', () => [[1, 2], { dtype: 'float32' }]),
  s('zeros', (d) => [[2, 3], { device: d }]),
  s('ones', (d) => [2, 3, { device: d }]),
  s('full', (d) => [[2], 1.5, { device: d }]),
  s('zerosLike', (d) => [f(d, [2])]),
  s('onesLike', (d) => [f(d, [2]), { dtype: 'float32' }]),
  s('arange', (d) => [0, 4, 1, { device: d }]),
  s('randn', (d) => [[2, 2], { seed: 1, device: d }]),
  s('rand', (d) => [2, { seed: 1, device: d }]),
  s('randint', (d) => [0, 5, [3], { seed: 1, device: d }]),
  s('manualSeed', () => [3]),
  s('tidy', () => [() => 1]),
  s('noGrad', () => [() => 1]),
  s('enableGrad', () => [() => 1]),
  s('keep', (d) => [f(d, [1])]),
  // elementwise, as functions and methods
  ...['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'].flatMap((op) => [
    s(op, (d) => [f(d, [2, 3], 1), f(d, [3], 2)]),
    m(op, (d) => [f(d, [2, 3], 1), f(d, [2, 1], 2)]),
  ]),
  m('add', (d) => [f(d, [2]), f(d, [2], 2), 2]),
  ...['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'abs', 'relu', 'silu', 'sigmoid', 'tanh'].flatMap((op) => [s(op, (d) => [f(d, [3])]), m(op, (d) => [f(d, [3])])]),
  s('gelu', (d) => [f(d, [3]), 'tanh']),
  m('gelu', (d) => [f(d, [3]), 'none']),
  s('where', (d) => [ints(d, [1, 0, 1]), f(d, [3]), f(d, [3], 2)]),
  m('where', (d) => [f(d, [3]), ints(d, [1, 0, 1]), 0]),
  s('cast', (d) => [f(d, [3]), 'float32']),
  m('cast', (d) => [f(d, [3]), 'float32']),
  // in place
  ...['add_', 'sub_', 'mul_', 'copy_'].map((op) => m(op, (d) => [f(d, [2, 2]), f(d, [2], 3)])),
  m('fill_', (d) => [f(d, [2]), 3]),
  m('zero_', (d) => [f(d, [2])]),
  ...['exp_', 'log_', 'sqrt_', 'abs_', 'neg_', 'sigmoid_', 'tanh_', 'relu_', 'square_'].map((op) => m(op, (d) => [f(d, [2, 3])])),
  m('div_', (d) => [f(d, [2, 3]), f(d, [3], 2), 'floor']),
  m('pow_', (d) => [f(d, [2, 3]).abs(), f(d, [3], 2)]),
  m('clamp_', (d) => [f(d, [2, 3]), -0.5, f(d, [3], 2)]),
  m('clampMin_', (d) => [f(d, [2, 3]), f(d, [3], 2)]),
  m('clampMax_', (d) => [f(d, [2, 3]), 0.5]),
  m('maskedFill_', (d) => [f(d, [2, 3]), f(d, [3]).gt(0), 1.5]),
  m('addcmul_', (d) => [f(d, [2, 3]), f(d, [3], 2), f(d, [2, 1], 3), { value: 0.5 }]),
  m('addcdiv_', (d) => [f(d, [2, 3]), f(d, [3], 2), f(d, [2, 1], 3), 2]),
  m('lerp_', (d) => [f(d, [2, 3]), f(d, [3], 2), f(d, [3], 3)]),
  m('uniform_', (d) => [f(d, [2, 3]), -1, 2, { seed: 1 }]),
  m('normal_', (d) => [f(d, [2, 3]), 0.5, 2, { seed: 1 }]),
  // accessors, conversions and new* creators
  ...['dim', 'ndimension', 'nelement', 'isFloatingPoint', 'elementSize', 't', 'long'].map((op) => m(op, (d) => [f(d, [2, 3])])),
  m('double', () => [f('cpu', [2, 3])]),
  m('type', (d) => [f(d, [2, 3]), 'int32']),
  ...['newZeros', 'newOnes', 'newEmpty'].map((op) => m(op, (d) => [f(d, [2]), [2, 3], { dtype: 'int32' }])),
  m('newFull', (d) => [f(d, [2]), [2, 3], 1.5, { requiresGrad: true }]),
  m('newTensor', (d) => [f(d, [2]), [[1, 2]], { dtype: 'float32' }]),
  m('requiresGrad_', (d) => [f(d, [2]), true]),
  // views and copies
  s('view', (d) => [f(d, [2, 3]), [3, 2]]),
  m('view', (d) => [f(d, [2, 3]), 3, 2]),
  s('reshape', (d) => [f(d, [2, 3]), [6]]),
  m('reshape', (d) => [f(d, [2, 3]), [-1]]),
  s('permute', (d) => [f(d, [2, 3]), [1, 0]]),
  m('permute', (d) => [f(d, [2, 3]), 1, 0]),
  s('transpose', (d) => [f(d, [2, 3]), 0, 1]),
  m('transpose', (d) => [f(d, [2, 3]), 1, 0]),
  s('unsqueeze', (d) => [f(d, [2]), 0]),
  m('unsqueeze', (d) => [f(d, [2]), -1]),
  s('squeeze', (d) => [f(d, [2, 1]), 1]),
  m('squeeze', (d) => [f(d, [1, 2]), 0]),
  s('expand', (d) => [f(d, [2, 1]), [2, 3]]),
  m('expand', (d) => [f(d, [1, 3]), 2, 3]),
  s('flatten', (d) => [f(d, [2, 3, 2]), 0, 1]),
  m('flatten', (d) => [f(d, [2, 3, 2]), 1]),
  s('narrow', (d) => [f(d, [4, 2]), 0, 1, 2]),
  m('narrow', (d) => [f(d, [4, 2]), 1, 0, 1]),
  s('slice', (d) => [f(d, [5]), 0, 1, 4, 2]),
  m('slice', (d) => [f(d, [5]), 0, 1, 4, 2]),
  s('split', (d) => [f(d, [5]), [2, 3], 0]),
  m('split', (d) => [f(d, [5]), 2]),
  s('chunk', (d) => [f(d, [6]), 3, 0]),
  m('chunk', (d) => [f(d, [6]), 2]),
  s('contiguous', (d) => [f(d, [2, 3]).transpose(0, 1)]),
  m('contiguous', (d) => [f(d, [2, 3])]),
  s('clone', (d) => [f(d, [2])]),
  m('clone', (d) => [f(d, [2])]),
  m('detach', (d) => [f(d, [2])]),
  m('size', (d) => [f(d, [2, 3]), 1]),
  // reductions
  ...['sum', 'mean'].flatMap((op) => [s(op, (d) => [f(d, [2, 3]), [0, 1], true]), m(op, (d) => [f(d, [2, 3]), 1, false])]),
  ...['max', 'min'].flatMap((op) => [s(op, (d) => [f(d, [2, 3]), 1, true]), m(op, (d) => [f(d, [2, 3]), 0])]),
  s('amax', (d) => [f(d, [2, 3])]),
  s('amin', (d) => [f(d, [2, 3])]),
  s('argmax', (d) => [f(d, [2, 3]), 1, false]),
  m('argmax', (d) => [f(d, [2, 3]), 1]),
  s('argmin', (d) => [f(d, [2, 3]), 1, false]),
  m('argmin', (d) => [f(d, [2, 3]), -1, true]),
  s('softmax', (d) => [f(d, [2, 3]), 1]),
  m('softmax', (d) => [f(d, [2, 3]), -1]),
  s('logSoftmax', (d) => [f(d, [2, 3]), 1]),
  m('logSoftmax', (d) => [f(d, [2, 3]), 0]),
  s('logsumexp', (d) => [f(d, [2, 3]), 1, false]),
  s('crossEntropy', (d) => [f(d, [2, 3]), ints(d, [0, 2]), { reduction: 'sum' }]),
  s('topk', (d) => [f(d, [2, 5]), 2, 1, true, true]),
  m('topk', (d) => [f(d, [2, 5]), 3, -1, false]),
  // linear algebra, norms, indexing, joining
  s('matmul', (d) => [f(d, [2, 3]), f(d, [3, 4], 2)]),
  m('matmul', (d) => [f(d, [2, 2, 3]), f(d, [3], 2)]),
  s('bmm', (d) => [f(d, [2, 2, 3]), f(d, [2, 3, 2], 2)]),
  m('bmm', (d) => [f(d, [2, 2, 3]), f(d, [2, 3, 2], 2)]),
  s('layerNorm', (d) => [f(d, [2, 3]), f(d, [3], 2), f(d, [3], 3), 1e-5]),
  s('rmsNorm', (d) => [f(d, [2, 3]), f(d, [3], 2), 1e-6]),
  s('gather', (d) => [f(d, [2, 3]), 1, ints(d, [0, 2], [2, 1])]),
  m('gather', (d) => [f(d, [2, 3]), 0, ints(d, [1, 0, 1], [1, 3])]),
  s('indexSelect', (d) => [f(d, [3, 2]), 0, ints(d, [2, 0])]),
  m('indexSelect', (d) => [f(d, [3, 2]), 1, ints(d, [1])]),
  s('indexAdd', (d) => [f(d, [3, 2]), 0, ints(d, [2, 0]), f(d, [2, 2], 2), 0.5]),
  m('indexAdd', (d) => [f(d, [3, 2]), 0, ints(d, [1]), f(d, [1, 2], 2)]),
  s('cat', (d) => [[f(d, [2, 3]), f(d, [1, 3], 2)], 0]),
  s('stack', (d) => [[f(d, [3]), f(d, [3], 2)], 1]),
  // autograd
  m('backward', (d) => [f(d, [3], 1, true).mul(2).sum()]),
  m('retainGrad', (d) => [f(d, [3], 1, true).mul(2)]),
  m('registerHook', (d) => [f(d, [3], 1, true).mul(2), (g: Tensor) => g.mul(2)]),
  m('backward', (d) => [f(d, [3], 1, true).mul(2), sg.ones([3], { device: d }), { retainGraph: false }]),
  // mixture of experts
  s('flattenSortCount', (d) => [ints(d, [0, 1, 1, 0], [2, 2]), 2]),
  {
    name: 'sg.scatteredExperts',
    prefix: ['scatteredExperts'],
    make: (d) => {
      const r = route(d);
      return { fn: sg.scatteredExperts as (...a: unknown[]) => unknown, args: [f(d, [2, 4]), f(d, [2, 4, 3], 2), 2, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets, { gates: f(d, [2, 2], 3) }] };
    },
  },
  // modules and optimizers
  { name: 'nn.Linear', prefix: ['Linear'], make: (d) => ({ fn: (...a) => new sg.nn.Linear(...(a as [number, number])), args: [3, 2, { device: d, seed: 1 }] }) },
  { name: 'nn.Linear.forward', prefix: ['Linear'], make: (d) => { const l = new sg.nn.Linear(3, 2, { device: d, seed: 1 }); return { fn: (...a) => l.forward(a[0] as Tensor), args: [f(d, [2, 3])] }; } },
  { name: 'nn.Embedding', prefix: ['Embedding'], make: (d) => ({ fn: (...a) => new sg.nn.Embedding(...(a as [number, number])), args: [5, 2, { device: d, seed: 1 }] }) },
  { name: 'nn.Embedding.forward', prefix: ['Embedding'], make: (d) => { const l = new sg.nn.Embedding(5, 2, { device: d, seed: 1 }); return { fn: (...a) => l.forward(a[0] as Tensor), args: [ints(d, [1, 4])] }; } },
  { name: 'nn.LayerNorm', prefix: ['LayerNorm'], make: (d) => ({ fn: (...a) => new sg.nn.LayerNorm(...(a as [number])), args: [3, { device: d }] }) },
  { name: 'nn.RMSNorm.forward', prefix: ['RMSNorm'], make: (d) => { const l = new sg.nn.RMSNorm(3, { device: d }); return { fn: (...a) => l.forward(a[0] as Tensor), args: [f(d, [2, 3])] }; } },
  { name: 'nn.Dropout', prefix: ['Dropout'], make: () => ({ fn: (...a) => new sg.nn.Dropout(...(a as [number])), args: [0.5] }) },
  { name: 'nn.BatchNorm1d', prefix: ['BatchNorm1d'], make: (d) => ({ fn: (...a) => new sg.nn.BatchNorm1d(...(a as [number, sg.nn.BatchNormOptions])), args: [3, { momentum: null, device: d }] }) },
  { name: 'nn.BatchNorm1d.forward', prefix: ['BatchNorm1d'], make: (d) => { const l = new sg.nn.BatchNorm1d(3, { device: d }); return { fn: (...a) => l.forward(a[0] as Tensor), args: [f(d, [2, 3, 2])] }; } },
  { name: 'nn.LSTM', prefix: ['LSTM'], make: (d) => ({ fn: (...a) => new sg.nn.LSTM(...(a as [number, number, sg.nn.RNNBaseOptions])), args: [3, 2, { numLayers: 2, bidirectional: true, dropout: 0.1, device: d, seed: 1 }] }) },
  { name: 'nn.LSTM.forward', prefix: ['LSTM'], make: (d) => { const l = new sg.nn.LSTM(3, 2, { device: d, seed: 1 }); return { fn: (...a) => l.forward(a[0] as Tensor, a[1] as [Tensor, Tensor]), args: [f(d, [2, 1, 3]), [f(d, [1, 1, 2]), f(d, [1, 1, 2])]] }; } },
  { name: 'nn.RNN.forward', prefix: ['RNN'], make: (d) => { const l = new sg.nn.RNN(3, 2, { nonlinearity: 'relu', device: d, seed: 1 }); return { fn: (...a) => l.forward(a[0] as Tensor, a[1] as Tensor), args: [f(d, [2, 3]), f(d, [1, 2])] }; } },
  { name: 'nn.GRU.forward', prefix: ['GRU'], make: (d) => { const l = new sg.nn.GRU(3, 2, { batchFirst: true, device: d, seed: 1 }); return { fn: (...a) => l.forward(a[0] as Tensor, a[1] as Tensor), args: [f(d, [1, 2, 3]), f(d, [1, 1, 2])] }; } },
  { name: 'nn.RNNCell', prefix: ['RNNCell'], make: (d) => ({ fn: (...a) => new sg.nn.RNNCell(...(a as [number, number, sg.nn.RNNCellOptions])), args: [3, 2, { nonlinearity: 'tanh', device: d, seed: 1 }] }) },
  { name: 'nn.LSTMCell.forward', prefix: ['LSTMCell'], make: (d) => { const l = new sg.nn.LSTMCell(3, 2, { device: d, seed: 1 }); return { fn: (...a) => l.forward(a[0] as Tensor, a[1] as [Tensor, Tensor]), args: [f(d, [1, 3]), [f(d, [1, 2]), f(d, [1, 2])]] }; } },
  { name: 'nn.GRUCell.forward', prefix: ['GRUCell'], make: (d) => { const l = new sg.nn.GRUCell(3, 2, { device: d, seed: 1 }); return { fn: (...a) => l.forward(a[0] as Tensor, a[1] as Tensor), args: [f(d, [3]), f(d, [2])] }; } },
  { name: 'nn.BatchNorm2d.forward', prefix: ['BatchNorm2d'], make: (d) => { const l = new sg.nn.BatchNorm2d(2, { device: d }); return { fn: (...a) => l.forward(a[0] as Tensor), args: [f(d, [2, 2, 2, 1])] }; } },
  {
    name: 'Module.registerBuffer',
    prefix: ['registerBuffer'],
    make: (d) => { const l = new sg.nn.Linear(2, 2, { device: d }); return { fn: (...a) => l.registerBuffer(a[0] as string, a[1] as Tensor, a[2] as sg.nn.RegisterBufferOptions), args: ['stats', f(d, [2]), { persistent: false }] }; },
  },
  { name: 'nn.CausalSelfAttention', prefix: ['CausalSelfAttention'], make: (d) => ({ fn: (...a) => new sg.nn.CausalSelfAttention(...(a as [number, number])), args: [4, 2, { device: d, seed: 1 }] }) },
  { name: 'nn.MoE', prefix: ['MoE'], make: (d) => ({ fn: (...a) => new sg.nn.MoE(a[0] as sg.nn.MoEOptions), args: [{ hiddenSize: 4, intermediateSize: 4, numExperts: 2, topK: 1, device: d, seed: 1 }] }) },
  {
    name: 'nn.MoE.forward',
    prefix: ['MoE'],
    make: (d) => { const l = new sg.nn.MoE({ hiddenSize: 4, intermediateSize: 4, numExperts: 2, topK: 1, device: d, seed: 1 }); return { fn: (...a) => l.forward(a[0] as Tensor), args: [f(d, [3, 4])] }; },
  },
  { name: 'optim.SGD', prefix: ['SGD'], make: (d) => ({ fn: (...a) => new sg.optim.SGD(...(a as [Tensor[], sg.optim.SGDOptions])), args: [[f(d, [2], 1, true)], { lr: 0.1, momentum: 0.9 }] }) },
  { name: 'optim.AdamW', prefix: ['AdamW'], make: (d) => ({ fn: (...a) => new sg.optim.AdamW(...(a as [Tensor[], sg.optim.AdamWOptions])), args: [[f(d, [2], 1, true)], { lr: 0.1, betas: [0.9, 0.99] }] }) },
  { name: 'optim.Adam', prefix: ['Adam'], make: (d) => ({ fn: (...a) => new sg.optim.Adam(...(a as [Tensor[], sg.optim.AdamOptions])), args: [[f(d, [2], 1, true)], { lr: 0.1, amsgrad: true }] }) },
  { name: 'optim.RMSprop', prefix: ['RMSprop'], make: (d) => ({ fn: (...a) => new sg.optim.RMSprop(...(a as [Tensor[], sg.optim.RMSpropOptions])), args: [[f(d, [2], 1, true)], { momentum: 0.9, centered: true }] }) },
  { name: 'optim.Adagrad', prefix: ['Adagrad'], make: (d) => ({ fn: (...a) => new sg.optim.Adagrad(...(a as [Tensor[], sg.optim.AdagradOptions])), args: [[f(d, [2], 1, true)], { lrDecay: 0.1, initialAccumulatorValue: 0.5 }] }) },
  { name: 'optim.StepLR', prefix: ['StepLR'], make: (d) => ({ fn: (...a) => new sg.optim.StepLR(...(a as [sg.optim.Optimizer, number, number])), args: [new sg.optim.SGD([f(d, [2], 1, true)], { lr: 0.1 }), 3, 0.5] }) },
  { name: 'optim.MultiStepLR', prefix: ['MultiStepLR'], make: (d) => ({ fn: (...a) => new sg.optim.MultiStepLR(...(a as [sg.optim.Optimizer, number[], number])), args: [new sg.optim.SGD([f(d, [2], 1, true)], { lr: 0.1 }), [2, 5], 0.5] }) },
  { name: 'optim.ExponentialLR', prefix: ['ExponentialLR'], make: (d) => ({ fn: (...a) => new sg.optim.ExponentialLR(...(a as [sg.optim.Optimizer, number])), args: [new sg.optim.SGD([f(d, [2], 1, true)], { lr: 0.1 }), 0.9] }) },
  { name: 'optim.LambdaLR', prefix: ['LambdaLR'], make: (d) => ({ fn: (...a) => new sg.optim.LambdaLR(...(a as [sg.optim.Optimizer, (e: number) => number])), args: [new sg.optim.SGD([f(d, [2], 1, true)], { lr: 0.1 }), (e: number) => 0.9 ** e] }) },
  { name: 'optim.CosineAnnealingLR', prefix: ['CosineAnnealingLR'], make: (d) => ({ fn: (...a) => new sg.optim.CosineAnnealingLR(...(a as [sg.optim.Optimizer, number, number])), args: [new sg.optim.SGD([f(d, [2], 1, true)], { lr: 0.1 }), 10, 0.01] }) },
  { name: 'optim.LinearLR', prefix: ['LinearLR'], make: (d) => ({ fn: (...a) => new sg.optim.LinearLR(...(a as [sg.optim.Optimizer, number, number, number])), args: [new sg.optim.SGD([f(d, [2], 1, true)], { lr: 0.1 }), 0.5, 1, 4] }) },
  { name: 'optim.OneCycleLR', prefix: ['OneCycleLR'], make: (d) => ({ fn: (...a) => new sg.optim.OneCycleLR(...(a as [sg.optim.Optimizer, number, sg.optim.OneCycleLROptions])), args: [new sg.optim.Adam([f(d, [2], 1, true)]), 0.5, { totalSteps: 10, threePhase: true }] }) },
  { name: 'optim.ReduceLROnPlateau', prefix: ['ReduceLROnPlateau'], make: (d) => ({ fn: (...a) => new sg.optim.ReduceLROnPlateau(...(a as [sg.optim.Optimizer, sg.optim.ReduceLROnPlateauOptions])), args: [new sg.optim.SGD([f(d, [2], 1, true)], { lr: 0.1 }), { patience: 2 }] }) },
  {
    name: 'optim.ReduceLROnPlateau.step',
    prefix: ['ReduceLROnPlateau.step'],
    make: (d) => { const r = new sg.optim.ReduceLROnPlateau(new sg.optim.SGD([f(d, [2], 1, true)], { lr: 0.1 })); return { fn: (...a) => r.step(a[0] as number), args: [0.5] }; },
  },
  { name: 'optim.clipGradNorm', prefix: ['clipGradNorm'], make: (d) => ({ fn: sg.optim.clipGradNorm as (...a: unknown[]) => unknown, args: [[f(d, [2], 1, true)], 1] }) },
  { name: 'nn.Dropout.forward', prefix: ['Dropout'], make: (d) => { const l = new sg.nn.Dropout(0.5, { seed: 1 }); return { fn: (...a) => l.forward(a[0] as Tensor), args: [f(d, [2, 3])] }; } },
  {
    name: 'nn.CausalSelfAttention.forward',
    prefix: ['CausalSelfAttention'],
    make: (d) => { const l = new sg.nn.CausalSelfAttention(4, 2, { device: d, seed: 1 }); return { fn: (...a) => l.forward(a[0] as Tensor), args: [f(d, [1, 3, 4])] }; },
  },
  {
    name: 'nn.ParallelExperts.forward',
    prefix: ['ParallelExperts', 'scatteredExperts'],
    make: (d) => {
      const l = new sg.nn.ParallelExperts(2, 4, 3, { device: d, seed: 1 });
      const r = route(d);
      return { fn: (...a) => l.forward(...(a as [Tensor, number, Tensor, Tensor, Tensor])), args: [f(d, [2, 4]), 2, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets] };
    },
  },
  { name: 'Module.train', prefix: ['train'], make: (d) => { const l = new sg.nn.Linear(2, 2, { device: d }); return { fn: (...a) => l.train(a[0] as boolean), args: [false] }; } },
  {
    name: 'Module.loadStateDict',
    prefix: ['loadStateDict'],
    make: (d) => { const l = new sg.nn.Linear(2, 2, { device: d }); return { fn: (...a) => l.loadStateDict(a[0] as sg.nn.StateDict, a[1] as sg.nn.LoadStateDictOptions), args: [new sg.nn.Linear(2, 2, { device: d }).stateDict(), { strict: true }] }; },
  },
  {
    name: 'optim.AdamW.step',
    prefix: ['AdamW.step', 'grad'],
    make: (d) => {
      const p = f(d, [2], 1, true);
      const opt = new sg.optim.AdamW([p]);
      return { fn: (...a) => { p.grad = a[0] as Tensor; opt.step(); }, args: [f(d, [2], 2)] };
    },
  },
  {
    name: 'optim.cosineWithWarmup',
    prefix: ['CosineSchedule', 'cosineWithWarmup'],
    make: (d) => ({ fn: (...a) => sg.optim.cosineWithWarmup(a[0] as sg.optim.Optimizer, a[1] as sg.optim.CosineOptions), args: [new sg.optim.SGD([f(d, [2], 1, true)], { lr: 0.1 }), { warmupSteps: 2, totalSteps: 10 }] }),
  },
  // checkpoints
  s('serializeSafetensors', (d) => [{ w: f(d, [2]) }, { note: 'x' }]),
  s('parseSafetensors', () => [new Uint8Array(8)]),
  // #24 masks and selection
  m('bool', (d) => [f(d, [3])], ['cast']),
  s('maskedFill', (d) => [f(d, [2, 3]), f(d, [3]).gt(0), 1.5]),
  m('maskedFill', (d) => [f(d, [2, 3]), ints(d, [1, 0, 1]), sg.tensor(2, { device: d })]),
  ...['any', 'all'].flatMap((op) => [s(op, (d) => [f(d, [2, 3]), 1, true]), m(op, (d) => [f(d, [2, 3]), -1])]),
  ...['isnan', 'isinf', 'isfinite', 'logicalNot'].flatMap((op) => [s(op, (d) => [f(d, [3])]), m(op, (d) => [f(d, [3])])]),
  ...['logicalAnd', 'logicalOr', 'logicalXor'].flatMap((op) => [s(op, (d) => [f(d, [2, 3]), f(d, [3], 2).gt(0)]), m(op, (d) => [f(d, [2, 3]), ints(d, [1, 0, 2])])]),
  ...['tril', 'triu'].flatMap((op) => [s(op, (d) => [f(d, [2, 3, 4]), 1]), m(op, (d) => [f(d, [3, 3]), -1])]),
  s('select', (d) => [f(d, [2, 3]), 1, -1]),
  m('select', (d) => [f(d, [2, 3]), 0, 1]),
  // #24 math
  s('clamp', (d) => [f(d, [2, 3]), -0.5, f(d, [3], 2)]),
  m('clamp', (d) => [f(d, [2, 3]), null, 0.5]),
  s('clip', (d) => [f(d, [2, 3]), f(d, [2, 1], 2)]),
  m('clip', (d) => [f(d, [2, 3]), -1, 1]),
  ...['sin', 'cos', 'erf', 'floor', 'ceil', 'trunc'].flatMap((op) => [s(op, (d) => [f(d, [3])]), m(op, (d) => [f(d, [3])])]),
  s('round', (d) => [f(d, [3]), { decimals: 2 }]),
  m('round', (d) => [f(d, [3]), -1]),
  s('softplus', (d) => [f(d, [3]), 2, 10]),
  s('leakyRelu', (d) => [f(d, [3]), 0.2]),
  s('elu', (d) => [f(d, [3]), 0.5]),
  s('logsigmoid', (d) => [f(d, [3])]),
  s('glu', (d) => [f(d, [2, 4]), 0]),
  s('gatedActivation', (d) => [f(d, [2, 4]), 'silu', -1]),
  s('div', (d) => [f(d, [2, 3]), f(d, [3], 2), { roundingMode: 'floor' }]),
  m('div', (d) => [f(d, [2, 3]), 1.5, 'trunc']),
  s('floorDivide', (d) => [f(d, [2, 3]), f(d, [3], 2)]),
  m('floorDivide', (d) => [ints(d, [7, -7]), ints(d, [2, 3])]),
  s('remainder', (d) => [100, f(d, [3])]),
  m('remainder', (d) => [f(d, [2, 3]), f(d, [2, 1], 2)]),
  s('fmod', (d) => [f(d, [2, 3]), 1.5]),
  m('fmod', (d) => [ints(d, [7, -7]), 3]),
  s('crossEntropy', (d) => [f(d, [2, 3, 2]), ints(d, [0, 2, 1, -100], [2, 2]), { weight: sg.ones([3], { device: d }), labelSmoothing: 0.1, ignoreIndex: -100, reduction: 'mean' }]),
  s('crossEntropy', (d) => [f(d, [2, 3]), f(d, [2, 3], 2).softmax(1), { reduction: 'none' }]),
  s('nllLoss', (d) => [f(d, [2, 3]), ints(d, [0, 2]), { weight: sg.ones([3], { device: d }), ignoreIndex: 1, reduction: 'sum' }]),
  s('binaryCrossEntropy', (d) => [sg.rand([2, 3], { seed: 1, device: d }), sg.rand([2, 3], { seed: 2, device: d }), { weight: sg.ones([3], { device: d }), reduction: 'mean' }]),
  s('binaryCrossEntropyWithLogits', (d) => [f(d, [2, 3]), sg.rand([2, 3], { seed: 2, device: d }), { posWeight: sg.ones([3], { device: d }), weight: f(d, [2, 1], 3), reduction: 'sum' }]),
  // #24 convolution and pooling
  s('conv2d', (d) => [f(d, [1, 2, 5, 5]), f(d, [3, 1, 3, 2], 2), f(d, [3], 3), [2, 1], 1, 1, 2]),
  s('conv2d', (d) => [f(d, [2, 5, 5]), f(d, [3, 2, 3, 3], 2), { bias: null, padding: 'same', dilation: 2 }]),
  s('conv1d', (d) => [f(d, [1, 2, 7]), f(d, [2, 2, 3], 2), f(d, [2], 3), 2, 1, 1, 1]),
  s('maxPool2d', (d) => [f(d, [1, 2, 5, 5]), 3, 2, 1, 1, { ceilMode: true, returnIndices: true }]),
  s('maxPool2d', (d) => [f(d, [2, 5, 5]), [2, 3], { stride: 1, padding: [1, 1], dilation: 1 }]),
  s('avgPool2d', (d) => [f(d, [1, 2, 5, 5]), 3, 2, 1, true, false, 2]),
  s('interpolate', (d) => [f(d, [1, 2, 3, 4]), { size: [5, 3], mode: 'bilinear', alignCorners: true }]),
  s('interpolate', (d) => [f(d, [1, 2, 5]), { scaleFactor: 1.5, mode: 'nearest-exact' }]),
  s('pixelShuffle', (d) => [f(d, [1, 4, 2, 3]), 2]),
  s('pixelUnshuffle', (d) => [f(d, [1, 1, 4, 6]), 2]),
  { name: 'nn.Conv2d', prefix: ['Conv2d'], make: (d) => ({ fn: (...a) => new sg.nn.Conv2d(...(a as [number, number, number])), args: [2, 4, 3, { stride: 1, padding: 1, groups: 2, device: d, seed: 1 }] }) },
  { name: 'nn.Sequential', prefix: ['Sequential'], make: () => ({ fn: (...a) => new sg.nn.Sequential(...(a as sg.nn.Module[])), args: [new sg.nn.ReLU(), new sg.nn.Tanh()] }) },
  { name: 'nn.Sequential.forward', prefix: ['Sequential', 'Linear', 'ReLU'], make: (d) => { const l = new sg.nn.Sequential(new sg.nn.Linear(3, 2, { device: d, seed: 1 }), new sg.nn.ReLU()); return { fn: (...a) => l.forward(a[0] as Tensor), args: [f(d, [2, 3])] }; } },
  { name: 'nn.ModuleList', prefix: ['ModuleList'], make: () => ({ fn: (...a) => new sg.nn.ModuleList(a[0] as sg.nn.Module[]), args: [[new sg.nn.ReLU()]] }) },
  { name: 'nn.ModuleDict', prefix: ['ModuleDict'], make: () => ({ fn: (...a) => new sg.nn.ModuleDict(a[0] as Record<string, sg.nn.Module>), args: [{ act: new sg.nn.ReLU() }] }) },
  { name: 'nn.Flatten.forward', prefix: ['Flatten'], make: (d) => { const l = new sg.nn.Flatten(); return { fn: (...a) => l.forward(a[0] as Tensor), args: [f(d, [2, 3, 2])] }; } },
  { name: 'nn.Unflatten', prefix: ['Unflatten'], make: () => ({ fn: (...a) => new sg.nn.Unflatten(a[0] as number, a[1] as number[]), args: [1, [2, 3]] }) },
  { name: 'nn.Softplus', prefix: ['Softplus'], make: () => ({ fn: (...a) => new sg.nn.Softplus(a[0] as number, a[1] as number), args: [2, 10] }) },
  { name: 'nn.Softmax.forward', prefix: ['Softmax'], make: (d) => { const l = new sg.nn.Softmax(-1); return { fn: (...a) => l.forward(a[0] as Tensor), args: [f(d, [2, 3])] }; } },
  { name: 'nn.CrossEntropyLoss', prefix: ['CrossEntropyLoss'], make: (d) => ({ fn: (...a) => new sg.nn.CrossEntropyLoss(a[0] as object), args: [{ weight: f(d, [3]), ignoreIndex: 1, labelSmoothing: 0.1, reduction: 'sum' }] }) },
  { name: 'nn.CrossEntropyLoss.forward', prefix: ['CrossEntropyLoss'], make: (d) => { const l = new sg.nn.CrossEntropyLoss(); return { fn: (...a) => l.forward(a[0] as Tensor, a[1] as Tensor), args: [f(d, [2, 3]), ints(d, [0, 2])] }; } },
  { name: 'nn.TripletMarginLoss.forward', prefix: ['TripletMarginLoss'], make: (d) => { const l = new sg.nn.TripletMarginLoss({ margin: 0.5 }); return { fn: (...a) => l.forward(a[0] as Tensor, a[1] as Tensor, a[2] as Tensor), args: [f(d, [2, 3]), f(d, [2, 3], 2), f(d, [2, 3], 3)] }; } },
  { name: 'nn.Conv2d.forward', prefix: ['Conv2d', 'conv2d'], make: (d) => { const l = new sg.nn.Conv2d(2, 3, 3, { device: d, seed: 1 }); return { fn: (...a) => l.forward(a[0] as Tensor), args: [f(d, [1, 2, 4, 4])] }; } },
  { name: 'nn.Conv1d.forward', prefix: ['Conv1d', 'conv1d'], make: (d) => { const l = new sg.nn.Conv1d(2, 3, 3, { padding: 'same', device: d, seed: 1 }); return { fn: (...a) => l.forward(a[0] as Tensor), args: [f(d, [2, 5])] }; } },
  { name: 'nn.MaxPool2d', prefix: ['MaxPool2d', 'maxPool2d'], make: (d) => ({ fn: (...a) => (new sg.nn.MaxPool2d(a[0] as number, a[1] as sg.nn.MaxPool2dModuleOptions)).forward(a[2] as Tensor), args: [2, { stride: 1 }, f(d, [1, 3, 3])] }) },
  { name: 'nn.AvgPool2d', prefix: ['AvgPool2d', 'avgPool2d'], make: (d) => ({ fn: (...a) => (new sg.nn.AvgPool2d(a[0] as number, a[1] as sg.nn.AvgPool2dModuleOptions)).forward(a[2] as Tensor), args: [2, { padding: 1 }, f(d, [1, 3, 3])] }) },
  { name: 'nn.Upsample', prefix: ['Upsample', 'interpolate'], make: (d) => ({ fn: (...a) => new sg.nn.Upsample(a[0] as sg.nn.UpsampleOptions).forward(a[1] as Tensor), args: [{ scaleFactor: 2, mode: 'linear' }, f(d, [1, 2, 3])] }) },
  { name: 'nn.PixelShuffle', prefix: ['PixelShuffle', 'pixelShuffle'], make: (d) => ({ fn: (...a) => new sg.nn.PixelShuffle(a[0] as number).forward(a[1] as Tensor), args: [2, f(d, [1, 4, 2, 2])] }) },
  { name: 'nn.PixelUnshuffle', prefix: ['PixelUnshuffle', 'pixelUnshuffle'], make: (d) => ({ fn: (...a) => new sg.nn.PixelUnshuffle(a[0] as number).forward(a[1] as Tensor), args: [2, f(d, [1, 1, 2, 4])] }) },
  // #24 reductions, scans, sorting, scatter
  s('var', (d) => [f(d, [2, 3]), 1, { correction: 1, keepdim: false }]),
  m('var', (d) => [f(d, [2, 3]), [0, 1], { keepdim: true }]),
  s('std', (d) => [f(d, [2, 3]), [1], { correction: 0, keepdim: true }]),
  m('std', (d) => [f(d, [2, 3]), 0]),
  s('varMean', (d) => [f(d, [2, 3]), 0, { correction: 0 }]),
  s('stdMean', (d) => [f(d, [2, 3]), -1, { keepdim: true }]),
  s('prod', (d) => [f(d, [2, 3]), 1, true]),
  m('prod', (d) => [f(d, [2, 3]), 0, false]),
  s('cumsum', (d) => [f(d, [2, 3]), 1]),
  m('cumsum', (d) => [f(d, [2, 3]), -2]),
  s('sort', (d) => [f(d, [2, 3]), 1, true]),
  m('sort', (d) => [f(d, [2, 3]), { dim: 0, descending: true, stable: true }]),
  s('argsort', (d) => [f(d, [2, 3]), 0, false]),
  m('argsort', (d) => [f(d, [2, 3]), -1, true]),
  s('scatter', (d) => [f(d, [2, 3]), 1, ints(d, [0, 2, 1, 1], [2, 2]), f(d, [2, 3], 2)]),
  m('scatter', (d) => [f(d, [2, 3]), 0, ints(d, [1, 0], [1, 2]), 1.5]),
  s('scatterAdd', (d) => [f(d, [2, 3]), 0, ints(d, [1, 0, 1], [1, 3]), f(d, [2, 3], 2)]),
  m('scatterAdd', (d) => [f(d, [2, 3]), 1, ints(d, [2, 2], [2, 1]), f(d, [2, 1], 2)]),
  s('scatterReduce', (d) => [f(d, [2, 3]), 1, ints(d, [0, 2, 1, 1], [2, 2]), f(d, [2, 3], 2), 'amax', { includeSelf: false }]),
  m('scatterReduce', (d) => [f(d, [2, 3]), 0, ints(d, [1, 1, 0], [1, 3]), f(d, [1, 3], 2), 'mean']),
  s('oneHot', (d) => [ints(d, [0, 2, 1]), 3]),
  // #24 attention
  s('scaledDotProductAttention', (d) => [f(d, [2, 3, 4]), f(d, [2, 5, 4], 2), f(d, [2, 5, 3], 3), { isCausal: true }]),
  // #24 shaping, creation and misc
  s('pad', (d) => [f(d, [1, 2, 3]), [2, 1, 1, 0], 'reflect']),
  s('pad', (d) => [f(d, [2, 3]), [1, -1], 'constant', 0.5]),
  s('repeat', (d) => [f(d, [2, 3]), [2, 1, 2]]),
  m('repeat', (d) => [f(d, [2, 3]), 2, 1]),
  s('repeatInterleave', (d) => [f(d, [2, 3]), 2, 1]),
  m('repeatInterleave', (d) => [f(d, [2, 3]), [1, 2]]),
  s('flip', (d) => [f(d, [2, 3]), [0, 1]]),
  m('flip', (d) => [f(d, [2, 3]), -1]),
  s('roll', (d) => [f(d, [2, 3]), [1, -2], [0, 1]]),
  m('roll', (d) => [f(d, [2, 3]), 2]),
  s('linspace', (d) => [0, 1, 5, { device: d }]),
  s('eye', (d) => [2, 3, { device: d }]),
  s('fullLike', (d) => [f(d, [2, 3]), 2, { dtype: 'float32' }]),
  s('einsum', (d) => ['bij,bjk->bik', f(d, [2, 2, 3]), f(d, [2, 3, 2], 2)]),
  s('multinomial', (d) => [sg.rand([2, 4], { seed: 1, device: d }), 2, false, { seed: 1 }]),
  m('multinomial', (d) => [sg.rand([4], { seed: 1, device: d }), 3, true]),
  // regression losses, dims, the everyday math ops
  ...['mseLoss', 'l1Loss'].map((op) => s(op, (d) => [f(d, [2, 3]), f(d, [2, 3], 2), { reduction: 'sum' }])),
  s('smoothL1Loss', (d) => [f(d, [2, 3]), f(d, [3], 2), { beta: 0.5 }]),
  s('huberLoss', (d) => [f(d, [2, 3]), f(d, [2, 3], 2), { delta: 2, reduction: 'none' }]),
  s('movedim', (d) => [f(d, [2, 3, 2]), [0, 1], [2, 0]]),
  m('moveaxis', (d) => [f(d, [2, 3]), 0, 1]),
  s('swapaxes', (d) => [f(d, [2, 3]), 0, 1]),
  m('swapdims', (d) => [f(d, [2, 3]), 1, 0]),
  s('unflatten', (d) => [f(d, [2, 6]), 1, [2, -1]]),
  m('unflatten', (d) => [f(d, [6]), 0, [3, 2]]),
  s('unbind', (d) => [f(d, [2, 3]), 1]),
  m('unbind', (d) => [f(d, [2, 3])]),
  s('tile', (d) => [f(d, [2, 3]), [2]]),
  m('tile', (d) => [f(d, [2, 3]), 2, 1]),
  s('take', (d) => [f(d, [2, 3]), ints(d, [0, -1, 5])]),
  m('take', (d) => [f(d, [2, 3]), ints(d, [4, 1])]),
  s('takeAlongDim', (d) => [f(d, [2, 3]), ints(d, [2, 0], [1, 2]), 1]),
  m('takeAlongDim', (d) => [f(d, [2, 3]), ints(d, [1, 0, 1], [1, 3]), 0]),
  s('indexFill', (d) => [f(d, [2, 3]), 1, ints(d, [2, 0]), -1.5]),
  m('indexFill', (d) => [f(d, [2, 3]), 0, ints(d, [1]), 3]),
  s('indexCopy', (d) => [f(d, [2, 3]), 1, ints(d, [2, 0]), f(d, [2, 2], 2)]),
  m('indexCopy', (d) => [f(d, [2, 3]), 0, ints(d, [1]), f(d, [1, 3], 3)]),
  s('maskedScatter', (d) => [f(d, [2, 3]), sg.tensor([1, 0, 1], { device: d }).bool(), f(d, [6], 4)]),
  m('maskedScatter', (d) => [f(d, [2, 3]), sg.tensor([0, 1, 1], { device: d }).bool(), f(d, [5], 5)]),
  s('expandAs', (d) => [f(d, [1, 3]), f(d, [2, 3], 2)]),
  m('expandAs', (d) => [f(d, [3]), f(d, [2, 3], 2)]),
  s('viewAs', (d) => [f(d, [2, 3]), f(d, [3, 2], 2)]),
  m('viewAs', (d) => [f(d, [6]), f(d, [2, 3], 2)]),
  s('reshapeAs', (d) => [f(d, [2, 3]).T, f(d, [6], 2)]),
  m('reshapeAs', (d) => [f(d, [6]), f(d, [3, 2], 2)]),
  s('typeAs', (d) => [f(d, [2]), ints(d, [1, 2])]),
  m('typeAs', (d) => [ints(d, [1, 2]), f(d, [2])]),
  s('ravel', (d) => [f(d, [2, 3]).T]),
  m('ravel', (d) => [f(d, [2, 3])]),
  s('fliplr', (d) => [f(d, [2, 3])]),
  m('fliplr', (d) => [f(d, [2, 3])]),
  s('flipud', (d) => [f(d, [2, 3])]),
  m('flipud', (d) => [f(d, [3])]),
  s('rot90', (d) => [f(d, [2, 3]), 1, [0, 1]]),
  m('rot90', (d) => [f(d, [2, 3, 2]), -1, [2, 0]]),
  s('searchsorted', (d) => [sg.tensor([1, 2, 4], { device: d }), f(d, [2, 2]), { right: true }]),
  s('bucketize', (d) => [f(d, [3]), sg.tensor([0, 1], { device: d }), { right: false }]),
  s('histc', (d) => [f(d, [7]), 4, -1, 1]),
  m('histc', (d) => [f(d, [7]), 3]),
  s('logspace', () => [0, 2, 3, 2, { dtype: 'float32' }]),
  s('meshgrid', (d) => [f(d, [2]), f(d, [3], 2), { indexing: 'xy' }]),
  s('randLike', (d) => [f(d, [2, 3]), { seed: 1 }]),
  s('randnLike', (d) => [f(d, [2, 3]), { seed: 1 }]),
  s('randintLike', (d) => [f(d, [2, 3]), 1, 5, { seed: 1 }]),
  s('randperm', (d) => [5, { seed: 1, device: d }]),
  s('bernoulli', (d) => [sg.rand([4], { seed: 2, device: d }), { seed: 1 }]),
  m('bernoulli', (d) => [f(d, [4]), 0.25, { seed: 1 }]),
  s('normal', (d) => [f(d, [3]), sg.rand([3], { seed: 3, device: d }), { seed: 1 }]),
  ...['sign', 'square', 'reciprocal', 'log1p', 'expm1', 'log2', 'log10', 'exp2', 'sinh', 'cosh', 'tan', 'asin', 'acos', 'atan', 'asinh', 'acosh', 'atanh', 'frac',
    'relu6', 'hardsigmoid', 'hardswish', 'mish', 'selu', 'softsign'].flatMap((op) => [s(op, (d) => [f(d, [2, 3])]), m(op, (d) => [f(d, [3])])]),
  s('hardtanh', (d) => [f(d, [2, 3]), -0.5, 0.5]),
  m('celu', (d) => [f(d, [3]), 0.5]),
  ...['atan2', 'hypot', 'logaddexp', 'fmax', 'fmin', 'xlogy'].flatMap((op) => [s(op, (d) => [f(d, [2, 3]), f(d, [3], 2)]), m(op, (d) => [f(d, [3]), f(d, [3], 2)])]),
  s('lerp', (d) => [f(d, [2, 3]), f(d, [3], 2), 0.25]),
  m('lerp', (d) => [f(d, [3]), f(d, [3], 2), f(d, [3], 3)]),
  // special functions, shrinks, copysign, ldexp, addcmul... (math-special.ts, math-unary.ts, math-binary.ts)
  ...['erfc', 'erfinv', 'lgamma', 'digamma', 'sinc', 'signbit', 'sgn', 'positive', 'deg2rad', 'rad2deg'].flatMap((op) => [s(op, (d) => [f(d, [2, 3])]), m(op, (d) => [f(d, [3])])]),
  s('tanhshrink', (d) => [f(d, [2, 3])]),
  s('logit', (d) => [f(d, [2, 3]), 0.1]),
  m('logit', (d) => [f(d, [3]), null]),
  s('hardshrink', (d) => [f(d, [2, 3]), 0.3]),
  m('hardshrink', (d) => [f(d, [3]), 0.5]),
  s('softshrink', (d) => [f(d, [2, 3]), 0.3]),
  s('threshold', (d) => [f(d, [2, 3]), 0.1, -1]),
  s('softmin', (d) => [f(d, [2, 3]), 1]),
  s('clampMin', (d) => [f(d, [2, 3]), f(d, [3], 2)]),
  m('clampMin', (d) => [f(d, [3]), 0.5]),
  s('clampMax', (d) => [f(d, [2, 3]), 0.5]),
  m('clampMax', (d) => [f(d, [3]), f(d, [3], 2)]),
  ...['copysign', 'ldexp', 'logaddexp2', 'heaviside'].flatMap((op) => [s(op, (d) => [f(d, [2, 3]), f(d, [3], 2)]), m(op, (d) => [f(d, [3]), f(d, [3], 2)])]),
  s('trueDivide', (d) => [f(d, [2, 3]), f(d, [3], 2)], ['trueDivide', 'div']),
  m('trueDivide', (d) => [f(d, [3]), 2], ['trueDivide', 'div']),
  ...['addcmul', 'addcdiv'].flatMap((op) => [s(op, (d) => [f(d, [2, 3]), f(d, [3], 2), f(d, [2, 1], 3), { value: 0.5 }]), m(op, (d) => [f(d, [3]), f(d, [3], 2), f(d, [3], 3), 2])]),
  // the losses of loss-extra.ts
  s('klDiv', (d) => [f(d, [2, 3]), f(d, [2, 3], 2).abs(), { reduction: 'batchmean', logTarget: false }]),
  s('poissonNllLoss', (d) => [f(d, [2, 3]), f(d, [2, 3], 2).abs(), { logInput: true, full: true, eps: 1e-8, reduction: 'sum' }]),
  s('gaussianNllLoss', (d) => [f(d, [2, 3]), f(d, [2, 3], 2), f(d, [2], 3).abs(), { full: false, eps: 1e-6, reduction: 'mean' }]),
  s('cosineEmbeddingLoss', (d) => [f(d, [2, 3]), f(d, [2, 3], 2), sg.tensor([1, -1], { device: d }), { margin: 0.1 }]),
  s('marginRankingLoss', (d) => [f(d, [3]), f(d, [3], 2), sg.tensor([1, -1, 1], { device: d }), { margin: 0.5 }]),
  s('hingeEmbeddingLoss', (d) => [f(d, [3]), sg.tensor([1, -1, 1], { device: d }), { margin: 2 }]),
  s('softMarginLoss', (d) => [f(d, [3]), sg.tensor([1, -1, 1], { device: d }), { reduction: 'none' }]),
  s('multiLabelSoftMarginLoss', (d) => [f(d, [2, 3]), f(d, [2, 3], 2).abs(), { weight: f(d, [3], 3), reduction: 'sum' }]),
  s('tripletMarginLoss', (d) => [f(d, [2, 3]), f(d, [2, 3], 2), f(d, [2, 3], 3), { margin: 1, p: 2, eps: 1e-6, swap: true }]),
  // linalg and norms
  s('norm', (d) => [f(d, [2, 3]), 3, 1, true]),
  m('norm', (d) => [f(d, [2, 3]), 'fro', [0, 1]]),
  { name: 'sg.linalg.vectorNorm', prefix: ['vectorNorm'], make: (d) => ({ fn: sg.linalg.vectorNorm as (...a: unknown[]) => unknown, args: [f(d, [2, 3]), 1.5, [0, 1], false] }) },
  { name: 'sg.linalg.matrixNorm', prefix: ['matrixNorm'], make: (d) => ({ fn: sg.linalg.matrixNorm as (...a: unknown[]) => unknown, args: [f(d, [2, 3]), Infinity, [1, 0], true] }) },
  { name: 'sg.linalg.cross', prefix: ['linalg.cross'], make: (d) => ({ fn: sg.linalg.cross as (...a: unknown[]) => unknown, args: [f(d, [2, 3]), f(d, [1, 3], 2), -1] }) },
  s('dist', (d) => [f(d, [2, 3]), f(d, [3], 2), 3]),
  m('dist', (d) => [f(d, [3]), f(d, [3], 2), 1]),
  s('normalize', (d) => [f(d, [2, 3]), 2, 1, 1e-12]),
  s('cosineSimilarity', (d) => [f(d, [2, 3]), f(d, [3], 2), 1, 1e-8]),
  s('pairwiseDistance', (d) => [f(d, [2, 3]), f(d, [3], 2), 2, 1e-6, false]),
  s('cdist', (d) => [f(d, [2, 3]), f(d, [4, 3], 2), 2]),
  ...['outer', 'dot'].flatMap((op) => [s(op, (d) => [f(d, [3]), f(d, [3], 2)]), m(op, (d) => [f(d, [3]), f(d, [3], 2)])]),
  s('mv', (d) => [f(d, [2, 3]), f(d, [3], 2)]),
  m('mv', (d) => [f(d, [2, 3]), f(d, [3], 2)]),
  s('mm', (d) => [f(d, [2, 3]), f(d, [3, 2], 2)]),
  m('mm', (d) => [f(d, [2, 3]), f(d, [3, 2], 2)]),
  s('addmm', (d) => [f(d, [2]), f(d, [2, 3], 2), f(d, [3, 2], 3), { beta: 0.5, alpha: 2 }]),
  m('addmm', (d) => [f(d, [2, 2]), f(d, [2, 3], 2), f(d, [3, 2], 3)]),
  s('addmv', (d) => [f(d, [2]), f(d, [2, 3], 2), f(d, [3], 3), { beta: 0 }]),
  m('addmv', (d) => [f(d, [2]), f(d, [2, 3], 2), f(d, [3], 3)]),
  s('baddbmm', (d) => [f(d, [1, 2]), f(d, [2, 2, 3], 2), f(d, [2, 3, 2], 3), { alpha: 2 }]),
  m('baddbmm', (d) => [f(d, [2, 2, 2]), f(d, [2, 2, 3], 2), f(d, [2, 3, 2], 3)]),
  s('diag', (d) => [f(d, [3]), 1]),
  m('diag', (d) => [f(d, [2, 3]), -1]),
  s('diagonal', (d) => [f(d, [2, 3, 4]), 1, 0, 2]),
  m('diagonal', (d) => [f(d, [2, 3]), -1, 1, 0]),
  s('diagEmbed', (d) => [f(d, [2, 3]), 1, 0, 2]),
  m('diagEmbed', (d) => [f(d, [3]), -1]),
  s('trace', (d) => [f(d, [2, 3])]),
  m('trace', (d) => [f(d, [3, 3])]),
  s('cross', (d) => [f(d, [3, 2]), f(d, [3, 2], 2), 0]),
  m('cross', (d) => [f(d, [2, 3]), f(d, [2, 3], 2), -1]),
  s('kron', (d) => [f(d, [2]), f(d, [2, 2], 2)]),
  m('kron', (d) => [f(d, [2, 2]), f(d, [3], 2)]),
  s('triuIndices', (d) => [3, 4, 1, { device: d }]),
  s('trilIndices', (d) => [3, 3, -1, { device: d }]),
  // scans, NaN-aware reductions, order statistics, closeness
  s('cumprod', (d) => [f(d, [2, 3]), 1]),
  m('cumprod', (d) => [f(d, [2, 3]), -2]),
  ...['cummax', 'cummin', 'logcumsumexp'].flatMap((op) => [s(op, (d) => [f(d, [2, 3]), 1]), m(op, (d) => [f(d, [2, 3]), 0])]),
  s('diff', (d) => [f(d, [2, 3]), 1, -1, f(d, [2, 1], 2), f(d, [2, 2], 3)]),
  m('diff', (d) => [f(d, [2, 3]), 2, 0]),
  ...['nansum', 'nanmean'].flatMap((op) => [s(op, (d) => [f(d, [2, 3]), [0, 1], true]), m(op, (d) => [f(d, [2, 3]), 1, false])]),
  s('nanToNum', (d) => [f(d, [2, 3]), 0.5, 10, -10]),
  m('nanToNum', (d) => [f(d, [3]), 1]),
  s('countNonzero', (d) => [f(d, [2, 3]), [1]]),
  m('countNonzero', (d) => [f(d, [2, 3]), 0]),
  ...['median', 'nanmedian'].flatMap((op) => [s(op, (d) => [f(d, [2, 3]), 1, true]), m(op, (d) => [f(d, [2, 3]), 0])]),
  s('kthvalue', (d) => [f(d, [2, 3]), 2, 1, true]),
  m('kthvalue', (d) => [f(d, [2, 3]), 1]),
  ...['quantile', 'nanquantile'].flatMap((op) => [s(op, (d) => [f(d, [2, 3]), 0.25, 1, true, 'midpoint']), m(op, (d) => [f(d, [2, 3]), sg.tensor([0.1, 0.9], { device: d }), 0])]),
  s('isclose', (d) => [f(d, [2, 3]), f(d, [3], 2), 1e-3, 1e-6, true]),
  m('isclose', (d) => [f(d, [2, 3]), f(d, [2, 3], 2)]),
  s('allclose', (d) => [f(d, [2, 3]), f(d, [3], 2), 1e-3, 1e-6, false]),
  m('allclose', (d) => [f(d, [3]), f(d, [3], 2)]),
  s('equal', (d) => [f(d, [2, 3]), f(d, [2, 3], 2)]),
  m('equal', (d) => [f(d, [3]), f(d, [3])]),
  // #25 Jupyter display
  s('graph', (d) => [f(d, [2], 1, true).mul(2).sum(), { names: [['x', f(d, [2])]] }]),
  m('graph', (d) => [f(d, [2], 1, true).exp(), { names: new sg.nn.Linear(2, 2, { device: d }) }]),
  { name: 'sg.display.lossChart', prefix: ['lossChart'], make: () => ({ fn: sg.display.lossChart as (...a: unknown[]) => unknown, args: [[3, 2, 1], { smooth: 2, baseline: 1, title: 't' }] }) },
  { name: 'sg.display.vegaLite', prefix: ['vegaLite'], make: () => ({ fn: sg.display.vegaLite as (...a: unknown[]) => unknown, args: [{ mark: 'bar' }, 'alt'] }) },
];

/** The hostile values: each replaces one argument of a valid call. */
function hostile(d: Dev): Array<[string, () => unknown]> {
  const other: Dev = d === 'cpu' ? 'webgpu' : 'cpu';
  return [
    ['undefined', () => undefined], ['null', () => null], ['NaN', () => NaN], ['Infinity', () => Infinity], ['-1', () => -1],
    ['0.5', () => 0.5], ['1e12', () => 1e12], ['a string', () => 'x'], ['a BigInt', () => 2n], ['a BigInt array', () => [2n]],
    ['an object', () => ({})], ['an empty array', () => []], ['[NaN]', () => [NaN]], ['[-1]', () => [-1]], ['true', () => true],
    ['a function', () => () => 1], ['a symbol', () => Symbol('s')],
    ['a disposed tensor', () => { const t = sg.ones([2], { device: d }); t.dispose(); return t; }],
    ['an int32 tensor', () => ints(d, [1, 0])],
    ['a 0-d tensor', () => sg.tensor(2, { device: d })],
    ['a (2, 3) float tensor', () => f(d, [2, 3], 7)],
    ...(sg.deviceInfo().backend === 'webgpu' ? [['a tensor on the other device', () => sg.ones([2], { device: other })] as [string, () => unknown]] : []),
  ];
}

// Messages that mean an internal failure escaped instead of a checked argument.
const INTERNAL = /Cannot read prop|is not a function|is not iterable|of undefined|of null|Invalid (array|typed array) length|Maximum call stack|Cannot convert|cannot be converted|Unexpected token|\[object /;

async function stillWorks(d: Dev): Promise<string | null> {
  try {
    const y = sg.tidy(() => sg.tensor([[1, 2], [3, 4]], { device: d }).matmul(sg.tensor([[1], [1]], { device: d })).add(1));
    allclose(await y.toArray(), [4, 8], {}, 'the next op');
    y.dispose();
    return null;
  } catch (e) { return (e as Error).message; }
}

test('every argument of every public function, replaced by each hostile value', async () => {
  const problems: string[] = [];
  let calls = 0;
  for (const d of await backends()) {
    const values = hostile(d);
    for (const entry of ENTRIES) {
      const base = sg.tidy(() => { const { args } = entry.make(d); return args.length; });
      for (let i = 0; i < base; i++) {
        for (const [label, value] of values) {
          calls++;
          const where = `[${d}] ${entry.name} argument ${i} = ${label}`;
          let err: unknown = null;
          let before = 0;
          try {
            sg.tidy(() => {
              const { fn, args } = entry.make(d);
              const a = [...args];
              a[i] = value();
              before = sg.memory().dispatches;
              const out = fn(...a);
              if (out instanceof Promise) out.catch(() => {});
            });
          } catch (e) { err = e; }
          if (err === null) continue;
          if (!(err instanceof Error) || err.constructor !== Error) {
            problems.push(`${where}: threw ${err instanceof Error ? err.constructor.name : typeof err}: ${String((err as Error)?.message ?? err)}`);
          } else if (INTERNAL.test(err.message) || !(entry.prefix ?? []).some((p) => [':', '.', ' ('].some((sep) => err.message.startsWith(`${p}${sep}`)))) {
            problems.push(`${where}: ${JSON.stringify(err.message.slice(0, 160))}`);
          } else if (sg.memory().dispatches !== before) {
            problems.push(`${where}: GPU work was queued before the error ${JSON.stringify(err.message.slice(0, 100))}`);
          }
          const broken = await stillWorks(d);
          if (broken) problems.push(`${where}: the engine broke: ${broken}`);
        }
      }
    }
  }
  if (problems.length) throw new Error(`${problems.length} of ${calls} hostile calls misbehaved:\n${problems.slice(0, 60).join('\n')}`);
});

// The async API: the same hostile values, awaited. gpuTime and gradcheck take functions;
// toArray and friends take no argument but must reject clearly on a disposed tensor.
type AsyncMake = (d: Dev, dir: string) => { fn: (...a: unknown[]) => Promise<unknown>; args: unknown[] };
const ASYNC: Array<{ name: string; prefix: string[]; make: AsyncMake }> = [
  { name: 'sg.nonzero', prefix: ['nonzero'], make: (d) => ({ fn: sg.nonzero as (...a: unknown[]) => Promise<unknown>, args: [f(d, [2, 3]), { asTuple: true }] }) },
  { name: 'sg.argwhere', prefix: ['argwhere'], make: (d) => ({ fn: sg.argwhere as (...a: unknown[]) => Promise<unknown>, args: [f(d, [2, 3])] }) },
  { name: 'sg.maskedSelect', prefix: ['maskedSelect'], make: (d) => ({ fn: sg.maskedSelect as (...a: unknown[]) => Promise<unknown>, args: [f(d, [2, 3]), sg.tensor([1, 0, 1], { device: d }).bool()] }) },
  { name: 'sg.unique', prefix: ['unique'], make: (d) => ({ fn: sg.unique as (...a: unknown[]) => Promise<unknown>, args: [f(d, [2, 3]), { returnCounts: true, returnInverse: true }] }) },
  { name: 'sg.bincount', prefix: ['bincount'], make: (d) => ({ fn: sg.bincount as (...a: unknown[]) => Promise<unknown>, args: [ints(d, [0, 2, 2]), f(d, [3]), 4] }) },
  { name: 'x.to', prefix: ['to'], make: (d) => { const x = f(d, [2]); return { fn: (...a) => x.to(a[0] as Dev), args: [d] }; } },
  { name: 'sg.gradcheck', prefix: ['gradcheck'], make: () => ({ fn: sg.gradcheck as (...a: unknown[]) => Promise<unknown>, args: [(x: Tensor) => x.mul(x).sum(), [sg.randn([3], { seed: 1, device: 'cpu', dtype: 'float64', requiresGrad: true })]] }) },
  { name: 'sg.gpuTime', prefix: ['gpuTime'], make: () => ({ fn: sg.gpuTime as (...a: unknown[]) => Promise<unknown>, args: [() => 1, { timestamps: false }] }) },
  { name: 'sg.saveSafetensors', prefix: ['saveSafetensors'], make: (d, dir) => ({ fn: sg.saveSafetensors as (...a: unknown[]) => Promise<unknown>, args: [`${dir}/a.safetensors`, { w: f(d, [2]) }, { k: 'v' }] }) },
  { name: 'sg.loadSafetensors', prefix: ['loadSafetensors'], make: (d, dir) => ({ fn: sg.loadSafetensors as (...a: unknown[]) => Promise<unknown>, args: [`${dir}/ok.safetensors`, { device: d }] }) },
];

test('the async API: each argument replaced by each hostile value rejects with the op name', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/sg-fuzz-`);
  const problems: string[] = [];
  // A hostile string is a valid relative path: whatever it writes lands in the temporary folder.
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    await sg.saveSafetensors(`${dir}/ok.safetensors`, { w: sg.ones([2], { device: 'cpu' }) });
    for (const d of await backends()) {
      for (const entry of ASYNC) {
        const n = entry.make(d, dir).args.length;
        for (let i = 0; i < n; i++) {
          for (const [label, value] of hostile(d)) {
            const where = `[${d}] ${entry.name} argument ${i} = ${label}`;
            const { fn, args } = entry.make(d, dir);
            const a = [...args];
            a[i] = value();
            let err: unknown = null;
            try { const r = await fn(...a); if (r instanceof sg.Tensor) r.dispose(); } catch (e) { err = e; }
            if (err === null) continue;
            if (!(err instanceof Error) || err.constructor !== Error) problems.push(`${where}: threw ${err instanceof Error ? err.constructor.name : typeof err}: ${String((err as Error)?.message ?? err)}`);
            else if (INTERNAL.test(err.message) || !entry.prefix.some((p) => err.message.startsWith(`${p}:`))) problems.push(`${where}: ${JSON.stringify(err.message.slice(0, 160))}`);
            const broken = await stillWorks(d);
            if (broken) problems.push(`${where}: the engine broke: ${broken}`);
          }
        }
      }
      for (const m of ['toArray', 'item', 'toList'] as const) {
        const t = sg.ones([1], { device: d });
        t.dispose();
        let msg = '';
        try { await t[m](); } catch (e) { msg = (e as Error).message; }
        if (!msg.startsWith(`${m}:`) || !/disposed/.test(msg)) problems.push(`[${d}] ${m} on a disposed tensor: ${JSON.stringify(msg)}`);
      }
    }
  } finally {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  }
  if (problems.length) throw new Error(`${problems.length} hostile async calls misbehaved:\n${problems.join('\n')}`);
});

test('init refuses bad options by name and leaves the device as it was', async () => {
  const devs = await backends();
  const before = sg.deviceInfo().backend;
  const bad: Array<[unknown, RegExp]> = [
    ['webgpu', /^init: options must be a plain object/], [{ backend: 'tpu' }, /^init: backend/], [{ backnd: 'cpu' }, /^init: unknown option 'backnd'/],
    [{ quiet: 1 }, /^init: quiet/], [{ dawnToggles: 'x' }, /^init: dawnToggles/], [{ powerPreference: 'fast' }, /^init: powerPreference/],
    [{ poolLimit: -1 }, /^init: poolLimit/], [{ poolLimit: 2n }, /^init: poolLimit/],
  ];
  for (const [opts, want] of bad) {
    let msg = '';
    try { await sg.init(opts as sg.InitOptions); } catch (e) { msg = (e as Error).message; }
    if (!want.test(msg)) throw new Error(`init(${String(opts)}): ${JSON.stringify(msg)} does not match ${want}`);
  }
  if (sg.deviceInfo().backend !== before) throw new Error('a refused init changed the default device');
  for (const d of devs) { const broken = await stillWorks(d); if (broken) throw new Error(broken); }
});

test.run();
