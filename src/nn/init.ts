// Making parameters: seeded initial values, a leaf that requires grad, owned by its module.
// Parameters are keep()-ed, so building a model inside tidy() does not dispose its weights;
// module.dispose() frees them.
import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import type { DeviceKind } from '../backend/storage.js';
import { full, rand, randn } from '../tensor/create.js';
import { isTensor, keep, tidy } from '../tensor/scope.js';
import { checkOptions, describe } from '../tensor/shape.js';
import { checkDType } from '../tensor/dtype.js';
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

/** A parameter made by `make`; an error (a size past the device's limit, say) names `owner`. */
function param(owner: string, make: () => Tensor): Tensor {
  try {
    return keep(noGrad(() => tidy(make))).requiresGrad_();
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(`${owner}:`) ? msg : `${owner}: ${msg}`);
  }
}

/** Uniform in [-bound, bound): PyTorch's Linear init with bound = 1/sqrt(fanIn). */
export function uniformParam(owner: string, shape: number[], bound: number, o: ParamOptions, i: number): Tensor {
  return param(owner, () => rand(shape, { seed: childSeed(o.seed, i), device: o.device, dtype: o.dtype }).mul(2 * bound).sub(bound));
}

/** Normal with mean 0 and standard deviation `std`. */
export function normalParam(owner: string, shape: number[], std: number, o: ParamOptions, i: number): Tensor {
  return param(owner, () => randn(shape, { seed: childSeed(o.seed, i), device: o.device, dtype: o.dtype }).mul(std));
}

export function constParam(owner: string, shape: number[], value: number, o: ParamOptions): Tensor {
  return param(owner, () => full(shape, value, { device: o.device, dtype: o.dtype }));
}

/** Checks a size argument of a module constructor. */
export function checkSize(module: string, arg: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${module}: ${arg} must be a positive integer, got ${describe(v)}`);
}

/** What a module option may hold, beyond device, dtype and seed. */
export type OptionKind = 'boolean' | 'positive' | 'nonnegative' | 'probability' | 'string' | 'tensor';

/**
 * Checks a module's options: undefined or a plain object whose keys are ParamOptions' or
 * `extra`'s, each of the right kind. A typo'd key would otherwise be ignored without a word.
 */
export function checkModuleOptions<T extends object>(module: string, opts: unknown, extra: Record<string, OptionKind> = {}): T {
  const o = checkOptions(module, opts, ['device', 'dtype', 'seed', ...Object.keys(extra)]);
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (k === 'device') { if (v !== 'cpu' && v !== 'webgpu') throw new Error(`${module}: device must be 'cpu' or 'webgpu', got ${describe(v)}`); continue; }
    if (k === 'dtype') { checkDType(module, 'dtype', v); continue; }
    if (k === 'seed') { if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`${module}: seed must be an integer, got ${describe(v)}`); continue; }
    const kind = extra[k];
    const ok = kind === 'boolean' ? typeof v === 'boolean'
      : kind === 'positive' ? typeof v === 'number' && v > 0 && Number.isFinite(v)
        : kind === 'nonnegative' ? typeof v === 'number' && v >= 0 && Number.isFinite(v)
        : kind === 'probability' ? typeof v === 'number' && v >= 0 && v <= 1
          : kind === 'string' ? typeof v === 'string'
            : v === null || isTensor(v);
    if (!ok) throw new Error(`${module}: option ${k} must be ${KIND_TEXT[kind]}, got ${describe(v)}`);
  }
  return o as T;
}

const KIND_TEXT: Record<OptionKind, string> = {
  boolean: 'a boolean', positive: 'a finite number > 0', nonnegative: 'a finite number >= 0', probability: 'a probability in [0, 1]', string: 'a string', tensor: 'a Tensor or null',
};
