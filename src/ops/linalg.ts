// Everyday linear algebra after PyTorch: products (outer, dot, mv, mm, addmm, addmv, baddbmm),
// diagonals (diagonal, a strided view; diag, diagEmbed, trace), cross, kron, and the
// triangle index lists. All are compositions of existing ops (matmul, the elementwise map,
// views), as PyTorch's definitions are, so they run on both backends with those ops'
// gradients; diagonal and diagEmbed are Functions whose backward writes through a view.
import { Tensor, checkAllocation } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { isFloat } from '../tensor/dtype.js';
import { broadcastShapes, checkOptions, describe, fmtShape, normDim } from '../tensor/shape.js';
import { checkInt } from '../tensor/check.js';
import { tidy } from '../tensor/scope.js';
import { runtime } from '../backend/runtime.js';
import type { DeviceKind } from '../backend/storage.js';
import { checkInput } from './rows.js';
import { add, copyInto, copyRaw, mul, sub, sumToShape, where } from './elementwise.js';
import { sum } from './reduce.js';
import { bmm, matmul } from './matmul.js';
import { expand, fromArray, full, reshape, unsqueeze } from './view.js';
import { select } from './mask.js';
import { stack } from './join.js';

const dims = (t: Tensor): string => `${t.ndim}-D (shape ${fmtShape(t.shape)})`;

function checkNd(op: string, arg: string, t: Tensor, nd: number): void {
  if (t.ndim !== nd) throw new Error(`${op}: expected ${arg} to be ${nd}-D, got ${dims(t)}`);
}

/** Every tensor on one device and of one dtype (PyTorch's mm, mv, dot, addmm refuse a mix). */
function checkSame(op: string, named: Array<[string, Tensor]>, float: boolean): void {
  const [n0, t0] = named[0];
  for (const [n, t] of named.slice(1)) {
    if (t.device !== t0.device) throw new Error(`${op}: ${n0} is on ${t0.device} and ${n} on ${t.device}`);
    if (t.dtype !== t0.dtype) throw new Error(`${op}: expected ${n0} and ${n} to have the same dtype, got ${t0.dtype} and ${t.dtype}`);
  }
  if (float && !isFloat(t0.dtype)) throw new Error(`${op}: dtype ${t0.dtype} is not supported; the matrix products take floating point tensors (cast with .float())`);
}

// ---- products ----

/** torch.outer: a [n] x b [m] -> [n, m], dtypes promoted as mul. */
export function outer(a: Tensor, b: Tensor): Tensor {
  checkInput('outer', a, 'input');
  checkInput('outer', b, 'vec2');
  checkNd('outer', 'input', a, 1);
  checkNd('outer', 'vec2', b, 1);
  if (a.device !== b.device) throw new Error(`outer: input is on ${a.device} and vec2 on ${b.device}`);
  return tidy(() => mul(unsqueeze(a, 1), unsqueeze(b, 0)));
}

/** torch.dot: Σ a_i · b_i of two 1-D tensors of one dtype and length -> 0-d. */
export function dot(a: Tensor, b: Tensor): Tensor {
  checkInput('dot', a, 'input');
  checkInput('dot', b, 'other');
  if (a.ndim !== 1 || b.ndim !== 1) throw new Error(`dot: 1-D tensors expected, got ${dims(a)} and ${dims(b)}`);
  checkSame('dot', [['input', a], ['other', b]], false);
  if (a.dtype === 'bool') throw new Error('dot: bool tensors are not supported, as PyTorch');
  if (a.shape[0] !== b.shape[0]) throw new Error(`dot: input and other must have the same number of elements, got ${a.shape[0]} and ${b.shape[0]}`);
  // int32 has no matmul kernel: the products and their sum (int32 wraps, as PyTorch's int32).
  return isFloat(a.dtype) ? matmul(a, b) : tidy(() => sum(mul(a, b)));
}

