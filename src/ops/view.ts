// Views (view reshape permute transpose unsqueeze squeeze expand flatten narrow slice chunk
// split) change shape/strides/offset only; contiguous() and clone() copy through the map
// kernel. Each view is a Function whose backward maps the gradient back onto the input.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { cpuArray, f32ToF16Bits, roundF16, type DType, type TypedArray } from '../tensor/dtype.js';
import { contiguousStrides, fmtShape, inferShape, isContiguous, normDim, numel, viewStrides, describe } from '../tensor/shape.js';
import { Storage, type DeviceKind } from '../backend/storage.js';
import { checkInt, checkIntList, checkTensor } from '../tensor/check.js';
import { runtime } from '../backend/runtime.js';
import { copyInto, copyRaw, sumToShape } from './elementwise.js';

export function dimArg(op: string, dim: number, ndim: number): number {
  return normDim(op, dim, ndim);
}

/** A new tensor holding `data` (row-major) on `device`. */
export function fromArray(data: ArrayLike<number>, shape: readonly number[], dtype: DType, device: DeviceKind): Tensor {
  const n = numel(shape);
  // bool holds exactly 0 or 1: any nonzero (NaN too) is true, as PyTorch's cast to bool.
  if (dtype === 'bool') data = Int32Array.from(data, (v) => (v !== 0 ? 1 : 0));
  if (data.length !== n) throw new Error(`tensor: ${data.length} values do not fill shape ${fmtShape(shape)} (${n} elements)`);
  if (device === 'cpu') {
    const arr: TypedArray = cpuArray(dtype, n);
    if (dtype === 'float16') for (let i = 0; i < n; i++) arr[i] = roundF16(data[i]);
    else arr.set(data);
    return new Tensor(Storage.cpu(arr), shape, contiguousStrides(shape), 0, dtype);
  }
  const t = Tensor.empty(shape, dtype, device, 'tensor');
  if (n === 0) return t;
  let bytes: ArrayBufferView;
  if (dtype === 'float16') {
    const h = new Uint16Array(n);
    for (let i = 0; i < n; i++) h[i] = f32ToF16Bits(data[i]);
    bytes = h;
  } else if (dtype === 'int32' || dtype === 'bool') bytes = data instanceof Int32Array ? data : Int32Array.from(data);
  else if (dtype === 'float32') bytes = data instanceof Float32Array ? data : Float32Array.from(data);
  else throw new Error("tensor: dtype 'float64' exists only on the CPU backend");
  t.storage.gpu!.write(t.buffer, 0, bytes);
  return t;
}

/** A new tensor filled with `value`. */
export function full(shape: readonly number[], value: number, dtype: DType, device: DeviceKind = runtime.defaultDevice): Tensor {
  for (const s of shape) if (!Number.isInteger(s) || s < 0) throw new Error(`full: invalid shape ${fmtShape(shape)}`);
  if (typeof value !== 'number') throw new Error(`full: fill value must be a number, got ${describe(value)}`);
  const t = Tensor.empty(shape, dtype, device, 'full');
  if (device === 'cpu') {
    t.data.fill(dtype === 'float16' ? roundF16(value) : dtype === 'int32' ? Math.trunc(value) : dtype === 'bool' ? +(value !== 0) : value);
    return t;
  }
  return copyInto(t, value);
}

// ---- view Functions ----

class ViewFn extends Function {
  static override forward(ctx: Ctx, a: Tensor, shape: number[], strides: number[], offset: number): Tensor {
    ctx.inShape = a.shape;
    return a.withLayout(shape, strides, offset);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    return [reshape(dy, ctx.inShape), null, null, null];
  }
}

export function view(a: Tensor, shape: number[]): Tensor {
  checkTensor('view', a);
  const to = inferShape('view', a.shape, checkIntList('view', 'shape', shape));
  const st = viewStrides(a.shape, a.strides, to);
  if (!st) {
    throw new Error(`view: size ${fmtShape(to)} is not compatible with the input's size ${fmtShape(a.shape)} and strides ${fmtShape(a.strides)} (at least one dimension spans across two contiguous subspaces); use reshape() instead`);
  }
  return ViewFn.apply(a, to, st, a.offset);
}

export function reshape(a: Tensor, shape: number[]): Tensor {
  checkTensor('reshape', a);
  const to = inferShape('reshape', a.shape, checkIntList('reshape', 'shape', shape));
  if (viewStrides(a.shape, a.strides, to)) return view(a, to);
  return view(contiguous(a), to);
}

class PermuteFn extends Function {
  static override forward(ctx: Ctx, a: Tensor, dims: number[]): Tensor {
    ctx.dims = dims;
    return a.withLayout(dims.map((d) => a.shape[d]), dims.map((d) => a.strides[d]), a.offset);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const inv = new Array<number>(ctx.dims.length);
    (ctx.dims as number[]).forEach((d, i) => { inv[d] = i; });
    return [permute(dy, inv), null];
  }
}

