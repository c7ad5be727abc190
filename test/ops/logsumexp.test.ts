// logsumexp (ops/logsumexp.ts) on every backend: outputs against a float64 loop written here
// (any dim, several dims, keepdim, strided inputs, huge and infinite entries, empty rows);
// gradients against central finite differences of that loop on both backends and
// sg.gradcheck on the CPU; float16; bad input; and the one-dispatch budget each way that is
// the reason it is a fused Function.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, backends, centralDiff, throwsBeforeWork, forEachIndex, numel, randArray, throwsWith, type Dev, type Tol } from '../helpers.js';

// ---- float64 reference ----

/** torch.logsumexp's values: NaN if a NaN is present, +∞ if a +∞ is, −∞ for no finite and no +∞ entries. */
function refRow(v: number[]): number {
  if (v.some(Number.isNaN)) return NaN;
  if (v.includes(Infinity)) return Infinity;
  const finite = v.filter(Number.isFinite);
  if (finite.length === 0) return -Infinity;
  const m = Math.max(...finite);
  return m + Math.log(finite.reduce((s, x) => s + Math.exp(x - m), 0));
}

/** For each output (keepdim layout, row-major) the row-major indices of x it reduces over. */
function groupsOf(shape: number[], red: number[]): number[][] {
  const keep = shape.map((s, i) => (red.includes(i) ? 1 : s));
  const groups: number[][] = Array.from({ length: numel(keep) }, () => []);
  forEachIndex(shape, (i, idx) => {
    let o = 0;
    for (let d = 0; d < shape.length; d++) o = o * keep[d] + (red.includes(d) ? 0 : idx[d]);
    groups[o].push(i);
  });
  return groups;
}

/** logsumexp of x (row-major, `shape`) over `red`, in the keepdim layout (row-major). */
function refLse(x: ArrayLike<number>, shape: number[], red: number[]): Float64Array {
  return Float64Array.from(groupsOf(shape, red), (g) => refRow(g.map((i) => x[i])));
}

/** d(Σ lse·G)/dx by central differences of refRow (G in the keepdim layout); a change to x
 * moves only its own output, so each difference costs one row. */
function fdGrad(x: Float64Array, shape: number[], red: number[], G: ArrayLike<number>): Float64Array {
  const h = 1e-6;
  const dx = new Float64Array(x.length);
  groupsOf(shape, red).forEach((g, o) => {
    const row = (): number => refRow(g.map((i) => x[i]));
    for (const i of g) dx[i] = centralDiff(x, i, row, h) * G[o];
  });
  return dx;
}

const normRed = (dim: number | number[], nd: number): number[] =>
  (Array.isArray(dim) ? dim : [dim]).map((d) => (d < 0 ? d + Math.max(nd, 1) : d)).filter(() => nd > 0).sort((a, b) => a - b);

async function f64(t: Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.toArray());
}

// ---- forward and backward of a case against the reference ----

interface Case { shape: number[]; dim: number | number[]; keepdim: boolean }

const F32: { y: Tol; g: Tol } = { y: { rtol: 1e-5, atol: 1e-5 }, g: { rtol: 1e-4, atol: 1e-5 } };
const F16: { y: Tol; g: Tol } = { y: { rtol: 2e-3, atol: 2e-3 }, g: { rtol: 2e-2, atol: 2e-3 } };

async function checkCase(dev: Dev, c: Case, seed: number, dtype: 'float32' | 'float16' = 'float32'): Promise<void> {
  const what = `logsumexp ${JSON.stringify(c.shape)} dim ${JSON.stringify(c.dim)} keepdim ${c.keepdim} ${dtype} on ${dev}`;
  const red = normRed(c.dim, c.shape.length);
  const keep = c.shape.map((s, i) => (red.includes(i) ? 1 : s));
  const outShape = c.keepdim ? keep : c.shape.filter((_, i) => !red.includes(i));
  const x = sg.tensor(randArray(numel(c.shape), seed, -3, 3), { shape: c.shape, device: dev, dtype, requiresGrad: true });
  const g = sg.tensor(randArray(numel(outShape), seed + 1), { shape: outShape, device: dev, dtype });
  const y = sg.logsumexp(x, c.dim, c.keepdim);
  assert.equal(y.shape, outShape, what);
  assert.is(y.dtype, dtype, what);
  y.backward(g);
  const xd = await f64(x);
  const tol = dtype === 'float16' ? F16 : F32;
  allclose(await y.toArray(), refLse(xd, c.shape, red), tol.y, `${what}: output`);
  assert.ok(x.grad && x.grad.dtype === dtype, `${what}: x.grad dtype`);
  allclose(await x.grad.toArray(), fdGrad(xd, c.shape, red, await f64(g)), tol.g, `${what}: grad vs finite differences`);
  for (const t of [x, g, y]) t.dispose();
}

