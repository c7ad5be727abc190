// clipGradNorm against the formula (total 2-norm, scale by min(1, maxNorm/(norm+1e-6)))
// and the cosine schedule with warm-up against its formula.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { AdamW, SGD, clipGradNorm, cosineWithWarmup, CosineSchedule } from '../../src/optim/index.js';
import { allclose, backends, randArray, settleGC, throwsWith } from '../helpers.js';

const test = suite('clip and schedule');

const SHAPES = [[5, 7], [129], [3, 1, 4]];

test('clipGradNorm returns the total norm and scales every gradient by min(1, maxNorm/(norm+1e-6))', async () => {
  for (const dev of await backends()) {
    for (const [maxNorm, lo] of [[1, -2], [1e6, -1], [0.25, -0.5]]) {
      const params = SHAPES.map((s) => sg.zeros(s, { device: dev, requiresGrad: true }));
      const gs = SHAPES.map((s, i) => Float64Array.from(randArray(s.reduce((a, b) => a * b, 1), 7 + i, lo, -lo), Math.fround));
      params.forEach((p, i) => { p.grad = sg.tensor(gs[i], { shape: p.shape, device: dev }); });
      const extra = sg.zeros([2], { device: dev, requiresGrad: true }); // no grad: ignored
      const norm = clipGradNorm([...params, extra], maxNorm);
      const want = Math.sqrt(gs.reduce((a, g) => a + g.reduce((b, x) => b + x * x, 0), 0));
      if (norm.ndim !== 0) throw new Error(`norm must be 0-d, got shape ${norm.shape}`);
      allclose([await norm.item()], [want], { rtol: 1e-5, atol: 0 }, `norm on ${dev}`);
      const coef = Math.min(1, maxNorm / (want + 1e-6));
      for (let i = 0; i < params.length; i++) {
        allclose(await params[i].grad!.toArray(), gs[i].map((x) => x * coef), { rtol: 1e-5, atol: 1e-7 }, `clipped grad ${i} (maxNorm ${maxNorm}) on ${dev}`);
      }
      const clipped = Math.sqrt((await Promise.all(params.map((p) => p.grad!.toArray()))).reduce((a, g) => a + Array.from(g).reduce((b, x) => b + x * x, 0), 0));
      if (clipped > maxNorm * (1 + 1e-5)) throw new Error(`norm after clipping ${clipped} > ${maxNorm}`);
      norm.dispose();
      [...params, extra].forEach((p) => p.dispose());
    }
  }
});

test('clipGradNorm inside a training step keeps memory flat', async () => {
  for (const dev of await backends()) {
    const params = SHAPES.map((s, i) => sg.tensor(randArray(s.reduce((a, b) => a * b, 1), 30 + i), { shape: s, device: dev, requiresGrad: true }));
    const opt = new AdamW(params, { lr: 1e-2 });
    const step = (): void => {
      sg.tidy(() => {
        const loss = params.map((p) => p.mul(p).sum()).reduce((a, b) => a.add(b));
        loss.backward();
      });
      clipGradNorm(params, 0.5).dispose();
      opt.step();
      opt.zeroGrad();
    };
    step();
    await params[0].toArray();
    await settleGC();
    const before = sg.memory();
    for (let i = 0; i < 5; i++) step();
    await params[0].toArray();
    await settleGC();
    const after = sg.memory();
    if (after.liveTensors !== before.liveTensors || after.bytesInUse !== before.bytesInUse) {
      throw new Error(`memory changed on ${dev}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    }
    opt.dispose();
    params.forEach((p) => p.dispose());
  }
});

test('clipGradNorm: no gradients gives a zero norm; bad maxNorm throws', async () => {
  const p = sg.zeros([3], { device: 'cpu', requiresGrad: true });
  const n = clipGradNorm([p], 1);
  if ((await n.item()) !== 0) throw new Error('expected 0');
  n.dispose();
  throwsWith(() => clipGradNorm([p], -1), /clipGradNorm/, /maxNorm/);
  p.dispose();
});

/** The schedule's formula, written out independently. */
function expected(t: number, base: number, w: number, n: number, min: number): number {
  if (t < w) return base * (t + 1) / w;
  if (t >= n) return min;
  return min + (base - min) * (1 + Math.cos(Math.PI * (t - w) / (n - w))) / 2;
}

test('cosineWithWarmup: linear warm-up, cosine decay to minLr, then flat; sets optimizer.lr', () => {
  const p = sg.zeros([2], { device: 'cpu', requiresGrad: true });
  for (const [w, n, min] of [[10, 100, 1e-4], [0, 50, 0], [5, 5, 1e-3]]) {
    const opt = new SGD([p], { lr: 0.1 });
    const sched = cosineWithWarmup(opt, { warmupSteps: w, totalSteps: n, minLr: min });
    if (!(sched instanceof CosineSchedule)) throw new Error('expected a CosineSchedule');
    for (let t = 0; t <= n + 5; t++) {
      const want = expected(t, 0.1, w, n, min);
      if (Math.abs(sched.lr - want) > 1e-12 || Math.abs(opt.lr - want) > 1e-12) throw new Error(`w=${w} n=${n} t=${t}: schedule ${sched.lr}, optimizer ${opt.lr}, want ${want}`);
      sched.step();
    }
    // warm-up peaks at the base lr exactly, and decay is monotone after it
    if (w > 0 && Math.abs(sched.lrAt(w - 1) - 0.1) > 1e-15) throw new Error('the last warm-up step must use the base lr');
    for (let t = w; t < n; t++) if (sched.lrAt(t + 1) > sched.lrAt(t)) throw new Error(`lr rose at t=${t}`);
    const sd = sched.stateDict();
    const again = cosineWithWarmup(opt, { warmupSteps: w, totalSteps: n, minLr: min, baseLr: 0.1 });
    again.loadStateDict(sd);
    if (again.lr !== sched.lr || opt.lr !== sched.lr) throw new Error('loadStateDict must restore the position');
  }
  const opt = new SGD([p], { lr: 0.1 });
  throwsWith(() => cosineWithWarmup(opt, { warmupSteps: 10, totalSteps: 5 }), /warmupSteps/);
  throwsWith(() => cosineWithWarmup(opt, { totalSteps: 0 }), /totalSteps/);
  throwsWith(() => cosineWithWarmup(opt, { totalSteps: 10, minLr: 1 }), /minLr/);
  p.dispose();
});

test.run();