export function permute(a: Tensor, dims: number[]): Tensor {
  checkTensor('permute', a);
  dims = checkIntList('permute', 'dims', dims);
  if (dims.length !== a.ndim) throw new Error(`permute: got ${dims.length} dims ${fmtShape(dims)} for a tensor of ${a.ndim} dims (shape ${fmtShape(a.shape)})`);
  const nd = dims.map((d) => normDim('permute', d, a.ndim));
  if (new Set(nd).size !== nd.length) throw new Error(`permute: repeated dim in ${fmtShape(dims)}`);
  return PermuteFn.apply(a, nd);
}

export function transpose(a: Tensor, d0: number, d1: number): Tensor {
  checkTensor('transpose', a);
  const dims = a.shape.map((_, i) => i);
  const x = normDim('transpose', d0, a.ndim);
  const y = normDim('transpose', d1, a.ndim);
  // A 0-d tensor takes dims 0 and -1 (PyTorch's scalar wrap) and is returned as a view.
  if (a.ndim === 0) return PermuteFn.apply(a, dims);
  [dims[x], dims[y]] = [dims[y], dims[x]];
  return PermuteFn.apply(a, dims);
}

export function unsqueeze(a: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', a);
  const d = normDim('unsqueeze', dim, a.ndim, 1);
  const shape = [...a.shape];
  shape.splice(d, 0, 1);
  return view(a, shape);
}

export function squeeze(a: Tensor, dim?: number): Tensor {
  checkTensor('squeeze', a);
  if (dim === undefined) return view(a, a.shape.filter((s) => s !== 1));
  const d = normDim('squeeze', dim, a.ndim);
  if (a.shape[d] !== 1) return view(a, [...a.shape]);
  const shape = [...a.shape];
  shape.splice(d, 1);
  return view(a, shape);
}

export function flatten(a: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', a);
  const s = normDim('flatten', startDim, a.ndim);
  const e = normDim('flatten', endDim, a.ndim);
  if (a.ndim === 0) return reshape(a, [1]);
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...a.shape.slice(0, s), numel(a.shape.slice(s, e + 1)), ...a.shape.slice(e + 1)];
  return reshape(a, shape);
}

class ExpandFn extends Function {
  static override forward(ctx: Ctx, a: Tensor, shape: number[]): Tensor {
    ctx.inShape = a.shape;
    const lead = shape.length - a.ndim;
    const strides = shape.map((s, i) => (i < lead ? 0 : a.shape[i - lead] === 1 && s !== 1 ? 0 : a.strides[i - lead]));
    return a.withLayout(shape, strides, a.offset);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    return [sumToShape(dy, ctx.inShape), null];
  }
}

export function expand(a: Tensor, shape: number[]): Tensor {
  checkTensor('expand', a);
  shape = checkIntList('expand', 'shape', shape);
  if (shape.length < a.ndim) throw new Error(`expand: the target shape ${fmtShape(shape)} has fewer dims than the tensor (${fmtShape(a.shape)})`);
  const lead = shape.length - a.ndim;
  const to = shape.map((s, i) => {
    const cur = i < lead ? -2 : a.shape[i - lead];
    if (s === -1) {
      if (i < lead) throw new Error(`expand: -1 is not allowed in a new leading dim (target ${fmtShape(shape)})`);
      return cur;
    }
    if (cur !== -2 && cur !== 1 && cur !== s) throw new Error(`expand: the expanded size ${s} must match the existing size ${cur} at dim ${i} (tensor ${fmtShape(a.shape)}, target ${fmtShape(shape)})`);
    return s;
  });
  return ExpandFn.apply(a, to);
}

function narrowLayout(a: Tensor, dim: number, start: number, length: number, step: number): Tensor {
  const shape = [...a.shape];
  shape[dim] = length;
  const strides = [...a.strides];
  strides[dim] *= step;
  return a.withLayout(shape, strides, a.offset + start * a.strides[dim]);
}

class NarrowFn extends Function {
  static override forward(ctx: Ctx, a: Tensor, dim: number, start: number, length: number, step: number): Tensor {
    ctx.args = [a.shape, a.dtype, dim, start, length, step];
    return narrowLayout(a, dim, start, length, step);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [shape, dtype, dim, start, length, step] = ctx.args;
    const g = full(shape, 0, dtype, dy.device);
    const region = narrowLayout(g, dim, start, length, step);
    copyInto(region, dy);
    region.dispose();
    return [g, null, null, null, null];
  }
}

export function narrow(a: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow', a);
  if (a.ndim === 0) throw new Error(`narrow: cannot be applied to a 0-dim tensor (input shape ${fmtShape(a.shape)}, dim ${describe(dim)})`);
  const d = normDim('narrow', dim, a.ndim);
  const size = a.shape[d];
  checkInt('narrow', 'start', start);
  checkInt('narrow', 'length', length);
  const st = start < 0 ? start + size : start;
  if (!Number.isInteger(st) || !Number.isInteger(length) || st < 0 || length < 0 || st + length > size) {
    throw new Error(`narrow: start ${start} + length ${length} is out of range for dim ${dim} of size ${size} (shape ${fmtShape(a.shape)})`);
  }
  return NarrowFn.apply(a, d, st, length, 1);
}

