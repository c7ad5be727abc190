// Builds ScatteredExperts problems (seeded, float32-representable values) and runs them on
// a backend: route with flattenSortCount, apply the op, back-propagate a seeded gradient.
import type { test } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { flattenSortCount, scatteredExperts } from '../../src/moe/index.js';
import { randArray, randInts, assertEqualArrays, allclose, relErr } from '../helpers.js';
import { roundF16 } from '../../src/tensor/dtype.js';
import { refSort, refForward, refBackward, outRows, type Problem, type Sorted } from './reference.js';

export type Dev = 'cpu' | 'webgpu';

/** With SCATTERGRAD_TIMING=1, prints how long each test of a suite took. */
export function timeTests(suite: typeof test): void {
  if (process.env.SCATTERGRAD_TIMING !== '1') return;
  let started = 0;
  suite.before.each(() => { started = performance.now(); });
  suite.after.each((ctx) => { console.log(`\n# ${((performance.now() - started) / 1000).toFixed(1)}s  ${ctx.__test__}`); });
}

export interface Config {
  T: number; k: number; E: number; dIn: number; dOut: number;
  groupedIn: boolean; groupedOut: boolean; gates: boolean; bias: boolean;
  /** Route only to even experts, leaving the odd ones empty. */
  sparse?: boolean;
  /** Pass the weights as W.permute([0, 2, 1]) of an (E, dOut, dIn) tensor. */
  transposedW?: boolean;
}

export const f32 = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));

/** Seeded uniform float32-representable numbers, quickly (mulberry32): the MLP grid needs
 * millions of weights, where the engine's generator via randArray is slow. */
export function fastRand(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const out = new Float64Array(n);
  const f = new Float32Array(1);
  let a = (seed * 0x9e3779b9) >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    f[0] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
    out[i] = f[0];
  }
  return out;
}

export function describe(c: Config): string {
  const flags = [c.groupedIn && 'groupedIn', c.groupedOut && 'groupedOut', c.gates && 'gates', c.bias && 'bias', c.sparse && 'sparse', c.transposedW && 'Wt'].filter(Boolean);
  return `T=${c.T} k=${c.k} E=${c.E} ${c.dIn}->${c.dOut}${flags.length ? ' ' + flags.join(',') : ''}`;
}

/** Every valid flag combination (gates need a scattered output). */
export function flagCombos(): Array<Pick<Config, 'groupedIn' | 'groupedOut' | 'gates' | 'bias'>> {
  const out = [];
  for (const groupedIn of [false, true]) {
    for (const groupedOut of [false, true]) {
      for (const gates of groupedOut ? [false] : [false, true]) {
        for (const bias of [false, true]) out.push({ groupedIn, groupedOut, gates, bias });
      }
    }
  }
  return out;
}

export function makeProblem(c: Config, seed: number): Problem {
  const n = c.T * c.k;
  const half = Math.ceil(c.E / 2);
  const choices = randInts(n, seed, 0, c.sparse ? half : c.E).map((e) => (c.sparse ? Math.min(2 * e, c.E - 1) : e));
  const scale = 1 / Math.sqrt(c.dIn); // nn.Linear-like, so outputs stay O(1)
  return {
    T: c.T, k: c.k, E: c.E, dIn: c.dIn, dOut: c.dOut, choices,
    x: f32(randArray((c.groupedIn ? n : c.T) * c.dIn, seed + 1)),
    w: f32(randArray(c.E * c.dIn * c.dOut, seed + 2, -scale, scale)),
    b: c.bias ? f32(randArray(c.E * c.dOut, seed + 3)) : null,
    gates: c.gates ? f32(randArray(n, seed + 4, 0, 1)) : null,
    groupedIn: c.groupedIn, groupedOut: c.groupedOut,
  };
}

/** (E, a, b) row-major -> (E, b, a) row-major. */
export function transpose3(w: ArrayLike<number>, E: number, a: number, b: number): Float64Array {
  const out = new Float64Array(E * a * b);
  for (let e = 0; e < E; e++) for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out[(e * b + j) * a + i] = w[(e * a + i) * b + j];
  return out;
}

export interface Inputs {
  x: Tensor; w: Tensor; wLeaf: Tensor; b: Tensor | null; gates: Tensor | null;
  idx: Tensor; sei: Tensor; sse: Tensor; off: Tensor;
  /** Runs the op on these inputs. */
  apply: () => Tensor;
  dispose: () => void;
}

