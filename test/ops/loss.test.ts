// crossEntropy (class indices and class probabilities, (N, C, d...) logits, labelSmoothing,
// ignoreIndex, weight), nllLoss, binaryCrossEntropy and binaryCrossEntropyWithLogits on both
// backends against float64 references written from PyTorch's formulas, with gradcheck on the
// CPU and WebGPU gradients against the CPU's.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, arr, backends, f64Copies, gradsOf, randArray, randInts, throwsBeforeWork, throwsWith } from '../helpers.js';

const test = suite('loss');
const f32 = (v: ArrayLike<number>): number[] => Array.from(new Float32Array(Array.from(v)));
type Red = 'mean' | 'sum' | 'none';
interface Opts { weight?: number[]; ignore?: number; ls?: number; reduction?: Red }

/** Row-major (N, C, inner) view of a logits shape; 1-D logits are one row. */
function dims(shape: number[]): [number, number, number] {
  if (shape.length === 1) return [1, shape[0], 1];
  return [shape[0], shape[1], shape.slice(2).reduce((a, b) => a * b, 1)];
}

/** log-softmax over the class dim of x (N, C, inner), float64. */
function logSoftmaxRef(x: number[], shape: number[]): number[] {
  const [N, C, K] = dims(shape);
  const out = new Array<number>(x.length);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const at = (c: number): number => n * C * K + c * K + k;
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, x[at(c)]);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(x[at(c)] - m);
      for (let c = 0; c < C; c++) out[at(c)] = x[at(c)] - m - Math.log(s);
    }
  }
  return out;
}

/** PyTorch's cross entropy for class indices, float64; `logp` true means x is already log-probabilities (nll). */
function ceIndexRef(x: number[], shape: number[], t: number[], o: Opts, logp = false): number[] {
  const [N, C, K] = dims(shape);
  const lp = logp ? x : logSoftmaxRef(x, shape);
  const ignore = o.ignore ?? -100;
  const ls = o.ls ?? 0;
  const w = (c: number): number => (o.weight ? o.weight[c] : 1);
  const nll: number[] = [];
  const smooth: number[] = [];
  let wsum = 0;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const ti = t[n * K + k];
      if (ti === ignore) { nll.push(0); smooth.push(0); continue; }
      nll.push(-w(ti) * lp[n * C * K + ti * K + k]);
      let s = 0;
      for (let c = 0; c < C; c++) s -= w(c) * lp[n * C * K + c * K + k];
      smooth.push(s);
      wsum += w(ti);
    }
  }
  const r = o.reduction ?? 'mean';
  const sum = (v: number[]): number => v.reduce((a, b) => a + b, 0);
  if (r === 'none') return nll.map((v, i) => (1 - ls) * v + (ls / C) * smooth[i]);
  if (r === 'sum') return [(1 - ls) * sum(nll) + (ls / C) * sum(smooth)];
  return [((1 - ls) * sum(nll)) / wsum + ((ls / C) * sum(smooth)) / wsum];
}

function ceProbRef(x: number[], shape: number[], t: number[], o: Opts): number[] {
  const [N, C, K] = dims(shape);
  const lp = logSoftmaxRef(x, shape);
  const ls = o.ls ?? 0;
  const losses: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let c = 0; c < C; c++) {
        const i = n * C * K + c * K + k;
        s -= (o.weight ? o.weight[c] : 1) * (t[i] * (1 - ls) + ls / C) * lp[i];
      }
      losses.push(s);
    }
  }
  const r = o.reduction ?? 'mean';
  const sum = losses.reduce((a, b) => a + b, 0);
  return r === 'none' ? losses : r === 'sum' ? [sum] : [sum / (N * K)];
}

/** Seeded class probabilities along dim 1 (each (n, k) column sums to 1). */
function probs(shape: number[], seed: number): number[] {
  const [N, C, K] = dims(shape);
  const r = randArray(N * C * K, seed, 0.05, 1);
  const out = new Array<number>(r.length);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += r[n * C * K + c * K + k];
      for (let c = 0; c < C; c++) out[n * C * K + c * K + k] = r[n * C * K + c * K + k] / s;
    }
  }
  return f32(out);
}

