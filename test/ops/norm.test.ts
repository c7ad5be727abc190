// layerNorm and rmsNorm (ops/norm.ts) on every backend: outputs against a float64 loop
// written here; every gradient (x, weight, bias) against central finite differences of that
// loop, in float64 JS, on both backends; sg.gradcheck on the CPU; float16; strided inputs;
// bad input; and the dispatch budget that is the reason these are fused Functions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { LayerNorm, RMSNorm } from '../../src/nn/index.js';
import { allclose, backends, centralDiff, throwsBeforeWork, randArray, throwsWith, type Dev, type Tol } from '../helpers.js';

// ---- float64 references ----

type Arr = ArrayLike<number>;

/** One row's output: ((x − mean) / √(var + eps)) · w + b, mean 0 for RMS, biased variance. */
function refRow(x: Arr, xo: number, n: number, eps: number, rms: boolean, w: Arr | null, b: Arr | null, out: Float64Array, oo: number): void {
  let mean = 0;
  if (!rms) {
    for (let j = 0; j < n; j++) mean += x[xo + j];
    mean /= n;
  }
  let v = 0;
  for (let j = 0; j < n; j++) v += (x[xo + j] - mean) ** 2;
  v /= n;
  for (let j = 0; j < n; j++) out[oo + j] = ((x[xo + j] - mean) / Math.sqrt(v + eps)) * (w ? w[j] : 1) + (b ? b[j] : 0);
}

function refNorm(x: Arr, n: number, eps: number, rms: boolean, w: Arr | null, b: Arr | null): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / n; r++) refRow(x, r * n, n, eps, rms, w, b, y, r * n);
  return y;
}

/**
 * Gradients of loss = Σ y·G by central differences of refNorm. A change to x moves only its
 * own row, so those differences cost one row each.
 */
function fdGrads(x: Float64Array, n: number, eps: number, rms: boolean, w: Float64Array | null, b: Float64Array | null, G: Arr): { dx: Float64Array; dw: Float64Array | null; db: Float64Array | null } {
  const h = 1e-6;
  const row = new Float64Array(n);
  const rowLoss = (r: number): number => {
    refRow(x, r * n, n, eps, rms, w, b, row, 0);
    let l = 0;
    for (let j = 0; j < n; j++) l += row[j] * G[r * n + j];
    return l;
  };
  const loss = (): number => {
    let l = 0;
    for (let r = 0; r < x.length / n; r++) l += rowLoss(r);
    return l;
  };
  const diff = (a: Float64Array, i: number, f: () => number): number => centralDiff(a, i, f, h);
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) dx[i] = diff(x, i, () => rowLoss(Math.floor(i / n)));
  const param = (p: Float64Array | null): Float64Array | null => p && Float64Array.from(p, (_, j) => diff(p, j, loss));
  return { dx, dw: param(w), db: param(b) };
}

// ---- running a case ----

interface Case { shape: number[]; rms: boolean; w: boolean; b: boolean; eps: number }

const fmt = (c: Case): string => `${c.rms ? 'rmsNorm' : 'layerNorm'} ${JSON.stringify(c.shape)}${c.w ? ' weight' : ''}${c.b ? ' bias' : ''} eps ${c.eps}`;

async function f64(t: Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.toArray());
}

const apply = (c: Case, x: Tensor, w: Tensor | null, b: Tensor | null): Tensor =>
  (c.rms ? sg.rmsNorm(x, w, c.eps) : sg.layerNorm(x, w, b, c.eps));

/**
 * Runs forward and backward of a case on `dev` and checks the output against refNorm and
 * every gradient against fdGrads, both computed from the exact values the backend holds.
 */