/** The op's inputs on `dev` (dtype float64 allowed on the CPU), routed with flattenSortCount. */
export function inputsOn(dev: Dev, c: Config, P: Problem, dtype: 'float32' | 'float64' | 'float16' = 'float32'): Inputs {
  const n = c.T * c.k;
  const opt = { device: dev, dtype, requiresGrad: true } as const;
  const x = sg.tensor(P.x, { ...opt, shape: [c.groupedIn ? n : c.T, c.dIn] });
  const wLeaf = c.transposedW
    ? sg.tensor(transpose3(P.w, c.E, c.dIn, c.dOut), { ...opt, shape: [c.E, c.dOut, c.dIn] })
    : sg.tensor(P.w, { ...opt, shape: [c.E, c.dIn, c.dOut] });
  const w = c.transposedW ? wLeaf.permute([0, 2, 1]) : wLeaf;
  const b = P.b ? sg.tensor(P.b, { ...opt, shape: [c.E, c.dOut] }) : null;
  const gates = P.gates ? sg.tensor(P.gates, { ...opt, shape: [c.T, c.k] }) : null;
  const idx = sg.tensor(P.choices, { shape: [c.T, c.k], dtype: 'int32', device: dev });
  const r = flattenSortCount(idx, c.E);
  const apply = (): Tensor => scatteredExperts(x, w, c.k, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets,
    { gates, groupedIn: c.groupedIn, groupedOut: c.groupedOut, biases: b });
  const all = [x, wLeaf, w, b, gates, idx, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets];
  return {
    x, w, wLeaf, b, gates, idx, sei: r.sortedExpertIdxs, sse: r.sortedScatteredIdxs, off: r.expertOffsets, apply,
    dispose: () => { for (const t of all) t?.dispose(); },
  };
}

export interface Result {
  out: Float64Array;
  dx: Float64Array; dw: Float64Array; db: Float64Array | null; dgates: Float64Array | null;
}

const arr = async (t: Tensor | null): Promise<Float64Array | null> => (t ? Float64Array.from(await t.toArray()) : null);

/** Runs the op forward and backward (upstream gradient G) on `dev`; dw is in (E, dIn, dOut) layout.
 * For float16, P's values should already be half-representable. */
export async function runCase(dev: Dev, c: Config, P: Problem, S: Sorted, G: Float64Array, dtype: 'float32' | 'float16' = 'float32'): Promise<Result> {
  const I = inputsOn(dev, c, P, dtype);
  try {
    // The routing must be exactly the reference's.
    assertEqualArrays(await I.sse.toArray(), S.sse, `${dev} ${describe(c)} sortedScatteredIdxs`);
    assertEqualArrays(await I.off.toArray(), S.offsets, `${dev} ${describe(c)} expertOffsets`);
    const y = I.apply();
    const g = sg.tensor(G, { shape: y.shape, device: dev, dtype });
    y.backward(g);
    const dwRaw = (await arr(I.wLeaf.grad))!;
    const res: Result = {
      out: (await arr(y))!,
      dx: (await arr(I.x.grad))!,
      dw: c.transposedW ? transpose3(dwRaw, c.E, c.dOut, c.dIn) : dwRaw,
      db: await arr(I.b?.grad ?? null),
      dgates: await arr(I.gates?.grad ?? null),
    };
    y.dispose();
    g.dispose();
    return res;
  } finally {
    I.dispose();
  }
}

export function upstream(P: Problem, seed: number): Float64Array {
  return f32(randArray(outRows(P) * P.dOut, seed));
}

export { refSort };

/** Runs config `c` on WebGPU in `dtype` (inputs rounded to half for float16) and compares the
 * output and every gradient with the float64 reference. */
export async function checkWebgpu(c: Config, seed: number, dtype: 'float32' | 'float16', label: string): Promise<void> {
  const half = (a: Float64Array | null): Float64Array | null => (a && dtype === 'float16' ? a.map(roundF16) : a);
  const P0 = makeProblem(c, seed);
  const P = { ...P0, x: half(P0.x)!, w: half(P0.w)!, b: half(P0.b), gates: half(P0.gates) };
  const S = refSort(P.choices, c.E);
  const G = half(upstream(P, seed + 7))!;
  const want = refBackward(P, S, G);
  const got = await runCase('webgpu', c, P, S, G, dtype);
  const tol = dtype === 'float16' ? { rtol: 2e-2, atol: 2e-2 } : { rtol: 1e-4, atol: 1e-4 };
  const what = `webgpu ${dtype} ${label} ${describe(c)}`;
  const check = (got: Float64Array, ref: Float64Array, name: string): void => {
    allclose(got, ref, tol, `${what}: ${name}`);
    // Elementwise bounds loose enough for half-precision outliers would let a uniformly
    // slightly-wrong result through (a gate off by 1% does pass them); the error over the
    // whole tensor must also be what rounding alone gives: operands rounded to half once,
    // f32 accumulation, intermediates (gated rows) rounded to half once more.
    const e = relErr(got, ref);
    if (!(e <= REL_NORM[dtype])) throw new Error(`${what}: ${name}: |got - ref| / |ref| = ${e.toExponential(2)} > ${REL_NORM[dtype]}`);
  };
  check(got.out, refForward(P, S), 'output');
  check(got.dx, want.dx, 'dx');
  check(got.dw, want.dw, 'dW');
  if (c.bias) check(got.db!, want.db!, 'db');
  if (c.gates) check(got.dgates!, want.dgates!, 'dgates');
}

const REL_NORM = { float16: 2e-3, float32: 1e-5 };

export { keysOf } from '../helpers.js';
