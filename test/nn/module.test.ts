// Module: parameter discovery and names, train/eval, stateDict/loadStateDict, zeroGrad,
// dispose; Dropout in train and eval; no tensors leak across training steps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { Module, Linear, LayerNorm, Dropout, Embedding, CausalSelfAttention, MoE } from '../../src/nn/index.js';
import { backends, settleGC, throwsWith, allclose } from '../helpers.js';

class Block extends Module {
  ln = new LayerNorm(8, { device: 'cpu' });
  attn = new CausalSelfAttention(8, 2, { device: 'cpu', seed: 1 });
  drop = new Dropout(0.1);

  forward(x: Tensor): Tensor {
    return x.add(this.drop.forward(this.attn.forward(this.ln.forward(x))));
  }
}

class Tiny extends Module {
  embed = new Embedding(10, 8, { device: 'cpu', seed: 0 });
  layers = [new Block(), new Block()];
  head = new Linear(8, 10, { bias: false, device: 'cpu', seed: 2 });
  notAParam = sg.zeros([3], { device: 'cpu' });
  scale = 2;

  forward(idx: Tensor): Tensor {
    let h = this.embed.forward(idx);
    for (const l of this.layers) h = l.forward(h);
    return this.head.forward(h);
  }
}

test('namedParameters: dotted PyTorch names in declaration order; children; arrays of modules', () => {
  const m = new Tiny();
  const names = m.namedParameters().map(([n]) => n);
  assert.equal(names, [
    'embed.weight',
    'layers.0.ln.weight', 'layers.0.ln.bias', 'layers.0.attn.qkv.weight', 'layers.0.attn.qkv.bias', 'layers.0.attn.proj.weight', 'layers.0.attn.proj.bias',
    'layers.1.ln.weight', 'layers.1.ln.bias', 'layers.1.attn.qkv.weight', 'layers.1.attn.qkv.bias', 'layers.1.attn.proj.weight', 'layers.1.attn.proj.bias',
    'head.weight',
  ]);
  assert.is(m.parameters().length, names.length);
  assert.equal(m.namedChildren().map(([n]) => n), ['embed', 'layers.0', 'layers.1', 'head']);
  assert.equal(m.layers[0].children().length, 3);
  assert.equal(Object.keys(m.stateDict()), names);
  // A tied weight is one parameter, listed once (PyTorch's rule), but saved under both names.
  m.head.weight.dispose();
  m.head.weight = m.embed.weight;
  assert.is(m.parameters().length, names.length - 1);
  assert.ok('head.weight' in m.stateDict());
  m.head.weight = sg.zeros([10, 8], { device: 'cpu' }).requiresGrad_();
  m.dispose();
});

test('MoE parameter names match ScatterMoE (router.weight, experts.weight, output_experts.weight)', () => {
  const moe = new MoE({ hiddenSize: 4, intermediateSize: 6, numExperts: 3, topK: 2, device: 'cpu' });
  assert.equal(moe.namedParameters().map(([n, p]) => `${n} [${p.shape}]`), ['router.weight [3,4]', 'experts.weight [3,6,4]', 'output_experts.weight [3,4,6]']);
  const glu = new MoE({ hiddenSize: 4, intermediateSize: 6, numExperts: 3, topK: 2, glu: true, bias: true, device: 'cpu' });
  assert.equal(glu.namedParameters().map(([n, p]) => `${n} [${p.shape}]`),
    ['router.weight [3,4]', 'experts.weight [3,12,4]', 'experts.bias [3,12]', 'output_experts.weight [3,4,6]', 'output_experts.bias [3,4]']);
  moe.dispose();
  glu.dispose();
});

test('train/eval reach every descendant', () => {
  const m = new Tiny();
  assert.ok(m.training && m.layers[1].drop.training);
  assert.is(m.eval(), m);
  assert.ok(!m.training && !m.layers[0].drop.training && !m.layers[1].attn.attnDropout.training);
  m.train();
  assert.ok(m.layers[1].attn.residDropout.training);
  m.dispose();
});

