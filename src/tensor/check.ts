// Argument checks shared by the public ops: each throws an Error that starts with the op's
// name and names the argument and the value it got, before any work is queued.
import { Tensor } from './tensor.js';
import { describe } from './shape.js';

/** A live Tensor, or an Error naming `op` and `arg`. */
export function checkTensor(op: string, x: unknown, arg = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: ${arg} must be a Tensor, got ${describe(x)}`);
  x.assertAlive(op);
}

/** An integer >= `min`. */
export function checkInt(op: string, arg: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new Error(`${op}: ${arg} must be an integer${min > -Infinity ? ` >= ${min}` : ''}, got ${describe(v)}`);
  }
  return v;
}

/** An array of integers (sizes, dims), copied. */
export function checkIntList(op: string, arg: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isSafeInteger(x))) {
    throw new Error(`${op}: ${arg} must be an array of integers, got ${describe(v)}`);
  }
  return [...v];
}

/** A finite number (a scale, an eps, a fill value that must not be NaN). */
export function checkFinite(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${arg} must be a finite number, got ${describe(v)}`);
  return v;
}

/**
 * Throws unless the number `v` fits `dtype` as PyTorch's fill and full require: an integer
 * within int32, or a float that does not overflow float16/float32 (NaN and ±Inf are fine).
 */
export function checkScalarFits(op: string, v: number, dtype: string): void {
  if (dtype === 'int32') {
    if (!Number.isInteger(v) || v < -(2 ** 31) || v > 2 ** 31 - 1) throw new Error(`${op}: value ${describe(v)} cannot be converted to int32 without overflow or rounding (an integer from -2147483648 to 2147483647)`);
    return;
  }
  const max = dtype === 'float16' ? 65504 : dtype === 'float32' ? 3.4028234663852886e38 : Infinity;
  if (Number.isFinite(v) && Math.abs(v) > max) throw new Error(`${op}: value ${v} cannot be converted to ${dtype} without overflow (largest finite ${max})`);
}

export function checkBoolean(op: string, arg: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new Error(`${op}: ${arg} must be a boolean, got ${describe(v)}`);
  return v;
}
