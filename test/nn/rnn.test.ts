// RNN, LSTM, GRU and their cells against torch 2.14 (rnn-torch.py): outputs, h_n, c_n and
// the gradients of the input, the initial states and every parameter, on both backends and
// in float64 on the CPU; gradcheck; torch's state-dict keys; dropout; bad arguments; leaks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell, type Module } from '../../src/nn/index.js';
import type { ParamOptions } from '../../src/nn/init.js';
import { allclose, backends, settleGC, throwsBeforeWork, type Dev, type Tol } from '../helpers.js';
import { gradcheckModule } from './util.js';
import { CASES, KEYS, type Arr, type RnnCase } from './rnn-torch.js';

type Recurrent = Module & { forward(x: Tensor, hx?: unknown): unknown };
type Ctor = new (inputSize: number, hiddenSize: number, opts: object) => Recurrent;
const CLASSES: Record<string, Ctor> = { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } as unknown as Record<string, Ctor>;

function make(c: RnnCase, o: ParamOptions): Recurrent {
  return new CLASSES[c.cls](c.args[0], c.args[1], { ...c.opts, ...o });
}

/** The case's forward as a flat list: output (or h'), then h_n, then c_n where there is one. */
function fwd(c: RnnCase, m: Recurrent, x: Tensor, h0?: Tensor, c0?: Tensor): Tensor[] {
  const lstm = c.cls.startsWith('LSTM');
  const hx = lstm ? (h0 ? [h0, c0] : undefined) : h0;
  const r = m.forward(x, hx);
  if (c.cls.endsWith('Cell')) return lstm ? (r as Tensor[]) : [r as Tensor];
  const [out, h] = r as [Tensor, Tensor | Tensor[]];
  return lstm ? [out, ...(h as Tensor[])] : [out, h as Tensor];
}

function load(a: Arr, o: { device: Dev; dtype: 'float32' | 'float64' }, grad = false): Tensor {
  const t = sg.tensor(a.v, { shape: a.shape, ...o });
  return grad ? t.requiresGrad_() : t;
}

/** Runs one case on (device, dtype) and compares with torch's float64 numbers. */
async function checkCase(c: RnnCase, o: { device: Dev; dtype: 'float32' | 'float64' }, tol: Tol): Promise<void> {
  const what = `${c.name} on ${o.device} ${o.dtype}`;
  const m = make(c, { ...o, seed: 1 });
  const sd = Object.fromEntries(Object.entries(c.params).map(([k, a]) => [k, load(a, o)]));
  m.loadStateDict(sd);
  const x = load(c.x, o, true);
  const h0 = c.h0 ? load(c.h0, o, true) : undefined;
  const c0 = c.c0 ? load(c.c0, o, true) : undefined;
  const outs = fwd(c, m, x, h0, c0);
  assert.is(outs.length, c.outs.length, `${what}: number of outputs`);
  const loss = sg.tidy(() => outs.map((y, i) => y.mul(sg.tensor(c.ws[i], { shape: y.shape, ...o })).sum()).reduce((a, b) => a.add(b)));
  loss.backward();
  for (const [i, y] of outs.entries()) {
    assert.equal(y.shape, c.outs[i].shape, `${what}: output ${i} shape`);
    allclose(await y.toArray(), c.outs[i].v, tol, `${what}: output ${i}`);
  }
  allclose(await x.grad!.toArray(), c.gx, tol, `${what}: input grad`);
  if (h0) allclose(await h0.grad!.toArray(), c.gh0!, tol, `${what}: h0 grad`);
  if (c0) allclose(await c0.grad!.toArray(), c.gc0!, tol, `${what}: c0 grad`);
  const named = m.namedParameters();
  assert.equal(named.map(([k]) => k), Object.keys(c.params), `${what}: parameter names`);
  for (const [k, p] of named) allclose(await p.grad!.toArray(), c.grads[k], tol, `${what}: ${k} grad`);
  for (const t of [...outs, loss, x, ...Object.values(sd)]) t.dispose();
  for (const t of [x, h0, c0]) { t?.grad?.dispose(); t?.dispose(); }
  m.dispose();
}

test('RNN, LSTM, GRU and cells match torch: output, h_n, c_n and every gradient', async () => {
  for (const dev of await backends()) {
    for (const c of CASES) await checkCase(c, { device: dev, dtype: 'float32' }, { rtol: 2e-4, atol: 2e-5 });
  }
  for (const c of CASES) await checkCase(c, { device: 'cpu', dtype: 'float64' }, { rtol: 1e-10, atol: 1e-12 });
});