async function checkCase(dev: Dev, c: Case, seed: number, dtype: 'float32' | 'float16' = 'float32', tol?: { y: Tol; g: Tol }): Promise<void> {
  const n = c.shape[c.shape.length - 1];
  const numel = c.shape.reduce((a, s) => a * s, 1);
  const what = `${fmt(c)} ${dtype} on ${dev}`;
  const x = sg.tensor(randArray(numel, seed, -2, 3), { shape: c.shape, device: dev, dtype, requiresGrad: true });
  const w = c.w ? sg.tensor(randArray(n, seed + 1, 0.5, 1.5), { device: dev, dtype, requiresGrad: true }) : null;
  const b = c.b ? sg.tensor(randArray(n, seed + 2), { device: dev, dtype, requiresGrad: true }) : null;
  const g = sg.tensor(randArray(numel, seed + 3), { shape: c.shape, device: dev, dtype });
  const y = apply(c, x, w, b);
  assert.equal(y.shape, c.shape, what);
  assert.is(y.dtype, dtype, what);
  y.backward(g);
  const [xd, wd, bd, gd] = await Promise.all([f64(x), w && f64(w), b && f64(b), f64(g)]);
  const t = tol ?? (dtype === 'float16' ? { y: { rtol: 1e-2, atol: 1e-2 }, g: { rtol: 2e-2, atol: 2e-2 } } : { y: { rtol: 1e-5, atol: 2e-5 }, g: { rtol: 1e-4, atol: 1e-4 } });
  allclose(await y.toArray(), refNorm(xd, n, c.eps, c.rms, wd, bd), t.y, `${what}: output`);
  const want = fdGrads(xd, n, c.eps, c.rms, wd, bd, gd);
  assert.ok(x.grad && x.grad.dtype === dtype, `${what}: x.grad`);
  allclose(await x.grad.toArray(), want.dx, t.g, `${what}: x grad`);
  if (w) allclose(await w.grad!.toArray(), want.dw!, t.g, `${what}: weight grad`);
  if (b) allclose(await b.grad!.toArray(), want.db!, t.g, `${what}: bias grad`);
  for (const z of [x, w, b, g, y]) z?.dispose();
}

const CASES: Case[] = [
  { shape: [3, 37], rms: false, w: true, b: true, eps: 1e-5 },
  { shape: [2, 3, 130], rms: false, w: true, b: false, eps: 1e-5 },
  { shape: [300, 37], rms: false, w: true, b: true, eps: 1e-5 },
  { shape: [5, 130], rms: false, w: false, b: false, eps: 1e-3 },
  { shape: [4, 37], rms: false, w: false, b: true, eps: 0.1 },
  { shape: [37], rms: false, w: true, b: true, eps: 1e-5 },
  { shape: [3, 1], rms: false, w: true, b: true, eps: 1e-5 },
  { shape: [300, 37], rms: true, w: true, b: false, eps: 1e-6 },
  { shape: [2, 3, 130], rms: true, w: false, b: false, eps: 2 ** -23 },
  { shape: [6, 1], rms: true, w: true, b: false, eps: 1e-5 },
  // more rows than the GPU backward's 1024 row blocks: blocks of 3 rows, the last one short
  { shape: [2500, 3], rms: false, w: true, b: true, eps: 1e-5 },
  { shape: [2500, 3], rms: true, w: true, b: false, eps: 1e-5 },
];

test('layerNorm / rmsNorm: output and every gradient vs float64 reference and finite differences', async () => {
  for (const dev of await backends()) {
    let seed = 100;
    for (const c of CASES) await checkCase(dev, c, (seed += 10));
  }
});

test('more rows than one dispatch dimension holds (65535 workgroups)', async () => {
  for (const dev of await backends()) {
    // eps bounds the conditioning: among 66000 random pairs some are nearly equal, and with a
    // tiny eps their f32 statistics alone would miss the float64 reference's tolerance
    await checkCase(dev, { shape: [66000, 2], rms: false, w: true, b: true, eps: 1e-2 }, 7);
  }
});

test('gradcheck (CPU float64): x, weight and bias, with and without affine', async () => {
  const x = sg.tensor(randArray(15, 1, -2, 3), { shape: [3, 5], device: 'cpu' });
  const w = sg.tensor(randArray(5, 2, 0.5, 1.5), { device: 'cpu' });
  const b = sg.tensor(randArray(5, 3), { device: 'cpu' });
  await sg.gradcheck((xi, wi, bi) => sg.layerNorm(xi, wi, bi), [x, w, b]);
  await sg.gradcheck((xi, wi) => sg.layerNorm(xi, wi, null, 1e-3), [x, w]);
  await sg.gradcheck((xi, bi) => sg.layerNorm(xi, null, bi), [x, b]);
  await sg.gradcheck((xi) => sg.layerNorm(xi), [x]);
  await sg.gradcheck((xi, wi) => sg.rmsNorm(xi, wi, 1e-6), [x, w]);
  await sg.gradcheck((xi) => sg.rmsNorm(xi), [x]);
  // through a transposed (non-contiguous) input
  await sg.gradcheck((xi, wi) => sg.layerNorm(xi.transpose(0, 1), wi.narrow(0, 0, 3)), [x, w]);
  [x, w, b].forEach((t) => t.dispose());
});

