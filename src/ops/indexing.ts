// PyTorch's other ways to read and write through an index, as compositions of gather,
// scatter, where and cumsum (so each inherits their CPU and WGSL kernels and gradients):
// take, takeAlongDim, indexFill, indexCopy and maskedScatter. Index values are checked on
// the CPU backend before any work; a GPU index cannot be read without a readback, so there
// an out-of-range value reads 0 (gather) or writes nothing (scatter), as in gather.ts.
import { Tensor } from '../tensor/tensor.js';
import { checkTensor } from '../tensor/check.js';
import { broadcastShapes, describe, fmtShape, forEachOffset, normDim } from '../tensor/shape.js';
import { tidy } from '../tensor/scope.js';
import { add, cast, lt, sub, where } from './elementwise.js';
import { expand, full, reshape } from './view.js';
import { checkIndex, gather } from './gather.js';
import { scatter } from './scatter.js';
import { cumsum } from './scan.js';
import { deviceOf } from './map.js';

/** Throws (CPU index only) unless every value v satisfies -size <= v < size, or 0 <= v when
 * negatives do not wrap; `what` finishes the message as PyTorch's does. */
function checkValues(op: string, index: Tensor, size: number, wrap: boolean, what: (v: number) => string): void {
  if (index.device !== 'cpu') return;
  forEachOffset(index.shape, index.strides, index.offset, (off) => {
    const v = index.data[off];
    if (v >= size || v < (wrap ? -size : 0)) throw new Error(`${op}: ${what(v)}`);
  });
}

/** index + size where index < 0 (PyTorch's negative indices), as a new int32 tensor. */
const wrapped = (index: Tensor, size: number): Tensor => where(lt(index, 0), add(index, size), index);

/** input read as 1-D at `index` (any shape; negative values count from the end): PyTorch's take. */
export function take(input: Tensor, index: Tensor): Tensor {
  checkTensor('take', input);
  checkIndex('take', index);
  deviceOf('take', input, index);
  const n = input.numel;
  if (n === 0 && index.numel > 0) throw new Error(`take: cannot take from an empty tensor (input shape ${fmtShape(input.shape)}, index shape ${fmtShape(index.shape)})`);
  checkValues('take', index, n, true, (v) => `index ${v} is out of range for a tensor of ${n} elements (input shape ${fmtShape(input.shape)}; valid range ${-n} to ${n - 1})`);
  return tidy(() => reshape(gather(reshape(input, [n]), 0, wrapped(reshape(index, [index.numel]), n)), index.shape));
}

/**
 * Values of input at `indices` along `dim`, input and indices broadcast against each other on
 * every other dim (PyTorch's take_along_dim; negative indices count from the end). Without a
 * dim both are read as 1-D.
 */
export function takeAlongDim(input: Tensor, indices: Tensor, dim?: number | null): Tensor {
  checkTensor('takeAlongDim', input);
  checkIndex('takeAlongDim', indices);
  deviceOf('takeAlongDim', input, indices);
  if (dim === undefined || dim === null) {
    const n = input.numel;
    checkValues('takeAlongDim', indices, n, false, (v) => `index ${v} is out of range for the flattened input of ${n} elements (input shape ${fmtShape(input.shape)})`);
    return tidy(() => gather(reshape(input, [n]), 0, reshape(indices, [indices.numel])));
  }
  if (typeof dim !== 'number') throw new Error(`takeAlongDim: dim must be a number, null or undefined, got ${describe(dim)}`);
  if (input.ndim !== indices.ndim) {
    throw new Error(`takeAlongDim: input and indices must have the same number of dims, got input shape ${fmtShape(input.shape)} and indices shape ${fmtShape(indices.shape)}`);
  }
  const d = normDim('takeAlongDim', dim, Math.max(input.ndim, 1));
  if (input.ndim === 0) return take(input, indices);
  const others = (s: readonly number[]): number[] => s.map((v, k) => (k === d ? 1 : v));
  let common: number[];
  try {
    common = broadcastShapes('takeAlongDim', others(input.shape), others(indices.shape));
  } catch {
    throw new Error(`takeAlongDim: input shape ${fmtShape(input.shape)} and indices shape ${fmtShape(indices.shape)} do not broadcast on the dims other than ${dim}`);
  }
  const size = input.shape[d];
  checkValues('takeAlongDim', indices, size, true, (v) => `index ${v} is out of range for dim ${d} of size ${size} (input shape ${fmtShape(input.shape)})`);
  const at = (s: number): number[] => common.map((v, k) => (k === d ? s : v));
  return tidy(() => gather(expand(input, at(size)), d, expand(wrapped(indices, size), at(indices.shape[d]))));
}

/** A 1-D (or 0-d) index along `dim` as a tensor of self's dims with that index along dim. */
function spread(op: string, self: Tensor, dim: number, index: Tensor, wrap: boolean): { d: number; idx: Tensor } {
  checkIndex(op, index);
  deviceOf(op, self, index);
  if (index.ndim > 1) throw new Error(`${op}: index must be 1-D or 0-d, got shape ${fmtShape(index.shape)}`);
  if (typeof dim !== 'number') throw new Error(`${op}: dim must be a number, got ${describe(dim)}`);
  const d = normDim(op, dim, Math.max(self.ndim, 1));
  const size = self.ndim === 0 ? 1 : self.shape[d];
  checkValues(op, index, size, wrap, (v) => `index ${v} is out of range for dim ${d} of size ${size} (self shape ${fmtShape(self.shape)})`);
  const k = index.numel;
  const line = self.ndim === 0 ? [k] : self.shape.map((_, j) => (j === d ? k : 1));
  const flat = reshape(index, line);
  return { d: self.ndim === 0 ? 0 : d, idx: wrap ? wrapped(flat, size) : flat };
}