/** torch.mv: mat [n, m] · vec [m] -> [n]. */
export function mv(mat: Tensor, vec: Tensor): Tensor {
  checkInput('mv', mat, 'input');
  checkInput('mv', vec, 'vec');
  checkNd('mv', 'input', mat, 2);
  checkNd('mv', 'vec', vec, 1);
  checkSame('mv', [['input', mat], ['vec', vec]], true);
  if (mat.shape[1] !== vec.shape[0]) throw new Error(`mv: size mismatch, input ${fmtShape(mat.shape)} and vec ${fmtShape(vec.shape)}`);
  return matmul(mat, vec);
}

/** torch.mm: [n, m] · [m, p] -> [n, p], 2-D only. */
export function mm(a: Tensor, b: Tensor): Tensor {
  checkInput('mm', a, 'input');
  checkInput('mm', b, 'mat2');
  checkNd('mm', 'input', a, 2);
  checkNd('mm', 'mat2', b, 2);
  checkSame('mm', [['input', a], ['mat2', b]], true);
  if (a.shape[1] !== b.shape[0]) throw new Error(`mm: input and mat2 shapes cannot be multiplied (${a.shape.join('x')} and ${b.shape.join('x')})`);
  return matmul(a, b);
}

export interface AddmmOptions { beta?: number; alpha?: number }

/** beta · input + r; beta 0 ignores input (its NaNs too), as PyTorch; input's gradient is beta · g. */
class AddScaled extends Function {
  static override forward(ctx: Ctx, input: Tensor, r: Tensor, beta: number): Tensor {
    ctx.inShape = input.shape;
    ctx.beta = beta;
    if (beta === 0) return copyRaw(r);
    return add(beta === 1 ? input : mul(input, beta), r);
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    return [sumToShape(mul(g, ctx.beta), ctx.inShape), g, null];
  }
}

/** beta · input + alpha · product(...) for the add* family; checks options and input's shape. */
function addProduct(op: string, input: Tensor, outShape: number[], opts: unknown, product: () => Tensor): Tensor {
  const o = checkOptions(op, opts, ['beta', 'alpha']);
  for (const k of ['beta', 'alpha'] as const) {
    if (o[k] !== undefined && (typeof o[k] !== 'number' || Number.isNaN(o[k]))) throw new Error(`${op}: ${k} must be a number, got ${describe(o[k])}`);
  }
  const [beta, alpha] = [(o.beta ?? 1) as number, (o.alpha ?? 1) as number];
  const to = broadcastShapes(op, input.shape, outShape);
  if (to.length !== outShape.length || to.some((s, i) => s !== outShape[i])) {
    throw new Error(`${op}: input of shape ${fmtShape(input.shape)} does not broadcast to the product's shape ${fmtShape(outShape)}`);
  }
  return tidy(() => {
    const r = product();
    // alpha 0 ignores the product, its NaNs too, as PyTorch (where() keeps its gradient at 0).
    const scaled = alpha === 1 ? r : alpha === 0 ? where(full(r.shape, 1, 'bool', r.device), 0, r) : mul(r, alpha);
    return AddScaled.apply(input, scaled, beta) as Tensor;
  });
}

/** torch.addmm: beta · input + alpha · (mat1 @ mat2), input broadcast to [n, p]. */
export function addmm(input: Tensor, mat1: Tensor, mat2: Tensor, opts: AddmmOptions = {}): Tensor {
  checkInput('addmm', input, 'input');
  checkInput('addmm', mat1, 'mat1');
  checkInput('addmm', mat2, 'mat2');
  checkNd('addmm', 'mat1', mat1, 2);
  checkNd('addmm', 'mat2', mat2, 2);
  checkSame('addmm', [['input', input], ['mat1', mat1], ['mat2', mat2]], true);
  if (mat1.shape[1] !== mat2.shape[0]) throw new Error(`addmm: mat1 and mat2 shapes cannot be multiplied (${mat1.shape.join('x')} and ${mat2.shape.join('x')})`);
  return addProduct('addmm', input, [mat1.shape[0], mat2.shape[1]], opts, () => matmul(mat1, mat2));
}

