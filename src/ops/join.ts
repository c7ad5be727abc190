// cat and stack. The output is allocated once and each input is copied into its slab of
// it (a narrowed view) by the strided map kernel, which also casts mixed dtypes to the
// promoted one. The gradient of each input is its slab of dy, copied out (and cast back
// when the input had another dtype).
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { promote, type DType } from '../tensor/dtype.js';
import { fmtShape, normDim, describe } from '../tensor/shape.js';
import { copyInto, copyRaw } from './elementwise.js';
import { deviceOf } from './map.js';

/** The part [start, start + len) of dim of t as a view; with `drop` (len 1) dim is removed,
 * which is how stack sees its inputs. Not recorded by autograd. */
function slab(t: Tensor, dim: number, start: number, len: number, drop: boolean): Tensor {
  const shape = [...t.shape];
  const strides = [...t.strides];
  const offset = t.offset + start * t.strides[dim];
  shape[dim] = len;
  if (drop) { shape.splice(dim, 1); strides.splice(dim, 1); }
  return t.withLayout(shape, strides, offset);
}

class Join extends Function {
  static override forward(ctx: Ctx, dim: number, drop: boolean, shape: number[], dtype: DType, ...ts: Tensor[]): Tensor {
    ctx.parts = ts.map((t) => [drop ? 1 : t.shape[dim], t.dtype]);
    ctx.dim = dim;
    ctx.drop = drop;
    const out = Tensor.empty(shape, dtype, ts[0].device, 'cat');
    let start = 0;
    for (const t of ts) {
      const len = drop ? 1 : t.shape[dim];
      // Inside forward every temporary (here the slab views) is disposed on return.
      if (t.numel > 0) copyInto(slab(out, dim, start, len, drop), t);
      start += len;
    }
    return out;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const grads: Array<Tensor | null> = [null, null, null, null];
    let start = 0;
    ctx.parts.forEach(([len, dtype]: [number, DType], i: number) => {
      if (ctx.needsInputGrad[4 + i]) {
        // A contiguous copy, not the slab view itself: a view would keep all of dy alive
        // for as long as any one input's .grad lives (and casts back a promoted dtype).
        grads.push(copyRaw(slab(dy, ctx.dim, start, len, ctx.drop), dtype));
      } else grads.push(null);
      start += len;
    });
    return grads;
  }
}

function checkList(op: string, tensors: unknown): Tensor[] {
  if (!Array.isArray(tensors)) throw new Error(`${op}: expected an array of Tensors, got ${describe(tensors)}`);
  if (tensors.length === 0) throw new Error(`${op}: expected a non-empty array of Tensors`);
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`${op}: element ${i} is not a Tensor (got ${describe(t)})`);
  });
  deviceOf(op, ...tensors);
  return tensors;
}

const joinDType = (ts: Tensor[]): DType => ts.map((t) => t.dtype).reduce(promote);

/** Concatenates along an existing dim; shapes must match elsewhere. Mixed dtypes promote. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  const all = checkList('cat', tensors);
  all.forEach((t, i) => { if (t.ndim === 0) throw new Error(`cat: zero-dimensional tensor (at position ${i}) cannot be concatenated`); });
  // PyTorch's legacy rule: 1-D empty tensors are skipped whatever the other shapes.
  const kept = all.filter((t) => !(t.ndim === 1 && t.shape[0] === 0));
  if (kept.length === 0) return Join.apply(0, false, [0], joinDType(all), all[0]);
  const ref = kept[0];
  const d = normDim('cat', dim, ref.ndim);
  const at = (t: Tensor): number => all.indexOf(t);
  for (const t of kept) {
    const bad = t.ndim !== ref.ndim || t.shape.some((s, k) => k !== d && s !== ref.shape[k]);
    if (bad) {
      throw new Error(`cat: sizes of tensors must match except in dim ${dim}: tensor ${at(ref)} has shape ${fmtShape(ref.shape)}, tensor ${at(t)} has shape ${fmtShape(t.shape)}`);
    }
  }
  const shape = [...ref.shape];
  shape[d] = kept.reduce((n, t) => n + t.shape[d], 0);
  // The skipped empty pieces still take part in dtype promotion (as PyTorch).
  return Join.apply(d, false, shape, joinDType(all), ...kept);
}

/** Joins equal-shaped tensors along a new dim. */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  const all = checkList('stack', tensors);
  const ref = all[0];
  all.forEach((t, i) => {
    if (t.ndim !== ref.ndim || t.shape.some((s, k) => s !== ref.shape[k])) {
      throw new Error(`stack: expects each tensor to be equal size, but tensor 0 has shape ${fmtShape(ref.shape)} and tensor ${i} has shape ${fmtShape(t.shape)}`);
    }
  });
  const d = normDim('stack', dim, ref.ndim, 1);
  const shape = [...ref.shape];
  shape.splice(d, 0, all.length);
  return Join.apply(d, true, shape, joinDType(all), ...all);
}