interface Case { name: string; shape: number[]; opts: Opts; prob?: boolean; ignoreAt?: number[] }
const CASES: Case[] = [
  { name: '[N, C] fused', shape: [5, 7], opts: {} },
  { name: '[N, C] sum', shape: [5, 7], opts: { reduction: 'sum' } },
  { name: '[N, C] ignoreIndex 2', shape: [6, 3], opts: { ignore: 2 } },
  { name: '[N, C] default ignoreIndex -100', shape: [6, 3], opts: {}, ignoreAt: [1, 4] },
  { name: '[N, C] weight none', shape: [5, 4], opts: { weight: [0.5, 2, 1, 0.25], reduction: 'none' } },
  { name: '[N, C] weight mean', shape: [5, 4], opts: { weight: [0.5, 2, 1, 0.25] } },
  { name: '[N, C] smoothing', shape: [5, 4], opts: { ls: 0.1 } },
  { name: '[N, C] smoothing weight ignore', shape: [6, 4], opts: { ls: 0.2, weight: [0.5, 2, 1, 0.25], ignore: 1 } },
  { name: '[N, C, d] mean', shape: [3, 5, 4], opts: {} },
  { name: '[N, C, d1, d2] everything', shape: [2, 3, 3, 5], opts: { ls: 0.15, weight: [1.5, 0.5, 1], ignore: 0, reduction: 'sum' } },
  { name: '[N, C, d] none', shape: [2, 3, 7], opts: { reduction: 'none', ignore: 2 } },
  { name: '[C]', shape: [6], opts: {} },
  { name: '[C] smoothing', shape: [6], opts: { ls: 0.3, reduction: 'none' } },
  { name: 'probabilities [N, C]', shape: [5, 7], opts: {}, prob: true },
  { name: 'probabilities [N, C] weight smoothing sum', shape: [4, 3], opts: { weight: [1, 2, 0.5], ls: 0.1, reduction: 'sum' }, prob: true },
  { name: 'probabilities [N, C, d] none', shape: [2, 4, 3], opts: { reduction: 'none', ls: 0.05 }, prob: true },
  { name: 'probabilities [C]', shape: [5], opts: {}, prob: true },
];

function optsOf(o: Opts, dev: 'cpu' | 'webgpu', dtype?: 'float64'): Parameters<typeof sg.crossEntropy>[2] {
  return {
    ...(o.reduction ? { reduction: o.reduction } : {}),
    ...(o.ls !== undefined ? { labelSmoothing: o.ls } : {}),
    ...(o.ignore !== undefined ? { ignoreIndex: o.ignore } : {}),
    ...(o.weight ? { weight: sg.tensor(o.weight, { device: dev, dtype }) } : {}),
  };
}

function targetOf(c: Case, seed: number): number[] {
  const [N, C, K] = dims(c.shape);
  if (c.prob) return probs(c.shape, seed);
  const t = Array.from(randInts(N * K, seed, 0, C));
  for (const i of c.ignoreAt ?? []) t[i] = -100;
  return t;
}

const tensorTarget = (c: Case, t: number[], dev: 'cpu' | 'webgpu'): Tensor => {
  const tshape = c.prob ? c.shape : c.shape.filter((_, i) => i !== (c.shape.length === 1 ? 0 : 1));
  return c.prob ? sg.tensor(t, { shape: tshape, device: dev }) : sg.tensor(Int32Array.from(t), { shape: tshape, device: dev });
};

test('crossEntropy matches PyTorch\'s formulas: indices, probabilities, (N, C, d...), options', async () => {
  let seed = 1;
  for (const dev of await backends()) {
    for (const c of CASES) {
      const x = f32(randArray(c.shape.reduce((a, b) => a * b, 1), seed++, -3, 3));
      const t = targetOf(c, seed++);
      const want = c.prob ? ceProbRef(x, c.shape, t, c.opts) : ceIndexRef(x, c.shape, t, c.opts);
      const y = sg.crossEntropy(sg.tensor(x, { shape: c.shape, device: dev }), tensorTarget(c, t, dev), optsOf(c.opts, dev));
      allclose(await arr(y), want, { rtol: 2e-5, atol: 2e-6 }, `${c.name} on ${dev}`);
    }
    // every target ignored: 'mean' is 0/0 = NaN, as PyTorch's
    const x = sg.tensor(f32(randArray(6, 3, -1, 1)), { shape: [2, 3], device: dev });
    const all = sg.tensor(new Int32Array([1, 1]), { device: dev });
    assert.ok(Number.isNaN((await arr(sg.crossEntropy(x, all, { ignoreIndex: 1 })))[0]), `all ignored on ${dev}`);
    allclose(await arr(sg.crossEntropy(x, all, { ignoreIndex: 1, reduction: 'sum' })), [0], {}, `all ignored sum on ${dev}`);
    // N = 0: mean is NaN, sum 0
    const e = sg.zeros([0, 3], { device: dev });
    assert.ok(Number.isNaN((await arr(sg.crossEntropy(e, sg.zeros([0, 3], { device: dev }))))[0]), `empty probabilities mean on ${dev}`);
    allclose(await arr(sg.crossEntropy(e, sg.tensor(new Int32Array(0), { device: dev }), { reduction: 'sum', ignoreIndex: 0 })), [0], {}, `empty sum on ${dev}`);
  }
});

