// sg.compile: a compiled training step must do exactly what the plain step does (the same
// losses and parameters, bit for bit) while it replays recorded GPU work, and must record
// again, or run plainly, whenever replaying would not be the same.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { backends, randInts, throwsWith, type Dev } from '../helpers.js';
import { runtime } from '../../src/backend/runtime.js';

const test = suite('train: compile');

const V = 11; // vocabulary
const D = 16;

/** A small language-model-shaped net: embedding, MoE (top-2 of 4), layerNorm, linear head. */
class Net extends sg.nn.Module {
  emb: InstanceType<typeof sg.nn.Embedding>;
  moe: InstanceType<typeof sg.nn.MoE>;
  ln: InstanceType<typeof sg.nn.LayerNorm>;
  head: InstanceType<typeof sg.nn.Linear>;
  constructor(device: Dev) {
    super();
    this.emb = new sg.nn.Embedding(V, D, { seed: 1, device });
    this.moe = new sg.nn.MoE({ hiddenSize: D, intermediateSize: 24, numExperts: 4, topK: 2, seed: 2, device });
    this.ln = new sg.nn.LayerNorm(D, { device });
    this.head = new sg.nn.Linear(D, V, { seed: 3, device });
  }
  forward(ids: Tensor): Tensor {
    const h = this.emb.forward(ids);
    return this.head.forward(this.ln.forward(h.add(this.moe.forward(h).output)));
  }
  loss(ids: Tensor, targets: Tensor): Tensor {
    const h = this.emb.forward(ids);
    const m = this.moe.forward(h);
    const logits = this.head.forward(this.ln.forward(h.add(m.output)));
    return sg.crossEntropy(logits, targets).add(m.auxLoss.mul(0.01));
  }
}

interface Run { losses: number[]; params: number[][]; stats: sg.CompileStats | null }

/** `steps` AdamW steps on two seeded batches taken in turn (new tensors each step), with a
 * new learning rate each step. */
async function train(dev: Dev, compiled: boolean, steps: number, batch = (s: number) => 12 + 0 * s): Promise<Run> {
  const net = new Net(dev);
  const opt = new sg.optim.AdamW(net.parameters(), { lr: 1e-2 });
  const body = (ids: Tensor, targets: Tensor): Tensor => {
    const loss = net.loss(ids, targets);
    loss.backward();
    sg.optim.clipGradNorm(net.parameters(), 0.5);
    opt.step();
    opt.zeroGrad();
    return loss;
  };
  const step = compiled ? sg.compile(body) : (ids: Tensor, targets: Tensor) => sg.tidy(() => body(ids, targets));
  const lossTensors: Tensor[] = [];
  for (let s = 0; s < steps; s++) {
    const n = batch(s);
    const ids = sg.tensor(randInts(n, 100 + (s % 2), 0, V), { dtype: 'int32', device: dev });
    const targets = sg.tensor(randInts(n, 200 + (s % 2), 0, V), { dtype: 'int32', device: dev });
    opt.lr = 1e-2 / (1 + s); // a schedule: a new number every step
    lossTensors.push(step(ids, targets));
    ids.dispose();
    targets.dispose();
  }
  const losses = await Promise.all(lossTensors.map(async (l) => (await l.toArray())[0]));
  const params = await Promise.all(net.parameters().map(async (p) => Array.from(await p.toArray())));
  lossTensors.forEach((l) => l.dispose());
  const stats = compiled ? (step as sg.Compiled<[Tensor, Tensor], Tensor>).stats : null;
  if (compiled) (step as sg.Compiled<[Tensor, Tensor], Tensor>).dispose();
  opt.dispose();
  net.dispose();
  return { losses, params, stats };
}

function assertSame(a: Run, b: Run, what: string): void {
  a.losses.forEach((l, i) => assert.ok(Object.is(l, b.losses[i]), `${what}: loss ${i}: ${l} then ${b.losses[i]}`));
  a.params.forEach((p, i) => {
    const j = p.findIndex((v, k) => !Object.is(v, b.params[i][k]));
    assert.is(j, -1, `${what}: parameter ${i} differs at ${j}: ${p[j]} then ${b.params[i][j]}`);
  });
}