const CASES: Case[] = [
  { shape: [3, 37], dim: -1, keepdim: false },
  { shape: [3, 37], dim: 1, keepdim: true },
  { shape: [2, 5, 130], dim: 1, keepdim: false }, // a middle dim: strided rows
  { shape: [2, 5, 130], dim: 0, keepdim: true },
  { shape: [2, 5, 7], dim: [0, 2], keepdim: false }, // not one stride: copied first
  { shape: [2, 5, 7], dim: [1, 2], keepdim: true }, // collapses into one row of 35
  { shape: [37], dim: 0, keepdim: false },
  { shape: [4, 1], dim: -1, keepdim: false },
  { shape: [], dim: 0, keepdim: false },
];

test('forward and gradient vs float64 reference and finite differences, any dim, keepdim', async () => {
  for (const dev of await backends()) {
    let seed = 10;
    for (const c of CASES) await checkCase(dev, c, (seed += 10));
  }
});

test('more rows than one dispatch dimension holds (65535 workgroups)', async () => {
  for (const dev of await backends()) await checkCase(dev, { shape: [66000, 2], dim: 1, keepdim: false }, 3);
});

test('large, -inf, +inf and NaN entries: stable, and as torch.logsumexp', async () => {
  const I = Infinity;
  const rows = [
    [1000, 999, 1000.5, -I], // exp(1000) overflows without the max shift
    [-1000, -1001, -I, -1000.5], // and underflows to log(0) without it
    [-I, -I, -I, -I], // -inf, as torch
    [I, 1, 2, -I], // +inf
    [3, NaN, 1, 2],
    [0.5, -I, 2, 88], // 88: exp(88) is near float32's largest
  ];
  const want = refLse(rows.flat(), [6, 4], [1]);
  for (const dev of await backends()) {
    const x = sg.tensor(rows.flat(), { shape: [6, 4], device: dev, requiresGrad: true });
    const y = sg.logsumexp(x, 1);
    allclose(await y.toArray(), want, F32.y, `${dev}: special rows`);
    // along dim 0 of the transpose: the same rows read with stride 4
    const yt = sg.logsumexp(x.transpose(0, 1), 0, true);
    allclose(await yt.toArray(), want, F32.y, `${dev}: special rows, transposed`);
    // the gradient of a finite row is its softmax, with 0 at -inf entries
    y.backward(sg.ones([6], { device: dev }));
    const gx = await x.grad!.toArray();
    for (const r of [0, 1, 5]) {
      const sm = rows[r].map((v) => Math.exp(v - want[r]));
      allclose(gx.subarray(r * 4, r * 4 + 4), sm, F32.g, `${dev}: gradient of row ${r}`);
    }
    if (dev === 'cpu') {
      // torch's exp(x - lse) gives NaN where x - lse is inf - inf
      assert.ok(Array.from(gx.subarray(8, 12)).every(Number.isNaN), 'all -inf row: NaN gradient, as torch');
      assert.ok(Number.isNaN(gx[12]) && gx[13] === 0, '+inf row: NaN at the +inf, 0 elsewhere (torch)');
    }
    // reducing over an empty dim gives -inf, as torch
    const e = sg.logsumexp(sg.zeros([3, 0], { device: dev }), 1);
    assert.equal(Array.from(await e.toArray()), [-I, -I, -I], `${dev}: empty rows`);
    const e2 = sg.logsumexp(sg.zeros([0, 4], { device: dev }), 1, true);
    assert.equal(e2.shape, [0, 1]);
    for (const t of [x, y, yt, e, e2]) t.dispose();
  }
});

test('gradcheck (CPU float64), including a strided input and several dims', async () => {
  const x = sg.tensor(randArray(24, 5, -2, 2), { shape: [2, 3, 4], device: 'cpu' });
  await sg.gradcheck((xi) => sg.logsumexp(xi, -1), [x]);
  await sg.gradcheck((xi) => sg.logsumexp(xi, 1, true), [x]);
  await sg.gradcheck((xi) => sg.logsumexp(xi, [0, 2]), [x]);
  await sg.gradcheck((xi) => sg.logsumexp(xi.transpose(0, 2), 0), [x]);
  // composed with itself: the upstream gradient arrives through a broadcast
  await sg.gradcheck((xi) => sg.logsumexp(sg.logsumexp(xi, 2), 0), [x]);
  x.dispose();
});

