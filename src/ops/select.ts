// Ops whose output size depends on the values: nonzero, argwhere, maskedSelect, unique and
// bincount. A GPU tensor's values can only be read asynchronously, so these return a Promise
// on both backends (`await sg.nonzero(x)`), reading back what decides the size: the mask for
// nonzero and maskedSelect, the values for unique, the extremes for bincount. The gathering
// itself stays on the device (take, scatterAdd), so maskedSelect is differentiable.
// searchsorted, bucketize and histc have fixed output sizes and run without a readback.
import { Tensor, checkAllocation } from '../tensor/tensor.js';
import { checkTensor, checkInt, checkBoolean } from '../tensor/check.js';
import { isFloat } from '../tensor/dtype.js';
import { broadcastShapes, checkOptions, describe, fmtShape, forEachOffset } from '../tensor/shape.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/grad-mode.js';
import { add, cast, div, eq, ge, le, lt, mul, sub, where } from './elementwise.js';
import { amax, amin, sum } from './reduce.js';
import { isnan, logicalAnd, logicalNot } from './mask.js';
import { floor } from './math.js';
import { expand, fromArray, full, reshape, unsqueeze } from './view.js';
import { scatterAdd } from './scatter.js';
import { stack } from './gather.js';
import { deviceOf } from './map.js';
import { take } from './indexing.js';

/** Row-major positions of the elements that are not zero (NaN counts as not zero). */
async function nonzeroPositions(x: Tensor): Promise<number[]> {
  const v = await x.toArray();
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) out.push(i);
  return out;
}

/** The int32 coordinates of each position, one row per position ([count, ndim]). */
function coordinates(pos: number[], shape: readonly number[]): Int32Array {
  const nd = shape.length;
  const out = new Int32Array(pos.length * nd);
  pos.forEach((p, r) => {
    for (let d = nd - 1; d >= 0; d--) { out[r * nd + d] = p % shape[d]; p = Math.floor(p / shape[d]); }
  });
  return out;
}

/** The indices of the nonzero elements: [count, ndim] int32, or one 1-D tensor per dim with asTuple. */
export async function nonzero(x: Tensor, opts: { asTuple?: boolean } = {}): Promise<Tensor | Tensor[]> {
  checkTensor('nonzero', x);
  const asTuple = checkBoolean('nonzero', 'asTuple', checkOptions('nonzero', opts, ['asTuple']).asTuple ?? false);
  const pos = await nonzeroPositions(x);
  const coords = coordinates(pos, x.shape);
  if (!asTuple) return fromArray(coords, [pos.length, x.ndim], 'int32', x.device);
  // PyTorch treats a 0-d input as 1-d here: one tensor of the positions (0 or none).
  if (x.ndim === 0) return [fromArray(new Int32Array(pos.length), [pos.length], 'int32', x.device)];
  return x.shape.map((_, d) => fromArray(Int32Array.from(pos, (_p, r) => coords[r * x.ndim + d]), [pos.length], 'int32', x.device));
}

/** nonzero(x) as one [count, ndim] tensor (NumPy's argwhere). */
export async function argwhere(x: Tensor): Promise<Tensor> {
  checkTensor('argwhere', x);
  return (await nonzero(x)) as Tensor;
}

/** The elements of x where mask is true (both broadcast), as a 1-D tensor; differentiable in x. */
export async function maskedSelect(x: Tensor, mask: Tensor): Promise<Tensor> {
  checkTensor('maskedSelect', x);
  checkTensor('maskedSelect', mask, 'mask');
  deviceOf('maskedSelect', x, mask);
  if (mask.dtype !== 'bool') throw new Error(`maskedSelect: mask must be a bool tensor, got ${mask.dtype}`);
  const shape = broadcastShapes('maskedSelect', x.shape, mask.shape);
  const m = expand(mask, shape);
  const pos = await nonzeroPositions(m);
  m.dispose();
  return tidy(() => take(expand(x, shape), fromArray(Int32Array.from(pos), [pos.length], 'int32', x.device)));
}

export interface UniqueOptions { sorted?: boolean; returnInverse?: boolean; returnCounts?: boolean }

/**
 * The distinct values of x (flattened), ascending; with returnInverse / returnCounts also the
 * index of each element's value and each value's count: [values, inverse?, counts?] as
 * torch.unique's tuple. NaNs are each distinct and sort last, as PyTorch's.
 */
