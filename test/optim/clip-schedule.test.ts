// clipGradNorm against the formula (total 2-norm, scale by min(1, maxNorm/(norm+1e-6))) and a
// float64 reference on every backend, and its WebGPU dispatch count; the cosine schedule with
// warm-up against its formula.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { AdamW, SGD, clipGradNorm, cosineWithWarmup, CosineSchedule } from '../../src/optim/index.js';
import { allclose, backends, randArray, settleGC, throwsWith, type Dev } from '../helpers.js';

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

// PyTorch: coef = clamp(maxNorm / (norm + 1e-6), max=1), so an infinite norm scales by 0
// (an infinite gradient becomes NaN, the rest ±0) and a NaN norm makes every gradient NaN.
// The NaN sits in the middle of a gradient, and the kernel's min must not hide it.
test('clipGradNorm with a NaN or infinite gradient: the norm and every gradient as PyTorch', async () => {
  for (const dev of await backends()) {
    for (const special of [NaN, Infinity, -Infinity]) {
      const gs = SHAPES.map((s, i) => Float64Array.from(randArray(s.reduce((a, b) => a * b, 1), 40 + i), Math.fround));
      gs[1][77] = special;
      const params = SHAPES.map((s) => sg.zeros(s, { device: dev, requiresGrad: true }));
      params.forEach((p, i) => { p.grad = sg.tensor(gs[i], { shape: p.shape, device: dev }); });
      const norm = clipGradNorm(params, 1);
      const wantNorm = Number.isNaN(special) ? NaN : Infinity;
      allclose([await norm.item()], [wantNorm], {}, `norm with ${special} on ${dev}`);
      const coef = Number.isNaN(special) ? NaN : 0;
      for (let i = 0; i < params.length; i++) {
        allclose(await params[i].grad!.toArray(), gs[i].map((x) => x * coef), {}, `grad ${i} with ${special} on ${dev}`);
      }
      norm.dispose();
      params.forEach((p) => p.dispose());
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

// Sizes from 1 to ~20,000, none a multiple of the 256-wide workgroups; 11 gradients are more
// than one group of bindings on every adapter.
const MANY = [1, 7, 255, 257, 1000, 1025, 3, 4099, 19999, 13, 5003];

/** Sets seeded gradients on fresh zero parameters; returns the params and the grads' values as stored. */
async function withGrads(dev: Dev, sizes: number[], seed: number, scale: number, dtypes: Array<'float32' | 'float16'> = []): Promise<{ params: Tensor[]; gs: Float64Array[] }> {
  const params = sizes.map((n, i) => sg.zeros([n], { device: dev, dtype: dtypes[i] ?? 'float32', requiresGrad: true }));
  params.forEach((p, i) => { p.grad = sg.tensor(randArray(sizes[i], seed + i, -scale, scale), { device: dev, dtype: p.dtype as 'float32' | 'float16' }); });
  const gs = await Promise.all(params.map(async (p) => Float64Array.from(await p.grad!.toArray())));
  return { params, gs };
}

/** clip_grad_norm_ in float64 over the listed gradient values, in order. */
function reference(gs: Float64Array[], maxNorm: number): { norm: number; coef: number } {
  const norm = Math.sqrt(gs.reduce((a, g) => a + g.reduce((b, x) => b + x * x, 0), 0));
  return { norm, coef: Math.min(1, maxNorm / (norm + 1e-6)) };
}

test('clipGradNorm over 11 gradients of 1 to 19999 elements matches float64, clipping and not', async () => {
  for (const dev of await backends()) {
    for (const [maxNorm, clips] of [[5, true], [1e4, false]] as const) {
      const { params, gs } = await withGrads(dev, MANY, 100, 0.5);
      const want = reference(gs, maxNorm);
      if ((want.coef < 1) !== clips) throw new Error(`test setup: norm ${want.norm} with maxNorm ${maxNorm}`);
      const norm = clipGradNorm(params, maxNorm);
      if (norm.ndim !== 0 || norm.dtype !== 'float32') throw new Error(`norm must be a 0-d float32 tensor, got ${norm.dtype} ${norm.shape}`);
      allclose([await norm.item()], [want.norm], { rtol: 1e-5, atol: 0 }, `norm (maxNorm ${maxNorm}) on ${dev}`);
      for (let i = 0; i < params.length; i++) {
        allclose(await params[i].grad!.toArray(), gs[i].map((x) => x * want.coef), { rtol: 1e-5, atol: 1e-9 }, `grad ${i} (${MANY[i]} elements, maxNorm ${maxNorm}) on ${dev}`);
      }
      norm.dispose();
      params.forEach((p) => p.dispose());
    }
  }
});

// torch 2.14's clip_grad_norm_(params, 1.0, normType) for grads [3, -4, 12] and [[0.5, -7], [2, 1]].
const NORM_TYPES: Array<[number, number]> = [[Infinity, 12], [1, 29.5], [3, 12.94876480102539], [0.5, 168.04518127441406], [2, Math.sqrt(223.25)]];

test('clipGradNorm with normType Infinity, 1, 3, 0.5 and 2, as PyTorch; many gradients against float64', async () => {
  for (const dev of await backends()) {
    for (const [p, want] of NORM_TYPES) {
      const a = sg.zeros([3], { device: dev, requiresGrad: true });
      const b = sg.zeros([2, 2], { device: dev, requiresGrad: true });
      a.grad = sg.tensor([3, -4, 12], { device: dev });
      b.grad = sg.tensor([0.5, -7, 2, 1], { shape: [2, 2], device: dev });
      const norm = clipGradNorm([a, b], 1, p);
      allclose([await norm.item()], [want], { rtol: 1e-6, atol: 0 }, `norm of order ${p} on ${dev}`);
      const coef = 1 / (want + 1e-6);
      allclose(await a.grad.toArray(), [3, -4, 12].map((x) => x * coef), { rtol: 1e-6, atol: 0 }, `a.grad, order ${p} on ${dev}`);
      allclose(await b.grad.toArray(), [0.5, -7, 2, 1].map((x) => x * coef), { rtol: 1e-6, atol: 0 }, `b.grad, order ${p} on ${dev}`);
      [a, b, norm].forEach((t) => t.dispose());
    }
    // Many workgroups per gradient and many partials: against float64.
    for (const p of [Infinity, 3]) {
      const { params, gs } = await withGrads(dev, MANY, 300, 0.5);
      const norm = clipGradNorm(params, 1, p);
      const want = p === Infinity ? Math.max(...gs.map((g) => Math.max(...g.map(Math.abs)))) : gs.reduce((a, g) => a + g.reduce((q, x) => q + Math.abs(x) ** p, 0), 0) ** (1 / p);
      allclose([await norm.item()], [want], { rtol: 1e-5, atol: 0 }, `order ${p}, ${MANY.length} gradients on ${dev}`);
      const coef = Math.min(1, 1 / (want + 1e-6));
      for (let i = 0; i < params.length; i++) allclose(await params[i].grad!.toArray(), gs[i].map((x) => x * coef), { rtol: 1e-5, atol: 1e-9 }, `grad ${i}, order ${p} on ${dev}`);
      [...params, norm].forEach((t) => t.dispose());
    }
    // A NaN in a p-norm: WGSL's pow need not keep it (lavapipe's gave 0); torch: NaN.
    for (const p of [1, 0.5, 3]) {
      const a = sg.zeros([9], { device: dev, requiresGrad: true });
      a.grad = sg.tensor([1, 2, NaN, 4, Infinity, 0, 1, 2, 3], { device: dev });
      const n = clipGradNorm([a], 1, p);
      assert.ok(Number.isNaN(await n.item()), `NaN norm of order ${p} on ${dev}`);
      [a, n].forEach((t) => t.dispose());
    }
    // The max norm keeps a NaN (WGSL's max need not), in the middle of a big gradient.
    const { params, gs } = await withGrads(dev, [5003, 7], 400, 1);
    gs[0][2500] = NaN;
    params[0].grad = sg.tensor(gs[0], { device: dev });
    const norm = clipGradNorm(params, 1, Infinity);
    assert.ok(Number.isNaN(await norm.item()), `NaN max norm on ${dev}`);
    assert.ok((await params[1].grad!.toArray()).every(Number.isNaN), `every gradient NaN after a NaN max norm on ${dev}`);
    [...params, norm].forEach((t) => t.dispose());
  }
});

test('clipGradNorm: errorIfNonfinite throws before scaling on the CPU and is refused on WebGPU; a float16 norm for float16 grads', async () => {
  const a = sg.zeros([3], { requiresGrad: true, device: 'cpu' });
  for (const bad of [Infinity, NaN]) {
    a.grad = sg.tensor([1, bad, 2], { device: 'cpu' });
    throwsWith(() => clipGradNorm([a], 1, 2, true), new RegExp(`^clipGradNorm: the total norm of order 2 of the gradients is non-finite \\(${bad}\\)`));
    allclose(await a.grad.toArray(), [1, bad, 2], {}, `gradient left unscaled after the error (${bad})`);
  }
  a.grad = sg.tensor([3, -4, 12], { device: 'cpu' });
  allclose([await clipGradNorm([a], 1, 2, true).item()], [13], {}, 'a finite norm passes errorIfNonfinite');
  throwsWith(() => clipGradNorm([a], 1, 0), /^clipGradNorm: normType must be a number > 0 \(2, or Infinity for the max norm\), got 0/);
  throwsWith(() => clipGradNorm([a], 1, 2, 1 as unknown as boolean), /^clipGradNorm: errorIfNonfinite must be a boolean, got 1/);
  for (const dev of await backends()) {
    if (dev === 'webgpu') {
      const w = sg.zeros([3], { requiresGrad: true, device: dev });
      w.grad = sg.tensor([3, -4, 12], { device: dev });
      throwsWith(() => clipGradNorm([w], 1, 2, true), /^clipGradNorm: errorIfNonfinite needs the norm on the host/);
      allclose(await w.grad.toArray(), [3, -4, 12], {}, 'refused before scaling on webgpu');
      w.dispose();
    }
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) continue;
    const h = sg.zeros([3], { requiresGrad: true, device: dev, dtype: 'float16' });
    h.grad = sg.tensor([3, -4, 12], { device: dev, dtype: 'float16' });
    const n = clipGradNorm([h], 1);
    assert.is(n.dtype, 'float16', `float16 grads give a float16 norm (torch) on ${dev}`);
    allclose([await n.item()], [13], {}, `float16 norm on ${dev}`);
    [h, n].forEach((t) => t.dispose());
  }
});

test('clipGradNorm with float16 and float32 gradients mixed: the norm is accumulated in float32', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) continue;
    const dtypes = MANY.map((_, i) => (i % 3 === 1 ? 'float32' : 'float16') as 'float32' | 'float16');
    const { params, gs } = await withGrads(dev, MANY, 200, 1, dtypes);
    const want = reference(gs, 2);
    const norm = clipGradNorm(params, 2);
    allclose([await norm.item()], [want.norm], { rtol: 1e-5, atol: 0 }, `norm on ${dev}`);
    for (let i = 0; i < params.length; i++) {
      if (params[i].grad!.dtype !== dtypes[i]) throw new Error(`grad ${i} changed dtype to ${params[i].grad!.dtype}`);
      const tol = dtypes[i] === 'float16' ? { rtol: 1e-3, atol: 1e-7 } : { rtol: 1e-5, atol: 1e-9 };
      allclose(await params[i].grad!.toArray(), gs[i].map((x) => x * want.coef), tol, `${dtypes[i]} grad ${i} on ${dev}`);
    }
    norm.dispose();
    params.forEach((p) => p.dispose());
  }
});