test('stateDict/loadStateDict: round trip copies values in place, across devices from the CPU', async () => {
  for (const dev of await backends()) {
    const a = new Linear(3, 2, { seed: 1, device: dev });
    const b = new Linear(3, 2, { seed: 2, device: dev });
    const wBefore = b.weight;
    b.loadStateDict(a.stateDict());
    assert.is(b.weight, wBefore, 'loadStateDict must copy into the existing tensor');
    assert.ok(b.weight.requiresGrad && b.weight.isLeaf);
    allclose(await b.weight.toArray(), await a.weight.toArray(), { rtol: 0, atol: 0 }, 'weight');
    allclose(await b.bias!.toArray(), await a.bias!.toArray(), { rtol: 0, atol: 0 }, 'bias');
    // A CPU state dict (what a file loader makes) loads into a module on any device.
    const cpu = { weight: sg.tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3], device: 'cpu' }), bias: sg.tensor([7, 8], { device: 'cpu' }) };
    b.loadStateDict(cpu);
    allclose(await b.weight.toArray(), [1, 2, 3, 4, 5, 6], { rtol: 0, atol: 0 }, 'weight from cpu');
    allclose(await b.bias!.toArray(), [7, 8], { rtol: 0, atol: 0 }, 'bias from cpu');
    // Loading is in place under noGrad even while grad mode is on, and keeps training working.
    const y = b.forward(sg.ones([1, 3], { device: dev })).sum();
    y.backward();
    allclose(await b.bias!.grad!.toArray(), [1, 1], { rtol: 0, atol: 0 }, 'grad after load');
    b.zeroGrad();
    assert.is(b.bias!.grad, null);
    assert.is(b.weight.grad, null);
    for (const t of [y, ...Object.values(cpu)]) t.dispose();
    a.dispose();
    b.dispose();
  }
});

test('loadStateDict: missing, unexpected and mis-shaped keys are named; nothing is copied on error', async () => {
  const m = new Linear(3, 2, { device: 'cpu', seed: 0 });
  const before = await m.weight.toArray();
  const w = sg.zeros([2, 3], { device: 'cpu' });
  const wrong = sg.zeros([3, 2], { device: 'cpu' });
  const extra = sg.zeros([1], { device: 'cpu' });
  throwsWith(() => m.loadStateDict({ weight: w }), /loadStateDict \(Linear\)/, /missing key\(s\): bias/);
  throwsWith(() => m.loadStateDict({ weight: w, bias: sg.zeros([2], { device: 'cpu' }), 'head.weight': extra }), /unexpected key\(s\): head\.weight/);
  throwsWith(() => m.loadStateDict({ weight: wrong, bias: sg.zeros([2], { device: 'cpu' }) }), /size mismatch for weight/, /\[3, ?2\]/, /\[2, ?3\]/);
  allclose(await m.weight.toArray(), before, { rtol: 0, atol: 0 }, 'weight after failed loads');
  // strict: false ignores missing and unexpected keys, but never a shape mismatch.
  m.loadStateDict({ weight: w, 'head.weight': extra }, { strict: false });
  allclose(await m.weight.toArray(), new Float32Array(6), { rtol: 0, atol: 0 }, 'weight after non-strict load');
  throwsWith(() => m.loadStateDict({ weight: wrong }, { strict: false }), /size mismatch for weight/);
  for (const t of [w, wrong, extra]) t.dispose();
  m.dispose();
});

test('constructors and forward name the module and argument on bad input', () => {
  throwsWith(() => new Linear(0, 3), /Linear/, /inFeatures/);
  throwsWith(() => new Dropout(1.5), /Dropout/, /\[0, 1\]/);
  throwsWith(() => new MoE({ hiddenSize: 4, intermediateSize: 4, numExperts: 2, topK: 3, device: 'cpu' }), /MoE/, /topK 3/, /numExperts 2/);
  const lin = new Linear(3, 2, { device: 'cpu' });
  throwsWith(() => lin.forward(sg.zeros([4, 5], { device: 'cpu' })), /Linear/, /last dim 3/, /\[4, ?5\]/);
  lin.dispose();
});