/** torch.addmv: beta · input + alpha · (mat @ vec), input broadcast to [n]. */
export function addmv(input: Tensor, mat: Tensor, vec: Tensor, opts: AddmmOptions = {}): Tensor {
  checkInput('addmv', input, 'input');
  checkInput('addmv', mat, 'mat');
  checkInput('addmv', vec, 'vec');
  checkNd('addmv', 'mat', mat, 2);
  checkNd('addmv', 'vec', vec, 1);
  checkSame('addmv', [['input', input], ['mat', mat], ['vec', vec]], true);
  if (mat.shape[1] !== vec.shape[0]) throw new Error(`addmv: size mismatch, mat ${fmtShape(mat.shape)} and vec ${fmtShape(vec.shape)}`);
  return addProduct('addmv', input, [mat.shape[0]], opts, () => matmul(mat, vec));
}

/** torch.baddbmm: beta · input + alpha · (batch1 @ batch2), input broadcast to [b, n, p]. */
export function baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, opts: AddmmOptions = {}): Tensor {
  checkInput('baddbmm', input, 'input');
  checkInput('baddbmm', batch1, 'batch1');
  checkInput('baddbmm', batch2, 'batch2');
  checkNd('baddbmm', 'batch1', batch1, 3);
  checkNd('baddbmm', 'batch2', batch2, 3);
  checkSame('baddbmm', [['input', input], ['batch1', batch1], ['batch2', batch2]], true);
  const [a, b] = [batch1.shape, batch2.shape];
  if (a[0] !== b[0] || a[2] !== b[1]) throw new Error(`baddbmm: batch1 ${fmtShape(a)} and batch2 ${fmtShape(b)} cannot be multiplied (batch sizes must match and batch1's columns equal batch2's rows)`);
  return addProduct('baddbmm', input, [a[0], a[1], b[2]], opts, () => bmm(batch1, batch2));
}

// ---- diagonals ----

/** The layout of x's diagonal `offset` over dims d1, d2: the other dims, then the diagonal. */
function diagLayout(x: Tensor, offset: number, d1: number, d2: number): Tensor {
  const size = Math.max(0, offset >= 0 ? Math.min(x.shape[d1], x.shape[d2] - offset) : Math.min(x.shape[d1] + offset, x.shape[d2]));
  const start = size === 0 ? 0 : offset >= 0 ? offset * x.strides[d2] : -offset * x.strides[d1];
  const rest = x.shape.map((_, i) => i).filter((i) => i !== d1 && i !== d2);
  return x.withLayout([...rest.map((i) => x.shape[i]), size], [...rest.map((i) => x.strides[i]), x.strides[d1] + x.strides[d2]], x.offset + start);
}

class DiagonalFn extends Function {
  static override forward(ctx: Ctx, x: Tensor, offset: number, d1: number, d2: number): Tensor {
    ctx.args = [x.shape, x.dtype, offset, d1, d2];
    return diagLayout(x, offset, d1, d2);
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [shape, dtype, offset, d1, d2] = ctx.args;
    return [embed(g, shape, dtype, offset, d1, d2), null, null, null];
  }
}

/** Zeros of `shape` with `src` written along the diagonal (offset, d1, d2). Not recorded. */
function embed(src: Tensor, shape: number[], dtype: Tensor['dtype'], offset: number, d1: number, d2: number): Tensor {
  const out = full(shape, 0, dtype, src.device);
  const region = diagLayout(out, offset, d1, d2);
  copyInto(region, src);
  region.dispose();
  return out;
}

function diagDims(op: string, x: Tensor, nd: number, dim1: unknown, dim2: unknown): [number, number] {
  const d1 = normDim(op, checkInt(op, 'dim1', dim1), nd);
  const d2 = normDim(op, checkInt(op, 'dim2', dim2), nd);
  if (d1 === d2) throw new Error(`${op}: dim1 and dim2 must differ, got ${dim1} and ${dim2} (input shape ${fmtShape(x.shape)})`);
  return [d1, d2];
}