test('clipGradNorm: gradients that are views of one buffer, one listed twice, act as separate tensors in order', async () => {
  for (const dev of await backends()) {
    const x = randArray(3000, 300, -1, 1).map(Math.fround);
    const flat = sg.tensor(x, { device: dev });
    const views = flat.split(150);
    // 21 gradients over one buffer: more than one uniform block's worth, and views[0] again
    // in the middle, which torch counts twice and scales twice.
    const grads = [...views.slice(0, 5), views[0], ...views.slice(5)];
    const params = grads.map(() => sg.zeros([150], { device: dev, requiresGrad: true }));
    params.forEach((p, i) => { p.grad = grads[i]; });
    const want = reference(grads.map((_, i) => x.subarray(150 * (i < 5 ? i : i === 5 ? 0 : i - 1), 150 * (i < 5 ? i + 1 : i === 5 ? 1 : i))), 1);
    const norm = clipGradNorm(params, 1);
    allclose([await norm.item()], [want.norm], { rtol: 1e-5, atol: 0 }, `norm on ${dev}`);
    const c = want.coef;
    allclose(await flat.toArray(), x.map((v, i) => v * (i < 150 ? c * c : c)), { rtol: 1e-5, atol: 1e-9 }, `clipped buffer on ${dev}`);
    norm.dispose();
    params.forEach((p) => { p.grad = null; p.dispose(); });
    views.forEach((v) => v.dispose());
    flat.dispose();
  }
});

