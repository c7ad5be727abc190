// sg.interpolate, PyTorch's F.interpolate for 3-D [N, C, L] and 4-D [N, C, H, W] inputs.
// Every mode is separable, one spatial dim at a time:
//  - nearest / nearest-exact are one index-map op (rearrange.ts) with a source-index table per
//    resized dim, so both backends and the gradient (the map's transpose) come from there;
//  - linear / bilinear gather the two neighbours of each output position along a dim (two
//    index maps) and blend them with per-position weights: lo·w0 + hi·w1, as torch does.
// The tables follow torch 2.14's CPU kernels (UpSampleKernel.cpp): the scale and the source
// index are computed in the input's opmath type (float32 for float16/float32, double for
// float64), so a nearest index that lands on an integer boundary picks what torch picks.
import type { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkTensor } from '../tensor/check.js';
import { checkOptions, describe, fmtShape } from '../tensor/shape.js';
import { isFloat } from '../tensor/dtype.js';
import { tidy } from '../tensor/scope.js';
import { fromArray } from './view.js';
import { add, cast, mul } from './elementwise.js';
import { checkOutShape, indexMap, type DimMap } from './rearrange.js';

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear';

export interface InterpolateOptions {
  /** The output's spatial size: one number for every spatial dim, or one per dim. */
  size?: number | number[];
  /** The multiplier of each spatial size (the output size is floor(in · scaleFactor)). */
  scaleFactor?: number | number[];
  mode?: InterpolateMode;
  /** Linear modes only: map the corner pixels' centres onto each other. Default false. */
  alignCorners?: boolean;
  /** With scaleFactor: compute the kernel's scale from the output size (in / out) instead. */
  recomputeScaleFactor?: boolean;
}

const MODES: readonly string[] = ['nearest', 'nearest-exact', 'linear', 'bilinear'];
const DIM_NAMES = [['W'], ['H', 'W']];

/** One resized dim: its input and output sizes and the scale factor torch's kernel gets (or none). */
interface Axis { n: number; o: number; sf: number | undefined }

/** Parses the size / scaleFactor arguments into one Axis per spatial dim, with torch's errors. */
function axes(x: Tensor, o: InterpolateOptions): Axis[] {
  const k = x.ndim - 2;
  const ins = x.shape.slice(2);
  const { size, scaleFactor: sf } = o;
  if (size !== undefined && sf !== undefined) throw new Error(`interpolate: only one of size or scaleFactor should be defined, got size ${describe(size)} and scaleFactor ${describe(sf)}`);
  if (size === undefined && sf === undefined) throw new Error(`interpolate: either size or scaleFactor should be defined`);
  if (size !== undefined && o.recomputeScaleFactor) throw new Error(`interpolate: recomputeScaleFactor is not meaningful with an explicit size`);
  const list = (arg: string, v: unknown): number[] => {
    const vs = Array.isArray(v) ? v : ins.map(() => v);
    if (vs.length !== k) {
      throw new Error(`interpolate: input and ${arg} must have the same number of spatial dimensions, but got input with spatial dimensions of [${ins.join(', ')}] and ${arg} ${describe(v)}`);
    }
    return vs as number[];
  };
  let outs: number[];
  let sfs: Array<number | undefined> = ins.map(() => undefined);
  if (size !== undefined) {
    outs = list('size', size);
    outs.forEach((s) => { if (typeof s !== 'number' || !Number.isSafeInteger(s)) throw new Error(`interpolate: size must be an integer or an array of integers, got ${describe(size)}`); });
  } else {
    const fs = list('scaleFactor', sf);
    fs.forEach((s) => { if (typeof s !== 'number' || !Number.isFinite(s)) throw new Error(`interpolate: scaleFactor must be a finite number or an array of them, got ${describe(sf)}`); });
    outs = ins.map((n, i) => Math.floor(n * fs[i]));
    if (!o.recomputeScaleFactor) sfs = fs;
  }
  ins.forEach((n, i) => {
    if (n <= 0 || outs[i] <= 0) {
      const name = DIM_NAMES[k - 1][i];
      throw new Error(`interpolate: input and output sizes should be greater than 0, but got input (${name}: ${n}) and output (${name}: ${outs[i]}) for input shape ${fmtShape(x.shape)}`);
    }
  });
  return ins.map((n, i) => ({ n, o: outs[i], sf: sfs[i] }));
}

/** torch's area_pixel_compute_scale: align corners maps ends onto ends; else 1 / scaleFactor or in / out. */
function scaleOf(a: Axis, alignCorners: boolean, R: (v: number) => number): number {
  if (alignCorners) return a.o > 1 ? R((a.n - 1) / (a.o - 1)) : 0;
  return a.sf !== undefined && a.sf > 0 ? R(1 / a.sf) : R(a.n / a.o);
}

/** The source index of each output position for nearest (floor(dst · scale)) and nearest-exact (floor((dst + ½) · scale)). */
function nearestTable(a: Axis, exact: boolean, R: (v: number) => number): Int32Array {
  const s = scaleOf(a, false, R);
  // floorf: torch rounds the double product to float before the floor.
  return Int32Array.from({ length: a.o }, (_, c) => Math.min(Math.floor(Math.fround(R((exact ? c + 0.5 : c) * s))), a.n - 1));
}

