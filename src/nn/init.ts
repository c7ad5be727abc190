// Making parameters: seeded initial values, a leaf that requires grad, owned by its module.
// Parameters are keep()-ed, so building a model inside tidy() does not dispose its weights;
// module.dispose() frees them.
import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import type { DeviceKind } from '../backend/storage.js';
import { full, rand, randn } from '../tensor/create.js';
import { keep, tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/grad-mode.js';

/** Where and how a module's parameters are made (PyTorch's factory kwargs, plus a seed). */
export interface ParamOptions {
  device?: DeviceKind;
  /** float32 by default; float64 (CPU only) is what the tests' reference modules use. */
  dtype?: DType;
  /** Seeds the initial values; without it they come from the global generator (sg.manualSeed). */
  seed?: number;
}

/** A seed for the i-th parameter or child of a module seeded with `seed`, so that siblings
 * draw unrelated streams (seed + i would make Linear(seed 0).bias equal Linear(seed 1).weight). */
export function childSeed(seed: number | undefined, i: number): number | undefined {
  if (seed === undefined) return undefined;
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (i + 1), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function param(make: () => Tensor): Tensor {
  return keep(noGrad(() => tidy(make))).requiresGrad_();
}

/** Uniform in [-bound, bound): PyTorch's Linear init with bound = 1/sqrt(fanIn). */
export function uniformParam(shape: number[], bound: number, o: ParamOptions, i: number): Tensor {
  return param(() => rand(shape, { seed: childSeed(o.seed, i), device: o.device, dtype: o.dtype }).mul(2 * bound).sub(bound));
}

/** Normal with mean 0 and standard deviation `std`. */
export function normalParam(shape: number[], std: number, o: ParamOptions, i: number): Tensor {
  return param(() => randn(shape, { seed: childSeed(o.seed, i), device: o.device, dtype: o.dtype }).mul(std));
}

export function constParam(shape: number[], value: number, o: ParamOptions): Tensor {
  return param(() => full(shape, value, { device: o.device, dtype: o.dtype }));
}

/** Checks a size argument of a module constructor. */
export function checkSize(module: string, arg: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${module}: ${arg} must be a positive integer, got ${String(v)}`);
}