test('a compiled step gives the plain step\'s losses and parameters bit for bit, replaying on WebGPU', async () => {
  for (const dev of await backends()) {
    const plain = await train(dev, false, 8);
    const comp = await train(dev, true, 8);
    assert.ok(plain.losses[6] < plain.losses[0] - 0.05, `${dev}: the loss falls (${plain.losses[0]} -> ${plain.losses[6]})`);
    assertSame(plain, comp, dev);
    if (dev === 'webgpu') {
      assert.is(comp.stats!.captures, 1, 'captured once');
      assert.is(comp.stats!.replays, 8 - comp.stats!.recordings, `replays ${JSON.stringify(comp.stats)}`);
      assert.ok(comp.stats!.replays >= 4, `replays ${JSON.stringify(comp.stats)}`);
    } else assert.is(comp.stats!.mode, 'eager');
  }
});

test('a new batch shape records again, and each shape replays its own recording', async () => {
  for (const dev of await backends()) {
    // 12 tokens for 5 steps, 7 for 5, then 12 again: the last ones replay the first recording.
    const shape = (s: number): number => (s >= 5 && s < 10 ? 7 : 12);
    const plain = await train(dev, false, 14, shape);
    const comp = await train(dev, true, 14, shape);
    assertSame(plain, comp, dev);
    if (dev === 'webgpu') {
      assert.is(comp.stats!.captures, 2, JSON.stringify(comp.stats));
      assert.is(comp.stats!.replays, 14 - comp.stats!.recordings, JSON.stringify(comp.stats));
      assert.ok(comp.stats!.replays >= 8, JSON.stringify(comp.stats));
    }
  }
});

test('what a replay cannot see makes it record again: a disposed tensor, requiresGrad, train/eval', async () => {
  for (const dev of await backends()) {
    if (dev !== 'webgpu') continue;
    let w = sg.tensor([1, 2, 3], { device: dev });
    const x = sg.tensor([0.5, -1, 2], { device: dev });
    const lin = new sg.nn.Linear(3, 2, { seed: 4, device: dev });
    const f = sg.compile((a: Tensor) => {
      const y = lin.forward(a.mul(w)).sum();
      if (lin.weight.requiresGrad) y.backward();
      return y;
    });
    const run = async (): Promise<number> => { const y = f(x); const v = (await y.toArray())[0]; y.dispose(); return v; };
    const expect = async (): Promise<number> => { const y = sg.noGrad(() => lin.forward(x.mul(w)).sum()); const v = (await y.toArray())[0]; y.dispose(); return v; };
    for (let i = 0; i < 6; i++) assert.is(await run(), await expect());
    assert.is(f.stats.mode, 'replayed', JSON.stringify(f.stats));
    // A new tensor in the closure: the old one is disposed, which drops the recording.
    w.dispose();
    w = sg.tensor([-3, 0.25, 4], { device: dev });
    assert.is(await run(), await expect());
    assert.is(f.stats.mode, 'recorded', 'records after a tensor it used was disposed');
    for (let i = 0; i < 5; i++) assert.is(await run(), await expect());
    assert.is(f.stats.mode, 'replayed', JSON.stringify(f.stats));
    // Freezing the weight: no backward any more, so no gradient appears.
    lin.weight.grad?.dispose();
    lin.weight.grad = null;
    lin.weight.requiresGrad = false;
    await run();
    assert.is(f.stats.mode, 'recorded', 'records after requiresGrad changed');
    for (let i = 0; i < 3; i++) await run();
    assert.is(lin.weight.grad, null, 'no gradient for a frozen weight');
    lin.weight.requiresGrad = true;
    lin.eval();
    await run();
    assert.is(f.stats.mode, 'recorded', 'records after eval()');
    f.dispose();
    (lin.weight.grad as Tensor | null)?.dispose();
    [w, x].forEach((t) => t.dispose());
    lin.dispose();
  }
});

test('work that differs from call to call runs plainly, saying why; readbacks too', async () => {
  for (const dev of await backends()) {
    if (dev !== 'webgpu') continue;
    let n = 0;
    const f = sg.compile(() => sg.tensor([n++, 1], { device: dev }).mul(2));
    for (let i = 0; i < 9; i++) {
      const y = f();
      assert.equal(Array.from(await y.toArray()), [2 * i, 2]);
      y.dispose();
    }
    assert.is(f.stats.mode, 'eager');
    assert.is(f.stats.replays, 0);
    assert.match(f.stats.reason!, /wrote other data/);
    const x = sg.tensor([1, 2], { device: dev });
    let pending: Promise<unknown> | null = null;
    const g = sg.compile(() => { const y = x.add(1); pending = y.toArray(); return y; });
    for (let i = 0; i < 3; i++) g().dispose();
    await pending;
    assert.is(g.stats.mode, 'eager');
    assert.match(g.stats.reason!, /reads a tensor back/);
    x.dispose();
  }
});

