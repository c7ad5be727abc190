// Masks and selection: maskedFill, any/all, isnan/isinf/isfinite, the logical ops, tril/triu
// and select.
// All are strided-map kernels (map.ts runs the CPU and WGSL sides) or views, so strides,
// broadcasting and every dtype come for free; gradients are the same masks applied to dy.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { broadcastShapes, describe, fmtShape, normDim } from '../tensor/shape.js';
import { checkInt, checkTensor } from '../tensor/check.js';
import { deviceOf, mapRaw, type MapSpec } from './map.js';
import { MAP_SPECS as S, copyInto, sumToShape, eq, ne, mul, add } from './elementwise.js';
import { reduceRaw } from './reduce.js';
import { checkBool, reduceDims } from './rows.js';
import { fromArray, full } from './view.js';

// NaN and ±Inf are tested on the bits: a WGSL compiler may assume no NaN or Inf exists.
const SPECS: Record<string, MapSpec> = {
  isnan: { name: 'isnan', cpu: (a) => +(a !== a), wgsl: 'select(T(0), T(1), (bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u)', floatOnly: true },
  isinf: { name: 'isinf', cpu: (a) => +(a === Infinity || a === -Infinity), wgsl: 'select(T(0), T(1), (bitcast<u32>(a) & 0x7fffffffu) == 0x7f800000u)', floatOnly: true },
  isfinite: { name: 'isfinite', cpu: (a) => +Number.isFinite(a), wgsl: 'select(T(0), T(1), (bitcast<u32>(a) & 0x7f800000u) != 0x7f800000u)', floatOnly: true },
  // a where column index c and row index + k (r) pass the test, else 0 (a select: NaN stays put).
  trilKeep: { name: 'tril', cpu: (a, c, r) => (c <= r ? a : 0), wgsl: 'select(T(0), a, b <= c)' },
  triuKeep: { name: 'triu', cpu: (a, c, r) => (c >= r ? a : 0), wgsl: 'select(T(0), a, b >= c)' },
};

/** A mask argument: a live bool (or int32 0/1) tensor on `x`'s device. */
function checkMask(op: string, x: Tensor, mask: unknown): asserts mask is Tensor {
  checkTensor(op, mask, 'mask');
  if (mask.dtype !== 'bool' && mask.dtype !== 'int32') throw new Error(`${op}: mask must be a bool (or int32 0/1) tensor, got dtype ${mask.dtype} (shape ${fmtShape(mask.shape)})`);
  if (mask.device !== x.device) throw new Error(`${op}: mask is on ${mask.device} but input is on ${x.device}`);
}

// ---- maskedFill ----

class MaskedFill extends Function {
  static override forward(ctx: Ctx, x: Tensor, mask: Tensor, value: Tensor | number): Tensor {
    ctx.saveForBackward(mask);
    ctx.xShape = x.shape;
    ctx.vDType = value instanceof Tensor ? value.dtype : null;
    return mapRaw(S.where, [mask, value, x], x.dtype);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [mask] = ctx.savedTensors;
    return [
      ctx.needsInputGrad[0] ? sumToShape(mapRaw(S.where, [mask, 0, dy]), ctx.xShape) : null,
      null,
      ctx.needsInputGrad[2] ? mapRaw(S.copy, [mapRaw(S.where, [mask, dy, 0]).sum()], ctx.vDType) : null,
    ];
  }
}

/** x with `value` where mask is true (mask and x broadcast together), in x's dtype; value is a
 * number or a 0-d tensor (which gets the gradient of the filled places). */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  checkTensor('maskedFill', x);
  checkMask('maskedFill', x, mask);
  if (value instanceof Tensor) {
    value.assertAlive('maskedFill');
    if (value.ndim !== 0) throw new Error(`maskedFill: value must be a number or a 0-d tensor, got a tensor of shape ${fmtShape(value.shape)}`);
    if (value.device !== x.device) throw new Error(`maskedFill: value is on ${value.device} but input is on ${x.device}`);
  } else if (typeof value !== 'number') throw new Error(`maskedFill: value must be a number or a 0-d tensor, got ${describe(value)}`);
  // PyTorch refuses a value its int32 input cannot hold (NaN, ±Inf, past int32's range).
  else if (x.dtype === 'int32' && !(Math.abs(value) < 2 ** 31)) throw new Error(`maskedFill: value ${value} cannot be converted to int32 without overflow (input shape ${fmtShape(x.shape)})`);
  broadcastShapes('maskedFill', x.shape, mask.shape);
  return MaskedFill.apply(x, mask, value);
}

// ---- any / all ----

function anyAll(op: 'any' | 'all', x: Tensor, dim: unknown, keepdim: unknown): Tensor {
  checkTensor(op, x);
  const red = reduceDims(op, x, dim);
  checkBool(op, 'keepdim', keepdim);
  // An empty dim list reduces nothing for any/all (PyTorch), unlike sum/mean where it means all
  // dims: each element's own truth value, in the input's shape.
  if (Array.isArray(dim) && dim.length === 0) return mapRaw(S.ne, [x, 0], 'bool');
  // Count the elements that decide (nonzero for any, zero for all; NaN is nonzero), then test the count.
  const hits = mapRaw(op === 'any' ? S.ne : S.eq, [x, 0], 'int32');
  try {
    const count = reduceRaw('sum', hits, red, keepdim as boolean).values;
    try { return mapRaw(op === 'any' ? S.gt : S.eq, [count, 0], 'bool'); } finally { count.dispose(); }
  } finally {
    hits.dispose();
  }
}
/** Whether any element (over `dim`, a number or an array; all dims when omitted) is nonzero: bool. */
export const any = (x: Tensor, dim?: number | number[], keepdim = false): Tensor => anyAll('any', x, dim, keepdim);
/** Whether every element (over `dim`; all dims when omitted) is nonzero: bool. */
export const all = (x: Tensor, dim?: number | number[], keepdim = false): Tensor => anyAll('all', x, dim, keepdim);

