// Helpers for module tests: a float64 CPU twin of a module, outputs and every gradient of
// one forward/backward, and gradcheck over a module's parameters.
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Module } from '../../src/nn/index.js';
import type { ParamOptions } from '../../src/nn/init.js';
import { allclose, randArray, type Dev, type Tol } from '../helpers.js';

type Arr = Float32Array | Int32Array | Float64Array;

/** A float64 CPU copy of `m` (same constructor through `make`, parameters copied over). */
export async function f64Twin<M extends Module>(m: M, make: (o: ParamOptions) => M): Promise<M> {
  const twin = make({ device: 'cpu', dtype: 'float64' });
  const sd: Record<string, Tensor> = {};
  for (const [name, p] of Object.entries(m.stateDict())) {
    sd[name] = sg.tensor(await p.toArray(), { shape: p.shape, device: 'cpu', dtype: 'float64' });
  }
  twin.loadStateDict(sd);
  for (const t of Object.values(sd)) t.dispose();
  return twin;
}

export interface Run { outs: Arr[]; inputGrads: Array<Arr | null>; paramGrads: Map<string, Arr | null> }

/**
 * Runs fwd (which returns the float outputs), back-propagates Σ_i ⟨out_i, G_i⟩ with seeded
 * G_i, and reads back outputs, input gradients and parameter gradients (by name).
 */
export async function runModule(m: Module, inputs: Tensor[], fwd: (...xs: Tensor[]) => Tensor[]): Promise<Run> {
  m.zeroGrad();
  const outs = fwd(...inputs);
  const loss = sg.tidy(() => {
    let total: Tensor | null = null;
    outs.forEach((o, i) => {
      const g = sg.tensor(randArray(o.numel, 50 + i), { shape: o.shape, device: o.device, dtype: o.dtype });
      const term = o.mul(g).sum();
      total = total ? total.add(term) : term;
    });
    return total!;
  });
  loss.backward();
  const run: Run = { outs: [], inputGrads: [], paramGrads: new Map() };
  for (const o of outs) run.outs.push(await o.toArray());
  for (const x of inputs) run.inputGrads.push(x.grad ? await x.grad.toArray() : null);
  for (const [name, p] of m.namedParameters()) run.paramGrads.set(name, p.grad ? await p.grad.toArray() : null);
  for (const o of [...outs, loss]) o.dispose();
  for (const x of inputs) { x.grad?.dispose(); x.grad = null; }
  m.zeroGrad();
  return run;
}

/** Asserts two runs agree: outputs, input gradients and parameter gradients. */
export function compareRuns(got: Run, want: Run, tol: Tol, what: string): void {
  got.outs.forEach((o, i) => allclose(o, want.outs[i], tol, `${what}: output ${i}`));
  got.inputGrads.forEach((g, i) => {
    const w = want.inputGrads[i];
    if ((g === null) !== (w === null)) throw new Error(`${what}: input ${i} grad is ${g ? 'set' : 'null'} but expected ${w ? 'set' : 'null'}`);
    if (g && w) allclose(g, w, tol, `${what}: input ${i} grad`);
  });
  for (const [name, w] of want.paramGrads) {
    const g = got.paramGrads.get(name);
    if (!g || !w) throw new Error(`${what}: missing gradient for ${name}`);
    allclose(g, w, tol, `${what}: ${name} grad`);
  }
}

/** Replaces the parameter at dotted `name` (e.g. `layers.0.weight`). */
function setParam(m: Module, name: string, t: Tensor): void {
  const path = name.split('.');
  let owner: object = m;
  for (const key of path.slice(0, -1)) owner = Reflect.get(owner, key) as object;
  Reflect.set(owner, path[path.length - 1], t);
}

/**
 * sg.gradcheck over a float64 CPU module's inputs and parameters: gradcheck hands fn fresh
 * float64 copies, which are swapped into the module for the call. Restores the parameters.
 */
export async function gradcheckModule(m: Module, inputs: Tensor[], fwd: (...xs: Tensor[]) => Tensor[], opts: sg.GradcheckOptions = {}): Promise<void> {
  const named = m.namedParameters();
  const n = inputs.length;
  try {
    await sg.gradcheck((...xs: Tensor[]) => {
      named.forEach(([name], i) => setParam(m, name, xs[n + i]));
      return fwd(...xs.slice(0, n));
    }, [...inputs, ...named.map(([, p]) => p)], opts);
  } finally {
    for (const [name, p] of named) setParam(m, name, p);
  }
}

/** Float data of a module's parameter, as float64. */
export async function paramData(m: Module, name: string): Promise<Float64Array> {
  const p = m.stateDict()[name];
  if (!p) throw new Error(`no parameter ${name}`);
  return Float64Array.from(await p.toArray());
}

export const F32: Tol = { rtol: 2e-4, atol: 2e-4 };

export type { Dev };

export interface ModuleCase<M extends Module> {
  what: string;
  dev: Dev;
  /** Builds the module; called with { device } and, for the twin, { device: 'cpu', dtype: 'float64' }. */
  make: (o: ParamOptions) => M;
  /** Inputs on `dev` (float ones with requiresGrad where their gradient is to be checked); the caller disposes them. */
  inputs: Tensor[];
  fwd: (m: M, ...xs: Tensor[]) => Tensor[];
  /** Plain float64 JS reference of the outputs, from the parameters (by name) and inputs. */
  ref?: (p: Record<string, Float64Array>, xs: Float64Array[]) => Float64Array[];
  tol?: Tol;
  /** Run sg.gradcheck on the float64 twin (done on the CPU pass only). */
  gradcheck?: boolean;
}

/**
 * The standard module check: outputs against the plain float64 reference; gradients (inputs
 * and parameters) against the float64 CPU twin's autograd, which gradcheck validates.
 */
export async function checkModule<M extends Module>(c: ModuleCase<M>): Promise<void> {
  const tol = c.tol ?? F32;
  const m = c.make({ device: c.dev });
  const got = await runModule(m, c.inputs, (...xs) => c.fwd(m, ...xs));
  const twin = await f64Twin(m, c.make);
  const inputs64: Tensor[] = [];
  for (const x of c.inputs) {
    const data = await x.toArray();
    const t = sg.tensor(data, { shape: x.shape, device: 'cpu', dtype: x.dtype === 'int32' ? 'int32' : 'float64' });
    if (x.requiresGrad) t.requiresGrad_();
    inputs64.push(t);
  }
  const want = await runModule(twin, inputs64, (...xs) => c.fwd(twin, ...xs));
  if (c.ref) {
    const params: Record<string, Float64Array> = {};
    for (const [name, p] of Object.entries(twin.stateDict())) params[name] = Float64Array.from(await p.toArray());
    const expected = c.ref(params, await Promise.all(inputs64.map(async (x) => Float64Array.from(await x.toArray()))));
    expected.forEach((e, i) => {
      allclose(want.outs[i], e, { rtol: 1e-10, atol: 1e-10 }, `${c.what}: float64 twin output ${i} vs reference`);
      allclose(got.outs[i], e, tol, `${c.what} on ${c.dev}: output ${i} vs reference`);
    });
  }
  compareRuns(got, want, tol, `${c.what} on ${c.dev}`);
  if (c.gradcheck && c.dev === 'cpu') await gradcheckModule(twin, inputs64, (...xs) => c.fwd(twin, ...xs));
  for (const t of inputs64) t.dispose();
  m.dispose();
  twin.dispose();
}
