// BatchNorm1d / BatchNorm2d vs torch 2.14 (batchnorm-torch.py): a training step's output and
// input/weight/bias gradients, running statistics after three steps, eval outputs, on both
// backends; gradcheck in float64; buffers in stateDict/loadStateDict/dispose; bad arguments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { BatchNorm1d, BatchNorm2d, Linear, Sequential, Module } from '../../src/nn/index.js';
import type { BatchNormOptions } from '../../src/nn/index.js';
import { allclose, backends, randArray, throwsBeforeWork, throwsWith, settleGC, type Dev, type Tol } from '../helpers.js';
import { gradcheckModule } from './util.js';
import { parseSafetensors, serializeSafetensors } from '../../src/io/index.js';
import { CASES, SEQ_KEYS } from './batchnorm-torch.js';

type Case = (typeof CASES)[number];
const TOL: Record<Dev, Tol> = { cpu: { rtol: 1e-9, atol: 1e-9 }, webgpu: { rtol: 2e-4, atol: 2e-4 } };

function make(c: Case, dev: Dev): BatchNorm1d | BatchNorm2d {
  const opts = { ...c.opts, device: dev, dtype: dev === 'cpu' ? 'float64' : 'float32' } as BatchNormOptions;
  const m = c.cls === '1d' ? new BatchNorm1d(c.shape[1], opts) : new BatchNorm2d(c.shape[1], opts);
  if (c.weight && c.bias) {
    m.loadStateDict({ weight: sg.tensor(c.weight, { device: 'cpu' }), bias: sg.tensor(c.bias, { device: 'cpu' }) }, { strict: false });
  }
  return m;
}

const input = (v: number[], c: Case, dev: Dev, requiresGrad = false): Tensor =>
  sg.tensor(v, { shape: c.shape, device: dev, dtype: dev === 'cpu' ? 'float64' : 'float32', requiresGrad });

for (const c of CASES) {
  test(`${c.name}: training output and gradients, running stats after 3 steps, eval output`, async () => {
    for (const dev of await backends()) {
      const tol = TOL[dev];
      const m = make(c, dev);
      const x = input(c.xs[0], c, dev, true);
      const y = m.forward(x);
      allclose(await y.toArray(), c.y, tol, `${dev} y`);
      y.backward(sg.tensor(c.g, { shape: c.shape, device: dev, dtype: y.dtype }));
      allclose(await x.grad!.toArray(), c.gx, tol, `${dev} grad x`);
      if (c.gw) allclose(await m.weight!.grad!.toArray(), c.gw, tol, `${dev} grad weight`);
      if (c.gb) allclose(await m.bias!.grad!.toArray(), c.gb, tol, `${dev} grad bias`);
      assert.is(m.running_mean?.requiresGrad ?? false, false, 'running stats stay out of autograd');
      for (const v of c.xs.slice(1)) m.forward(input(v, c, dev)).dispose();
      if (c.runningMean) {
        allclose(await m.running_mean!.toArray(), c.runningMean, tol, `${dev} running_mean`);
        allclose(await m.running_var!.toArray(), c.runningVar!, tol, `${dev} running_var`);
        assert.equal(Array.from(await m.num_batches_tracked!.toArray()), [c.numBatches]);
        assert.is(m.num_batches_tracked!.dtype, 'int32');
      } else assert.is(m.running_mean, null);
      m.eval();
      allclose(await m.forward(input(c.xEval, c, dev)).toArray(), c.yEval, tol, `${dev} eval y`);
      assert.equal(Object.keys(m.stateDict()), c.keys);
      assert.equal(m.namedParameters().map(([n]) => n), c.weight ? ['weight', 'bias'] : []);
      x.dispose();
      m.dispose();
    }
  });
}

