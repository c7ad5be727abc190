// Shared test helpers: the backends to run on, seeded random data, allclose with a
// readable failure message, and small float64 reference routines.
import * as sg from '../src/index.js';
import { runtime } from '../src/backend/runtime.js';
import { Generator } from '../src/tensor/create.js';
import type { Tensor } from '../src/index.js';
import type { KernelCall } from '../src/backend/webgpu.js';

export type Dev = 'cpu' | 'webgpu';

let ready: Promise<Dev[]> | null = null;

/**
 * The backends every spec runs on. WebGPU is required when SCATTERGRAD_REQUIRE_WEBGPU=1
 * (CI sets it): a missing adapter then fails the run instead of skipping the GPU half.
 */
export function backends(): Promise<Dev[]> {
  ready ??= (async () => {
    const info = await sg.init({ backend: 'auto', quiet: true });
    if (info.backend === 'webgpu') {
      console.log(`# WebGPU adapter: ${info.adapter}`);
      return ['cpu', 'webgpu'] as Dev[];
    }
    if (process.env.SCATTERGRAD_REQUIRE_WEBGPU === '1') {
      throw new Error('SCATTERGRAD_REQUIRE_WEBGPU=1 but no WebGPU adapter was found (install lavapipe: scripts/install-lavapipe.sh)');
    }
    console.log('# no WebGPU adapter: running the CPU backend only');
    return ['cpu'] as Dev[];
  })();
  return ready;
}

/** Uniform numbers in [lo, hi) from a seeded generator. */
export function randArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const g = new Generator(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * g.next());
}

export function randInts(n: number, seed: number, lo: number, hi: number): Int32Array {
  const g = new Generator(seed);
  return Int32Array.from({ length: n }, () => lo + Math.floor(g.next() * (hi - lo)));
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A tensor of seeded random values on `dev`. */
export function rt(shape: number[], seed: number, dev: Dev, opts: { lo?: number; hi?: number; requiresGrad?: boolean; dtype?: 'float32' | 'float16' } = {}): { t: Tensor; x: Float64Array } {
  const x = randArray(numel(shape), seed, opts.lo ?? -1, opts.hi ?? 1);
  const t = sg.tensor(x, { shape, device: dev, requiresGrad: opts.requiresGrad, dtype: opts.dtype });
  return { t, x: opts.dtype === 'float16' ? Float64Array.from(t.device === 'cpu' ? t.data : x) : Float64Array.from(new Float32Array(x)) };
}

export interface Tol { rtol?: number; atol?: number }

/** Asserts |actual - expected| <= atol + rtol·|expected| elementwise; NaNs must match. */
export function allclose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol = {}, what = 'values'): void {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-5;
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != expected ${expected.length}`);
  let worst = -1;
  let worstErr = 0;
  let bad = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!Number.isFinite(e) && a === e) continue;
    const err = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(err <= 0)) {
      bad++;
      if (worst < 0 || err > worstErr || Number.isNaN(err)) { worst = i; worstErr = err; }
    }
  }
  if (bad) {
    throw new Error(`${what}: ${bad}/${actual.length} elements differ; worst at ${worst}: got ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

/** ‖a − b‖ / ‖b‖ over the whole tensor (‖a − b‖ when b is all zeros). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2; }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

export function assertEqualArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, what = 'values'): void {
  allclose(actual, expected, { rtol: 0, atol: 0 }, what);
}

/** Asserts fn throws an Error whose message matches every pattern. */
/** A tensor's values as a plain array; the tensor is disposed. */
export async function arr(t: Tensor): Promise<number[]> {
  const a = Array.from(await t.toArray());
  t.dispose();
  return a;
}

export function throwsWith(fn: () => unknown, ...patterns: RegExp[]): void {
  let err: unknown = null;
  try { fn(); } catch (e) { err = e; }
  if (!(err instanceof Error)) throw new Error(`expected an Error matching ${patterns.join(', ')}, but nothing was thrown`);
  for (const p of patterns) if (!p.test(err.message)) throw new Error(`error message ${JSON.stringify(err.message)} does not match ${p}`);
}

export async function rejectsWith(fn: () => Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  let err: unknown = null;
  try { await fn(); } catch (e) { err = e; }
  if (!(err instanceof Error)) throw new Error(`expected a rejection matching ${patterns.join(', ')}, but it resolved`);
  for (const p of patterns) if (!p.test(err.message)) throw new Error(`error message ${JSON.stringify(err.message)} does not match ${p}`);
}

/** Default tolerances per backend: f32 on both, looser for float16. */
export function tolFor(dtype: 'float32' | 'float16' = 'float32'): Tol {
  return dtype === 'float16' ? { rtol: 1e-2, atol: 1e-2 } : { rtol: 1e-5, atol: 1e-5 };
}

/** Reference: strided/broadcast index helper. Calls f(outIndex, multiIndex). */
export function forEachIndex(shape: readonly number[], f: (i: number, idx: number[]) => void): void {
  const n = numel(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    f(i, idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

/** Reads x (row-major, shape `from`) at a broadcast multi-index of shape `to`. */
export function bcastGet(x: ArrayLike<number>, from: readonly number[], idx: readonly number[]): number {
  let off = 0;
  let stride = 1;
  for (let d = from.length - 1; d >= 0; d--) {
    const i = idx[idx.length - from.length + d];
    off += (from[d] === 1 ? 0 : i) * stride;
    stride *= from[d];
  }
  return x[off];
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    return x === 1 ? y : x;
  });
}

type Arr = Float32Array | Int32Array | Float64Array;

/**
 * Runs fn on `inputs`, back-propagates a seeded random upstream gradient, and returns the
 * output and every input's gradient as arrays. Run it once on the backend under test and
 * once on CPU float64 copies (f64Copies) to get reference gradients.
 */
export async function gradsOf(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], upstreamSeed = 99): Promise<{ out: Arr; grads: Array<Arr | null> }> {
  const y = fn(...inputs);
  const g = sg.tensor(randArray(y.numel, upstreamSeed), { shape: y.shape, device: y.device, dtype: y.dtype === 'float64' ? 'float64' : 'float32' });
  y.backward(g);
  const out = await y.toArray();
  const grads: Array<Arr | null> = [];
  for (const x of inputs) grads.push(x.grad ? await x.grad.toArray() : null);
  y.dispose();
  g.dispose();
  return { out, grads };
}

/** float64 CPU copies of tensors (requiresGrad kept for float inputs). */
export async function f64Copies(xs: Tensor[]): Promise<Tensor[]> {
  const out: Tensor[] = [];
  for (const x of xs) {
    const data = await x.toArray();
    const c = sg.tensor(data, { shape: x.shape, device: 'cpu', dtype: x.dtype === 'int32' ? 'int32' : 'float64' });
    if (x.requiresGrad) c.requiresGrad_(true);
    out.push(c);
  }
  return out;
}

/**
 * Runs the garbage collector and lets FinalizationRegistry callbacks fire, so that tensors
 * other tests forgot are counted out before a memory sample (npm test runs node with
 * --expose-gc; without it this only yields).
 */
export async function settleGC(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** a [B, M, K] · b [B, K, N], row-major, in float64: the reference product of the matmul tests. */
export function refBmm(x: ArrayLike<number>, y: ArrayLike<number>, B: number, M: number, K: number, N: number): Float64Array {
  const o = new Float64Array(B * M * N);
  for (let bi = 0; bi < B; bi++) {
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < K; k++) {
        const av = x[bi * M * K + m * K + k];
        const ob = bi * M * N + m * N;
        const yb = bi * K * N + k * N;
        for (let n = 0; n < N; n++) o[ob + n] += av * y[yb + n];
      }
    }
  }
  return o;
}