test('strided inputs: transposed x, x at an offset, a strided weight; upstream grad a view', async () => {
  for (const dev of await backends()) {
    const n = 37;
    const base = sg.tensor(randArray(n * 6, 20, -2, 3), { shape: [n, 6], device: dev, requiresGrad: true });
    const wide = sg.tensor(randArray(2 * n, 21, 0.5, 1.5), { device: dev, requiresGrad: true });
    const b = sg.tensor(randArray(n, 22), { device: dev });
    const x = base.transpose(0, 1); // [6, 37], strides [1, 6]
    const w = wide.slice(0, 0, 2 * n, 2); // stride 2
    const y = sg.layerNorm(x, w, b);
    // y.transpose(...) makes the gradient reaching layerNorm a transposed view
    const gT = sg.tensor(randArray(n * 6, 23), { shape: [n, 6], device: dev });
    y.transpose(0, 1).backward(gT);
    const bd = await f64(base);
    const xd = Float64Array.from({ length: 6 * n }, (_, i) => bd[(i % n) * 6 + Math.floor(i / n)]);
    const gd0 = await f64(gT);
    const gd = Float64Array.from({ length: 6 * n }, (_, i) => gd0[(i % n) * 6 + Math.floor(i / n)]);
    const wd = Float64Array.from(await f64(wide)).filter((_, i) => i % 2 === 0);
    allclose(await y.toArray(), refNorm(xd, n, 1e-5, false, wd, await f64(b)), { rtol: 1e-5, atol: 2e-5 }, `${dev} transposed x: output`);
    const want = fdGrads(xd, n, 1e-5, false, wd, await f64(b), gd);
    const gx = await base.grad!.toArray();
    allclose(Float64Array.from({ length: 6 * n }, (_, i) => gx[(i % n) * 6 + Math.floor(i / n)]), want.dx, { rtol: 1e-4, atol: 1e-4 }, `${dev} transposed x: grad`);
    const gw = await wide.grad!.toArray();
    allclose(Array.from(gw).filter((_, i) => i % 2 === 0), want.dw!, { rtol: 1e-4, atol: 1e-4 }, `${dev} strided weight: grad`);
    assert.ok(Array.from(gw).every((v, i) => i % 2 === 0 || v === 0), `${dev}: weight's skipped elements get no gradient`);

    // rows 3..6 of a [10, 37] tensor: x starts at an offset into its buffer
    const big = sg.tensor(randArray(10 * n, 24, -2, 3), { shape: [10, n], device: dev });
    const part = big.narrow(0, 3, 4);
    const r = sg.rmsNorm(part, w);
    allclose(await r.toArray(), refNorm((await f64(big)).subarray(3 * n, 7 * n), n, 2 ** -23, true, wd, null), { rtol: 1e-5, atol: 2e-5 }, `${dev} x at an offset`);
    for (const t of [base, wide, b, x, w, y, gT, big, part, r]) t.dispose();
  }
});

test('float16 (where the backend has it): f16 in and out, f32 statistics', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) {
      console.log('# adapter lacks shader-f16: float16 norms checked on the CPU only');
      continue;
    }
    await checkCase(dev, { shape: [7, 37], rms: false, w: true, b: true, eps: 1e-5 }, 40, 'float16');
    await checkCase(dev, { shape: [3, 130], rms: true, w: true, b: false, eps: 1e-5 }, 50, 'float16');
    await checkCase(dev, { shape: [2, 37], rms: false, w: false, b: false, eps: 1e-5 }, 60, 'float16');
    // mixed: float32 x with float16 parameters computes in float32; each gradient keeps its input's dtype
    const x = sg.tensor(randArray(2 * 37, 61, -2, 3), { shape: [2, 37], device: dev, requiresGrad: true });
    const w = sg.tensor(randArray(37, 62, 0.5, 1.5), { device: dev, dtype: 'float16', requiresGrad: true });
    const y = sg.layerNorm(x, w);
    assert.is(y.dtype, 'float32');
    allclose(await y.toArray(), refNorm(await f64(x), 37, 1e-5, false, await f64(w), null), { rtol: 1e-5, atol: 2e-5 }, `${dev} mixed dtypes`);
    y.sum().backward();
    assert.is(w.grad!.dtype, 'float16');
    assert.is(x.grad!.dtype, 'float32');
    [x, w, y].forEach((t) => t.dispose());
  }
});

