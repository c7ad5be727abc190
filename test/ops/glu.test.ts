// glu and gatedActivation on both backends against float64 references written here from
// the definitions (PyTorch's F.glu: a·sigmoid(b); ScatterMoE's GLUMLP: a·act(b)), forward and
// backward, with NaN and ±Inf planted in both halves, odd and empty sizes, every dim, views
// and float16; gradcheck in float64; the errors; one dispatch each way on WebGPU.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, backends, erfRef, randArray, spyDispatches, throwsBeforeWork, type Dev, type Tol } from '../helpers.js';

const test = suite('glu');
const N = NaN;
const I = Infinity;

// ---- float64 references ----

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

type Kind = 'glu' | 'silu' | 'gelu' | 'relu';
/** act and d act/dx applied to an upstream h (relu masks h where x <= 0, letting NaN through). */
const REF: Record<Kind, { f: (x: number) => number; df: (x: number, h: number) => number }> = {
  glu: { f: sig, df: (x, h) => h * sig(x) * (1 - sig(x)) },
  silu: { f: (x) => x * sig(x), df: (x, h) => h * sig(x) * (1 + x * (1 - sig(x))) },
  gelu: {
    f: (x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2)),
    df: (x, h) => h * (0.5 * (1 + erfRef(x / Math.SQRT2)) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI)),
  },
  relu: { f: (x) => (x > 0 || Number.isNaN(x) ? x : 0), df: (x, h) => (x <= 0 ? 0 : h) },
};

const strides = (s: readonly number[]): number[] => s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));

/** y and dx of `kind` on row-major x (shape) along dim, for upstream dy. */
function reference(kind: Kind, x: ArrayLike<number>, shape: number[], dim: number, dy: ArrayLike<number>): { y: Float64Array; dx: Float64Array } {
  const h = shape[dim] / 2;
  const ys = shape.map((s, i) => (i === dim ? h : s));
  const n = ys.reduce((a, b) => a * b, 1);
  const xst = strides(shape);
  const yst = strides(ys);
  const y = new Float64Array(n);
  const dx = new Float64Array(x.length);
  const { f, df } = REF[kind];
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < ys.length; d++) off += Math.floor(i / yst[d]) % ys[d] * xst[d];
    const [ia, ib] = [off, off + h * xst[dim]];
    // Every kind activates the second half, which gates the first.
    const [ip, iq] = [ib, ia];
    const [p, q, g] = [x[ip], x[iq], dy[i]];
    y[i] = f(p) * q;
    dx[ip] = df(p, g * q);
    dx[iq] = g * f(p);
  }
  return { y, dx };
}

const run = (kind: Kind, x: Tensor, dim: number): Tensor => (kind === 'glu' ? sg.glu(x, dim) : sg.gatedActivation(x, kind, dim));
const KINDS: Kind[] = ['glu', 'silu', 'gelu', 'relu'];

/** Seeded values in [-4, 4) rounded to f32, with NaN, ±Inf and 0 planted every 5th element from the 3rd. */
function withSpecials(n: number, seed: number): number[] {
  const x = Array.from(new Float32Array(randArray(n, seed, -4, 4)));
  const sp = [N, I, -I, 0];
  for (let i = 2, k = 0; i < n; i += 5, k++) x[i] = sp[k % 4];
  return x;
}

/** Runs kind on x (a view of `base`'s data in `shape` if given), checks y and dx against the reference. */
async function check(kind: Kind, dev: Dev, shape: number[], dim: number, xs: number[], tol: Tol, what: string, opts: { dtype?: 'float32' | 'float16'; transposed?: boolean } = {}): Promise<void> {
  const dtype = opts.dtype ?? 'float32';
  // The input as the op sees it: f16-rounded where the dtype is float16.
  const vals = Array.from(await sg.tensor(xs, { dtype, device: 'cpu' }).toArray());
  let leaf: Tensor;
  let x: Tensor;
  if (opts.transposed) {
    // x is the transpose of a contiguous [shape[1], shape[0]] tensor: a strided view.
    const [r, c] = shape;
    const tdata = Array.from({ length: r * c }, (_, k) => vals[(k % r) * c + Math.floor(k / r)]);
    leaf = sg.tensor(tdata, { shape: [c, r], dtype, device: dev, requiresGrad: true });
    x = leaf.transpose(0, 1);
    assert.ok(!x.isContiguous(), 'the transposed input is a strided view');
  } else {
    leaf = sg.tensor(vals, { shape, dtype, device: dev, requiresGrad: true });
    x = leaf;
  }
  const nd = dim < 0 ? dim + shape.length : dim;
  const ys = shape.map((s, i) => (i === nd ? s / 2 : s));
  const gvals = Array.from(await sg.tensor(Array.from(randArray(ys.reduce((a, b) => a * b, 1), 77)), { dtype, device: 'cpu' }).toArray());
  const dy = sg.tensor(gvals, { shape: ys, dtype, device: dev });
  const ref = reference(kind, vals, shape, nd, gvals);
  const y = run(kind, x, dim);
  assert.equal(y.shape, ys, `${what}: output shape`);
  assert.is(y.dtype, dtype, `${what}: output dtype`);
  allclose(await y.toArray(), ref.y, tol, `${what}: y`);
  y.backward(dy);
  let dx = Array.from(await leaf.grad!.toArray());
  if (opts.transposed) { const [r, c] = shape; dx = Array.from({ length: r * c }, (_, k) => dx[(k % c) * r + Math.floor(k / c)]); }
  allclose(dx, ref.dx, tol, `${what}: dx`);
  for (const t of [leaf, x, dy, y]) t.dispose();
}