test('Dropout: identity in eval and for p = 0; in train zeroes about p and scales by 1/(1-p), seeded', async () => {
  for (const dev of await backends()) {
    const x = sg.ones([4000], { device: dev });
    const d = new Dropout(0.25, { seed: 3 });
    const y = d.forward(x);
    const v = await y.toArray();
    const zeros = v.filter((a) => a === 0).length;
    if (Math.abs(zeros / v.length - 0.25) > 0.03) throw new Error(`dropout on ${dev}: zeroed ${zeros / v.length}`);
    if (v.some((a) => a !== 0 && Math.abs(a - 4 / 3) > 1e-6)) throw new Error('kept values not scaled by 1/(1-p)');
    // A fresh mask on every call, and the same sequence of masks for the same seed.
    const y2 = d.forward(x);
    const v2 = await y2.toArray();
    assert.ok(v2.some((a, i) => a !== v[i]), 'two calls gave the same mask');
    const again = new Dropout(0.25, { seed: 3 }).forward(x);
    allclose(await again.toArray(), v, { rtol: 0, atol: 0 }, 'same seed, same mask');
    // Gradient is the mask, scaled.
    const xg = sg.ones([50], { device: dev, requiresGrad: true });
    const yg = new Dropout(0.5, { seed: 9 }).forward(xg);
    yg.sum().backward();
    allclose(await xg.grad!.toArray(), await yg.toArray(), { rtol: 0, atol: 0 }, 'dropout gradient');
    d.eval();
    assert.is(d.forward(x), x);
    assert.is(new Dropout(0).forward(x), x);
    allclose(await new Dropout(1).forward(x).toArray(), new Float32Array(4000), { rtol: 0, atol: 0 }, 'p = 1');
    for (const t of [x, y, y2, again, xg, yg]) t.dispose();
  }
});

test('modules built inside tidy keep their parameters; dispose frees them', async () => {
  for (const dev of await backends()) {
    await settleGC();
    const before = sg.memory().liveTensors;
    const m = sg.tidy(() => new CausalSelfAttention(8, 2, { device: dev, seed: 0 }));
    assert.ok(m.parameters().every((p) => !p.disposed));
    const y = sg.tidy(() => m.forward(sg.ones([1, 3, 8], { device: dev })));
    await y.toArray();
    y.dispose();
    m.dispose();
    assert.ok(m.parameters().length === 0, 'disposed parameters are no longer listed');
    await settleGC();
    assert.is(sg.memory().liveTensors, before, 'tensors left after dispose');
  }
});

test('no tensors leak across training steps inside tidy (attention + MoE + dropout)', async () => {
  class Net extends Module {
    attn: CausalSelfAttention;
    moe: MoE;
    constructor(dev: 'cpu' | 'webgpu') {
      super();
      this.attn = new CausalSelfAttention(8, 2, { device: dev, seed: 1, dropout: 0.1 });
      this.moe = new MoE({ hiddenSize: 8, intermediateSize: 8, numExperts: 4, topK: 2, glu: true, device: dev, seed: 2 });
    }
    forward(x: Tensor): { y: Tensor; aux: Tensor } {
      const h = x.add(this.attn.forward(x));
      const r = this.moe.forward(h);
      return { y: h.add(r.output), aux: r.auxLoss.mul(0.01).add(r.zLoss.mul(0.001)) };
    }
  }
  for (const dev of await backends()) {
    const net = new Net(dev);
    const x = sg.randn([2, 4, 8], { seed: 3, device: dev });
    const step = (): Tensor => sg.tidy(() => {
      const { y, aux } = net.forward(x);
      const loss = y.mul(y).mean().add(aux);
      loss.backward();
      sg.noGrad(() => { for (const p of net.parameters()) p.sub_(p.grad!, 0.01); });
      net.zeroGrad();
      return loss;
    });
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const loss = step();
      await loss.item();
      loss.dispose();
      await settleGC();
      counts.push(sg.memory().liveTensors);
    }
    if (new Set(counts.slice(1)).size !== 1) throw new Error(`live tensors changed across steps on ${dev}: ${counts}`);
    net.dispose();
    x.dispose();
  }
});

test.run();