test('empty inputs; backward twice with retainGraph accumulates the same gradients', async () => {
  for (const dev of await backends()) {
    const w = sg.tensor(randArray(5, 70, 0.5, 1.5), { device: dev, requiresGrad: true });
    const x0 = sg.zeros([0, 5], { device: dev, requiresGrad: true });
    const y0 = sg.layerNorm(x0, w);
    assert.equal(y0.shape, [0, 5]);
    y0.backward(sg.zeros([0, 5], { device: dev }));
    assert.equal(Array.from(await w.grad!.toArray()), [0, 0, 0, 0, 0], `${dev}: no rows, zero weight grad`);
    const e = sg.layerNorm(sg.zeros([3, 0], { device: dev }), sg.zeros([0], { device: dev }));
    assert.equal(e.shape, [3, 0]);

    const x = sg.tensor(randArray(4 * 9, 71, -2, 3), { shape: [4, 9], device: dev, requiresGrad: true });
    const b = sg.tensor(randArray(9, 72), { device: dev, requiresGrad: true });
    const w9 = sg.tensor(randArray(9, 73, 0.5, 1.5), { device: dev, requiresGrad: true });
    const g = sg.tensor(randArray(36, 74), { shape: [4, 9], device: dev });
    const y = sg.layerNorm(x, w9, b);
    y.backward(g, { retainGraph: true });
    const once = await Promise.all([x, w9, b].map((t) => t.grad!.toArray()));
    y.backward(g);
    const twice = await Promise.all([x, w9, b].map((t) => t.grad!.toArray()));
    twice.forEach((t, i) => allclose(t, Array.from(once[i], (v) => 2 * v), { rtol: 1e-6, atol: 1e-6 }, `${dev} retainGraph input ${i}`));
    for (const t of [w, x0, y0, e, x, b, w9, g, y]) t.dispose();
  }
});

test('one dispatch forward, at most two backward (WebGPU)', async () => {
  const devs = await backends();
  if (!devs.includes('webgpu')) { console.log('# no WebGPU adapter: dispatch count not checked'); return; }
  const dev: Dev = 'webgpu';
  const [rows, n] = [64, 48];
  const count = async (what: string, fwd: () => Tensor, leaves: Tensor[], maxFwd: number, maxBwd: number): Promise<void> => {
    const g = sg.tensor(randArray(rows * n, 80), { shape: [rows, n], device: dev });
    for (const l of leaves) { l.grad?.dispose(); l.grad = null; } // no accumulation into old grads
    const d0 = sg.memory().dispatches;
    const y = fwd();
    const d1 = sg.memory().dispatches;
    y.backward(g);
    const d2 = sg.memory().dispatches;
    if (d1 - d0 > maxFwd) throw new Error(`${what}: forward recorded ${d1 - d0} dispatches, expected at most ${maxFwd}`);
    if (d2 - d1 > maxBwd) throw new Error(`${what}: backward recorded ${d2 - d1} dispatches, expected at most ${maxBwd}`);
    for (const l of leaves) assert.ok(l.grad, `${what}: every leaf got a gradient`);
    // the counted work is real: the output is the normalized input
    const x = Float64Array.from(await leaves[0].toArray());
    const ln = what.startsWith('LayerNorm') || what.startsWith('layerNorm');
    const w = leaves[1] ? Float64Array.from(await leaves[1].toArray()) : null;
    const b = ln && leaves[2] ? Float64Array.from(await leaves[2].toArray()) : null;
    allclose(await y.toArray(), refNorm(x, n, ln ? 1e-5 : 2 ** -23, !ln, w, b), { rtol: 1e-5, atol: 2e-5 }, what);
    y.dispose();
    g.dispose();
  };
  const x = sg.tensor(randArray(rows * n, 81, -2, 3), { shape: [rows, n], device: dev, requiresGrad: true });
  const w = sg.tensor(randArray(n, 82, 0.5, 1.5), { device: dev, requiresGrad: true });
  const b = sg.tensor(randArray(n, 83), { device: dev, requiresGrad: true });
  await count('layerNorm(x, w, b)', () => sg.layerNorm(x, w, b), [x, w, b], 1, 2);
  await count('rmsNorm(x, w)', () => sg.rmsNorm(x, w), [x, w], 1, 2);
  await count('layerNorm(x)', () => sg.layerNorm(x), [x], 1, 1);
  const ln = new LayerNorm(n, { device: dev });
  const rms = new RMSNorm(n, { device: dev });
  sg.noGrad(() => { ln.weight!.copy_(w); ln.bias!.copy_(b); rms.weight!.copy_(w); });
  await count('LayerNorm module', () => ln.forward(x), [x, ln.weight!, ln.bias!], 1, 2);
  await count('RMSNorm module', () => rms.forward(x), [x, rms.weight!], 1, 2);
  [x, w, b].forEach((t) => t.dispose());
  ln.dispose();
  rms.dispose();
});