const F32: Tol = { rtol: 2e-5, atol: 2e-6 };
const F16: Tol = { rtol: 2e-3, atol: 2e-3 };

const CASES: Array<{ shape: number[]; dim: number }> = [
  { shape: [4, 6], dim: -1 },
  { shape: [3, 10], dim: 1 }, // odd half
  { shape: [6, 5], dim: 0 }, // non-last dim
  { shape: [2, 6, 3], dim: 1 }, // middle dim
  { shape: [2, 3, 4], dim: -3 },
  { shape: [14], dim: 0 },
  { shape: [3, 130, 8], dim: 1 }, // several workgroups
  { shape: [1, 2], dim: -1 },
];

test('forward and backward match the float64 reference: NaN, ±Inf and 0 in both halves, odd sizes, every dim', async () => {
  for (const dev of await backends()) {
    for (const kind of KINDS) {
      for (const [ci, c] of CASES.entries()) {
        const n = c.shape.reduce((a, b) => a * b, 1);
        await check(kind, dev, c.shape, c.dim, withSpecials(n, 10 + ci), F32, `${kind} ${JSON.stringify(c)} on ${dev}`);
      }
    }
  }
});

test('the specials land in both halves of every case (so the cases above test both)', () => {
  for (const c of CASES) {
    const n = c.shape.reduce((a, b) => a * b, 1);
    if (n < 10) continue;
    const d = c.dim < 0 ? c.dim + c.shape.length : c.dim;
    const st = strides(c.shape)[d];
    const halves = new Set<boolean>();
    withSpecials(n, 0).forEach((v, i) => { if (!Number.isFinite(v)) halves.add(Math.floor(i / st) % c.shape[d] >= c.shape[d] / 2); });
    assert.is(halves.size, 2, `${JSON.stringify(c)}: non-finite values in both halves`);
  }
});

test("PyTorch's answers at the special values (sigmoid(-Inf) = 0, 0·Inf = NaN, relu(NaN) = NaN)", async () => {
  for (const dev of await backends()) {
    // glu along the last dim: a = [Inf, -Inf, NaN, 2, 0, 3], b = [-Inf, Inf, 1, NaN, Inf, -Inf]
    const g = sg.tensor([[I, -I, N, 2, 0, 3, -I, I, 1, N, I, -I]], { device: dev });
    allclose(Array.from(await sg.glu(g).toArray()), [N, -I, N, N, 0, 0], { rtol: 0, atol: 0 }, `glu specials on ${dev}`);
    // along dim 0: the halves are rows
    const g0 = sg.tensor([[0, 5], [-I, I]], { device: dev });
    allclose(Array.from(await sg.glu(g0, 0).toArray()), [0, 5], { rtol: 0, atol: 0 }, `glu dim 0 on ${dev}`);
    const r = sg.tensor([[1, 2, 0, I, I, -3, N, -I, I, -1, 0, 2]], { device: dev });
    allclose(Array.from(await sg.gatedActivation(r, 'relu').toArray()), [N, 0, N, N, N, -6], { rtol: 0, atol: 0 }, `relu specials on ${dev}`);
    const s = sg.tensor([[2, 0, 1, 3, -I, I, N, I]], { device: dev });
    allclose(Array.from(await sg.gatedActivation(s, 'silu').toArray()), [N, N, N, I], { rtol: 0, atol: 0 }, `silu specials on ${dev}`);
    // gelu(+Inf) is +Inf, as sg.gelu and PyTorch's scalar kernel have it (its vectorized one gives NaN).
    allclose(Array.from(await sg.gatedActivation(s, 'gelu').toArray()), [N, N, N, I], { rtol: 0, atol: 0 }, `gelu specials on ${dev}`);
    // glu's gradient: b = -Inf gives da = 0 and, with a = Inf, db = 0·Inf = NaN.
    const x = sg.tensor([[I, 1, -I, -I]], { device: dev, requiresGrad: true });
    sg.glu(x).backward(sg.ones([1, 2], { device: dev }));
    allclose(Array.from(await x.grad!.toArray()), [0, 0, N, 0], { rtol: 0, atol: 0 }, `glu grad specials on ${dev}`);
    for (const t of [g, g0, r, s, x]) t.dispose();
  }
});