/** torch's compute_source_index_and_lambda: both neighbours and their weights for each output position. */
function linearTable(a: Axis, alignCorners: boolean, R: (v: number) => number): { i0: Int32Array; i1: Int32Array; w0: number[]; w1: number[] } {
  const s = scaleOf(a, alignCorners, R);
  const t = { i0: new Int32Array(a.o), i1: new Int32Array(a.o), w0: [] as number[], w1: [] as number[] };
  for (let c = 0; c < a.o; c++) {
    let src = alignCorners ? R(s * c) : R(R(s * (c + 0.5)) - 0.5);
    if (src < 0) src = 0;
    const i = Math.min(Math.floor(src), a.n - 1);
    const l1 = Math.min(Math.max(R(src - i), 0), 1);
    t.i0[c] = i;
    t.i1[c] = i < a.n - 1 ? i + 1 : i;
    t.w0.push(R(1 - l1));
    t.w1.push(l1);
  }
  return t;
}

/** Blends the two neighbours along dim d: x[.., i0, ..]·w0 + x[.., i1, ..]·w1. */
function linearDim(x: Tensor, d: number, a: Axis, alignCorners: boolean, R: (v: number) => number): Tensor {
  const t = linearTable(a, alignCorners, R);
  const shape = [...x.shape];
  shape[d] = a.o;
  const mapOf = (m: Int32Array) => (): DimMap[] => x.shape.map((_, k) => (k === d ? m : null));
  const wShape = [a.o, ...x.shape.slice(d + 1).map(() => 1)];
  const lo = indexMap('interpolate', x, mapOf(t.i0), shape);
  const hi = indexMap('interpolate', x, mapOf(t.i1), shape);
  return add(mul(lo, fromArray(t.w0, wShape, x.dtype, x.device)), mul(hi, fromArray(t.w1, wShape, x.dtype, x.device)));
}

/**
 * Resizes the spatial dims (all but the first two) of a 3-D [N, C, L] or 4-D [N, C, H, W]
 * input, as torch.nn.functional.interpolate: `size` or `scaleFactor`, and `mode` 'nearest'
 * (the default), 'nearest-exact', 'linear' (3-D) or 'bilinear' (4-D) with `alignCorners`.
 */
export function interpolate(x: Tensor, opts: InterpolateOptions = {}): Tensor {
  checkTensor('interpolate', x);
  const o = checkOptions('interpolate', opts, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor']) as InterpolateOptions;
  const mode = o.mode ?? 'nearest';
  if (typeof mode !== 'string' || !MODES.includes(mode)) throw new Error(`interpolate: mode must be one of ${MODES.join(', ')}, got ${describe(mode)}`);
  const nearest = mode === 'nearest' || mode === 'nearest-exact';
  if (o.alignCorners !== undefined) {
    checkBoolean('interpolate', 'alignCorners', o.alignCorners);
    if (nearest) throw new Error(`interpolate: alignCorners option can only be set with the interpolating modes: linear | bilinear (got mode '${mode}')`);
  }
  if (o.recomputeScaleFactor !== undefined) checkBoolean('interpolate', 'recomputeScaleFactor', o.recomputeScaleFactor);
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`interpolate: only 3-D [N, C, L] and 4-D [N, C, H, W] inputs are supported, got shape ${fmtShape(x.shape)}`);
  if (mode === 'linear' && x.ndim !== 3) throw new Error(`interpolate: got ${x.ndim}-D input (shape ${fmtShape(x.shape)}), but linear mode needs 3-D input`);
  if (mode === 'bilinear' && x.ndim !== 4) throw new Error(`interpolate: got ${x.ndim}-D input (shape ${fmtShape(x.shape)}), but bilinear mode needs 4-D input`);
  if (!isFloat(x.dtype)) throw new Error(`interpolate: input must be floating point, got dtype ${x.dtype}`);
  if (x.shape[1] === 0) throw new Error(`interpolate: non-empty ${x.ndim}-D data tensor expected (only the batch dim may be 0), got shape ${fmtShape(x.shape)}`);
  const as = axes(x, o);
  const shape = [...x.shape.slice(0, 2), ...as.map((a) => a.o)];
  checkOutShape('interpolate', x, shape);
  const R = x.dtype === 'float64' ? (v: number) => v : Math.fround;
  if (nearest) {
    // torch's CPU kernel has no shortcut for an unchanged size (a scaleFactor can still move
    // the indices); an identity table is dropped only because it changes nothing.
    const table = (a: Axis): DimMap => {
      const m = nearestTable(a, mode === 'nearest-exact', R);
      return a.o === a.n && m.every((j, c) => j === c) ? null : m;
    };
    return indexMap('interpolate', x, () => [null, null, ...as.map(table)], shape);
  }
  const align = o.alignCorners ?? false;
  return tidy(() => {
    // float16 blends in float32 and rounds once, as torch's opmath does.
    let y = x.dtype === 'float16' ? cast(x, 'float32') : x;
    as.forEach((a, i) => { if (a.o !== a.n) y = linearDim(y, 2 + i, a, align, R); });
    if (y === x) return indexMap('interpolate', x, () => x.shape.map(() => null), shape);
    return x.dtype === 'float16' ? cast(y, 'float16') : y;
  });
}