test('nn.LayerNorm / nn.RMSNorm keep their parameters, names, shapes and eps', async () => {
  const ln = new LayerNorm(37, { device: 'cpu' });
  assert.equal(Object.entries(ln.stateDict()).map(([k, v]) => [k, v.shape]), [['weight', [37]], ['bias', [37]]]);
  assert.is(ln.eps, 1e-5);
  assert.equal(Object.keys(new LayerNorm(37, { device: 'cpu', bias: false }).stateDict()), ['weight']);
  assert.equal(Object.keys(new LayerNorm(37, { device: 'cpu', elementwiseAffine: false }).stateDict()), []);
  const rms = new RMSNorm(37, { device: 'cpu' });
  assert.equal(Object.entries(rms.stateDict()).map(([k, v]) => [k, v.shape]), [['weight', [37]]]);
  // None in PyTorch too: the default is picked by the input's dtype (float32's epsilon here).
  assert.is(rms.eps, null);
  const x = sg.tensor(randArray(2 * 37, 90, -2, 3), { shape: [2, 37], device: 'cpu' });
  allclose(await rms.forward(x).toArray(), refNorm(await f64(x), 37, 2 ** -23, true, null, null), { rtol: 1e-6, atol: 1e-6 }, 'RMSNorm default eps');
  throwsWith(() => ln.forward(sg.zeros([2, 5], { device: 'cpu' })), /^LayerNorm:/, /last dim 37/, /\[2, 5\]/);
  [ln, rms].forEach((m) => m.dispose());
});

// ---- bad input ----

test('bad input: an Error naming the op, the argument and the shapes, before any work', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor(randArray(2 * 37, 95), { shape: [2, 37], device: dev });
    const w = sg.tensor(randArray(37, 96), { device: dev });
    const w36 = sg.tensor(randArray(36, 97), { device: dev });
    const w2d = sg.tensor(randArray(37, 98), { shape: [37, 1], device: dev });
    const wi = sg.tensor(new Int32Array(37).fill(1), { device: dev, dtype: 'int32' });
    const xi = sg.tensor(new Int32Array(74).fill(1), { shape: [2, 37], device: dev, dtype: 'int32' });
    const s = sg.tensor(2.5, { device: dev });
    const dead = sg.tensor(randArray(74, 99), { shape: [2, 37], device: dev });
    dead.dispose();
    const rows: Array<[string, () => unknown, RegExp[]]> = [
      ['weight of the wrong length', () => sg.layerNorm(x, w36), [/^layerNorm:/, /weight/, /\[36\]/, /\[2, 37\]/, /\[37\]/]],
      ['2-D weight', () => sg.layerNorm(x, w, w2d), [/^layerNorm:/, /bias/, /\[37, 1\]/, /\[2, 37\]/]],
      ['rmsNorm weight of the wrong length', () => sg.rmsNorm(x, w36), [/^rmsNorm:/, /weight/, /\[36\]/, /\[2, 37\]/]],
      ['int32 input', () => sg.layerNorm(xi, w), [/^layerNorm:/, /input/, /int32/, /\[2, 37\]/]],
      ['int32 weight', () => sg.rmsNorm(x, wi), [/^rmsNorm:/, /weight/, /int32/]],
      ['0-d input', () => sg.layerNorm(s), [/^layerNorm:/, /input/, /\[\]/]],
      ['weight not a tensor', () => sg.layerNorm(x, [1, 2] as unknown as Tensor), [/^layerNorm:/, /weight/, /Tensor/]],
      ['input not a tensor', () => sg.rmsNorm(null as unknown as Tensor), [/^rmsNorm:/, /input/]],
      ['negative eps', () => sg.layerNorm(x, w, null, -1), [/^layerNorm:/, /eps/, /-1/]],
      ['NaN eps', () => sg.rmsNorm(x, w, NaN), [/^rmsNorm:/, /eps/]],
      ['eps not a number', () => sg.layerNorm(x, null, null, '1e-5' as unknown as number), [/^layerNorm:/, /eps/]],
      ['disposed input', () => sg.layerNorm(dead, w), [/^layerNorm:/, /disposed/]],
    ];
    const wc = dev === 'webgpu' ? sg.tensor(randArray(37, 100), { device: 'cpu' }) : null;
    if (wc) rows.push(['weight on another device', () => sg.layerNorm(x, wc), [/^layerNorm:/, /weight/, /cpu/, /webgpu/]]);
    for (const [name, run, pats] of rows) throwsBeforeWork(`${dev} ${name}`, run, pats);
    for (const t of [x, w, w36, w2d, wi, xi, s, wc]) t?.dispose();
  }
});

test.run();