test('compile refuses what it cannot do, naming it, before any work', async () => {
  for (const dev of await backends()) {
    throwsWith(() => sg.compile(42 as never), /^compile: fn must be a function/);
    const p = sg.tensor([1, 2], { device: dev, requiresGrad: true });
    const f = sg.compile((a: Tensor) => a.mul(2));
    throwsWith(() => f(p), /^compile: argument 0 \(shape \[2\]\) requires grad/);
    throwsWith(() => (f as unknown as (o: object) => Tensor)({ a: 1 }), /^compile: argument 0 must be a Tensor, a number/);
    const g = sg.compile(() => 3 as never);
    throwsWith(() => g(), /^compile: the function must return a Tensor, an array or a plain object of Tensors/);
    // still usable
    const y = f(sg.tensor([1, 2], { device: dev }));
    assert.equal(Array.from(await y.toArray()), [2, 4]);
    y.dispose();
    p.dispose();
  }
});

test('outputs: a tensor, an array or an object, as new tensors each call; nothing leaks', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3], device: dev });
    const before = sg.memory().liveTensors;
    const f = sg.compile((a: Tensor) => ({ t: a.transpose(0, 1), s: a.sum() }));
    const g = sg.compile((a: Tensor) => [a.mul(a), a.narrow(1, 1, 1)]);
    let prev: Tensor | null = null;
    for (let i = 0; i < 6; i++) {
      const { t, s } = f(x);
      assert.equal(t.shape, [3, 2]);
      assert.equal(Array.from(await t.toArray()), [1, 4, 2, 5, 3, 6]);
      assert.equal(Array.from(await s.toArray()), [21]);
      const [sq, col] = g(x);
      assert.equal(Array.from(await sq.toArray()), [1, 4, 9, 16, 25, 36]);
      assert.equal(Array.from(await col.toArray()), [2, 5]);
      assert.ok(sq !== prev, 'a new tensor each call');
      prev?.dispose();
      prev = sq;
      [t, s, col].forEach((z) => z.dispose());
    }
    prev?.dispose();
    if (dev === 'webgpu') assert.is(f.stats.mode, 'replayed', JSON.stringify(f.stats));
    f.dispose();
    g.dispose();
    assert.is(sg.memory().liveTensors, before, 'no tensor left behind');
    x.dispose();
  }
});

test('what fn gets and returns is safe to dispose, and state outside moves as plainly', async () => {
  for (const dev of await backends()) {
    // Returning a parameter and an argument: the caller gets copies, the originals live on.
    const w = sg.tensor([1, 2, 3], { device: dev, requiresGrad: true });
    const f = sg.compile((x: Tensor) => [w, x]);
    for (let i = 0; i < 5; i++) {
      const [a, b] = f(sg.tensor([i, i, i], { device: dev }));
      assert.equal(Array.from(await a.toArray()), [1, 2, 3]);
      assert.equal(Array.from(await b.toArray()), [i, i, i]);
      a.dispose();
      b.dispose();
    }
    assert.equal(Array.from(await w.toArray()), [1, 2, 3], 'the parameter is still there');
    // fn disposing its argument (a view of compile's copy) does not break the next call.
    const g = sg.compile((x: Tensor) => { const y = x.mul(2); x.dispose(); return y; });
    for (let i = 0; i < 5; i++) {
      const y = g(sg.tensor([i], { device: dev }));
      assert.equal(Array.from(await y.toArray()), [2 * i]);
      y.dispose();
    }
    // A version counter moves as in the plain function (so a stale saved tensor is caught).
    const ema = sg.tensor([1, 1], { device: dev });
    const h = sg.compile(() => { sg.noGrad(() => ema.mul_(0.5)); });
    for (let i = 0; i < 6; i++) h();
    assert.is(ema.version, 6);
    assert.equal(Array.from(await ema.toArray()), [1 / 64, 1 / 64]);
    [w, ema].forEach((t) => t.dispose());
    [f, g, h].forEach((c) => c.dispose());
  }
});