test('strided views: a transposed input, and a narrowed one with an offset', async () => {
  for (const dev of await backends()) {
    for (const kind of KINDS) {
      for (const dim of [0, 1, -1]) {
        const shape = dim === 0 ? [6, 5] : [5, 8];
        await check(kind, dev, shape, dim, withSpecials(shape[0] * shape[1], 3), F32, `${kind} transposed dim ${dim} on ${dev}`, { transposed: true });
      }
      // narrow(1, 1, 6) of a [3, 9] tensor: offset 1, row stride 9; backward into the view too.
      const base = sg.tensor(Array.from(randArray(27, 5, -3, 3)), { shape: [3, 9], device: dev, requiresGrad: true });
      const v = base.narrow(1, 1, 6);
      const data = Array.from(await v.contiguous().toArray());
      const dy = Array.from(randArray(9, 6, -1, 1));
      const ref = reference(kind, data, [3, 6], 1, dy);
      const y = run(kind, v, -1);
      allclose(await y.toArray(), ref.y, F32, `${kind} narrowed on ${dev}`);
      y.backward(sg.tensor(dy, { shape: [3, 3], device: dev }));
      const g = Array.from(await base.grad!.toArray());
      allclose(g.filter((_, i) => i % 9 >= 1 && i % 9 < 7), ref.dx, F32, `${kind} narrowed dx on ${dev}`);
      assert.ok(g.every((x, i) => (i % 9 >= 1 && i % 9 < 7) || x === 0), `${kind} narrowed: no gradient outside the view on ${dev}`);
      for (const t of [base, v, y]) t.dispose();
    }
  }
});

test('empty tensors give empty results and gradients', async () => {
  for (const dev of await backends()) {
    for (const kind of KINDS) {
      for (const [shape, dim] of [[[2, 0, 6], -1], [[0, 4], 1], [[3, 0], 1], [[0, 2], 0]] as Array<[number[], number]>) {
        const x = sg.zeros(shape, { device: dev, requiresGrad: true });
        const y = run(kind, x, dim);
        const nd = dim < 0 ? dim + shape.length : dim;
        assert.equal(y.shape, shape.map((s, i) => (i === nd ? s / 2 : s)), `${kind} ${shape} on ${dev}`);
        assert.is(y.numel, 0);
        y.backward(sg.zeros(y.shape, { device: dev }));
        assert.equal(x.grad!.shape, shape);
        x.dispose();
        y.dispose();
      }
    }
  }
});

test('float16 computes in f32 and rounds once, on both backends', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) { console.log('# no shader-f16: float16 glu on WebGPU not checked'); continue; }
    for (const kind of KINDS) {
      await check(kind, dev, [4, 10], -1, withSpecials(40, 21), F16, `${kind} float16 on ${dev}`, { dtype: 'float16' });
      await check(kind, dev, [6, 5], 0, withSpecials(30, 22), F16, `${kind} float16 dim 0 on ${dev}`, { dtype: 'float16', transposed: true });
    }
  }
});

test('gradcheck (float64, CPU): both ops, every activation, a non-last dim and a transposed view', async () => {
  let seed = 300;
  for (const kind of KINDS) {
    for (const [shape, dim] of [[[3, 6], -1], [[4, 3], 0], [[2, 4, 3], 1]] as Array<[number[], number]>) {
      const x = sg.tensor(Array.from(randArray(shape.reduce((a, b) => a * b, 1), seed++, -2, 2)), { shape, dtype: 'float64', device: 'cpu', requiresGrad: true });
      await sg.gradcheck((t: Tensor) => run(kind, t, dim), [x]).catch((e: Error) => { throw new Error(`${kind} ${shape} dim ${dim}: ${e.message}`); });
      // The transposed view along its first even dim.
      const tdim = [shape[1], shape[0], ...shape.slice(2)].findIndex((v) => v % 2 === 0);
      await sg.gradcheck((t: Tensor) => run(kind, t.transpose(0, 1), tdim), [x]).catch((e: Error) => { throw new Error(`${kind} transposed ${shape}: ${e.message}`); });
      x.dispose();
    }
  }
});

