// SGD and AdamW against updates computed by hand in float64 over several steps, on every
// backend: fused updates packed several parameters to a dispatch, in place, skipping
// parameters without a gradient, with state that round-trips through stateDict, and flat
// memory.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { SGD, AdamW, type Optimizer } from '../../src/optim/index.js';
import { roundF16 } from '../../src/tensor/dtype.js';
import { allclose, backends, numel, randArray, settleGC, throwsWith, type Dev } from '../helpers.js';

const test = suite('optimizers');

const SHAPES = [[7, 5], [33], [2, 3, 43]];
const STEPS = 5;
const f32 = (x: number): number => Math.fround(x);

/** Seeded parameters and, per step, gradients; parameter 1 gets no gradient at step 2. */
function problem(seed: number): { p0: Float64Array[]; grads: Array<Array<Float64Array | null>> } {
  const n = SHAPES.map((s) => s.reduce((a, b) => a * b, 1));
  const p0 = n.map((k, i) => Float64Array.from(randArray(k, seed + i), f32));
  const grads = Array.from({ length: STEPS }, (_, s) =>
    n.map((k, i) => (i === 1 && s === 2 ? null : Float64Array.from(randArray(k, seed + 100 * (s + 1) + i, -2, 2), f32))));
  return { p0, grads };
}

function makeParams(p0: Float64Array[], dev: Dev, dtype: 'float32' | 'float16' = 'float32'): Tensor[] {
  return p0.map((x, i) => sg.tensor(x, { shape: SHAPES[i], device: dev, dtype, requiresGrad: true }));
}

function setGrads(params: Tensor[], grads: Array<Float64Array | null>, dev: Dev): void {
  params.forEach((p, i) => {
    p.grad?.dispose();
    const g = grads[i];
    p.grad = g ? sg.tensor(g, { shape: p.shape, device: dev, dtype: p.dtype === 'float16' ? 'float16' : 'float32' }) : null;
  });
}

// ---- float64 references, written from PyTorch's documented algorithms ----

interface SgdCfg { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean }

/** The momentum buffer: null until the first step with a gradient (then it is that gradient). */
interface Buf { b: Float64Array | null }

function refSgd(p: Float64Array, g: Float64Array, buf: Buf, c: SgdCfg, round = (x: number): number => x): void {
  const mom = c.momentum ?? 0;
  const first = buf.b === null;
  if (mom !== 0 && first) buf.b = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    let d = g[i] + (c.weightDecay ?? 0) * p[i];
    if (mom !== 0) {
      const b = buf.b!;
      b[i] = first ? d : mom * b[i] + (1 - (c.dampening ?? 0)) * d;
      d = c.nesterov ? d + mom * b[i] : b[i];
    }
    p[i] = round(p[i] - c.lr * d);
  }
}

interface AdamCfg { lr: number; betas: [number, number]; eps: number; weightDecay: number }

function refAdamW(p: Float64Array, g: Float64Array, s: { m: Float64Array; v: Float64Array; t: number }, c: AdamCfg, round = (x: number): number => x): void {
  s.t++;
  const [b1, b2] = c.betas;
  for (let i = 0; i < p.length; i++) {
    p[i] *= 1 - c.lr * c.weightDecay;
    s.m[i] = b1 * s.m[i] + (1 - b1) * g[i];
    s.v[i] = b2 * s.v[i] + (1 - b2) * g[i] * g[i];
    const mhat = s.m[i] / (1 - b1 ** s.t);
    const vhat = s.v[i] / (1 - b2 ** s.t);
    p[i] = round(p[i] - (c.lr * mhat) / (Math.sqrt(vhat) + c.eps));
  }
}

async function expectParams(params: Tensor[], ref: Float64Array[], what: string, tol = { rtol: 1e-5, atol: 2e-6 }): Promise<void> {
  for (let i = 0; i < params.length; i++) allclose(await params[i].toArray(), ref[i], tol, `${what}: param ${i}`);
}