/** torch.diagonal: a view of the diagonal `offset` over dim1, dim2, appended as the last dim. */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  checkInput('diagonal', x);
  checkInt('diagonal', 'offset', offset);
  const [d1, d2] = diagDims('diagonal', x, x.ndim, dim1, dim2);
  return DiagonalFn.apply(x, offset, d1, d2);
}

/** diagEmbed's output shape: x's dims but the last, with the diagonal's side at d1 and d2. */
function embedShape(op: string, x: Tensor, offset: number, d1: number, d2: number): number[] {
  const n = x.shape[x.ndim - 1] + Math.abs(offset);
  const shape = x.shape.slice(0, -1);
  for (const d of [d1, d2].sort((p, q) => p - q)) shape.splice(d, 0, n);
  checkAllocation(op, shape, x.dtype, x.device);
  return shape;
}

class DiagEmbedFn extends Function {
  static override forward(ctx: Ctx, x: Tensor, offset: number, d1: number, d2: number, shape: number[]): Tensor {
    ctx.args = [offset, d1, d2];
    return embed(x, shape, x.dtype, offset, d1, d2);
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [offset, d1, d2] = ctx.args;
    const view = diagLayout(g, offset, d1, d2);
    try { return [copyRaw(view), null, null, null, null]; } finally { view.dispose(); }
  }
}

/** torch.diag_embed: x's last dim written along the diagonal `offset` of dims dim1, dim2 of a new tensor with one more dim. */
export function diagEmbed(x: Tensor, offset = 0, dim1 = -2, dim2 = -1): Tensor {
  checkInput('diagEmbed', x);
  checkInt('diagEmbed', 'offset', offset);
  const [d1, d2] = diagDims('diagEmbed', x, x.ndim + 1, dim1, dim2);
  return DiagEmbedFn.apply(x, offset, d1, d2, embedShape('diagEmbed', x, offset, d1, d2));
}

/** torch.diag: a 1-D x as the diagonal `diagonal` of a square matrix, or a 2-D x's diagonal (a copy). */
export function diag(x: Tensor, diagonal = 0): Tensor {
  checkInput('diag', x);
  checkInt('diag', 'diagonal', diagonal);
  if (x.ndim === 1) return DiagEmbedFn.apply(x, diagonal, 0, 1, embedShape('diag', x, diagonal, 0, 1));
  if (x.ndim !== 2) throw new Error(`diag: expected a 1-D or 2-D input, got ${dims(x)}`);
  return tidy(() => (DiagonalFn.apply(x, diagonal, 0, 1) as Tensor).contiguous());
}

/** torch.trace: the sum of a 2-D x's main diagonal (int32 for int32 and bool, where PyTorch gives int64). */
export function trace(x: Tensor): Tensor {
  checkInput('trace', x);
  if (x.ndim !== 2) throw new Error(`trace: expected a matrix (2-D), got ${dims(x)}`);
  return tidy(() => sum(DiagonalFn.apply(x, 0, 0, 1) as Tensor));
}

// ---- cross and kron ----