test('gradcheck (float64, CPU): tiny RNN, LSTM and GRU, 2 layers bidirectional, and the cells', async () => {
  const o = { device: 'cpu' as const, dtype: 'float64' as const, seed: 3 };
  const x = (shape: number[], seed: number): Tensor => sg.randn(shape, { ...o, seed }).requiresGrad_();
  const lstm = new LSTM(2, 2, { ...o, numLayers: 2, bidirectional: true });
  await gradcheckModule(lstm, [x([3, 1, 2], 1), x([4, 1, 2], 2), x([4, 1, 2], 3)], (xi, h, c) => { const [out, [hn, cn]] = lstm.forward(xi, [h, c]); return [out, hn, cn]; });
  const gru = new GRU(2, 2, { ...o, numLayers: 2, bidirectional: true, batchFirst: true });
  await gradcheckModule(gru, [x([1, 3, 2], 4), x([4, 1, 2], 5)], (xi, h) => gru.forward(xi, h));
  const rnn = new RNN(2, 3, { ...o, nonlinearity: 'tanh' });
  await gradcheckModule(rnn, [x([3, 2], 6)], (xi) => rnn.forward(xi));
  const lc = new LSTMCell(2, 2, o);
  await gradcheckModule(lc, [x([2, 2], 7), x([2, 2], 8), x([2, 2], 9)], (xi, h, c) => lc.forward(xi, [h, c]));
  const gc = new GRUCell(2, 3, o);
  await gradcheckModule(gc, [x([2, 2], 10), x([2, 3], 11)], (xi, h) => [gc.forward(xi, h)]);
  for (const m of [lstm, gru, rnn, lc, gc]) m.dispose();
});

test('state-dict keys and shapes are torch\'s; init is U(±1/√hidden), seeded, equal on every backend', async () => {
  const o = { device: 'cpu' as const };
  assert.equal(Object.keys(new LSTM(3, 4, { ...o, numLayers: 2, bidirectional: true }).stateDict()), KEYS.lstm2bi);
  assert.equal(Object.keys(new GRU(3, 4, { ...o, bias: false }).stateDict()), KEYS.gruNoBias);
  assert.equal(Object.keys(new RNNCell(3, 4, o).stateDict()), KEYS.rnnCell);
  const shapes = new GRU(3, 4, { ...o, numLayers: 2, bidirectional: true }).stateDict();
  assert.equal(shapes.weight_ih_l1_reverse.shape, [12, 8]);
  assert.equal(shapes.weight_hh_l0.shape, [12, 4]);
  const firsts: number[][] = [];
  for (const dev of await backends()) {
    const m = new LSTM(3, 16, { device: dev, seed: 9 });
    const vals = Array.from(await m.stateDict().weight_hh_l0.toArray());
    if (vals.some((v) => Math.abs(v) > 0.25) || new Set(vals).size < 1000) throw new Error(`LSTM init on ${dev} is not U(±1/√16)`);
    firsts.push(vals);
    m.dispose();
  }
  if (firsts.length === 2) allclose(firsts[1], firsts[0], { rtol: 0, atol: 0 }, 'seeded init across backends');
});

test('dropout between layers: only in training, seeded, never after the last layer', async () => {
  for (const dev of await backends()) {
    const o = { device: dev, seed: 4, numLayers: 2 };
    const plain = new GRU(3, 4, o);
    const drop = new GRU(3, 4, { ...o, dropout: 0.5 });
    const drop2 = new GRU(3, 4, { ...o, dropout: 0.5 });
    const x = sg.randn([3, 2, 3], { device: dev, seed: 2 });
    const ref = await plain.forward(x)[0].toArray();
    const a = await drop.forward(x)[0].toArray();
    const b = await drop2.forward(x)[0].toArray();
    allclose(a, b, { rtol: 0, atol: 0 }, `${dev}: same seed, same masks`);
    if (a.every((v, i) => v === ref[i])) throw new Error(`${dev}: training dropout changed nothing`);
    drop.eval();
    allclose(await drop.forward(x)[0].toArray(), ref, { rtol: 0, atol: 0 }, `${dev}: eval has no dropout`);
    const one = new GRU(3, 4, { device: dev, seed: 4, dropout: 0.9 });
    const onePlain = new GRU(3, 4, { device: dev, seed: 4 });
    allclose(await one.forward(x)[0].toArray(), await onePlain.forward(x)[0].toArray(), { rtol: 0, atol: 0 }, `${dev}: one layer, no dropout`);
    for (const m of [plain, drop, drop2, one, onePlain]) m.dispose();
    x.dispose();
  }
});