test('clipGradNorm of 28 gradients costs a few WebGPU dispatches, not a few per gradient', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const sizes = Array.from({ length: 28 }, (_, i) => 1 + ((i * 977) % 3001));
  const { params, gs } = await withGrads('webgpu', sizes, 400, 1);
  const want = reference(gs, 1);
  for (let round = 0; round < 2; round++) {
    const before = sg.memory();
    const norm = clipGradNorm(params, 1e9);
    const after = sg.memory();
    // 4 groups of 7 or 8 gradients (as storage-buffer limits allow): 4 sum-of-squares, 1 norm, 4 scale.
    const n = after.dispatches - before.dispatches;
    if (n > 9) throw new Error(`clipGradNorm(28 params) recorded ${n} dispatches, expected at most 9`);
    if (round === 1 && after.pipelines !== before.pipelines) throw new Error(`a second call compiled ${after.pipelines - before.pipelines} pipelines`);
    allclose([await norm.item()], [want.norm], { rtol: 1e-5, atol: 0 }, 'norm');
    norm.dispose();
  }
  params.forEach((p) => p.dispose());
});

test('an integer gradient cannot be assigned, so clipGradNorm never sees one', async () => {
  for (const dev of await backends()) {
    const p = sg.zeros([3], { device: dev, requiresGrad: true });
    // An int32 gradient cannot be assigned (PyTorch's rule), so clipGradNorm never sees one.
    throwsWith(() => { p.grad = sg.tensor([1, 2, 3], { device: dev, dtype: 'int32' }); }, /^grad: assigned grad has dtype int32/);
    p.dispose();
  }
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