function crossAs(op: string, a: Tensor, b: Tensor, dim: number | null | undefined): Tensor {
  checkInput(op, a, 'input');
  checkInput(op, b, 'other');
  if (a.ndim !== b.ndim) throw new Error(`${op}: input and other must have the same number of dims, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  checkSame(op, [['input', a], ['other', b]], false);
  const shape = broadcastShapes(op, a.shape, b.shape);
  let d: number;
  if (dim === undefined || dim === null) {
    // torch.cross without a dim: the first dim of input's shape of size 3.
    d = a.shape.indexOf(3);
    if (d < 0) throw new Error(`${op}: input (shape ${fmtShape(a.shape)}) has no dim of size 3; give dim`);
  } else d = normDim(op, checkInt(op, 'dim', dim), shape.length);
  if (a.shape[d] !== 3 || b.shape[d] !== 3) throw new Error(`${op}: inputs dim ${d} must have length 3, got ${a.shape[d]} and ${b.shape[d]} (shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)})`);
  return tidy(() => {
    const [x, y] = [expand(a, shape), expand(b, shape)];
    const c = (t: Tensor, i: number): Tensor => select(t, d, i);
    const part = (i: number, j: number): Tensor => sub(mul(c(x, i), c(y, j)), mul(c(x, j), c(y, i)));
    return stack([part(1, 2), part(2, 0), part(0, 1)], d);
  });
}

/** torch.linalg.cross: the cross product along `dim` (default -1, size 3), inputs broadcast. */
export const linalgCross = (a: Tensor, b: Tensor, dim = -1): Tensor => crossAs('linalg.cross', a, b, dim);

/** torch.cross: as linalg.cross, but without a dim it takes the first dim of size 3. */
export const cross = (a: Tensor, b: Tensor, dim?: number | null): Tensor => crossAs('cross', a, b, dim);

/** torch.kron: the Kronecker product; the operand with fewer dims gets leading 1s. */
export function kron(a: Tensor, b: Tensor): Tensor {
  checkInput('kron', a, 'input');
  checkInput('kron', b, 'other');
  if (a.device !== b.device) throw new Error(`kron: input is on ${a.device} and other on ${b.device}`);
  const nd = Math.max(a.ndim, b.ndim);
  const pad = (t: Tensor): number[] => [...new Array<number>(nd - t.ndim).fill(1), ...t.shape];
  const [sa, sb] = [pad(a), pad(b)];
  // a as [a0, 1, a1, 1, ...] times b as [1, b0, 1, b1, ...], then each pair merged.
  return tidy(() => {
    const prod = mul(reshape(a, sa.flatMap((s) => [s, 1])), reshape(b, sb.flatMap((s) => [1, s])));
    return reshape(prod, sa.map((s, i) => s * sb[i]));
  });
}

// ---- triangle indices ----

/** How many (i, j) of a row x col matrix have j − i >= offset: full rows, then a shrinking run. */
function upperCount(row: number, col: number, offset: number): number {
  if (row === 0 || col === 0) return 0;
  const full = Math.max(0, Math.min(row, 1 - offset));
  const hi = Math.max(full, Math.min(row, col - offset));
  const n = hi - full;
  return full * col + n * (col - offset) - ((full + hi - 1) * n) / 2;
}

function triIndices(op: string, row: number, col: number, offset: number, opts: unknown, upper: boolean): Tensor {
  checkInt(op, 'row', row, 0);
  checkInt(op, 'col', col, 0);
  checkInt(op, 'offset', offset);
  const o = checkOptions(op, opts, ['device']);
  if (o.device !== undefined && o.device !== 'cpu' && o.device !== 'webgpu') throw new Error(`${op}: device must be 'cpu' or 'webgpu', got ${describe(o.device)}`);
  const device = (o.device as DeviceKind | undefined) ?? runtime.defaultDevice;
  // The lower triangle at offset is the complement of the upper one at offset + 1.
  const n = upper ? upperCount(row, col, offset) : row * col - upperCount(row, col, offset + 1);
  checkAllocation(op, [2, n], 'int32', device);
  const out = new Int32Array(2 * n);
  let k = 0;
  // Only the rows that hold an index are visited, so the loops are as long as the output.
  const [r0, r1] = upper ? [0, Math.min(row, col - offset)] : [Math.max(0, -offset), row];
  for (let i = r0; i < r1; i++) {
    const [j0, j1] = upper ? [Math.max(0, i + offset), col] : [0, Math.min(col, i + offset + 1)];
    for (let j = j0; j < j1; j++, k++) { out[k] = i; out[n + k] = j; }
  }
  return fromArray(out, [2, n], 'int32', device);
}

/** torch.triu_indices: the [2, N] int32 (row, col) coordinates on or above diagonal `offset` of a row x col matrix, row-major. */
export const triuIndices = (row: number, col: number, offset = 0, opts: { device?: DeviceKind } = {}): Tensor => triIndices('triuIndices', row, col, offset, opts, true);
/** torch.tril_indices: as triuIndices, on or below the diagonal. */
export const trilIndices = (row: number, col: number, offset = 0, opts: { device?: DeviceKind } = {}): Tensor => triIndices('trilIndices', row, col, offset, opts, false);