/** self with the slices at `index` along `dim` set to value (a number or a 0-d tensor). */
export function indexFill(self: Tensor, dim: number, index: Tensor, value: number | boolean | Tensor): Tensor {
  checkTensor('indexFill', self);
  if (value instanceof Tensor) {
    value.assertAlive('indexFill');
    if (value.ndim !== 0) throw new Error(`indexFill: value must be a number or a 0-d tensor, got a tensor of shape ${fmtShape(value.shape)}`);
    deviceOf('indexFill', self, value);
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    // As PyTorch (and maskedFill): a fractional value truncates into int32; NaN, ±Inf or one past its range is refused.
    if (self.dtype === 'int32' && !(Math.abs(Number(value)) < 2 ** 31)) throw new Error(`indexFill: value ${value} cannot be converted to int32 without overflow (self shape ${fmtShape(self.shape)})`);
  } else throw new Error(`indexFill: value must be a number, a boolean or a 0-d tensor, got ${describe(value)}`);
  return tidy(() => {
    const { d, idx } = spread('indexFill', self, dim, index, true);
    // A bool mask of the filled slices along dim; where() then takes value there, self elsewhere.
    const size = self.ndim === 0 ? 1 : self.shape[d];
    const line = self.ndim === 0 ? [1] : self.shape.map((_, j) => (j === d ? size : 1));
    const mask = scatter(full(line, 0, 'bool', self.device), d, idx, true);
    const v = value instanceof Tensor ? (value.dtype === self.dtype ? value : cast(value, self.dtype)) : truncated(value, self);
    return where(self.ndim === 0 ? reshape(mask, []) : mask, v, self);
  });
}

/** A number as self's dtype stores it (PyTorch casts the fill value: 2.5 fills an int32 with 2). */
const truncated = (v: number | boolean, self: Tensor): number | Tensor =>
  self.dtype === 'int32' ? Math.trunc(Number(v)) : self.dtype === 'bool' ? full([], v ? 1 : 0, 'bool', self.device) : Number(v);

/** self with slice i of source along dim written at slice index[i] (the last write wins on repeats). */
export function indexCopy(self: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  checkTensor('indexCopy', self);
  checkTensor('indexCopy', source, 'source');
  deviceOf('indexCopy', self, source);
  if (source.dtype !== self.dtype) throw new Error(`indexCopy: source dtype ${source.dtype} does not match self's ${self.dtype}`);
  checkIndex('indexCopy', index);
  const d = self.ndim === 0 ? 0 : normDim('indexCopy', typeof dim === 'number' ? dim : NaN, self.ndim);
  const want = self.ndim === 0 ? (index.numel === 1 && source.numel === 1 ? source.shape : [index.numel]) : self.shape.map((s, j) => (j === d ? index.numel : s));
  if (source.ndim !== want.length || source.shape.some((s, j) => s !== want[j])) {
    throw new Error(`indexCopy: source must have shape ${fmtShape(want)} (self shape ${fmtShape(self.shape)} with dim ${dim} of size index.numel = ${index.numel}), got ${fmtShape(source.shape)}`);
  }
  return tidy(() => {
    const { d: dd, idx } = spread('indexCopy', self, dim, index, false);
    if (self.ndim === 0) return reshape(scatter(reshape(self, [1]), 0, idx, reshape(source, [index.numel])), []);
    return scatter(self, dd, expand(idx, source.shape), source);
  });
}

/**
 * self with the positions where mask is true filled, in row-major order, from the start of
 * source (read as 1-D). self and mask broadcast; source needs at least as many elements as
 * the mask has true values (checked on the CPU backend; on WebGPU the last ones are repeated).
 */
export function maskedScatter(self: Tensor, mask: Tensor, source: Tensor): Tensor {
  checkTensor('maskedScatter', self);
  checkTensor('maskedScatter', mask, 'mask');
  checkTensor('maskedScatter', source, 'source');
  deviceOf('maskedScatter', self, mask, source);
  if (mask.dtype !== 'bool') throw new Error(`maskedScatter: mask must be a bool tensor, got ${mask.dtype}`);
  if (source.dtype !== self.dtype) throw new Error(`maskedScatter: source dtype ${source.dtype} does not match self's ${self.dtype}`);
  const shape = broadcastShapes('maskedScatter', self.shape, mask.shape);
  const n = shape.reduce((a, b) => a * b, 1);
  if (mask.device === 'cpu') {
    let ones = 0;
    forEachOffset(mask.shape, mask.strides, mask.offset, (off) => { ones += mask.data[off] ? 1 : 0; });
    // Count over the broadcast mask: each of its elements repeats n / mask.numel times.
    if (mask.numel > 0) ones *= n / mask.numel;
    if (ones > source.numel) throw new Error(`maskedScatter: source has ${source.numel} elements, fewer than the mask's ${ones} true values (mask shape ${fmtShape(mask.shape)}, self shape ${fmtShape(self.shape)})`);
  }
  return tidy(() => {
    const m = expand(mask, shape);
    if (n === 0 || source.numel === 0) return where(m, self, self);
    // The k-th true position (row-major) reads source[k]: k is the running count minus one.
    const k = sub(cumsum(reshape(m, [n]), 0), 1);
    const last = source.numel - 1;
    const at = where(lt(k, 0), 0, where(lt(k, last), k, last));
    const picked = reshape(gather(reshape(source, [source.numel]), 0, at), shape);
    return where(m, picked, self);
  });
}