// ---- isnan / isinf / isfinite ----

function test(op: 'isnan' | 'isinf' | 'isfinite', x: Tensor): Tensor {
  checkTensor(op, x);
  return mapRaw(SPECS[op], [x], 'bool');
}
export const isnan = (x: Tensor): Tensor => test('isnan', x);
export const isinf = (x: Tensor): Tensor => test('isinf', x);
export const isfinite = (x: Tensor): Tensor => test('isfinite', x);

// ---- logicalNot / logicalAnd / logicalOr / logicalXor ----

// Any dtype; nonzero (NaN too) is true. Built from comparisons, so the result is bool and the
// NaN rule is the comparisons' (tested on the bits).
export function logicalNot(x: Tensor): Tensor {
  checkTensor('logicalNot', x);
  return eq(x, 0);
}

function logical(op: 'logicalAnd' | 'logicalOr' | 'logicalXor', a: Tensor, b: Tensor): Tensor {
  checkTensor(op, a, 'input');
  checkTensor(op, b, 'other');
  deviceOf(op, a, b);
  broadcastShapes(op, a.shape, b.shape);
  const [p, q] = [ne(a, 0), ne(b, 0)];
  // On bool, mul is and, add is or, ne is xor.
  const r = op === 'logicalAnd' ? mul(p, q) : op === 'logicalOr' ? add(p, q) : ne(p, q);
  p.dispose();
  q.dispose();
  return r;
}
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => logical('logicalAnd', a, b);
export const logicalOr = (a: Tensor, b: Tensor): Tensor => logical('logicalOr', a, b);
export const logicalXor = (a: Tensor, b: Tensor): Tensor => logical('logicalXor', a, b);

// ---- tril / triu ----

/** Column indices [C] and row indices + k as a [R, 1] column, on x's device. */
function triIndices(x: Tensor, k: number): [Tensor, Tensor] {
  const [R, C] = x.shape.slice(-2);
  // Any k past the matrix acts as the nearest one inside, and keeps r + k within int32.
  const kk = Math.min(Math.max(k, -R - 1), C + 1);
  const cols = fromArray(Int32Array.from({ length: C }, (_, c) => c), [C], 'int32', x.device);
  const rows = fromArray(Int32Array.from({ length: R }, (_, r) => r + kk), [R, 1], 'int32', x.device);
  return [cols, rows];
}

function triMap(lower: boolean, a: Tensor, k: number, dtype = a.dtype): Tensor {
  const [cols, rows] = triIndices(a, k);
  try { return mapRaw(lower ? SPECS.trilKeep : SPECS.triuKeep, [a, cols, rows], dtype); } finally { cols.dispose(); rows.dispose(); }
}

class Tri extends Function {
  static override forward(ctx: Ctx, x: Tensor, k: number, lower: boolean): Tensor {
    ctx.k = k;
    ctx.lower = lower;
    return triMap(lower, x, k);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    return [triMap(ctx.lower, dy, ctx.k), null, null];
  }
}

function tri(op: 'tril' | 'triu', x: Tensor, k: number): Tensor {
  checkTensor(op, x);
  checkInt(op, 'diagonal', k);
  if (x.ndim < 2) throw new Error(`${op}: input must have at least 2 dims, got shape ${fmtShape(x.shape)}`);
  return Tri.apply(x, k, op === 'tril');
}
/** The lower triangle of the last two dims (j - i <= k kept), the rest 0; batched. */
export const tril = (x: Tensor, diagonal = 0): Tensor => tri('tril', x, diagonal);
/** The upper triangle of the last two dims (j - i >= k kept), the rest 0; batched. */
export const triu = (x: Tensor, diagonal = 0): Tensor => tri('triu', x, diagonal);

// ---- select ----

function selectLayout(a: Tensor, dim: number, index: number): Tensor {
  const keep = (_: number, i: number): boolean => i !== dim;
  return a.withLayout(a.shape.filter(keep), a.strides.filter(keep), a.offset + index * a.strides[dim]);
}

class Select extends Function {
  static override forward(ctx: Ctx, a: Tensor, dim: number, index: number): Tensor {
    ctx.args = [a.shape, a.dtype, dim, index];
    return selectLayout(a, dim, index);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [shape, dtype, dim, index] = ctx.args;
    const g = full(shape, 0, dtype, dy.device);
    const region = selectLayout(g, dim, index);
    copyInto(region, dy);
    region.dispose();
    return [g, null, null];
  }
}

/** The slice at `index` along `dim`, with that dim removed: a view (negative dim and index count from the end). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor('select', x);
  if (x.ndim === 0) throw new Error('select: cannot select on a 0-d tensor (shape [])');
  const d = normDim('select', dim, x.ndim);
  checkInt('select', 'index', index);
  const size = x.shape[d];
  if (index < -size || index >= size) throw new Error(`select: index ${index} is out of range for dim ${dim} of size ${size} (shape ${fmtShape(x.shape)})`);
  return Select.apply(x, d, index < 0 ? index + size : index);
}
