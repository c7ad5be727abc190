// Moving, splitting, tiling and rotating dims, as PyTorch's movedim/moveaxis,
// swapaxes/swapdims, unflatten, unbind, tile, the *As shorthands, ravel, fliplr/flipud and
// rot90: each is written with the views (or repeat, flip, cast), so it copies nothing where
// they copy nothing and its gradient comes from theirs.
import { Tensor } from '../tensor/tensor.js';
import { describe, fmtShape, inferShape, normDim } from '../tensor/shape.js';
import { checkInt, checkIntList, checkTensor } from '../tensor/check.js';
import { clone, expand, permute, reshape, transpose, view } from './view.js';
import { cast } from './elementwise.js';
import { select } from './mask.js';
import { flip, repeatAs } from './rearrange.js';

/** A dim or a list of dims, normalized, refusing repeats. */
function dimList(op: string, arg: string, v: number | number[], ndim: number): number[] {
  if (typeof v === 'number') return [normDim(op, v, ndim)];
  const nd = checkIntList(op, arg, v).map((d) => normDim(op, d, ndim));
  if (new Set(nd).size !== nd.length) throw new Error(`${op}: repeated dim in ${arg} ${describe(v)}`);
  return nd;
}

/** movedim under the name `op` (movedim or moveaxis, which errors name). */
function moveDims(op: string, a: Tensor, source: number | number[], destination: number | number[]): Tensor {
  checkTensor(op, a);
  const src = dimList(op, 'source', source, a.ndim);
  const dst = dimList(op, 'destination', destination, a.ndim);
  if (src.length !== dst.length) {
    throw new Error(`${op}: source ${describe(source)} and destination ${describe(destination)} must name as many dims (${src.length} and ${dst.length})`);
  }
  if (a.ndim === 0) return permute(a, []);
  const order = new Array<number>(a.ndim).fill(-1);
  src.forEach((s, i) => { order[dst[i]] = s; });
  const rest = a.shape.map((_, d) => d).filter((d) => !src.includes(d));
  for (let i = 0, k = 0; i < a.ndim; i++) if (order[i] < 0) order[i] = rest[k++];
  return permute(a, order);
}

/** Moves the dims `source` to the positions `destination`; the others keep their order. */
export const movedim = (a: Tensor, source: number | number[], destination: number | number[]): Tensor => moveDims('movedim', a, source, destination);
export const moveaxis = (a: Tensor, source: number | number[], destination: number | number[]): Tensor => moveDims('moveaxis', a, source, destination);

/** transpose under NumPy's names (swapaxes, swapdims), which errors name. */
function swap(op: string, a: Tensor, d0: number, d1: number): Tensor {
  checkTensor(op, a);
  normDim(op, d0, a.ndim);
  normDim(op, d1, a.ndim);
  return transpose(a, d0, d1);
}
export const swapaxes = (a: Tensor, axis0: number, axis1: number): Tensor => swap('swapaxes', a, axis0, axis1);
export const swapdims = (a: Tensor, dim0: number, dim1: number): Tensor => swap('swapdims', a, dim0, dim1);

/** Splits dim `dim` into `sizes` (one of them may be -1), as a view. */
export function unflatten(a: Tensor, dim: number, sizes: number[]): Tensor {
  const op = 'unflatten';
  checkTensor(op, a);
  const d = normDim(op, dim, a.ndim);
  const s = checkIntList(op, 'sizes', sizes);
  if (s.length === 0) throw new Error(`${op}: sizes must be non-empty`);
  if (a.ndim === 0) throw new Error(`${op}: cannot unflatten a 0-d tensor (shape [])`);
  let inner: number[];
  try {
    inner = inferShape(op, [a.shape[d]], s);
  } catch {
    throw new Error(`${op}: sizes ${fmtShape(s)} don't multiply up to the size of dim ${dim} (${a.shape[d]}) of the input (shape ${fmtShape(a.shape)})`);
  }
  return view(a, [...a.shape.slice(0, d), ...inner, ...a.shape.slice(d + 1)]);
}

