// The "done when" of the core engine: a two-layer MLP built from the engine's ops trains on
// a toy task for 200 steps, the loss falls, and memory is the same after step 10 and 200.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { backends, randArray, settleGC } from '../helpers.js';

const test = suite('train');

/** Three interleaved spirals in 2-D: a task a linear model cannot solve. */
function spirals(n: number, seed: number): { x: number[]; y: number[] } {
  const noise = randArray(2 * n, seed, -0.05, 0.05);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const cls = i % 3;
    const r = (i / n) * 1.0 + 0.1;
    const a = cls * (2 * Math.PI / 3) + r * 3;
    x.push(r * Math.cos(a) + noise[2 * i], r * Math.sin(a) + noise[2 * i + 1]);
    y.push(cls);
  }
  return { x, y };
}

test('a two-layer MLP learns spirals; memory is flat from step 10 to step 200', async () => {
  for (const dev of await backends()) {
    const { x: xs, y: ys } = spirals(96, 7);
    const x = sg.tensor(xs, { shape: [96, 2], device: dev });
    const y = sg.tensor(new Int32Array(ys), { device: dev });
    // tidy: the unscaled randn tensors are temporaries and must not linger for the GC.
    const params: Tensor[] = sg.tidy(() => [
      sg.randn([2, 32], { seed: 1, device: dev }).mul(0.8),
      sg.zeros([32], { device: dev }),
      sg.randn([32, 3], { seed: 2, device: dev }).mul(0.3),
      sg.zeros([3], { device: dev }),
    ].map((p) => p.requiresGrad_()));
    const [w1, b1, w2, b2] = params;
    const step = (): Tensor => sg.tidy(() => {
      const h = x.matmul(w1).add(b1).tanh();
      const loss = sg.crossEntropy(h.matmul(w2).add(b2), y);
      loss.backward();
      sg.noGrad(() => {
        for (const p of params) {
          p.sub_(p.grad!, 0.5);
          p.grad!.dispose();
          p.grad = null;
        }
      });
      return loss;
    });
    let first = NaN;
    let mem10 = sg.memory();
    let last = NaN;
    for (let i = 1; i <= 200; i++) {
      const loss = step();
      if (i === 1) first = await loss.item();
      if (i === 10) { await loss.item(); loss.dispose(); await settleGC(); mem10 = sg.memory(); continue; }
      if (i === 200) last = await loss.item();
      loss.dispose();
    }
    await settleGC();
    const mem200 = sg.memory();
    if (!(last < first * 0.5)) throw new Error(`loss did not fall enough on ${dev}: ${first} -> ${last}`);
    if (mem200.liveTensors !== mem10.liveTensors || mem200.bytesInUse !== mem10.bytesInUse) {
      throw new Error(`memory changed between step 10 and 200 on ${dev}: ${JSON.stringify(mem10)} -> ${JSON.stringify(mem200)}`);
    }
    if (dev === 'webgpu' && mem200.bytesPooled > mem10.bytesPooled * 2 + (1 << 20)) {
      throw new Error(`pooled bytes kept growing: ${mem10.bytesPooled} -> ${mem200.bytesPooled}`);
    }
    for (const t of [x, y, ...params]) t.dispose();
  }
});

test.run();