const SGD_CFGS: SgdCfg[] = [
  { lr: 0.1 },
  { lr: 0.1, weightDecay: 0.05 },
  { lr: 0.05, momentum: 0.9 },
  { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
  { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.02 },
];

test('SGD (momentum, dampening, nesterov, weight decay) matches float64 updates over several steps', async () => {
  for (const dev of await backends()) {
    for (const cfg of SGD_CFGS) {
      const { p0, grads } = problem(3);
      const params = makeParams(p0, dev);
      const opt = new SGD(params, cfg);
      const ref = p0.map((x) => Float64Array.from(x));
      const bufs: Buf[] = ref.map(() => ({ b: null }));
      for (let s = 0; s < STEPS; s++) {
        setGrads(params, grads[s], dev);
        opt.step();
        ref.forEach((p, i) => { const g = grads[s][i]; if (g) refSgd(p, g, bufs[i], cfg); });
        await expectParams(params, ref, `SGD ${JSON.stringify(cfg)} step ${s} on ${dev}`);
      }
      opt.zeroGrad();
      opt.dispose();
      params.forEach((p) => p.dispose());
    }
  }
});

test('AdamW matches float64 updates (per-parameter step counts, PyTorch order)', async () => {
  for (const dev of await backends()) {
    for (const cfg of [
      { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 },
      { lr: 3e-2, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1 },
    ] as AdamCfg[]) {
      const { p0, grads } = problem(17);
      const params = makeParams(p0, dev);
      const opt = new AdamW(params, cfg);
      const ref = p0.map((x) => Float64Array.from(x));
      const st = ref.map((x) => ({ m: new Float64Array(x.length), v: new Float64Array(x.length), t: 0 }));
      for (let s = 0; s < STEPS; s++) {
        setGrads(params, grads[s], dev);
        opt.step();
        ref.forEach((p, i) => { const g = grads[s][i]; if (g) refAdamW(p, g, st[i], cfg); });
        await expectParams(params, ref, `AdamW ${JSON.stringify(cfg)} step ${s} on ${dev}`);
      }
      const sd = opt.stateDict();
      if (sd.state[1].step !== STEPS - 1 || sd.state[0].step !== STEPS) throw new Error(`per-parameter steps: ${sd.state[0].step}, ${sd.state[1].step}`);
      allclose(await (sd.state[2].expAvg as Tensor).toArray(), st[2].m, { rtol: 1e-5, atol: 1e-7 }, `expAvg on ${dev}`);
      allclose(await (sd.state[2].expAvgSq as Tensor).toArray(), st[2].v, { rtol: 1e-5, atol: 1e-8 }, `expAvgSq on ${dev}`);
      opt.zeroGrad();
      opt.dispose();
      params.forEach((p) => p.dispose());
    }
  }
});

test('AdamW defaults are PyTorch\'s', () => {
  const p = sg.zeros([2], { device: 'cpu', requiresGrad: true });
  const opt = new AdamW([p]);
  const h = opt.stateDict().paramGroups[0];
  if (h.lr !== 1e-3 || JSON.stringify(h.betas) !== '[0.9,0.999]' || h.eps !== 1e-8 || h.weightDecay !== 1e-2) throw new Error(JSON.stringify(h));
  p.dispose();
});

test('float16 parameters update in f32 and round to half', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) continue;
    const { p0, grads } = problem(29);
    const h0 = p0.map((x) => x.map(roundF16));
    const hg = grads.map((gs) => gs.map((g) => g && g.map(roundF16)));
    const params = makeParams(h0, dev, 'float16');
    const cfg: AdamCfg = { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 };
    const opt = new AdamW(params, cfg);
    const ref = h0.map((x) => Float64Array.from(x));
    const st = ref.map((x) => ({ m: new Float64Array(x.length), v: new Float64Array(x.length), t: 0 }));
    for (let s = 0; s < STEPS; s++) {
      setGrads(params, hg[s], dev);
      opt.step();
      ref.forEach((p, i) => { const g = hg[s][i]; if (g) refAdamW(p, g, st[i], cfg, roundF16); });
    }
    if (params.some((p) => p.dtype !== 'float16')) throw new Error('parameters must stay float16');
    // one half ulp (2^-11 relative) of slack for the different rounding of the f32 steps
    await expectParams(params, ref, `float16 AdamW on ${dev}`, { rtol: 2e-3, atol: 2e-3 });
    opt.zeroGrad();
    opt.dispose();
    params.forEach((p) => p.dispose());
  }
});

/** Parameters per dispatch of a fused kernel whose parameters take `bindings` storage
 * bindings each (fused.ts: one more binding holds the step's scalars; at most 14). */