export async function unique(x: Tensor, opts: UniqueOptions = {}): Promise<Tensor | Tensor[]> {
  checkTensor('unique', x);
  const o = checkOptions('unique', opts, ['sorted', 'returnInverse', 'returnCounts']) as UniqueOptions;
  for (const k of ['sorted', 'returnInverse', 'returnCounts'] as const) if (o[k] !== undefined) checkBoolean('unique', k, o[k]);
  const v = await x.toArray();
  const order = Array.from(v.keys()).sort((a, b) => {
    const p = v[a];
    const q = v[b];
    if (p !== p || q !== q) return p !== p ? (q !== q ? a - b : 1) : -1;
    return p - q || a - b;
  });
  const values: number[] = [];
  const counts: number[] = [];
  const inverse = new Int32Array(v.length);
  for (const i of order) {
    const same = values.length > 0 && v[i] === values[values.length - 1];
    if (!same) { values.push(v[i]); counts.push(0); }
    counts[counts.length - 1]++;
    inverse[i] = values.length - 1;
  }
  const u = fromArray(Float64Array.from(values), [values.length], x.dtype, x.device);
  if (!o.returnInverse && !o.returnCounts) return u;
  const out = [u];
  if (o.returnInverse) out.push(fromArray(inverse, [...x.shape], 'int32', x.device));
  if (o.returnCounts) out.push(fromArray(Int32Array.from(counts), [counts.length], 'int32', x.device));
  return out;
}

/**
 * How often each value 0 .. max occurs in the 1-D non-negative int32 x (at least minlength
 * bins), or the sum of weights per value. int32 counts (PyTorch: int64), weights' dtype sums.
 */