test('errors name the op, the argument and the shape, before any work', async () => {
  for (const dev of await backends()) {
    const x = sg.zeros([2, 3], { device: dev });
    const s = sg.tensor(1, { device: dev });
    const i = sg.zeros([2, 4], { device: dev, dtype: 'int32' });
    const b = sg.zeros([2, 4], { device: dev }).gt(0);
    const ok = sg.zeros([2, 4], { device: dev });
    const odd0 = sg.zeros([3, 2], { device: dev });
    throwsBeforeWork('odd', () => sg.glu(x), [/^glu: /, /dim -1 must be even/, /size 3/, /\[2, ?3\]/]);
    throwsBeforeWork('odd dim 0', () => sg.glu(odd0, 0), [/^glu: /, /dim 0/, /size 3/, /\[3, ?2\]/]);
    throwsBeforeWork('0-d', () => sg.glu(s), [/^glu: /, /input of shape \[\]/, /0-dim/]);
    throwsBeforeWork('range', () => sg.glu(ok, 2), [/^glu: /, /dim 2 is out of range/, /\[2, ?4\]/, /-2 to 1/]);
    throwsBeforeWork('range neg', () => sg.glu(ok, -3), [/^glu: /, /dim -3 is out of range/]);
    throwsBeforeWork('dim type', () => sg.glu(ok, 0.5), [/^glu: /, /dim must be an integer/, /0\.5/]);
    throwsBeforeWork('int32', () => sg.glu(i), [/^glu: /, /dtype int32 is not supported/, /floating point/, /\[2, ?4\]/]);
    throwsBeforeWork('bool', () => sg.glu(b), [/^glu: /, /dtype bool/]);
    throwsBeforeWork('not a tensor', () => sg.glu([1, 2] as unknown as Tensor), [/^glu: input must be a Tensor/]);
    throwsBeforeWork('gated odd', () => sg.gatedActivation(x, 'silu'), [/^gatedActivation: /, /must be even/, /\[2, ?3\]/]);
    throwsBeforeWork('gated int', () => sg.gatedActivation(i, 'relu'), [/^gatedActivation: /, /int32/]);
    throwsBeforeWork('gated activation', () => sg.gatedActivation(ok, 'tanh' as 'silu'), [/^gatedActivation: activation must be 'silu', 'gelu' or 'relu'/, /tanh/]);
    for (const t of [x, s, i, b, ok, odd0]) t.dispose();
  }
});

test('WebGPU: one dispatch forward and one backward, views included', async () => {
  if (!(await backends()).includes('webgpu')) { console.log('# no WebGPU adapter: dispatch counts not checked'); return; }
  for (const kind of KINDS) {
    for (const [shape, dim, transposed] of [[[8, 12], -1, false], [[8, 12], 0, false], [[6, 10], -1, true]] as Array<[number[], number, boolean]>) {
      const leaf = sg.randn(transposed ? [shape[1], shape[0]] : shape, { seed: 1, device: 'webgpu', requiresGrad: true });
      const x = transposed ? leaf.transpose(0, 1).detach().requiresGrad_(true) : leaf;
      const nd = dim < 0 ? dim + shape.length : dim;
      const dy = sg.randn(shape.map((s, i) => (i === nd ? s / 2 : s)), { seed: 2, device: 'webgpu' });
      const spy = spyDispatches();
      const d0 = sg.memory().dispatches;
      const y = run(kind, x, dim);
      const d1 = sg.memory().dispatches;
      y.backward(dy);
      const d2 = sg.memory().dispatches;
      spy.restore();
      const what = `${kind} ${shape} dim ${dim}${transposed ? ' transposed' : ''}`;
      assert.is(d1 - d0, 1, `${what}: forward dispatches`);
      assert.is(d2 - d1, 1, `${what}: backward dispatches`);
      assert.ok(spy.keys.every((k) => k.startsWith('gated:')), `${what}: kernels ${spy.keys.join(', ')}`);
      assert.ok(x.grad && x.grad.shape.join() === shape.join(), `${what}: dx has x's shape`);
      for (const t of new Set([leaf, x, dy, y])) t.dispose();
    }
  }
});

test.run();