/** ∂f/∂a[i] by a central difference of step h, in float64 (a[i] is restored). */
export function centralDiff(a: Float64Array, i: number, f: () => number, h = 1e-6): number {
  const v = a[i];
  a[i] = v + h;
  const lp = f();
  a[i] = v - h;
  const lm = f();
  a[i] = v;
  return (lp - lm) / (2 * h);
}

/** `run` throws an Error matching every pattern, and queued no GPU work and left no tensor live first. */
export function throwsBeforeWork(what: string, run: () => unknown, patterns: RegExp[]): void {
  const before = sg.memory();
  throwsWith(run, ...patterns);
  const after = sg.memory();
  if (after.dispatches !== before.dispatches) throw new Error(`${what}: GPU work was queued before the error`);
  if (after.liveTensors !== before.liveTensors) throw new Error(`${what}: tensors left live after the error`);
}

/** Records the pipeline key of every dispatch on the WebGPU backend until `restore()`. */
export function spyDispatches(): { keys: string[]; restore: () => void } {
  const g = runtime.gpu!;
  const keys: string[] = [];
  const dispatch = g.dispatch;
  g.dispatch = (call) => { dispatch.call(g, call); keys.push(g.pipelineKey(call)); };
  return { keys, restore: () => { g.dispatch = dispatch; } };
}

/** Runs `fn` and returns the pipeline keys it dispatched (WebGPU), tuning suffixes included. */
export async function keysOf(fn: () => Promise<void>): Promise<Set<string>> {
  const g = runtime.gpu!;
  const keys = new Set<string>();
  const orig = g.dispatch;
  g.dispatch = function (this: typeof g, call: KernelCall) { orig.call(this, call); keys.add(g.pipelineKey(call)); };
  try { await fn(); } finally { g.dispatch = orig; }
  return keys;
}

/** erf in float64, independent of the library's: Simpson's rule on exp(−t²) over 2000 steps
 * (Abramowitz-Stegun would be too coarse for the tests' tolerances). */
export function erfRef(x: number): number {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? NaN : Math.sign(x);
  const n = 2000;
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
}

/** An input of a generated torch table ({ shape, dtype, data }): float32 ones require grad. */
export interface TorchInput { shape: number[]; dtype: 'float32' | 'int32' | 'bool'; data: number[] }
export function fromTorchInput(s: TorchInput, dev: Dev): Tensor {
  if (s.dtype === 'float32') return sg.tensor(s.data, { shape: s.shape, device: dev, requiresGrad: true });
  if (s.dtype === 'int32') return sg.tensor(new Int32Array(s.data), { shape: s.shape, device: dev });
  return sg.tensor(s.data, { shape: s.shape, device: dev }).bool();
}
