// Order statistics: median, nanmedian, kthvalue, quantile, nanquantile. Each sorts along the
// dim (sort.ts: stable, NaN last, a bitonic network on WebGPU) and picks positions in the
// sorted rows with gather, the positions themselves computed on the device (from the count of
// NaNs), so nothing is read back. The gradients are those of sort and gather (and lerp for
// quantile): each picked value's gradient goes to the element it came from. median() and
// nanmedian() over all elements share theirs evenly among the elements equal to the result,
// as PyTorch's evenly_distribute_backward.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { isFloat } from '../tensor/dtype.js';
import { describe, fmtShape, forEachOffset } from '../tensor/shape.js';
import { checkInt } from '../tensor/check.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/grad-mode.js';
import { checkBool, checkInput, oneDim } from './rows.js';
import { cast, div, eq, gt, lt, mul, sub, where } from './elementwise.js';
import { any, isnan, logicalAnd, logicalNot, logicalOr } from './mask.js';
import { sum } from './reduce.js';
import { sort } from './sort.js';
import { gather } from './gather.js';
import { clone, expand, full, reshape, squeeze, unsqueeze } from './view.js';
import { movedim } from './dims.js';
import { ceil, floor, round } from './math.js';
import { lerp } from './math-binary.js';
import { floorDivide } from './intdiv.js';

type ValuesIndices = { values: Tensor; indices: Tensor };

function checkOrderInput(op: string, t: unknown): asserts t is Tensor {
  checkInput(op, t);
  if (t.dtype === 'bool') throw new Error(`${op}: input dtype bool is not supported (as in PyTorch; cast with .int() first), input shape ${fmtShape(t.shape)}`);
}

/** The position in each sorted row (keepdim shape, int32) of the lower median: the first
 * NaN's when the row has one (median), or the median of the non-NaN values (nanmedian). */
function medianPos(t: Tensor, d: number, ignoreNan: boolean): Tensor {
  const n = t.shape[d];
  const keep = t.shape.map((s, i) => (i === d ? 1 : s));
  if (!isFloat(t.dtype)) return full(keep, (n - 1) >> 1, 'int32', t.device);
  const cnt = sum(logicalNot(isnan(t)), d, true);
  // C++'s (cnt − 1) / 2 truncates toward zero: an all-NaN row picks position 0.
  if (ignoreNan) return where(gt(cnt, 0), floorDivide(sub(cnt, 1), 2), 0);
  return where(lt(cnt, n), cnt, (n - 1) >> 1);
}

/** Values and int32 indices at per-row positions `pos` of the rows sorted along d. */
function pick(t: Tensor, d: number, pos: Tensor, keepdim: boolean): ValuesIndices {
  const s = sort(t, d);
  let values = gather(s.values, d, pos);
  let indices = gather(s.indices, d, pos);
  if (!keepdim) { values = squeeze(values, d); indices = squeeze(indices, d); }
  return { values, indices };
}

/** A reduction over one dim of a 0-d tensor: the element itself, index 0. */
function scalarPick(t: Tensor): ValuesIndices {
  return { values: clone(t), indices: full([], 0, 'int32', t.device) };
}

function checkNonEmptyDim(op: string, t: Tensor, d: number): void {
  if (t.shape[d] === 0) throw new Error(`${op}: expected reduction dim ${d} to have non-zero size, got input shape ${fmtShape(t.shape)}`);
}

/** median()/nanmedian() over every element: forward picks, backward shares g evenly. */
class MedianAll extends Function {
  static override forward(ctx: Ctx, t: Tensor, ignoreNan: boolean): Tensor {
    const v = noGrad(() => tidy(() => {
      const flat = reshape(t, [t.numel]);
      return reshape(pick(flat, 0, medianPos(flat, 0, ignoreNan), true).values, []);
    }));
    ctx.saveForBackward(t, v);
    return v;
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [x, v] = ctx.savedTensors;
    const mask = logicalOr(eq(x, v), logicalAnd(isnan(x), isnan(v)));
    return [where(mask, div(g, sum(mask)), 0), null];
  }
}