export async function bincount(x: Tensor, weights?: Tensor | null | { minlength?: number }, minlength = 0): Promise<Tensor> {
  checkTensor('bincount', x);
  if (weights !== null && weights !== undefined && !(weights instanceof Tensor)) {
    minlength = checkOptions('bincount', weights, ['minlength']).minlength as number ?? 0;
    weights = null;
  }
  const minLen = checkInt('bincount', 'minlength', minlength, 0);
  if (x.dtype !== 'int32' || x.ndim !== 1) throw new Error(`bincount: input must be a 1-D int32 tensor of non-negative values, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
  if (weights) {
    checkTensor('bincount', weights, 'weights');
    deviceOf('bincount', x, weights);
    if (weights.ndim !== 1 || weights.shape[0] !== x.shape[0]) throw new Error(`bincount: weights must be 1-D with as many elements as the input (${x.shape[0]}), got shape ${fmtShape(weights.shape)}`);
    if (weights.dtype === 'bool') throw new Error(`bincount: weights must be a float or int32 tensor, got bool`);
  }
  checkAllocation('bincount', [minLen], weights ? (weights as Tensor).dtype : 'int32', x.device);
  let bins = minLen;
  if (x.numel > 0) {
    const ext = tidy(() => stack([amin(x), amax(x)]));
    const [lo, hi] = await ext.toArray();
    ext.dispose();
    if (lo < 0) throw new Error(`bincount: input must be non-negative, got a minimum of ${lo}`);
    bins = Math.max(bins, hi + 1);
    checkAllocation('bincount', [bins], weights ? (weights as Tensor).dtype : 'int32', x.device);
  }
  // int32 weights sum in float32 (PyTorch sums integer weights in float64).
  const w = weights && !isFloat((weights as Tensor).dtype) ? cast(weights as Tensor, 'float32') : (weights as Tensor | null | undefined);
  return noGrad(() => tidy(() => {
    const zeros = full([bins], 0, w ? w.dtype : 'int32', x.device);
    if (x.numel === 0) return zeros;
    return scatterAdd(zeros, 0, x, w ?? full([x.numel], 1, 'int32', x.device));
  }));
}

/** The sides of searchsorted: 'left' counts the boundaries below v, 'right' those at or below. */
function sideOf(op: string, right: unknown, side: unknown): boolean {
  if (right !== undefined) checkBoolean(op, 'right', right);
  if (side !== undefined && side !== 'left' && side !== 'right') throw new Error(`${op}: side must be 'left' or 'right', got ${describe(side)}`);
  if (right === true && side === 'left') throw new Error(`${op}: side 'left' and right true contradict each other`);
  return right === true || side === 'right';
}

/**
 * For each value, the index at which it would be inserted into the sorted last dim of
 * sortedSequence to keep it sorted (before equal values, or after them with right / side
 * 'right'). A 1-D sequence serves every value; an N-D one has one row per leading index of
 * values. NaN values go after everything, as PyTorch's. int32 indices (PyTorch: int64).
 */
export function searchsorted(sortedSequence: Tensor, values: Tensor | number, opts: { right?: boolean; side?: 'left' | 'right' } = {}): Tensor {
  checkTensor('searchsorted', sortedSequence, 'sortedSequence');
  const o = checkOptions('searchsorted', opts, ['right', 'side']) as { right?: boolean; side?: string };
  const right = sideOf('searchsorted', o.right, o.side);
  return boundariesOf('searchsorted', sortedSequence, values, right);
}

/** The bucket of each element among the sorted 1-D boundaries: searchsorted(boundaries, input). */
export function bucketize(input: Tensor | number, boundaries: Tensor, opts: { right?: boolean } = {}): Tensor {
  checkTensor('bucketize', boundaries, 'boundaries');
  if (boundaries.ndim !== 1) throw new Error(`bucketize: boundaries must be 1-D, got shape ${fmtShape(boundaries.shape)}`);
  const o = checkOptions('bucketize', opts, ['right']) as { right?: boolean };
  return boundariesOf('bucketize', boundaries, input, sideOf('bucketize', o.right, undefined));
}

function boundariesOf(op: string, seq: Tensor, values: Tensor | number, right: boolean): Tensor {
  if (seq.dtype === 'bool') throw new Error(`${op}: the boundaries must be numbers, got bool`);
  if (seq.ndim === 0) throw new Error(`${op}: the boundaries must have at least 1 dim, got shape []`);
  const v = typeof values === 'number' ? full([], values, isFloat(seq.dtype) ? seq.dtype : Number.isInteger(values) ? 'int32' : 'float32', seq.device) : values;
  checkTensor(op, v, 'values');
  deviceOf(op, seq, v);
  if (v.dtype === 'bool') throw new Error(`${op}: the values must be numbers, got bool`);
  const m = seq.shape[seq.ndim - 1];
  if (seq.ndim > 1 && (v.ndim !== seq.ndim || v.shape.slice(0, -1).some((s, k) => s !== seq.shape[k]))) {
    throw new Error(`${op}: an N-D sequence needs values with the same leading dims, got sequence shape ${fmtShape(seq.shape)} and values shape ${fmtShape(v.shape)}`);
  }
  // Every (value, boundary) pair is compared at once: refuse a comparison table the device cannot hold.
  checkAllocation(op, [...v.shape, m], 'bool', v.device);
  const out = noGrad(() => tidy(() => {
    const b = seq.ndim === 1 ? reshape(seq, [...v.shape.map(() => 1), m]) : unsqueeze(seq, -2);
    const below = (right ? le : lt)(b, unsqueeze(v, -1));
    const count = v.numel === 0 || m === 0 ? full([...v.shape], 0, 'int32', v.device) : sum(below, -1);
    return isFloat(v.dtype) ? where(isnan(v), m, count) : count;
  }));
  if (typeof values === 'number') v.dispose();
  return out;
}

/**
 * A histogram of x's values in `bins` equal bins over [min, max] (x's own extremes when
 * both are 0; widened by 1 each way if those are equal). Values outside the range and NaN are
 * not counted; a value equal to max counts in the last bin. Float output in x's dtype.
 */
export function histc(x: Tensor, bins = 100, min = 0, max = 0): Tensor {
  checkTensor('histc', x);
  if (!isFloat(x.dtype)) throw new Error(`histc: input must be a float tensor, got ${x.dtype}`);
  const n = checkInt('histc', 'bins', bins, 1);
  for (const [k, v] of [['min', min], ['max', max]] as const) if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`histc: ${k} must be a finite number, got ${describe(v)}`);
  if (min > max) throw new Error(`histc: max must be larger than min, got min ${min} and max ${max}`);
  checkAllocation('histc', [n], x.dtype === 'float16' ? 'float32' : x.dtype, x.device);
  if (min === max && x.numel > 0 && x.device === 'cpu') {
    // As PyTorch, data with a NaN or an infinite value has no finite range to split (on WebGPU
    // that cannot be checked without a readback: such values are left out of the count).
    let [a, b] = [Infinity, -Infinity];
    forEachOffset(x.shape, x.strides, x.offset, (off: number) => { const v = x.data[off]; a = v < a || v !== v ? v : a; b = v > b || v !== v ? v : b; });
    if (!Number.isFinite(a) || !Number.isFinite(b)) throw new Error(`histc: range of [${a}, ${b}] is not finite (input shape ${fmtShape(x.shape)})`);
  }
  return noGrad(() => tidy(() => {
    const f = x.dtype === 'float16' ? cast(x, 'float32') : x;
    const flat = reshape(f, [f.numel]);
    let lo: Tensor | number = min;
    let hi: Tensor | number = max;
    if (min === max && f.numel > 0) {
      // The data's range, widened when it is a single value (PyTorch's rule).
      const a = amin(flat);
      const b = amax(flat);
      const same = eq(a, b);
      lo = where(same, sub(a, 1), a);
      hi = where(same, add(b, 1), b);
    } else if (min === max) {
      [lo, hi] = [min - 1, max + 1];
    }
    const counts = full([n], 0, f.dtype, f.device);
    if (f.numel === 0) return x.dtype === f.dtype ? counts : cast(counts, x.dtype);
    const scaled = floor(div(mul(sub(flat, lo), n), typeof hi === 'number' && typeof lo === 'number' ? hi - lo : sub(hi, lo)));
    // A NaN position (an infinite range, WebGPU only) counts nowhere.
    const inside = logicalAnd(logicalAnd(ge(flat, lo), le(flat, hi)), logicalNot(isnan(scaled)));
    const bin = where(inside, cast(where(ge(scaled, n), n - 1, scaled), 'int32'), 0);
    const h = scatterAdd(counts, 0, bin, cast(inside, f.dtype));
    return x.dtype === f.dtype ? h : cast(h, x.dtype);
  }));
}