test('float16 (where the backend has it): f16 in and out, f32 sums', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) {
      console.log('# adapter lacks shader-f16: float16 logsumexp checked on the CPU only');
      continue;
    }
    await checkCase(dev, { shape: [5, 130], dim: -1, keepdim: false }, 70, 'float16');
    await checkCase(dev, { shape: [3, 4, 5], dim: 1, keepdim: true }, 80, 'float16');
    const x = sg.tensor([1000, 999, -Infinity, 998], { shape: [1, 4], device: dev, dtype: 'float16' });
    allclose(await sg.logsumexp(x, 1).toArray(), refLse(await f64(x), [1, 4], [1]), F16.y, `${dev}: large float16 row`);
    x.dispose();
  }
});

test('backward twice with retainGraph accumulates the same gradient', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor(randArray(12, 90), { shape: [3, 4], device: dev, requiresGrad: true });
    const g = sg.tensor(randArray(3, 91), { device: dev });
    const y = sg.logsumexp(x, 1);
    y.backward(g, { retainGraph: true });
    const once = await x.grad!.toArray();
    y.backward(g);
    allclose(await x.grad!.toArray(), Array.from(once, (v) => 2 * v), { rtol: 1e-6, atol: 1e-7 }, `${dev} retainGraph`);
    for (const t of [x, g, y]) t.dispose();
  }
});

test('one dispatch forward, one backward (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) { console.log('# no WebGPU adapter: dispatch count not checked'); return; }
  for (const [shape, dim] of [[[64, 48], -1], [[4, 6, 5], 1]] as Array<[number[], number]>) {
    const x = sg.tensor(randArray(numel(shape), 95), { shape, device: 'webgpu', requiresGrad: true });
    const d0 = sg.memory().dispatches;
    const y = sg.logsumexp(x, dim);
    const d1 = sg.memory().dispatches;
    const g = sg.onesLike(y);
    const d2 = sg.memory().dispatches;
    y.backward(g);
    const d3 = sg.memory().dispatches;
    assert.ok(d1 - d0 <= 1, `logsumexp ${JSON.stringify(shape)} dim ${dim}: forward recorded ${d1 - d0} dispatches, expected at most 1`);
    assert.ok(d3 - d2 <= 1, `logsumexp ${JSON.stringify(shape)} dim ${dim}: backward recorded ${d3 - d2} dispatches, expected at most 1`);
    // the counted work is real
    const red = normRed(dim, shape.length);
    allclose(await y.toArray(), refLse(await f64(x), shape, red), F32.y, 'counted forward');
    allclose(await x.grad!.toArray(), fdGrad(await f64(x), shape, red, new Float64Array(y.numel).fill(1)), F32.g, 'counted backward');
    for (const t of [x, y, g]) t.dispose();
  }
});

// ---- bad input ----

test('bad input: an Error naming the op, the argument and the shape, before any work', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor(randArray(6, 99), { shape: [2, 3], device: dev });
    const dead = sg.tensor(randArray(6, 98), { shape: [2, 3], device: dev });
    dead.dispose();
    const rows: Array<[string, () => unknown, RegExp[]]> = [
      ['input not a tensor', () => sg.logsumexp([1, 2] as unknown as Tensor, 0), [/^logsumexp:/, /input/, /Tensor/]],
      ['dim out of range', () => sg.logsumexp(x, 2), [/^logsumexp:/, /dim 2/, /\[2, 3\]/]],
      ['dim repeated', () => sg.logsumexp(x, [1, -1]), [/^logsumexp:/, /dim 1/, /\[2, 3\]/]],
      ['dim missing', () => sg.logsumexp(x, undefined as unknown as number), [/^logsumexp:/, /dim/, /\[2, 3\]/]],
      ['dim empty', () => sg.logsumexp(x, []), [/^logsumexp:/, /dim/, /\[2, 3\]/]],
      ['dim not a number', () => sg.logsumexp(x, '1' as unknown as number), [/^logsumexp:/, /dim/, /\[2, 3\]/]],
      ['keepdim not a boolean', () => sg.logsumexp(x, 1, 1 as unknown as boolean), [/^logsumexp:/, /keepdim/]],
      ['disposed input', () => sg.logsumexp(dead, 1), [/^logsumexp:/, /disposed/]],
    ];
    for (const [name, run, pats] of rows) throwsBeforeWork(`${dev} ${name}`, run, pats);
    x.dispose();
  }
});

test.run();