function perDispatch(bindings: number): number {
  return Math.min(14, Math.floor((sg.deviceInfo().limits.maxStorageBuffersPerShaderStage - 1) / bindings));
}

// 13 parameters of 1 to 5000 elements, none a multiple of 256: several dispatches' worth
// at 16 storage bindings per stage (lavapipe) or 8 (browsers). The last two are views of one allocation (they must not share a
// dispatch: Dawn rejects a buffer bound writable twice); from step 1 on, the gradients of
// parameters 0..5 are views of one flat tensor (one buffer bound read-only several times,
// at offsets), and parameter 4 has no gradient at step 1 (its step count falls behind).
const MANY = [[1], [7], [3, 5], [255], [257], [17, 31], [1000], [3, 333], [4999], [2, 1201], [129], [5000], [61, 7]];
const MANY_STEPS = 3;

function manyProblem(seed: number, round: (x: number) => number): { p0: Float64Array[]; grads: Array<Array<Float64Array | null>> } {
  const p0 = MANY.map((s, i) => Float64Array.from(randArray(numel(s), seed + i), round));
  const grads = Array.from({ length: MANY_STEPS }, (_, s) =>
    MANY.map((sh, i) => (i === 4 && s === 1 ? null : Float64Array.from(randArray(numel(sh), seed + 100 * (s + 1) + i, -2, 2), round))));
  return { p0, grads };
}

function makeMany(p0: Float64Array[], dev: Dev, dtype: 'float32' | 'float16'): Tensor[] {
  const n = MANY.length;
  const params = p0.slice(0, n - 2).map((x, i) => sg.tensor(x, { shape: MANY[i], device: dev, dtype, requiresGrad: true }));
  const [a, b] = [p0[n - 2], p0[n - 1]];
  const base = sg.tensor(Float64Array.from([...a, ...b]), { device: dev, dtype });
  const views = sg.tidy(() => [base.narrow(0, 0, a.length).view(MANY[n - 2]), base.narrow(0, a.length, b.length).view(MANY[n - 1])]);
  base.dispose();
  return [...params, ...views.map((v) => v.requiresGrad_())];
}

function setManyGrads(params: Tensor[], grads: Array<Float64Array | null>, dev: Dev, flat: boolean): void {
  const dtype = params[0].dtype === 'float16' ? 'float16' : 'float32';
  setGrads(params, grads, dev);
  if (!flat) return;
  const shared = [0, 1, 2, 3, 4, 5].filter((i) => grads[i]);
  const all = sg.tensor(Float64Array.from(shared.flatMap((i) => [...grads[i]!])), { device: dev, dtype });
  let at = 0;
  for (const i of shared) {
    const p = params[i];
    p.grad!.dispose();
    p.grad = sg.tidy(() => all.narrow(0, at, p.numel).view(p.shape));
    at += p.numel;
  }
  all.dispose();
}

type ManyCfg = { adamw: AdamCfg } | { sgd: SgdCfg };

