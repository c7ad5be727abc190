// The NaN-aware reductions and helpers: nansum, nanmean, nanToNum, countNonzero. Each is a
// composite of existing ops exactly as PyTorch defines it (nansum sums x with NaN read as 0,
// nanmean divides that by the non-NaN count, nan_to_num's gradient is g where x is finite), so
// both backends and every gradient come from those ops.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { isFloat } from '../tensor/dtype.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { tidy } from '../tensor/scope.js';
import { checkBool, checkInput, reduceDims } from './rows.js';
import { div, gt, lt, mul, ne, where } from './elementwise.js';
import { isfinite, isinf, isnan, logicalAnd, logicalNot } from './mask.js';
import { sum } from './reduce.js';
import { clone } from './view.js';

/**
 * x with its non-finite (or NaN) elements replaced by `fill`, whose gradient is g · mask
 * (PyTorch's formula: a multiplication, so an infinite g at a masked element gives NaN).
 */
class Masked extends Function {
  static override forward(ctx: Ctx, x: Tensor, fill: (x: Tensor) => Tensor, mask: (x: Tensor) => Tensor): Tensor {
    ctx.saveForBackward(x);
    ctx.mask = mask;
    return fill(x);
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [x] = ctx.savedTensors;
    return [mul(g, ctx.mask(x)), null, null];
  }
}

const notNan = (x: Tensor): Tensor => logicalNot(isnan(x));
const nanAsZero = (x: Tensor): Tensor => Masked.apply(x, (t: Tensor) => where(isnan(t), 0, t), notNan);

function nanArgs(op: string, t: Tensor, dim: unknown, keepdim: unknown): number[] {
  checkInput(op, t);
  const red = reduceDims(op, t, dim);
  checkBool(op, 'keepdim', keepdim);
  return red;
}

/** The sum over `dim` (all dims when omitted or []) with NaN counted as 0; ints and bool as
 * sum (bool counts in int32, PyTorch's int64). The gradient is 0 at the NaNs. */
export function nansum(t: Tensor, dim?: number | number[] | null, keepdim = false): Tensor {
  const red = nanArgs('nansum', t, dim, keepdim);
  if (!isFloat(t.dtype)) return sum(t, red, keepdim);
  return tidy(() => sum(nanAsZero(t), red, keepdim));
}

/** The mean of the non-NaN elements over `dim` (NaN where all are NaN or the dim is empty);
 * float dtypes only, as PyTorch. */
export function nanmean(t: Tensor, dim?: number | number[] | null, keepdim = false): Tensor {
  const red = nanArgs('nanmean', t, dim, keepdim);
  if (!isFloat(t.dtype)) throw new Error(`nanmean: expected input to have a floating point dtype, got ${t.dtype} (as PyTorch; cast with .float() first), input shape ${fmtShape(t.shape)}`);
  return tidy(() => div(sum(nanAsZero(t), red, keepdim), sum(notNan(t), red, keepdim)));
}

/** The largest finite value of a float dtype (nan_to_num's default for ±Inf). */
function finiteMax(dtype: string): number {
  return dtype === 'float16' ? 65504 : dtype === 'float64' ? Number.MAX_VALUE : 3.4028234663852886e38;
}

function checkFill(arg: string, v: unknown): void {
  if (v !== undefined && v !== null && typeof v !== 'number') throw new Error(`nanToNum: ${arg} must be a number, got ${describe(v)}`);
}

/**
 * x with NaN replaced by `nan`, +Inf by `posinf` and −Inf by `neginf` (defaults: the dtype's
 * largest and lowest finite values, float16 included); a replacement that overflows the dtype
 * becomes ±Inf, as in PyTorch. int32 and bool come back as a copy. Gradient: g where x is finite.
 */
export function nanToNum(t: Tensor, nan = 0, posinf?: number | null, neginf?: number | null): Tensor {
  checkInput('nanToNum', t);
  if (typeof nan !== 'number') throw new Error(`nanToNum: nan must be a number, got ${describe(nan)}`);
  checkFill('posinf', posinf);
  checkFill('neginf', neginf);
  if (!isFloat(t.dtype)) return clone(t);
  const hi = posinf ?? finiteMax(t.dtype);
  const lo = neginf ?? -finiteMax(t.dtype);
  const fill = (x: Tensor): Tensor => {
    const inf = isinf(x);
    return where(isnan(x), nan, where(logicalAnd(inf, gt(x, 0)), hi, where(logicalAnd(inf, lt(x, 0)), lo, x)));
  };
  return Masked.apply(t, fill, isfinite);
}

/** The number of non-zero elements (NaN counts) over `dim` (a number, an array, or all
 * dims), as int32 (PyTorch gives int64). */
export function countNonzero(t: Tensor, dim?: number | number[] | null): Tensor {
  checkInput('countNonzero', t);
  const red = reduceDims('countNonzero', t, dim);
  return tidy(() => sum(ne(t, 0), red));
}