/** The slices along `dim`, each without that dim (views). */
export function unbind(a: Tensor, dim = 0): Tensor[] {
  checkTensor('unbind', a);
  if (a.ndim === 0) throw new Error('unbind: cannot unbind a 0-d tensor (shape [])');
  const d = normDim('unbind', dim, a.ndim);
  return Array.from({ length: a.shape[d] }, (_, i) => select(a, d, i));
}

/** repeat, with `dims` padded by leading 1s to the tensor's dims (PyTorch's tile). */
export function tile(a: Tensor, dims: number[]): Tensor {
  checkTensor('tile', a);
  const reps = checkIntList('tile', 'dims', dims);
  return repeatAs('tile', a, [...new Array<number>(Math.max(0, a.ndim - reps.length)).fill(1), ...reps]);
}

/** Checks `other` is a live tensor for the *As shorthands. */
function other(op: string, a: Tensor, o: unknown): Tensor {
  checkTensor(op, a);
  checkTensor(op, o, 'other');
  return o as Tensor;
}

/** f's error under the shorthand's name first ("viewAs: view: shape ..."); these views queue no work. */
function as(op: string, f: () => Tensor): Tensor {
  try { return f(); } catch (e) { throw new Error(`${op}: ${(e as Error).message}`); }
}

/** expand to other's shape. */
export const expandAs = (a: Tensor, o: Tensor): Tensor => { const s = other('expandAs', a, o).shape; return as('expandAs', () => expand(a, [...s])); };
/** view with other's shape. */
export const viewAs = (a: Tensor, o: Tensor): Tensor => { const s = other('viewAs', a, o).shape; return as('viewAs', () => view(a, [...s])); };
/** reshape to other's shape. */
export const reshapeAs = (a: Tensor, o: Tensor): Tensor => { const s = other('reshapeAs', a, o).shape; return as('reshapeAs', () => reshape(a, [...s])); };
/** a cast to other's dtype (the tensor itself when it already has it, as PyTorch's type_as). */
export function typeAs(a: Tensor, o: Tensor): Tensor {
  const b = other('typeAs', a, o);
  return a.dtype === b.dtype ? a : cast(a, b.dtype);
}

/** The tensor as 1-D (a view where the layout allows, else a copy). */
export function ravel(a: Tensor): Tensor {
  checkTensor('ravel', a);
  return reshape(a, [a.numel]);
}

/** flip along dim 1 (left-right) of a tensor with at least 2 dims. */
export function fliplr(a: Tensor): Tensor {
  checkTensor('fliplr', a);
  if (a.ndim < 2) throw new Error(`fliplr: input must have at least 2 dims, got shape ${fmtShape(a.shape)}`);
  return flip(a, [1]);
}

/** flip along dim 0 (up-down) of a tensor with at least 1 dim. */
export function flipud(a: Tensor): Tensor {
  checkTensor('flipud', a);
  if (a.ndim < 1) throw new Error(`flipud: input must have at least 1 dim, got shape ${fmtShape(a.shape)}`);
  return flip(a, [0]);
}

/** Rotates by 90 degrees k times in the plane of dims (from the first towards the second), as torch.rot90. */
export function rot90(a: Tensor, k = 1, dims: [number, number] | number[] = [0, 1]): Tensor {
  checkTensor('rot90', a);
  const turns = checkInt('rot90', 'k', k);
  const ds = checkIntList('rot90', 'dims', dims);
  if (ds.length !== 2) throw new Error(`rot90: dims must name 2 dims, got ${describe(dims)}`);
  if (a.ndim < 2) throw new Error(`rot90: input must have at least 2 dims, got shape ${fmtShape(a.shape)}`);
  const [d0, d1] = ds.map((d) => normDim('rot90', d, a.ndim));
  if (d0 === d1) throw new Error(`rot90: dims must be different, got ${d0} and ${d1}`);
  switch (((turns % 4) + 4) % 4) {
    case 1: return transpose(flip(a, [d1]), d0, d1);
    case 2: return flip(a, [d0, d1]);
    case 3: return flip(transpose(a, d0, d1), [d1]);
    default: return clone(a); // a copy, as PyTorch's rot90(x, 0)
  }
}