test('float16 logits: the fused path and the general one', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) continue;
    const x = sg.tensor(f32(randArray(15, 77, -2, 2)), { shape: [5, 3], device: dev, dtype: 'float16' });
    const xv = Array.from(await x.toArray());
    const t = [0, 2, 1, 1, 0];
    const tt = sg.tensor(Int32Array.from(t), { device: dev });
    for (const o of [{}, { labelSmoothing: 0.1, ignoreIndex: 1 }] as Opts[]) {
      const y = sg.crossEntropy(x, tt, o as Parameters<typeof sg.crossEntropy>[2]);
      assert.is(y.dtype, 'float16');
      const ref = ceIndexRef(xv, [5, 3], t, { ls: (o as { labelSmoothing?: number }).labelSmoothing, ignore: (o as { ignoreIndex?: number }).ignoreIndex });
      allclose(await arr(y), ref, { rtol: 3e-3, atol: 3e-3 }, `f16 crossEntropy on ${dev}`);
    }
  }
});

test('nllLoss: weight, ignoreIndex, reductions, (N, C, d) and (C)', async () => {
  let seed = 200;
  for (const dev of await backends()) {
    for (const c of CASES.filter((k) => !k.prob && !k.opts.ls)) {
      const x = f32(randArray(c.shape.reduce((a, b) => a * b, 1), seed++, -4, 0));
      const t = targetOf(c, seed++);
      const o = optsOf(c.opts, dev) as { reduction?: Red; ignoreIndex?: number; weight?: Tensor };
      const y = sg.nllLoss(sg.tensor(x, { shape: c.shape, device: dev }), tensorTarget(c, t, dev), o);
      allclose(await arr(y), ceIndexRef(x, c.shape, t, c.opts, true), { rtol: 2e-5, atol: 2e-6 }, `nllLoss ${c.name} on ${dev}`);
    }
  }
});

test('crossEntropy and nllLoss gradients: gradcheck on the CPU, WebGPU against it', async () => {
  let seed = 300;
  for (const c of CASES) {
    const n = c.shape.reduce((a, b) => a * b, 1);
    const x = f32(randArray(n, seed++, -2, 2));
    const t = targetOf(c, seed++);
    const fn = (dev: 'cpu' | 'webgpu', f64 = false) => (xs: Tensor): Tensor => sg.crossEntropy(xs, tensorTarget(c, t, dev), optsOf(c.opts, dev, f64 ? 'float64' : undefined));
    await sg.gradcheck(fn('cpu', true), [sg.tensor(x, { shape: c.shape, device: 'cpu' })]);
    if (c.prob) {
      // the gradient wrt the probabilities too
      await sg.gradcheck((xs, ts) => sg.crossEntropy(xs, ts, optsOf(c.opts, 'cpu', 'float64')), [sg.tensor(x, { shape: c.shape, device: 'cpu' }), sg.tensor(t, { shape: c.shape, device: 'cpu' })]);
    }
    if ((await backends()).includes('webgpu')) {
      const g = sg.tensor(x, { shape: c.shape, device: 'webgpu', requiresGrad: true });
      const [cpu] = await f64Copies([g]);
      const got = await gradsOf(fn('webgpu'), [g]);
      const want = await gradsOf(fn('cpu', true), [cpu]);
      allclose(got.grads[0]!, want.grads[0]!, { rtol: 1e-4, atol: 1e-6 }, `${c.name} grad on webgpu`);
    }
  }
  const lp = sg.tensor(f32(randArray(12, 9, -3, -0.1)), { shape: [4, 3], device: 'cpu' });
  const tg = sg.tensor(new Int32Array([2, 0, 1, 2]), { device: 'cpu' });
  await sg.gradcheck((l, w) => sg.nllLoss(l, tg, { weight: w, ignoreIndex: 0 }), [lp, sg.tensor([0.5, 1, 2], { device: 'cpu' })]);
});