/** Runs `cfg` over the MANY parameters for MANY_STEPS steps, checking parameters and state against float64. */
async function checkMany(dev: Dev, dtype: 'float32' | 'float16', cfg: ManyCfg): Promise<void> {
  const round = dtype === 'float16' ? roundF16 : f32;
  const { p0, grads } = manyProblem(61, round);
  const params = makeMany(p0, dev, dtype);
  const opt: Optimizer = 'adamw' in cfg ? new AdamW(params, cfg.adamw) : new SGD(params, cfg.sgd);
  const ref = p0.map((x) => Float64Array.from(x));
  const adam = ref.map((x) => ({ m: new Float64Array(x.length), v: new Float64Array(x.length), t: 0 }));
  const bufs: Buf[] = ref.map(() => ({ b: null }));
  const keepF16 = dtype === 'float16' ? roundF16 : undefined;
  // f16 parameters round every step, and a value near a rounding boundary may go either way
  const tol = dtype === 'float16' ? { rtol: 2e-3, atol: 2e-3 } : { rtol: 1e-5, atol: 2e-6 };
  for (let s = 0; s < MANY_STEPS; s++) {
    setManyGrads(params, grads[s], dev, s > 0);
    opt.step();
    ref.forEach((p, i) => {
      const g = grads[s][i];
      if (!g) return;
      if ('adamw' in cfg) refAdamW(p, g, adam[i], cfg.adamw, keepF16);
      else refSgd(p, g, bufs[i], cfg.sgd, keepF16);
    });
    await expectParams(params, ref, `${JSON.stringify(cfg)} ${dtype} step ${s} on ${dev}`, tol);
  }
  if (params.some((p) => p.dtype !== dtype)) throw new Error(`parameters must stay ${dtype}`);
  const sd = opt.stateDict();
  for (let i = 0; i < params.length; i++) {
    const want: Record<string, Float64Array> = 'adamw' in cfg ? { expAvg: adam[i].m, expAvgSq: adam[i].v } : bufs[i].b ? { momentumBuffer: bufs[i].b! } : {};
    for (const [name, x] of Object.entries(want)) {
      const t = sd.state[i][name];
      if (!(t instanceof sg.Tensor) || t.shape.join() !== params[i].shape.join() || t.dtype !== 'float32') throw new Error(`state ${name} of param ${i} on ${dev} must be a float32 tensor shaped like it`);
      // f32 state of values up to ~5 (momentum) carries ~5e-7 of rounding; f16 gradients and parameters more
      allclose(await t.toArray(), x, { rtol: 1e-5, atol: dtype === 'float16' ? 1e-3 : 2e-6 }, `${name} of param ${i}, ${JSON.stringify(cfg)} ${dtype} on ${dev}`);
    }
  }
  opt.zeroGrad();
  opt.dispose();
  params.forEach((p) => p.dispose());
}

const ADAM_MANY: AdamCfg = { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 };
const SGD_MANY: SgdCfg[] = [
  { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
  { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.02 },
  { lr: 0.1, weightDecay: 0.05 },
];

test('AdamW and SGD over 13 parameters of odd sizes, several to a dispatch, match float64 updates', async () => {
  for (const dev of await backends()) {
    await checkMany(dev, 'float32', { adamw: ADAM_MANY });
    for (const c of SGD_MANY) await checkMany(dev, 'float32', { sgd: c });
  }
});

test('float16 parameters and gradients, several to a dispatch, match float64 updates rounded to half', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) continue;
    await checkMany(dev, 'float16', { adamw: ADAM_MANY });
    await checkMany(dev, 'float16', { sgd: SGD_MANY[0] });
  }
});

test('one step over 28 parameters is a few dispatches, and a steady loop makes no bind groups', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const shapes = Array.from({ length: 28 }, (_, i) => (i % 2 ? [1 + ((i * 37) % 97)] : [1 + (i % 5), 3 + ((i * 53) % 211)]));
  const cases: Array<[string, (ps: Tensor[]) => Optimizer, number]> = [
    ['AdamW', (ps) => new AdamW(ps, { lr: 1e-2 }), 3], // gradient, parameter, both moments in one block
    ['SGD momentum', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }), 3],
    ['SGD', (ps) => new SGD(ps, { lr: 0.1, weightDecay: 1e-3 }), 2],
  ];
  for (const [name, make, bindings] of cases) {
    await settleGC();
    const start = sg.memory();
    const params = shapes.map((s, i) => sg.tensor(randArray(numel(s), 300 + i), { shape: s, device: 'webgpu', requiresGrad: true }));
    params.forEach((p, i) => { p.grad = sg.tensor(randArray(p.numel, 400 + i), { shape: p.shape, device: 'webgpu' }); });
    const opt = make(params);
    opt.step(); // makes the state
    opt.step(); // SGD's first-step flag is gone from here on
    await params[0].toArray();
    const before = sg.memory();
    opt.lr /= 2; // a schedule: the step's scalars change, the dispatches' uniforms must not
    opt.step();
    const one = sg.memory().dispatches - before.dispatches;
    const designed = Math.ceil(28 / perDispatch(bindings));
    if (one > designed || one >= 28) throw new Error(`${name}: one step over 28 parameters took ${one} dispatches, expected at most ${designed}`);
    for (let s = 0; s < 3; s++) {
      opt.lr /= 2;
      opt.step();
    }
    await params[0].toArray();
    const after = sg.memory();
    if (after.bindGroups !== before.bindGroups) throw new Error(`${name}: 4 steady steps created ${after.bindGroups - before.bindGroups} bind groups`);
    if (after.pipelines !== before.pipelines) throw new Error(`${name}: steady steps compiled ${after.pipelines - before.pipelines} pipelines`);
    opt.zeroGrad();
    opt.dispose();
    params.forEach((p) => p.dispose());
    const end = sg.memory();
    if (end.liveTensors !== start.liveTensors || end.bytesInUse !== start.bytesInUse) {
      throw new Error(`${name}: disposing the optimizer and parameters left memory: ${JSON.stringify(start)} -> ${JSON.stringify(end)}`);
    }
  }
});