test('bad arguments: errors name the class, before any work', async () => {
  throwsBeforeWork('hiddenSize', () => new LSTM(3, 0), [/^LSTM: hiddenSize must be a positive integer/]);
  throwsBeforeWork('numLayers', () => new GRU(3, 2, { numLayers: 1.5 }), [/^GRU: numLayers must be a positive integer, got 1.5/]);
  throwsBeforeWork('dropout', () => new RNN(3, 2, { dropout: 2 }), [/^RNN: option dropout must be a probability/]);
  throwsBeforeWork('nonlinearity', () => new RNN(3, 2, { nonlinearity: 'sigmoid' as 'relu' }), [/^RNN: unknown nonlinearity "sigmoid"/]);
  throwsBeforeWork('typo', () => new LSTM(3, 2, { batch_first: true } as object), [/^LSTM/, /batch_first/]);
  throwsBeforeWork('cell option', () => new GRUCell(3, 2, { numLayers: 2 } as object), [/^GRUCell/, /numLayers/]);
  for (const dev of await backends()) {
    const o = { device: dev, seed: 1 };
    const rnn = new RNN(3, 2, { ...o, numLayers: 2 });
    const lstm = new LSTM(3, 2, o);
    const cell = new LSTMCell(3, 2, o);
    const x = sg.randn([4, 2, 3], o);
    const u = sg.randn([4, 3], o);
    const h = sg.zeros([2, 2, 2], { device: dev });
    const z = (...shape: number[]): Tensor => sg.zeros(shape, { device: dev });
    const [x4, x5, x0, h232, h22, h12, h142, h43, h42] = [z(1, 2, 2, 3), z(4, 2, 5), z(0, 2, 3), z(2, 3, 2), z(2, 2), z(1, 2, 2), z(1, 4, 2), z(4, 3), z(4, 2)];
    const xi = sg.zeros([4, 2, 3], { device: dev, dtype: 'int32' });
    const xc = sg.zeros([4, 2, 3], { device: 'cpu' });
    const bad = (what: string, run: () => unknown, ...p: RegExp[]): void => throwsBeforeWork(`${dev} ${what}`, run, p);
    bad('4-D input', () => rnn.forward(x4), /^RNN: expected input to be 2-D or 3-D, got 4-D/, /\[1, 2, 2, 3\]/);
    bad('input size', () => rnn.forward(x5), /^RNN: input.size\(-1\) must be equal to inputSize 3/, /\[4, 2, 5\]/);
    bad('empty sequence', () => rnn.forward(x0), /^RNN: expected sequence length to be larger than 0/);
    bad('not a tensor', () => rnn.forward([1, 2, 3] as unknown as Tensor), /^RNN: input must be a Tensor/);
    bad('h0 batch', () => rnn.forward(x, h232), /^RNN: expected h0 of shape \[2, 2, 2\]/, /got \[2, 3, 2\]/);
    bad('h0 batched for unbatched input', () => rnn.forward(u, h), /^RNN: expected h0 of shape \[2, 2\] for input \[4, 3\], got \[2, 2, 2\]/);
    bad('h0 unbatched for batched input', () => rnn.forward(x, h22), /^RNN: expected h0 of shape \[2, 2, 2\] for input \[4, 2, 3\], got \[2, 2\]/);
    bad('int input', () => rnn.forward(xi), /^RNN: input must be float32/);
    bad('hx not a pair', () => lstm.forward(x, h12 as unknown as [Tensor, Tensor]), /^LSTM: hx must be an array \[h0, c0\]/);
    bad('c0 shape', () => lstm.forward(x, [h12, h142]), /^LSTM: expected c0 of shape \[1, 2, 2\]/);
    bad('cell 3-D', () => cell.forward(x), /^LSTMCell: expected input to be 1-D or 2-D, got 3-D/);
    bad('cell h', () => cell.forward(u, [h43, h42]), /^LSTMCell: expected h of shape \[4, 2\]/);
    if (dev === 'webgpu') bad('device', () => lstm.forward(xc), /^LSTM: input is on cpu but the module is on webgpu/);
    for (const t of [x4, x5, x0, h232, h22, h12, h142, h43, h42, xi, xc]) t.dispose();
    for (const t of [x, u, h]) t.dispose();
    for (const m of [rnn, lstm, cell]) m.dispose();
  }
});

test('no tensors leak across forward/backward steps', async () => {
  for (const dev of await backends()) {
    const m = new LSTM(3, 2, { device: dev, seed: 2, numLayers: 2, bidirectional: true, dropout: 0.3 });
    const x = sg.randn([3, 2, 3], { device: dev, seed: 5 });
    const step = async (): Promise<void> => {
      const [out, [hn, cn]] = m.forward(x);
      const loss = sg.tidy(() => out.sum().add(hn.sum()).add(cn.sum()));
      loss.backward();
      await loss.item();
      for (const t of [out, hn, cn, loss]) t.dispose();
      m.zeroGrad();
    };
    await step();
    await settleGC();
    const before = sg.memory().liveTensors;
    for (let i = 0; i < 2; i++) await step();
    await settleGC();
    assert.is(sg.memory().liveTensors, before, `${dev} live tensors`);
    x.dispose();
    m.dispose();
  }
});

test.run();