// ---- binary cross entropy ----

const clog = (v: number): number => Math.max(Math.log(v), -100);
const bceRef = (p: number, y: number): number => -(y * clog(p) + (1 - y) * clog(1 - p));
const logsig = (x: number): number => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
const bcelRef = (x: number, y: number, pw = 1): number => -(pw * y * logsig(x) + (1 - y) * logsig(-x));

function reduceRef(v: number[], r: Red): number[] {
  const s = v.reduce((a, b) => a + b, 0);
  return r === 'none' ? v : r === 'sum' ? [s] : [s / v.length];
}

test('every entry ignored: \'mean\' is NaN and the gradient is 0, as PyTorch\'s, on every path', async () => {
  for (const dev of await backends()) {
    const w = sg.tensor([0.6, 1.5], { device: dev });
    const cases: Array<[string, (x: Tensor, t: Tensor) => Tensor, number]> = [
      ['fused', (x, t) => sg.crossEntropy(x, t), -100],
      ['weight and ignoreIndex', (x, t) => sg.crossEntropy(x, t, { weight: w, ignoreIndex: 0 }), 0],
      ['label smoothing', (x, t) => sg.crossEntropy(x, t, { labelSmoothing: 0.2, ignoreIndex: 1 }), 1],
      ['nllLoss', (x, t) => sg.nllLoss(x, t, { ignoreIndex: 1 }), 1],
      ['nllLoss weight', (x, t) => sg.nllLoss(x, t, { weight: w }), -100],
    ];
    for (const [name, f, ig] of cases) {
      const x = sg.tensor([0.3, -1.2, 2.5, 0.1, -0.4, 0.9], { shape: [3, 2], device: dev, requiresGrad: true });
      const t = sg.tensor(new Int32Array([ig, ig, ig]), { device: dev });
      const loss = f(x, t);
      assert.ok(Number.isNaN((await loss.toArray())[0]), `${name}: mean of nothing is NaN on ${dev}`);
      loss.backward();
      assert.equal(await arr(x.grad!), [0, 0, 0, 0, 0, 0], `${name}: gradient on ${dev}`);
    }
  }
});

test('binaryCrossEntropy: clamped logs at 0 and 1, weight, reductions, PyTorch\'s gradient', async () => {
  for (const dev of await backends()) {
    const p = f32(randArray(15, 11, 0.02, 0.98));
    p[2] = 0; p[7] = 1;
    const y = f32(randArray(15, 12, 0, 1));
    y[2] = 1; y[7] = 1; y[4] = 0;
    const w = f32(randArray(5, 13, 0.5, 2));
    for (const r of ['mean', 'sum', 'none'] as Red[]) {
      const got = sg.binaryCrossEntropy(sg.tensor(p, { shape: [3, 5], device: dev }), sg.tensor(y, { shape: [3, 5], device: dev }), { reduction: r, weight: sg.tensor(w, { device: dev }) });
      allclose(await arr(got), reduceRef(p.map((v, i) => w[i % 5] * bceRef(v, y[i])), r), { rtol: 2e-5, atol: 2e-5 }, `bce ${r} on ${dev}`);
    }
    // PyTorch's gradient: (p - y)/max(p(1 - p), 1e-12) for p, log(1 - p) - log(p) for y
    const tp = sg.tensor([0, 1, 0.25, 0], { device: dev, requiresGrad: true });
    const ty = sg.tensor([1, 1, 0.5, 0], { device: dev, requiresGrad: true });
    sg.binaryCrossEntropy(tp, ty, { reduction: 'sum' }).backward();
    allclose(await tp.grad!.toArray(), [-1e12, 0, (0.25 - 0.5) / (0.75 * 0.25), 0], { rtol: 1e-6, atol: 0 }, `bce dp on ${dev}`);
    allclose(await ty.grad!.toArray(), [Infinity, -Infinity, Math.log(0.75 / 0.25), Infinity], { rtol: 1e-6, atol: 0 }, `bce dy on ${dev}`);
  }
  const p = sg.tensor(f32(randArray(12, 21, 0.1, 0.9)), { shape: [4, 3], device: 'cpu' });
  const y = sg.tensor(f32(randArray(12, 22, 0, 1)), { shape: [4, 3], device: 'cpu' });
  await sg.gradcheck((a, b, w) => sg.binaryCrossEntropy(a, b, { weight: w }), [p, y, sg.tensor([0.5, 1, 2], { device: 'cpu' })]);
  if ((await backends()).includes('webgpu')) {
    const g = [p, y].map((t) => sg.tensor(t.data, { shape: t.shape, device: 'webgpu', requiresGrad: true }));
    const cpu = await f64Copies(g);
    const fn = (a: Tensor, b: Tensor): Tensor => sg.binaryCrossEntropy(a, b);
    const got = await gradsOf(fn, g);
    const want = await gradsOf(fn, cpu);
    got.grads.forEach((gr, i) => allclose(gr!, want.grads[i]!, { rtol: 1e-5, atol: 1e-6 }, `bce grad ${i} on webgpu`));
  }
});