test('work a replay cannot repeat runs plainly: a disposed outside tensor, an argument changed in place', async () => {
  for (const dev of await backends()) {
    if (dev !== 'webgpu') continue;
    let cur = sg.tensor([0, 0, 0], { device: dev });
    const f = sg.compile(() => { const y = cur.mul(2); cur.dispose(); return y; });
    for (let i = 0; i < 7; i++) {
      cur = sg.tensor([i, i, i], { device: dev });
      const y = f();
      assert.equal(Array.from(await y.toArray()), [2 * i, 2 * i, 2 * i], `call ${i}`);
      y.dispose();
      assert.ok(cur.disposed, 'fn disposed it, as the plain function does');
    }
    assert.is(f.stats.mode, 'eager');
    assert.match(f.stats.reason!, /disposes a tensor it did not make/);
    const x = sg.tensor([1, 1], { device: dev });
    const g = sg.compile((a: Tensor) => { sg.noGrad(() => a.add_(1)); return a.mul(2); });
    for (let i = 0; i < 5; i++) {
      const y = g(x);
      assert.equal(Array.from(await y.toArray()), [2 * (i + 2), 2 * (i + 2)], `call ${i}`);
      y.dispose();
    }
    assert.equal(Array.from(await x.toArray()), [6, 6], 'the caller sees the change, as plainly');
    assert.match(g.stats.reason!, /changes an argument in place/);
    x.dispose();
    f.dispose();
    g.dispose();
  }
});

test('numbers and strings as arguments: each value its own signature (-0 and commas included)', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([1, 2], { device: dev });
    const f = sg.compile((a: Tensor, k: number, tag: string) => a.mul(k).add(tag.length));
    const calls: Array<[number, string]> = [[0, 'a'], [0, 'a'], [0, 'a'], [-0, 'a'], [0, 'a,number:1'], [3, 'a'], [0, 'a']];
    for (const [k, tag] of calls) {
      const y = f(x, k, tag);
      const got = Array.from(await y.toArray());
      const want = [1 * k + tag.length, 2 * k + tag.length];
      got.forEach((v, i) => assert.ok(Object.is(v, want[i]), `f(x, ${Object.is(k, -0) ? '-0' : k}, '${tag}'): ${got} vs ${want}`));
      y.dispose();
    }
    x.dispose();
    f.dispose();
  }
});

test('replays stay right when the uniform slots are recycled, also by copying a view argument', async () => {
  for (const dev of await backends()) {
    if (dev !== 'webgpu') continue;
    const gpu = runtime.gpu!;
    const saved = gpu.uniformSlotCapacity;
    gpu.uniformSlotCapacity = 24;
    try {
      const N = 50;
      const tokens = sg.tensor(Array.from({ length: 4 * N }, (_, k) => (k * 7919) % 11), { shape: [4, N], dtype: 'int32', device: dev });
      const emb = new sg.nn.Embedding(11, 8, { seed: 1, device: dev });
      const head = new sg.nn.Linear(8, 11, { seed: 2, device: dev });
      const body = (ids: Tensor): Tensor => head.forward(emb.forward(ids)).sum(-1).sum(-1);
      const f = sg.compile(body);
      for (let i = 0; i < N - 9; i++) {
        const ids = tokens.narrow(1, i, 8); // a view at a new offset each call
        const a = f(ids);
        const b = sg.noGrad(() => sg.tidy(() => body(ids)));
        const [va, vb] = [await a.toArray(), await b.toArray()];
        va.forEach((v, j) => assert.ok(Object.is(v, vb[j]), `call ${i}: ${Array.from(va)} vs ${Array.from(vb)}`));
        [a, b, ids].forEach((t) => t.dispose());
      }
      assert.ok(f.stats.replays > 0, JSON.stringify(f.stats));
      f.dispose();
      [tokens].forEach((t) => t.dispose());
      emb.dispose();
      head.dispose();
    } finally {
      gpu.uniformSlotCapacity = saved;
    }
  }
});

test('a compiled function disposed right after a replay still lands its work', async () => {
  for (const dev of await backends()) {
    const w = sg.tensor([1, 2, 3], { device: dev, requiresGrad: true });
    const w2 = sg.tensor([1, 2, 3], { device: dev, requiresGrad: true });
    const opt = new sg.optim.AdamW([w], { lr: 0.1 });
    const opt2 = new sg.optim.AdamW([w2], { lr: 0.1 });
    const x = sg.tensor([0.5, -1, 2], { device: dev });
    const body = (o: typeof opt, p: Tensor) => (a: Tensor): Tensor => { const l = p.mul(a).sum(); l.backward(); o.step(); o.zeroGrad(); return l; };
    const step = sg.compile(body(opt, w));
    for (let i = 0; i < 6; i++) step(x).dispose();
    step.dispose();
    for (let i = 0; i < 6; i++) sg.tidy(() => { body(opt2, w2)(x); });
    const [a, b] = [await w.toArray(), await w2.toArray()];
    a.forEach((v, i) => assert.ok(Object.is(v, b[i]), `${dev}: ${Array.from(a)} vs ${Array.from(b)}`));
    [w, w2, x].forEach((t) => t.dispose());
    opt.dispose();
    opt2.dispose();
  }
});

test.run();
