// The dispatch path's caches: the buffer pool's choice of buffer (pool.ts), content-addressed
// uniform slots and cached bind groups (webgpu.ts). They exist for host speed, so what is
// tested is what they promise: a repeated training step creates no bind groups, and results
// stay right when the caches fill up and are dropped.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { runtime } from '../../src/backend/runtime.js';
import { BufferPool } from '../../src/backend/pool.js';
import { allclose, backends, randArray } from '../helpers.js';

const test = suite('dispatch-cache');

class FakeBuffer {
  constructor(readonly size: number, readonly name: string) {}
}

test('pool: newest freed buffer first, exact size only, bytes counted, drain empties', () => {
  const pool = new BufferPool<FakeBuffer>();
  const [a, b, c] = [new FakeBuffer(256, 'a'), new FakeBuffer(256, 'b'), new FakeBuffer(512, 'c')];
  if (pool.take(256, 1) !== undefined) throw new Error('empty pool gave a buffer');
  pool.put(a); pool.put(b); pool.put(c);
  const bytes = (): number => pool.bytes;
  if (bytes() !== 1024) throw new Error(`bytes ${bytes()}, expected 1024`);
  if (pool.take(384, 1) !== undefined) throw new Error('a buffer of another size was handed out');
  if (pool.take(256, 1) !== b) throw new Error('expected the newest 256-byte buffer (b)');
  if (pool.take(256, 2) !== a) throw new Error('expected a next');
  if (pool.take(256, 3) !== undefined) throw new Error('a taken buffer was handed out again');
  if (bytes() !== 512) throw new Error(`bytes ${bytes()}, expected 512`);
  const drained = pool.drain();
  if (drained.length !== 1 || drained[0] !== c || pool.bytes !== 0) throw new Error('drain should return c only and zero the bytes');
  if (pool.take(512, 4) !== undefined) throw new Error('drained buffer handed out');
});

test('pool: a repeated sequence of takes gets the same buffers, whatever order they were freed in', () => {
  const pool = new BufferPool<FakeBuffer>();
  const bufs = Array.from({ length: 6 }, (_, i) => new FakeBuffer(1024, `b${i}`));
  for (const b of bufs) pool.put(b);
  // One "step": six allocations at fixed program points (ctx 100..105), freed in a shuffled
  // order that changes every step, as a backward pass frees its temporaries.
  const step = (k: number): FakeBuffer[] => {
    const got = Array.from({ length: 6 }, (_, j) => pool.take(1024, 100 + j)!);
    if (got.some((g) => !g) || new Set(got).size !== 6) throw new Error(`step ${k}: expected six distinct buffers`);
    const order = [0, 1, 2, 3, 4, 5].sort((x, y) => ((x * 7 + k * 3) % 6) - ((y * 7 + k * 3) % 6));
    for (const j of order) pool.put(got[j]);
    return got;
  };
  const first = step(0);
  for (let k = 1; k < 50; k++) {
    const got = step(k);
    got.forEach((g, j) => { if (g !== first[j]) throw new Error(`step ${k}: allocation ${j} got ${g.name}, step 0 got ${first[j].name}`); });
  }
  // A plain stack would have handed them out in the reverse of the last free order instead.
  if (pool.bytes !== 6 * 1024) throw new Error(`bytes ${pool.bytes}`);
  // Interleaved affinity takes and frees (the stale-entry path) never hand out one buffer twice.
  for (let k = 0; k < 2000; k++) {
    const x = pool.take(1024, 100 + (k % 6))!;
    const y = pool.take(1024, 999)!;
    if (!x || !y || x === y) throw new Error(`cycle ${k}: got ${x?.name} and ${y?.name}`);
    pool.put(y); pool.put(x);
  }
  const all = new Set(Array.from({ length: 6 }, (_, j) => pool.take(1024, 5000 + j)));
  if (all.size !== 6 || all.has(undefined) || pool.take(1024, 1) !== undefined) throw new Error('pool lost or duplicated buffers');
});

/** A small MLP training step: Linear, gelu, LayerNorm, cross-entropy, clipping, AdamW with a changing lr. */
function makeTrainer(seed: number) {
  const l1 = new sg.nn.Linear(12, 24, { seed });
  const ln = new sg.nn.LayerNorm(24);
  const l2 = new sg.nn.Linear(24, 5, { seed: seed + 1 });
  const params = [...l1.parameters(), ...ln.parameters(), ...l2.parameters()];
  const opt = new sg.optim.AdamW(params, { lr: 1e-2 });
  const x = sg.tensor(Float32Array.from(randArray(16 * 12, seed + 2)), { shape: [16, 12] });
  const y = sg.tensor(Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 5));
  let k = 0;
  const step = (): void => sg.tidy(() => {
    opt.lr = 1e-2 * (1 - k++ / 100); // a schedule: the scalars change every step
    const loss = sg.crossEntropy(l2.forward(ln.forward(l1.forward(x).gelu())), y);
    loss.backward();
    sg.optim.clipGradNorm(params, 0.5);
    opt.step();
    opt.zeroGrad();
  });
  const dispose = (): void => { [l1, ln, l2].forEach((m) => m.dispose()); opt.dispose(); x.dispose(); y.dispose(); };
  return { step, params, dispose };
}