test('binaryCrossEntropyWithLogits: stable at large logits, posWeight, weight, NaN', async () => {
  for (const dev of await backends()) {
    const x = f32(randArray(14, 31, -6, 6));
    x[3] = 60; x[9] = -60;
    const y = f32(randArray(14, 32, 0, 1));
    const pw = [2, 0.5];
    const w = f32(randArray(14, 33, 0.5, 1.5));
    const tx = sg.tensor(x, { shape: [7, 2], device: dev });
    const ty = sg.tensor(y, { shape: [7, 2], device: dev });
    for (const r of ['mean', 'sum', 'none'] as Red[]) {
      allclose(await arr(sg.binaryCrossEntropyWithLogits(tx, ty, { reduction: r })), reduceRef(x.map((v, i) => bcelRef(v, y[i])), r), { rtol: 2e-5, atol: 2e-5 }, `bcel ${r} on ${dev}`);
    }
    const got = sg.binaryCrossEntropyWithLogits(tx, ty, { reduction: 'none', posWeight: sg.tensor(pw, { device: dev }), weight: sg.tensor(w, { shape: [7, 2], device: dev }) });
    allclose(await arr(got), x.map((v, i) => w[i] * bcelRef(v, y[i], pw[i % 2])), { rtol: 2e-5, atol: 2e-5 }, `bcel posWeight weight on ${dev}`);
    const n = sg.binaryCrossEntropyWithLogits(sg.tensor([0.5, NaN], { device: dev }), sg.tensor([1, 0], { device: dev }), { reduction: 'none' });
    const nv = await arr(n);
    allclose([nv[0]], [bcelRef(0.5, 1)], { rtol: 1e-6 }, `bcel finite on ${dev}`);
    assert.ok(Number.isNaN(nv[1]), `bcel NaN logit gives NaN on ${dev}`);
  }
  const x = sg.tensor(f32(randArray(10, 41, -4, 4)), { shape: [5, 2], device: 'cpu' });
  const y = sg.tensor(f32(randArray(10, 42, 0, 1)), { shape: [5, 2], device: 'cpu' });
  const fn = (a: Tensor, b: Tensor, p: Tensor): Tensor => sg.binaryCrossEntropyWithLogits(a, b, { posWeight: p, reduction: 'sum' });
  await sg.gradcheck(fn, [x, y, sg.tensor([1.5, 0.7], { device: 'cpu' })]);
  if ((await backends()).includes('webgpu')) {
    const g = [x, y, sg.tensor([1.5, 0.7], { device: 'cpu' })].map((t) => sg.tensor(t.data, { shape: t.shape, device: 'webgpu', requiresGrad: true }));
    const cpu = await f64Copies(g);
    const got = await gradsOf(fn, g);
    const want = await gradsOf(fn, cpu);
    got.grads.forEach((gr, i) => allclose(gr!, want.grads[i]!, { rtol: 1e-5, atol: 1e-6 }, `bcel grad ${i} on webgpu`));
  }
});