/** median/nanmedian with or without a dim (the Tensor methods' entry). */
export function medianOp(op: string, t: Tensor, dim: unknown, keepdim: unknown, ignoreNan: boolean): Tensor | ValuesIndices {
  checkOrderInput(op, t);
  if (dim === undefined || dim === null) {
    if (keepdim !== false) throw new Error(`${op}: keepdim needs a dim (input shape ${fmtShape(t.shape)})`);
    if (t.numel === 0) {
      if (!isFloat(t.dtype)) throw new Error(`${op}: an empty ${t.dtype} tensor has no median (PyTorch answers NaN for float), input shape ${fmtShape(t.shape)}`);
      return full([], NaN, t.dtype, t.device);
    }
    return MedianAll.apply(t, ignoreNan);
  }
  const red = oneDim(op, t, dim);
  checkBool(op, 'keepdim', keepdim);
  if (red.length === 0) return scalarPick(t);
  checkNonEmptyDim(op, t, red[0]);
  return tidy(() => pick(t, red[0], medianPos(t, red[0], ignoreNan), keepdim as boolean));
}

/** Without a dim: the lower median of all elements, a 0-d tensor (NaN if any is NaN; NaN for an
 * empty float tensor). With one: the lower median along `dim` and its int32 index. */
export function median(t: Tensor): Tensor;
export function median(t: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function median(t: Tensor, dim?: number | null, keepdim = false): Tensor | ValuesIndices { return medianOp('median', t, dim, keepdim, false); }
/** median of the non-NaN elements (NaN only where all are NaN). */
export function nanmedian(t: Tensor): Tensor;
export function nanmedian(t: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function nanmedian(t: Tensor, dim?: number | null, keepdim = false): Tensor | ValuesIndices { return medianOp('nanmedian', t, dim, keepdim, true); }

/** The k-th smallest element along `dim` (k from 1) and its int32 index; NaN counts as the
 * largest. Among equal values the index is the k-th in a stable sort's order. */
export function kthvalue(t: Tensor, k: number, dim = -1, keepdim = false): ValuesIndices {
  checkOrderInput('kthvalue', t);
  checkInt('kthvalue', 'k', k);
  const red = oneDim('kthvalue', t, dim);
  checkBool('kthvalue', 'keepdim', keepdim);
  const n = red.length ? t.shape[red[0]] : 1;
  if (k < 1 || k > n) throw new Error(`kthvalue: k ${k} is out of range for dim ${red[0] ?? 0} of size ${n} (k runs from 1 to ${n}), input shape ${fmtShape(t.shape)}`);
  if (red.length === 0) return scalarPick(t);
  const keep = t.shape.map((s, i) => (i === red[0] ? 1 : s));
  return tidy(() => pick(t, red[0], full(keep, k - 1, 'int32', t.device), keepdim));
}

// ---- quantile ----

export type QuantileInterpolation = 'linear' | 'lower' | 'higher' | 'nearest' | 'midpoint';
const MODES: readonly string[] = ['linear', 'lower', 'higher', 'nearest', 'midpoint'];

function checkQuantile(op: string, t: Tensor, q: unknown, dim: unknown, keepdim: unknown, interpolation: unknown): number | null {
  checkInput(op, t);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new Error(`${op}: input dtype ${t.dtype} is not supported (float32 only, as PyTorch's float or double), input shape ${fmtShape(t.shape)}`);
  if (q instanceof Tensor) {
    q.assertAlive(op);
    if (q.ndim > 1) throw new Error(`${op}: q must be a number or a 0-d or 1-D tensor, got shape ${fmtShape(q.shape)}`);
    if (q.dtype !== t.dtype) throw new Error(`${op}: q tensor dtype ${q.dtype} must match the input's ${t.dtype}`);
    if (q.device !== t.device) throw new Error(`${op}: q is on ${q.device} but input is on ${t.device}`);
    if (q.device === 'cpu') forEachOffset(q.shape, q.strides, q.offset, (off) => checkQ(op, q.data[off]));
  } else if (typeof q !== 'number') throw new Error(`${op}: q must be a number or a tensor, got ${describe(q)}`);
  else checkQ(op, q);
  const d = dim === undefined || dim === null ? null : oneDim(op, t, dim)[0] ?? 0;
  checkBool(op, 'keepdim', keepdim);
  if (typeof interpolation !== 'string' || !MODES.includes(interpolation)) throw new Error(`${op}: interpolation must be one of ${MODES.map((m) => `'${m}'`).join(', ')}, got ${describe(interpolation)}`);
  if (t.numel === 0) throw new Error(`${op}: input tensor must be non-empty, got shape ${fmtShape(t.shape)}`);
  return d;
}

function checkQ(op: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new Error(`${op}: q must be in the range [0, 1], got ${v}`);
}

/** Per-row ranks (shape [Q, ...rows, 1]) into rows sorted along the last dim, as PyTorch's
 * quantile_compute: q·(n − 1), n − 1 where the row has a NaN (quantile), or q·(count − 1)
 * over the non-NaN values, at least 0 (nanquantile). */
function ranksOf(sorted: Tensor, qb: Tensor, ignoreNan: boolean): Tensor {
  const n = sorted.shape[sorted.ndim - 1];
  if (ignoreNan) {
    const r = mul(qb, sub(sum(logicalNot(isnan(sorted)), -1, true), 1));
    return where(lt(r, 0), 0, r);
  }
  return where(any(isnan(sorted), -1, true), n - 1, mul(qb, n - 1));
}

function quantileOp(op: string, t: Tensor, q: number | Tensor, dim: unknown, keepdim: unknown, interpolation: unknown, ignoreNan: boolean): Tensor {
  const d = checkQuantile(op, t, q, dim, keepdim, interpolation);
  return tidy(() => {
    // Rows along the last dim: the flattened tensor, or `dim` moved last.
    const x = d === null || t.ndim === 0 ? reshape(t, [t.numel]) : movedim(t, d, -1);
    const sorted = sort(x, -1).values;
    const rest = sorted.shape.slice(0, -1);
    const qt = q instanceof Tensor ? reshape(q, [q.numel]) : full([1], q, t.dtype, t.device);
    const Q = qt.shape[0];
    const qb = reshape(qt, [Q, ...rest.map(() => 1), 1]);
    let ranks = ranksOf(sorted, qb, ignoreNan);
    // A GPU q tensor is not range-checked (that needs a readback): clamp, and answer NaN there.
    const n = sorted.shape[sorted.ndim - 1];
    const unchecked = q instanceof Tensor && q.device !== 'cpu';
    if (unchecked) ranks = where(gt(ranks, n - 1), n - 1, where(lt(ranks, 0), 0, ranks));
    if (interpolation === 'lower') ranks = floor(ranks);
    else if (interpolation === 'higher') ranks = ceil(ranks);
    else if (interpolation === 'nearest') ranks = round(ranks);
    const rows = expand(unsqueeze(sorted, 0), [Q, ...sorted.shape]);
    const below = cast(ranks, 'int32');
    let res = gather(rows, -1, below);
    if (interpolation === 'linear' || interpolation === 'midpoint') {
      const w = interpolation === 'midpoint' ? full(ranks.shape, 0.5, t.dtype, t.device) : sub(ranks, cast(below, t.dtype));
      res = lerp(res, gather(rows, -1, cast(ceil(ranks), 'int32')), w);
    }
    if (unchecked) res = where(logicalOr(lt(qb, 0), gt(qb, 1)), NaN, res);
    return shapeResult(res, t, d, keepdim as boolean, !(q instanceof Tensor) || q.ndim === 0);
  });
}

/** [Q, ...rows, 1] to PyTorch's output shape: Q first (unless q is a number or 0-d), then the
 * input's shape without `dim` (kept as 1 with keepdim; every dim when dim is omitted). */
function shapeResult(res: Tensor, t: Tensor, d: number | null, keepdim: boolean, scalarQ: boolean): Tensor {
  const Q = res.shape[0];
  let shape: number[];
  if (d === null) shape = keepdim ? t.shape.map(() => 1) : [];
  else shape = keepdim ? t.shape.map((s, i) => (i === d ? 1 : s)) : t.shape.filter((_, i) => i !== d);
  const out = d === null || t.ndim === 0 ? res : movedim(res, -1, d + 1);
  return reshape(out, scalarQ ? shape : [Q, ...shape]);
}

/**
 * The q-th quantiles along `dim` (of all elements when dim is omitted); q a number or a 0-d or
 * 1-D tensor (then the quantiles form a new first dim). `interpolation` between the two
 * neighbouring sorted values: 'linear', 'lower', 'higher', 'nearest' (half to even) or
 * 'midpoint'. NaN wherever the row has a NaN. float32 only (and the CPU's float64).
 */
export function quantile(t: Tensor, q: number | Tensor, dim?: number | null, keepdim = false, interpolation: QuantileInterpolation = 'linear'): Tensor {
  return quantileOp('quantile', t, q, dim, keepdim, interpolation, false);
}

/** quantile over the non-NaN values of each row (NaN only where all are NaN). */
export function nanquantile(t: Tensor, q: number | Tensor, dim?: number | null, keepdim = false, interpolation: QuantileInterpolation = 'linear'): Tensor {
  return quantileOp('nanquantile', t, q, dim, keepdim, interpolation, true);
}