test('a repeated training step creates no bind groups and writes no uniforms after warm-up', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const gpu = runtime.gpu!;
  const t = makeTrainer(3);
  for (let i = 0; i < 3; i++) t.step();
  await t.params[0].toArray();
  const before = { bg: sg.memory().bindGroups, d: sg.memory().dispatches };
  for (let i = 0; i < 5; i++) t.step();
  await t.params[0].toArray();
  const made = sg.memory().bindGroups - before.bg;
  const dispatched = sg.memory().dispatches - before.d;
  if (!(dispatched > 50)) throw new Error(`expected the steps to dispatch work, got ${dispatched}`);
  if (made !== 0) throw new Error(`5 steady steps created ${made} bind groups (${dispatched} dispatches); expected 0`);
  t.dispose();
  if (!(gpu.bindGroupsCreated > 0)) throw new Error('bindGroupsCreated never moved');
});

test('a training loop that reads a value back every few steps still creates no bind groups after warm-up', async () => {
  if (!(await backends()).includes('webgpu')) return;
  // What the demo's loop does: an MoE layer (routing, sorting, grouped kernels), positions
  // uploaded every step, and a readback every third step (logging the loss). The steps after
  // a readback start from another program point; the pool must still give their allocations
  // the buffers they had last time, or every bind group after them is made anew (the demo
  // model made ~50 such per step for two steps after each readback).
  const emb = new sg.nn.Linear(12, 16, { seed: 5 });
  const moe = new sg.nn.MoE({ hiddenSize: 16, intermediateSize: 24, numExperts: 4, topK: 2, seed: 6 });
  const head = new sg.nn.Linear(16, 5, { seed: 7 });
  const params = [...emb.parameters(), ...moe.parameters(), ...head.parameters()];
  const opt = new sg.optim.AdamW(params, { lr: 1e-2 });
  const x = sg.tensor(Float32Array.from(randArray(16 * 12, 8)), { shape: [16, 12] });
  const y = sg.tensor(Int32Array.from({ length: 16 }, (_, i) => (i * 3) % 5));
  let last: Tensor | null = null;
  const step = (): void => {
    last?.dispose();
    last = sg.tidy(() => {
      const pos = sg.arange(16).reshape([16, 1]).mul(0.01);
      const out = moe.forward(emb.forward(x).add(pos));
      const loss = sg.crossEntropy(head.forward(out.output), y).add(out.auxLoss.mul(0.01));
      loss.backward();
      sg.optim.clipGradNorm(params, 1.0);
      opt.step();
      opt.zeroGrad();
      return sg.keep(loss.detach());
    });
  };
  for (let i = 0; i < 9; i++) { step(); if (i % 3 === 2) await last!.item(); }
  const before = sg.memory().bindGroups;
  for (let i = 0; i < 9; i++) { step(); if (i % 3 === 2) await last!.item(); }
  const made = sg.memory().bindGroups - before;
  if (made !== 0) throw new Error(`9 steps with a readback after every third created ${made} bind groups; expected 0`);
  (last as Tensor | null)?.dispose();
  [emb, moe, head].forEach((m) => m.dispose());
  opt.dispose(); x.dispose(); y.dispose();
});

test('a full uniform table is dropped only after the work that reads it is submitted', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const gpu = runtime.gpu!;
  const saved = gpu.uniformSlotCapacity;
  gpu.uniformSlotCapacity = 2;
  try {
    // Each scalar travels in the uniforms: 7 distinct blocks recorded into one batch wrap a
    // table of 2 three times before anything is submitted.
    const x = sg.tensor(Float32Array.from(randArray(40, 5)));
    const ks = [2, -3, 5, 0.5, 7, -11, 13];
    const ys = ks.map((k) => x.mul(k));
    const xs = await x.toArray();
    for (const [i, y] of ys.entries()) allclose(await y.toArray(), Array.from(xs, (v) => v * ks[i]), {}, `x * ${ks[i]}`);
    [x, ...ys].forEach((t) => t.dispose());
  } finally {
    gpu.uniformSlotCapacity = saved;
  }
});

test('results stay right when the uniform slots and bind groups fill up and are dropped', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const gpu = runtime.gpu!;
  const saved = [gpu.uniformSlotCapacity, gpu.bindGroupCapacity];
  const train = async (): Promise<number[]> => {
    const t = makeTrainer(11);
    for (let i = 0; i < 6; i++) t.step();
    const out: number[] = [];
    for (const p of t.params) out.push(...(await p.toArray()));
    t.dispose();
    return out;
  };
  const reference = await train();
  if (!reference.some((v) => Math.abs(v) > 1e-3)) throw new Error('the parameters are all ~0; the test would prove nothing');
  try {
    // Tiny caches: both are dropped every few dispatches, mid-batch and mid-step, so slots
    // are rewritten while earlier commands that read them are still queued.
    gpu.uniformSlotCapacity = 5;
    gpu.bindGroupCapacity = 3;
    const made = sg.memory().bindGroups;
    const tiny = await train();
    if (sg.memory().bindGroups - made < 100) throw new Error('the tiny caches did not make the run create bind groups again');
    allclose(tiny, reference, { rtol: 1e-5, atol: 1e-6 }, 'parameters after 6 steps: tiny caches vs normal ones');
  } finally {
    [gpu.uniformSlotCapacity, gpu.bindGroupCapacity] = saved;
  }
});

test.run();