// ---- regression losses ----

// torch 2.14, float64, reduction 'none' and an upstream gradient of ones: [loss, d/dinput, d/dtarget].
const RX = [0.5, -1.5, 2, NaN, 3, -0.25, Infinity, 1, 0, -2.5, 0.7];
const RT = [0, 0.5, 1, 1, 1, -0.25, 1, 2, 0, 0, 0.2];
const R_TORCH: Record<string, number[][]> = {
  mse: [[0.25, 4, 1, NaN, 4, 0, Infinity, 1, 0, 6.25, 0.25], [1, -4, 2, NaN, 4, 0, Infinity, -2, 0, -5, 1], [-1, 4, -2, NaN, -4, 0, -Infinity, 2, 0, 5, -1]],
  l1: [[0.5, 2, 1, NaN, 2, 0, Infinity, 1, 0, 2.5, 0.5], [1, -1, 1, 0, 1, 0, 1, -1, 0, -1, 1], [-1, 1, -1, -0, -1, -0, -1, 1, -0, 1, -1]],
  smoothL1: [[0.125, 1.5, 0.5, NaN, 1.5, 0, Infinity, 0.5, 0, 2, 0.125], [0.5, -1, 1, NaN, 1, 0, 1, -1, 0, -1, 0.5], [-0.5, 1, -1, NaN, -1, 0, -1, 1, 0, 1, -0.5]],
  smoothL1Beta: [[0.25, 1.75, 0.75, NaN, 1.75, 0, Infinity, 0.75, 0, 2.25, 0.25], [1, -1, 1, NaN, 1, 0, 1, -1, 0, -1, 1], [-1, 1, -1, NaN, -1, 0, -1, 1, 0, 1, -1]],
  smoothL1Beta0: [[0.5, 2, 1, NaN, 2, 0, Infinity, 1, 0, 2.5, 0.5], [1, -1, 1, 0, 1, 0, 1, -1, 0, -1, 1], [-1, 1, -1, -0, -1, -0, -1, 1, -0, 1, -1]],
  huber: [[0.125, 1.5, 0.5, NaN, 1.5, 0, Infinity, 0.5, 0, 2, 0.125], [0.5, -1, 1, NaN, 1, 0, 1, -1, 0, -1, 0.5], [-0.5, 1, -1, NaN, -1, 0, -1, 1, 0, 1, -0.5]],
  huberDelta: [[0.125, 2, 0.5, NaN, 2, 0, Infinity, 0.5, 0, 3, 0.125], [0.5, -2, 1, NaN, 2, 0, 2, -1, 0, -2, 0.5], [-0.5, 2, -1, NaN, -2, 0, -2, 1, 0, 2, -0.5]],
};
const R_FNS: Record<string, (x: Tensor, t: Tensor, r?: Red) => Tensor> = {
  mse: (x, t, r = 'none') => sg.mseLoss(x, t, { reduction: r }),
  l1: (x, t, r = 'none') => sg.l1Loss(x, t, { reduction: r }),
  smoothL1: (x, t, r = 'none') => sg.smoothL1Loss(x, t, { reduction: r }),
  smoothL1Beta: (x, t, r = 'none') => sg.smoothL1Loss(x, t, { reduction: r, beta: 0.5 }),
  smoothL1Beta0: (x, t, r = 'none') => sg.smoothL1Loss(x, t, { reduction: r, beta: 0 }),
  huber: (x, t, r = 'none') => sg.huberLoss(x, t, { reduction: r }),
  huberDelta: (x, t, r = 'none') => sg.huberLoss(x, t, { reduction: r, delta: 2 }),
};