/** Python-style slice a[start:end:step] along dim (negative start/end count from the end). */
export function slice(a: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  checkTensor('slice', a);
  if (a.ndim === 0) throw new Error(`slice: cannot be applied to a 0-dim tensor (input shape ${fmtShape(a.shape)}, dim ${describe(dim)})`);
  const d = normDim('slice', dim, a.ndim);
  const size = a.shape[d];
  checkInt('slice', 'start', start);
  if (end !== undefined && end !== null) checkInt('slice', 'end', end);
  checkInt('slice', 'step', step, 1);
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s = clamp(start);
  const e = clamp(end ?? size);
  const length = Math.max(0, Math.ceil((e - s) / step));
  return NarrowFn.apply(a, d, s, length, step);
}

export function split(a: Tensor, sizes: number | number[], dim = 0): Tensor[] {
  checkTensor('split', a);
  if (a.ndim === 0) throw new Error('split: expected a tensor of at least 1 dim, got a 0-d tensor');
  const d = normDim('split', dim, a.ndim);
  const size = a.shape[d];
  let parts: number[];
  if (typeof sizes === 'number') {
    // As PyTorch: a split size of 0 only for a dim of size 0 (one empty piece, as any size gives).
    checkInt('split', 'split size', sizes, size === 0 ? 0 : 1);
    parts = [];
    for (let s = 0; s < size; s += sizes) parts.push(Math.min(sizes, size - s));
    if (size === 0) parts.push(0);
  } else {
    parts = checkIntList('split', 'sizes', sizes);
    const total = parts.reduce((x, y) => x + y, 0);
    if (total !== size || parts.some((p) => !Number.isInteger(p) || p < 0)) throw new Error(`split: sections ${fmtShape(parts)} do not add up to ${size}, the size of dim ${dim} (shape ${fmtShape(a.shape)})`);
  }
  return SplitFn.apply(a, d, parts);
}

/**
 * The gradient of a tensor of `shape` whose pieces were views: `dys[i]` is copied into
 * `region(g, i)`, piece i's layout in g. The pieces must tile g, so with every gradient
 * present no zero fill is needed (missing ones are zeros).
 */
export function gradOfPieces(shape: number[], dtype: DType, dys: Array<Tensor | null>, region: (g: Tensor, i: number) => Tensor, op: string): Tensor {
  const device = dys.find((y) => y)!.device;
  const g = dys.every((y) => y) ? Tensor.empty(shape, dtype, device, op) : full(shape, 0, dtype, device);
  dys.forEach((dy, i) => {
    if (!dy || dy.numel === 0) return;
    const r = region(g, i);
    copyInto(r, dy);
    r.dispose();
  });
  return g;
}

/**
 * One node for all the pieces, as PyTorch's SplitBackward: the gradient is written piece by
 * piece into one buffer (one copy each, and zeros only if some piece got no gradient), where
 * a narrow per piece would cost a zero fill and a copy per piece plus an add to sum them (8
 * dispatches instead of 3 for an attention layer's q, k, v).
 */
class SplitFn extends Function {
  static override forward(ctx: Ctx, a: Tensor, dim: number, parts: number[]): Tensor[] {
    ctx.args = [a.shape, a.dtype, dim, parts];
    ctx.materializeGrads = false;
    let start = 0;
    return parts.map((p) => { const t = narrowLayout(a, dim, start, p, 1); start += p; return t; });
  }
  static override backward(ctx: Ctx, ...dys: Array<Tensor | null>): Array<Tensor | null> {
    const [shape, dtype, dim, parts] = ctx.args as [number[], DType, number, number[]];
    const starts = parts.map((_, i) => parts.slice(0, i).reduce((a, b) => a + b, 0));
    return [gradOfPieces(shape, dtype, dys, (g, i) => narrowLayout(g, dim, starts[i], parts[i], 1), 'split'), null, null];
  }
}

export function chunk(a: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', a);
  if (a.ndim === 0) throw new Error('chunk: expected a tensor of at least 1 dim, got a 0-d tensor');
  checkInt('chunk', 'chunks', chunks, 1);
  const d = normDim('chunk', dim, a.ndim);
  // PyTorch's rule: pieces of ceil(size / chunks), so fewer than `chunks` pieces can come back
  // (5 in 4 chunks is 2, 2, 1); a dim of size 0 gives `chunks` empty pieces.
  if (a.shape[d] === 0) return split(a, new Array<number>(chunks).fill(0), d);
  return split(a, Math.ceil(a.shape[d] / chunks), d);
}

class CopyFn extends Function {
  static override forward(_ctx: Ctx, a: Tensor): Tensor {
    return copyRaw(a);
  }
  static override backward(_ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    return [dy];
  }
}

/** The tensor itself (as a new view object) when already contiguous, else a contiguous copy. */
export function contiguous(a: Tensor): Tensor {
  checkTensor('contiguous', a);
  if (isContiguous(a.shape, a.strides)) return ViewFn.apply(a, a.shape, a.strides, a.offset);
  return CopyFn.apply(a);
}

export function clone(a: Tensor): Tensor {
  checkTensor('clone', a);
  return CopyFn.apply(a);
}