test('gradcheck (float64, CPU): training and eval, 1d and 2d, affine and not', async () => {
  const shapes: Array<[number[], boolean]> = [[[4, 3], true], [[3, 2, 4], true], [[2, 3, 2, 3], true], [[2, 2, 3, 2], false]];
  for (const [shape, affine] of shapes) {
    const m = shape.length === 4 ? new BatchNorm2d(shape[1], { dtype: 'float64', device: 'cpu', affine, seed: 1 })
      : new BatchNorm1d(shape[1], { dtype: 'float64', device: 'cpu', affine });
    if (affine) m.loadStateDict({ weight: sg.tensor([...randArray(shape[1], 3, 0.5, 2)], { device: 'cpu' }) }, { strict: false });
    const n = shape.reduce((a, b) => a * b, 1);
    const x = sg.tensor([...randArray(n, 7, -2, 2)], { shape, dtype: 'float64', device: 'cpu', requiresGrad: true });
    for (const training of [true, false]) {
      m.train(training);
      await gradcheckModule(m, [x], (xi) => [m.forward(xi)]);
    }
    x.dispose();
    m.dispose();
  }
});

test('NaN in one channel stays in that channel (output and running stats), both backends', async () => {
  const c = CASES.find((k) => k.name.includes('NaN'))!;
  for (const dev of await backends()) {
    const m = make(c, dev);
    const y = await m.forward(input(c.xs[0], c, dev)).toArray();
    // [4, 3, 2]: channel 1 is elements with (i / 2) % 3 === 1.
    y.forEach((v, i) => assert.is(Number.isNaN(v), Math.floor(i / 2) % 3 === 1, `${dev} y[${i}] = ${v}`));
    const rm = Array.from(await m.running_mean!.toArray());
    assert.equal(rm.map((v) => Number.isNaN(v)), [false, true, false], `${dev} running_mean ${rm}`);
    m.dispose();
  }
});

test('buffers: not parameters, in stateDict (persistent only), loaded from torch names, nested names', async () => {
  const bn = new BatchNorm1d(3, { device: 'cpu' });
  assert.equal(bn.namedBuffers().map(([n]) => n), ['running_mean', 'running_var', 'num_batches_tracked']);
  assert.is(bn.buffers()[0], bn.running_mean);
  assert.equal(bn.parameters().length, 2);
  assert.ok(!bn.parameters().includes(bn.running_mean!));
  // Loads a torch-named state dict; num_batches_tracked may arrive as float (torch saves int64).
  bn.loadStateDict({
    weight: sg.tensor([1, 2, 3], { device: 'cpu' }), bias: sg.tensor([0, 0, 1], { device: 'cpu' }),
    running_mean: sg.tensor([1, -1, 0.5], { device: 'cpu' }), running_var: sg.tensor([4, 1, 0.25], { device: 'cpu' }),
    num_batches_tracked: sg.tensor([7], { shape: [], device: 'cpu' }),
  });
  assert.equal(Array.from(await bn.running_var!.toArray()), [4, 1, 0.25]);
  assert.equal(Array.from(await bn.num_batches_tracked!.toArray()), [7]);
  assert.is(bn.num_batches_tracked!.dtype, 'int32');
  throwsWith(() => bn.loadStateDict({ weight: bn.weight!, bias: bn.bias! } as Record<string, Tensor>), /missing key\(s\): running_mean, running_var, num_batches_tracked/);
  throwsWith(() => bn.loadStateDict({ ...bn.stateDict(), running_mean: sg.zeros([4], { device: 'cpu' }) }), /size mismatch for running_mean/);
  bn.eval();
  allclose(await bn.forward(sg.tensor([[3, -1, 1]], { device: 'cpu' })).toArray(), [2 / Math.sqrt(4 + 1e-5), 0, 1 + 3 * 0.5 / Math.sqrt(0.25 + 1e-5)]);
  bn.train();
  assert.ok(bn.running_mean !== null && !bn.running_mean.disposed, 'train()/eval() keep the buffers');

  const seq = new Sequential(new Linear(2, 3, { device: 'cpu' }), new BatchNorm1d(3, { device: 'cpu' }), new Sequential(new BatchNorm2d(3, { affine: false, device: 'cpu' })));
  assert.equal(Object.keys(seq.stateDict()), SEQ_KEYS);
  assert.equal(seq.namedBuffers().map(([n]) => n), SEQ_KEYS.filter((k) => !k.endsWith('weight') && !k.endsWith('bias')));
  assert.equal(seq.parameters().length, 4);
  const held = seq.buffers();
  seq.dispose();
  assert.ok(held.every((b) => b.disposed), 'dispose frees buffers');
  bn.dispose();
});