test('mseLoss, l1Loss, smoothL1Loss, huberLoss: values and both gradients as PyTorch, NaN, ±Inf and the kinks', async () => {
  for (const dev of await backends()) {
    for (const [name, [loss, gx, gt]] of Object.entries(R_TORCH)) {
      const x = sg.tensor(RX, { device: dev, requiresGrad: true });
      const t = sg.tensor(RT, { device: dev, requiresGrad: true });
      const y = R_FNS[name](x, t);
      y.backward(sg.onesLike(y));
      allclose(await y.toArray(), loss, { rtol: 1e-6, atol: 0 }, `${name} on ${dev}`);
      allclose(await x.grad!.toArray(), gx, { rtol: 1e-6, atol: 0 }, `${name} d/dinput on ${dev}`);
      allclose(await t.grad!.toArray(), gt, { rtol: 1e-6, atol: 0 }, `${name} d/dtarget on ${dev}`);
      [x, t, y].forEach((v) => v.dispose());
    }
    // Reductions: random values against float64, a broadcast target, an empty 'mean' (NaN).
    const xv = f32(randArray(37, 71, -3, 3));
    const tv = f32(randArray(37, 72, -3, 3));
    const [x, t] = [sg.tensor(xv, { device: dev }), sg.tensor(tv, { device: dev })];
    const d = xv.map((v, i) => v - tv[i]);
    const refs: Record<string, number[]> = {
      mse: d.map((v) => v * v), l1: d.map(Math.abs),
      smoothL1: d.map((v) => (Math.abs(v) < 1 ? 0.5 * v * v : Math.abs(v) - 0.5)),
      huberDelta: d.map((v) => (Math.abs(v) < 2 ? 0.5 * v * v : 2 * (Math.abs(v) - 1))),
    };
    for (const [name, ref] of Object.entries(refs)) {
      for (const r of ['mean', 'sum', 'none'] as const) {
        allclose(await arr(R_FNS[name](x, t, r)), reduceRef(ref, r), { rtol: 1e-5, atol: 1e-6 }, `${name} ${r} on ${dev}`);
      }
    }
    const b = sg.tensor([[1, 2], [3, 4]], { device: dev });
    allclose([await sg.mseLoss(b, sg.tensor([0.5, 1], { device: dev })).item()], [4.125], {}, `broadcast target on ${dev}`);
    allclose([await sg.huberLoss(b, sg.tensor([0.5, 1], { device: dev }), { reduction: 'sum', delta: 0.75 }).item()], [4.15625], {}, `huber sum on ${dev}`);
    const e = sg.zeros([0], { device: dev });
    assert.ok(Number.isNaN(await sg.mseLoss(e, e).item()), `empty mean is NaN on ${dev}`);
    assert.is(await sg.l1Loss(e, e, { reduction: 'sum' }).item(), 0, `empty sum is 0 on ${dev}`);
    [x, t, b, e].forEach((v) => v.dispose());
  }
  // Gradients away from the kinks, by finite differences in float64.
  const gx = sg.tensor(randArray(13, 73, -3, 3), { dtype: 'float64', device: 'cpu' });
  const gtt = sg.tensor(randArray(13, 74, -3, 3), { dtype: 'float64', device: 'cpu' });
  for (const name of Object.keys(R_FNS)) await sg.gradcheck((a, c) => R_FNS[name](a, c, 'mean'), [gx, gtt]);
});

test('regression losses: bad arguments throw naming the op and the argument, before any work', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([1, 2, 3], { device: dev });
    const i = sg.tensor(new Int32Array([1, 2, 3]), { device: dev });
    const w = sg.tensor([1, 2], { device: dev });
    // torch 2.14: an int32 operand promotes against a float one (0.625 and 0.5); two int32 are refused.
    throwsBeforeWork('int input and target', () => sg.mseLoss(i, i), [/^mseLoss: input \(int32, shape \[3\]\) and target \(int32\) promote to int32; one must be floating point/]);
    allclose([await sg.mseLoss(sg.tensor(new Int32Array([1, 2]), { device: dev }), sg.tensor([0.5, 1], { device: dev })).item()], [0.625], {}, `int input on ${dev}`);
    allclose([await sg.l1Loss(sg.tensor([1, 2], { device: dev }), sg.tensor(new Int32Array([1, 3]), { device: dev })).item()], [0.5], {}, `int target on ${dev}`);
    throwsBeforeWork('shapes', () => sg.mseLoss(x, w), [/^mseLoss: shapes \[3\] and \[2\] cannot be broadcast together/]);
    throwsBeforeWork('reduction', () => sg.huberLoss(x, x, { reduction: 'avg' as Red }), [/^huberLoss: reduction must be 'mean', 'sum' or 'none', got "avg"/]);
    throwsBeforeWork('beta', () => sg.smoothL1Loss(x, x, { beta: -1 }), [/^smoothL1Loss: beta must be a finite number >= 0, got -1/]);
    throwsBeforeWork('delta', () => sg.huberLoss(x, x, { delta: 0 }), [/^huberLoss: delta must be a finite number > 0, got 0/]);
    throwsBeforeWork('option', () => sg.mseLoss(x, x, { beta: 1 } as never), [/^mseLoss: unknown option 'beta'/]);
    [x, i, w].forEach((v) => v.dispose());
  }
});