test('a parameter past 4096 workgroups of elements is covered by strided chunks', async () => {
  // fused.ts gives a parameter at most 4096 workgroups of 256; past that each thread strides
  const shapes = [[3], [4096 * 256 + 300], [5]];
  for (const dev of await backends()) {
    const p0 = shapes.map((s, i) => Float64Array.from(randArray(numel(s), 700 + i), f32));
    const g0 = shapes.map((s, i) => Float64Array.from(randArray(numel(s), 800 + i), f32));
    const params = p0.map((x, i) => sg.tensor(x, { shape: shapes[i], device: dev, requiresGrad: true }));
    params.forEach((p, i) => { p.grad = sg.tensor(g0[i], { shape: shapes[i], device: dev }); });
    const opt = new SGD(params, { lr: 0.5 });
    opt.step();
    await expectParams(params, p0.map((x, i) => x.map((v, j) => v - 0.5 * g0[i][j])), `long parameter on ${dev}`);
    opt.zeroGrad();
    params.forEach((p) => p.dispose());
  }
});

test('a step packs parameters into few dispatches, in place, and memory stays flat', async () => {
  for (const dev of await backends()) {
    const { p0, grads } = problem(41);
    for (const make of [(ps: Tensor[]): Optimizer => new AdamW(ps, { lr: 1e-2 }), (ps: Tensor[]): Optimizer => new SGD(ps, { lr: 0.1, momentum: 0.9 })]) {
      const params = makeParams(p0, dev);
      const storages = params.map((p) => p.storage);
      const opt = make(params);
      setGrads(params, grads[0], dev);
      opt.step(); // allocates the state
      await params[0].toArray();
      await settleGC();
      const before = sg.memory();
      for (let s = 0; s < 10; s++) sg.tidy(() => opt.step()); // state made earlier must survive a tidy
      const after = sg.memory();
      const want = 10 * Math.ceil(params.length / perDispatch(3));
      if (dev === 'webgpu' && after.dispatches - before.dispatches !== want) {
        throw new Error(`expected ${want} dispatches, got ${after.dispatches - before.dispatches}`);
      }
      if (after.liveTensors !== before.liveTensors || after.bytesInUse !== before.bytesInUse) {
        throw new Error(`memory changed over 10 steps on ${dev}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
      }
      if (params.some((p, i) => p.storage !== storages[i] || p.disposed)) throw new Error('parameters must be updated in place');
      // a parameter whose grad is null is left alone, bit for bit
      const frozen = await params[2].toArray();
      params[2].grad!.dispose();
      params[2].grad = null;
      opt.step();
      allclose(await params[2].toArray(), frozen, { rtol: 0, atol: 0 }, 'skipped parameter');
      opt.zeroGrad();
      if (params.some((p) => p.grad !== null)) throw new Error('zeroGrad must set grads to null');
      opt.dispose();
      await settleGC();
      params.forEach((p) => p.dispose());
    }
  }
});

test('a contiguous parameter at an offset into its storage updates only its own elements', async () => {
  for (const dev of await backends()) {
    const base = sg.tensor(randArray(12, 5), { shape: [4, 3], device: dev });
    const before = await base.toArray();
    const p = base.narrow(0, 2, 2).requiresGrad_();
    const opt = new SGD([p], { lr: 0.5 });
    p.grad = sg.ones([2, 3], { device: dev });
    opt.step();
    const after = await base.toArray();
    const want = Float64Array.from(before, (v, i) => (i >= 6 ? f32(v - 0.5) : v));
    allclose(after, want, { rtol: 0, atol: 1e-7 }, `offset parameter on ${dev}`);
    opt.zeroGrad();
    p.dispose();
    base.dispose();
  }
});

test('stateDict / loadStateDict: a restored optimizer continues exactly like the original', async () => {
  for (const dev of await backends()) {
    const { p0, grads } = problem(53);
    for (const make of [(ps: Tensor[]): Optimizer => new AdamW(ps, { lr: 2e-2 }), (ps: Tensor[]): Optimizer => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true })]) {
      const a = makeParams(p0, dev);
      const optA = make(a);
      for (let s = 0; s < 3; s++) { setGrads(a, grads[s], dev); optA.step(); }
      const b = await Promise.all(a.map(async (p) => sg.tensor(await p.toArray(), { shape: p.shape, device: dev, requiresGrad: true })));
      const optB = make(b);
      optB.lr = 123;
      optB.loadStateDict(optA.stateDict());
      if (optB.lr !== optA.lr) throw new Error('loadStateDict must restore lr');
      optA.loadStateDict(optA.stateDict()); // loading its own dict must not free what it reads
      for (let s = 3; s < STEPS; s++) {
        setGrads(a, grads[s], dev); optA.step();
        setGrads(b, grads[s], dev); optB.step();
      }
      for (let i = 0; i < a.length; i++) allclose(await b[i].toArray(), await a[i].toArray(), { rtol: 0, atol: 0 }, `restored param ${i} on ${dev}`);
      const bad = optA.stateDict();
      bad.state[0] = { ...bad.state[0], expAvg: sg.zeros([3], { device: dev }), momentumBuffer: sg.zeros([3], { device: dev }) };
      throwsWith(() => optB.loadStateDict(bad), /loadStateDict/, /parameter 0/, /shape \[3\]/);
      (bad.state[0].expAvg as Tensor).dispose();
      (bad.state[0].momentumBuffer as Tensor).dispose();
      for (const o of [optA, optB]) { o.zeroGrad(); o.dispose(); }
      [...a, ...b].forEach((p) => p.dispose());
    }
  }
});

test('bad arguments throw naming the optimizer and the problem', async () => {
  const w = sg.zeros([3, 4], { device: 'cpu', requiresGrad: true });
  throwsWith(() => new SGD([w.T], { lr: 0.1 }), /SGD/, /not contiguous/);
  throwsWith(() => new SGD([w, w], { lr: 0.1 }), /more than once/);
  throwsWith(() => new SGD([w], { lr: 0.1, nesterov: true }), /nesterov needs momentum/);
  throwsWith(() => new SGD([w], { lr: -1 }), /lr must be/);
  throwsWith(() => new AdamW([w], { betas: [1, 0.9] }), /betas/);
  throwsWith(() => new AdamW([sg.zeros([2], { dtype: 'int32', device: 'cpu' })]), /floating point/);
  const v = sg.ones([2], { device: 'cpu', requiresGrad: true });
  const opt = new SGD([v, w], { lr: 0.1 });
  v.grad = sg.ones([2], { device: 'cpu' });
  // As in PyTorch, a gradient of the wrong shape or dtype cannot even be assigned.
  throwsWith(() => { w.grad = sg.zeros([4], { device: 'cpu' }); }, /^grad: assigned grad has shape \[4\] but the tensor has shape \[3, 4\]/);
  throwsWith(() => { w.grad = sg.zeros([3, 4], { device: 'cpu', dtype: 'int32' }); }, /^grad: assigned grad has dtype int32/);
  w.grad = sg.zeros([3, 4], { device: 'cpu' });
  w.grad.dispose();
  throwsWith(() => opt.step(), /SGD\.step/, /disposed/);
  if (Array.from(await v.toArray()).join() !== '1,1') throw new Error('a failed step must leave every parameter unchanged');
  opt.zeroGrad();
  w.dispose();
  v.dispose();
});

test('a non-contiguous gradient set by hand is used as its values', async () => {
  for (const dev of await backends()) {
    const p = sg.zeros([2, 3], { device: dev, requiresGrad: true });
    const opt = new SGD([p], { lr: 1 });
    p.grad = sg.tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2], device: dev }).T;
    opt.step();
    if (Array.from(await p.toArray()).join() !== '-1,-3,-5,-2,-4,-6') throw new Error(`got ${await p.toArray()} on ${dev}`);
    opt.zeroGrad();
    p.dispose();
  }
});

test.run();