test('safetensors round trip carries the buffers (int32 num_batches_tracked), both backends', async () => {
  for (const dev of await backends()) {
    const a = new Sequential(new Linear(2, 3, { device: dev, seed: 1 }), new BatchNorm1d(3, { device: dev }));
    const x = sg.randn([4, 2], { device: dev, seed: 2 });
    a.forward(x).dispose();
    a.forward(x).dispose();
    const { tensors } = parseSafetensors(await serializeSafetensors(a.stateDict()), { device: dev });
    assert.is(tensors['1.num_batches_tracked'].dtype, 'int32');
    const b = new Sequential(new Linear(2, 3, { device: dev, seed: 5 }), new BatchNorm1d(3, { device: dev }));
    b.loadStateDict(tensors);
    for (const k of ['1.running_mean', '1.running_var', '1.num_batches_tracked']) {
      assert.equal(Array.from(await b.stateDict()[k].toArray()), Array.from(await a.stateDict()[k].toArray()), `${dev} ${k}`);
    }
    assert.equal(Array.from(await b.stateDict()['1.num_batches_tracked'].toArray()), [2]);
    for (const t of [x, ...Object.values(tensors)]) t.dispose();
    a.dispose();
    b.dispose();
  }
});

class WithBuffers extends Module {
  lin = new Linear(2, 2, { device: 'cpu' });
  declare table: Tensor | null;
  declare cache: Tensor | null;
  constructor() {
    super();
    this.registerBuffer('table', sg.arange(4, { device: 'cpu' }));
    this.registerBuffer('cache', sg.ones([2], { device: 'cpu' }), { persistent: false });
    this.registerBuffer('absent', null);
  }
  forward(x: Tensor): Tensor { return this.lin.forward(x).add(this.table!.narrow(0, 0, 2)); }
}

test('registerBuffer: persistent false excluded from stateDict, null skipped, own buffers before children', async () => {
  const m = new WithBuffers();
  assert.equal(Object.keys(m.stateDict()), ['table', 'lin.weight', 'lin.bias']);
  assert.equal(m.namedBuffers().map(([n]) => n), ['table', 'cache']);
  assert.equal(m.namedParameters().map(([n]) => n), ['lin.weight', 'lin.bias']);
  m.loadStateDict({ table: sg.tensor([9, 8, 7, 6], { device: 'cpu' }), 'lin.weight': m.lin.weight, 'lin.bias': m.lin.bias! });
  assert.equal(Array.from(await m.table!.toArray()), [9, 8, 7, 6]);
  throwsWith(() => m.loadStateDict({ ...m.stateDict(), cache: sg.ones([2], { device: 'cpu' }) }), /unexpected key\(s\): cache/);
  // A buffer that requires grad is still a buffer, not a parameter.
  m.registerBuffer('table', sg.zeros([4], { device: 'cpu' }).requiresGrad_());
  assert.equal(m.namedParameters().map(([n]) => n), ['lin.weight', 'lin.bias']);
  // Built inside tidy(): the buffers survive the scope, as parameters do.
  const inner = sg.tidy(() => new WithBuffers());
  assert.ok(!inner.table!.disposed && !inner.cache!.disposed);
  inner.dispose();
  assert.ok(inner.cache!.disposed);
  throwsWith(() => m.registerBuffer('lin', null), /registerBuffer \(WithBuffers\): attribute 'lin' already exists/);
  throwsWith(() => m.registerBuffer('training', null), /attribute 'training' already exists/);
  throwsWith(() => m.registerBuffer('a.b', null), /contain no "\."/);
  throwsWith(() => m.registerBuffer('', null), /non-empty/);
  throwsWith(() => m.registerBuffer(3 as unknown as string, null), /buffer name must be a string, got/);
  throwsWith(() => m.registerBuffer('x', [1, 2] as unknown as Tensor), /buffer 'x' must be a Tensor or null/);
  throwsWith(() => m.registerBuffer('x', null, { persistent: 1 as unknown as boolean }), /persistent must be a boolean/);
  m.dispose();
});