test('bad arguments throw naming the op and the argument, before any work', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor(f32(randArray(12, 1, -1, 1)), { shape: [4, 3], device: dev });
    const t = sg.tensor(new Int32Array([0, 2, 1, 1]), { device: dev });
    const w2 = sg.tensor([1, 2], { device: dev });
    const tf = sg.tensor([0, 1, 0, 1], { device: dev });
    const p = sg.tensor([0.5, 0.5], { device: dev });
    throwsBeforeWork('ce weight', () => sg.crossEntropy(x, t, { weight: w2 }), [/^crossEntropy: weight must have shape \[3\]/]);
    throwsBeforeWork('ce smoothing', () => sg.crossEntropy(x, t, { labelSmoothing: 1.5 }), [/^crossEntropy: labelSmoothing must be a number from 0 to 1/]);
    throwsBeforeWork('ce ignoreIndex', () => sg.crossEntropy(x, t, { ignoreIndex: 0.5 }), [/^crossEntropy: ignoreIndex must be an integer/]);
    throwsBeforeWork('ce option', () => sg.crossEntropy(x, t, { smoothing: 0.1 } as never), [/^crossEntropy: unknown option 'smoothing'/]);
    throwsBeforeWork('ce float target shape', () => sg.crossEntropy(x, tf), [/^crossEntropy: target must be int32 class indices of shape \[4\] or float32 class probabilities of shape \[4, 3\]/]);
    throwsBeforeWork('nll float input', () => sg.nllLoss(t, t), [/^nllLoss: input must be a floating point tensor/]);
    throwsBeforeWork('nll target', () => sg.nllLoss(x, tf), [/^nllLoss: target must be an int32 tensor/]);
    throwsBeforeWork('nll reduction', () => sg.nllLoss(x, t, { reduction: 'avg' as 'mean' }), [/^nllLoss: reduction must be/]);
    throwsBeforeWork('bce shape', () => sg.binaryCrossEntropy(p, tf), [/^binaryCrossEntropy: target of shape \[4\] must have input's shape \[2\]/]);
    const ti = sg.tensor(new Int32Array([0, 1]), { device: dev });
    throwsBeforeWork('bce int target', () => sg.binaryCrossEntropy(p, ti), [/^binaryCrossEntropy: target must be a floating point tensor/]);
    ti.dispose();
    throwsBeforeWork('bcel posWeight', () => sg.binaryCrossEntropyWithLogits(x, x, { posWeight: w2 }), [/^binaryCrossEntropyWithLogits/, /posWeight|\[2\]/]);
    throwsBeforeWork('bcel option', () => sg.binaryCrossEntropyWithLogits(x, x, { pos_weight: w2 } as never), [/^binaryCrossEntropyWithLogits: unknown option 'pos_weight'/]);
    if (dev === 'cpu') {
      throwsWith(() => sg.binaryCrossEntropy(sg.tensor([0.5, 1.5], { device: dev }), p), /^binaryCrossEntropy: all elements of input should be between 0 and 1, got 1.5 at index 1/);
      // torch 2.14 refuses a target outside [0, 1] too.
      throwsWith(() => sg.binaryCrossEntropy(sg.tensor([0.5, 0.5], { device: dev }), sg.tensor([1, -0.5], { device: dev })), /^binaryCrossEntropy: all elements of target should be between 0 and 1, got -0.5 at index 1/);
      throwsWith(() => sg.crossEntropy(sg.zeros([2, 3, 2], { device: dev }), sg.tensor(new Int32Array([0, 3, 1, -100]), { shape: [2, 2], device: dev })), /^crossEntropy: target value 3 at index 1 is out of range for 3 classes/);
      throwsWith(() => sg.nllLoss(x, sg.tensor(new Int32Array([0, -100, 5, 1]), { device: dev })), /^nllLoss: target value 5 at index 2/);
    }
    [x, t, w2, tf, p].forEach((v) => v.dispose());
  }
});

test.run();