test('bad arguments: torch\'s errors, named, before any GPU work', async () => {
  for (const dev of await backends()) {
    const b1 = new BatchNorm1d(3, { device: dev });
    const b2 = new BatchNorm2d(3, { device: dev });
    const made: Tensor[] = [];
    const ins = new Map<string, Tensor>();
    const t = (shape: number[]): Tensor => ins.get(String(shape))!;
    for (const shape of [[1, 3], [1, 3, 1], [1, 3, 1, 1], [2, 3, 4, 5], [3], [2, 3, 4], [2, 4]]) {
      const x = sg.ones(shape, { device: dev });
      ins.set(String(shape), x);
      made.push(x);
    }
    const int = sg.zeros([2, 3], { dtype: 'int32', device: dev });
    made.push(int);
    throwsBeforeWork('N·L = 1', () => b1.forward(t([1, 3])), [/^BatchNorm1d: Expected more than 1 value per channel when training, got input size \[1, 3\]/]);
    throwsBeforeWork('N·L = 1 (3-D)', () => b1.forward(t([1, 3, 1])), [/^BatchNorm1d: Expected more than 1 value per channel/]);
    throwsBeforeWork('H·W·N = 1', () => b2.forward(t([1, 3, 1, 1])), [/^BatchNorm2d: Expected more than 1 value per channel/]);
    throwsBeforeWork('1d rank', () => b1.forward(t([2, 3, 4, 5])), [/^BatchNorm1d: expected 2D or 3D input \(got 4D input/]);
    throwsBeforeWork('1d rank 1', () => b1.forward(t([3])), [/^BatchNorm1d: expected 2D or 3D input \(got 1D input/]);
    throwsBeforeWork('2d rank', () => b2.forward(t([2, 3, 4])), [/^BatchNorm2d: expected 4D input \(got 3D input/]);
    throwsBeforeWork('channels', () => b1.forward(t([2, 4])), [/^BatchNorm1d: expected input with 3 channels in dim 1, got shape \[2, 4\]/]);
    throwsBeforeWork('int input', () => b1.forward(int), [/^BatchNorm1d: input must be a floating-point tensor, got int32/]);
    throwsBeforeWork('not a tensor', () => b1.forward([1, 2] as unknown as Tensor), [/^BatchNorm1d: input must be a Tensor/]);
    b1.eval();
    const one = b1.forward(t([1, 3]));
    assert.equal(one.shape, [1, 3], 'eval with running stats takes a single sample');
    one.dispose();
    const noStats = new BatchNorm1d(3, { device: dev, trackRunningStats: false }).eval();
    throwsBeforeWork('no running stats in eval', () => noStats.forward(t([1, 3])), [/^BatchNorm1d: Expected more than 1 value per channel/]);
    for (const m of [b1, b2, noStats]) m.dispose();
    for (const x of made) x.dispose();
  }
  throwsWith(() => new BatchNorm1d(0), /^BatchNorm1d: numFeatures must be a positive integer, got 0/);
  throwsWith(() => new BatchNorm2d(2, { momentum: '0.1' as unknown as number }), /^BatchNorm2d: option momentum must be a finite number or null, got/);
  throwsWith(() => new BatchNorm2d(2, { eps: -1 }), /^BatchNorm2d: option eps must be a finite number >= 0/);
  throwsWith(() => new BatchNorm1d(2, { track_running_stats: false } as unknown as BatchNormOptions), /^BatchNorm1d: .*track_running_stats/);
  const cpu = new BatchNorm1d(2, { device: 'cpu' });
  if ((await backends()).includes('webgpu')) {
    const gx = sg.ones([2, 2], { device: 'webgpu' });
    throwsBeforeWork('device', () => cpu.forward(gx), [/^BatchNorm1d: input is on webgpu but the module is on cpu/]);
    gx.dispose();
  }
  cpu.dispose();
});

test('no tensors leak across training steps', async () => {
  for (const dev of await backends()) {
    const m = new BatchNorm2d(2, { device: dev, momentum: null });
    const x = sg.randn([2, 2, 2, 2], { device: dev, seed: 3 });
    const step = async (): Promise<void> => { const y = m.forward(x); const s = y.sum(); s.backward(); await y.toArray(); y.dispose(); s.dispose(); m.zeroGrad(); };
    await step();
    await settleGC();
    const before = sg.memory().liveTensors;
    for (let i = 0; i < 3; i++) await step();
    await settleGC();
    assert.is(sg.memory().liveTensors, before, `${dev} live tensors`);
    x.dispose();
    m.dispose();
  }
});

test.run();
