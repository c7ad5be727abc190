// sg.pad, PyTorch's F.pad: pads are (left, right) pairs from the last dim backwards;
// negative pads crop. Each padded dim is one table of the index-map op (rearrange.ts):
// constant padding maps the pad positions to -1 (the fill value), reflect mirrors about
// the edge element, replicate clamps to it. The gradient is that map's transpose.
import type { Tensor } from '../tensor/tensor.js';
import { checkIntList, checkTensor } from '../tensor/check.js';
import { checkOptions, describe, fmtShape } from '../tensor/shape.js';
import { checkOutShape, indexMap, type DimMap } from './rearrange.js';

export type PadMode = 'constant' | 'reflect' | 'replicate';

const MODES: readonly string[] = ['constant', 'reflect', 'replicate'];

function padMap(mode: PadMode, n: number, lo: number, size: number): Int32Array {
  const m = new Int32Array(size);
  for (let c = 0; c < size; c++) {
    let j = c - lo;
    if (mode === 'constant') j = j >= 0 && j < n ? j : -1;
    else if (mode === 'replicate') j = Math.min(Math.max(j, 0), n - 1);
    else {
      if (j < 0) j = -j;
      if (j >= n) j = 2 * (n - 1) - j;
    }
    m[c] = j;
  }
  return m;
}

export interface PadOptions { mode?: PadMode; value?: number }

/** Pads (or, with negative pads, crops) the last pads.length / 2 dims of x; mode and value
 * come positionally or, as PyTorch's keywords, in an options object. */
export function pad(x: Tensor, pads: number[], mode: PadMode | PadOptions = 'constant', value?: number): Tensor {
  checkTensor('pad', x);
  if (typeof mode === 'object' && mode !== null) {
    if (value !== undefined) throw new Error(`pad: pass value in the options object or positionally, not both`);
    const o = checkOptions('pad', mode, ['mode', 'value']) as PadOptions;
    return pad(x, pads, o.mode ?? 'constant', o.value);
  }
  const p = checkIntList('pad', 'pads', pads);
  if (p.length % 2 !== 0) throw new Error(`pad: padding length must be divisible by 2, got pads ${describe(pads)}`);
  if (p.length > 2 * x.ndim) throw new Error(`pad: padding length ${p.length} is more than two times the input's ${x.ndim} dims (shape ${fmtShape(x.shape)})`);
  if (typeof mode !== 'string' || !MODES.includes(mode)) throw new Error(`pad: mode must be one of ${MODES.join(', ')}, got ${describe(mode)}`);
  if (value !== undefined && value !== null) {
    if (typeof value !== 'number') throw new Error(`pad: value must be a number, got ${describe(value)}`);
    if (mode !== 'constant' && value !== 0) throw new Error(`pad: padding mode "${mode}" doesn't take in value argument (got ${value})`);
    if (x.dtype === 'int32' && !(Number.isInteger(value) && Math.abs(value + 0.5) <= 2 ** 31)) {
      throw new Error(`pad: value ${value} does not fit an int32 input (an integer from -2147483648 to 2147483647)`);
    }
    const max = x.dtype === 'float16' ? 65504 : x.dtype === 'float32' ? 3.4028234663852886e38 : Infinity;
    if (Number.isFinite(value) && Math.abs(value) > max) throw new Error(`pad: value ${value} overflows the input's ${x.dtype} (largest finite ${max})`);
  }
  const k = p.length / 2;
  if (mode !== 'constant' && !((k === 1 && (x.ndim === 2 || x.ndim === 3)) || (k === 2 && (x.ndim === 3 || x.ndim === 4)) || (k === 3 && (x.ndim === 4 || x.ndim === 5)))) {
    throw new Error(`pad: ${mode} padding supports pads of length 2 on 2-D or 3-D input, 4 on 3-D or 4-D, 6 on 4-D or 5-D; got pads ${describe(pads)} for shape ${fmtShape(x.shape)}`);
  }
  if (mode !== 'constant') {
    // As PyTorch: only the batch dim (the first of a k + 2-D input) may be empty.
    x.shape.forEach((n, d) => {
      if (n === 0 && !(d === 0 && x.ndim === k + 2)) throw new Error(`pad: ${mode} padding expects a ${k + 1}-D or ${k + 2}-D (batch mode) input with possibly 0 batch size and other non-zero dims, got shape ${fmtShape(x.shape)}`);
    });
  }
  const shape = [...x.shape];
  for (let i = 0; i < k; i++) {
    const d = x.ndim - 1 - i;
    const [lo, hi] = [p[2 * i], p[2 * i + 1]];
    const n = x.shape[d];
    const size = n + lo + hi;
    // PyTorch's constant pad crops with narrow() first, so the negative pads together must fit
    // the input (this also keeps the output size non-negative; the other modes need size >= 1).
    if (n + Math.min(lo, 0) + Math.min(hi, 0) < 0 && mode === 'constant') throw new Error(`pad: negative pads (${lo}, ${hi}) at dim ${d} crop more than its size ${n} (input shape ${fmtShape(x.shape)})`);
    if (mode !== 'constant') {
      if (n === 0) throw new Error(`pad: ${mode} padding needs a non-empty dim ${d}, got input shape ${fmtShape(x.shape)}`);
      if (size < 1) throw new Error(`pad: input (size ${n} at dim ${d}) is too small for pads (${lo}, ${hi}): output size ${size}`);
      if (mode === 'reflect' && (lo >= n || hi >= n)) {
        throw new Error(`pad: padding size should be less than the corresponding input dimension, but got padding (${lo}, ${hi}) at dim ${d} of input ${fmtShape(x.shape)}`);
      }
    }
    shape[d] = size;
  }
  checkOutShape('pad', x, shape);
  const maps = (): DimMap[] => x.shape.map((n, d) => {
    const i = x.ndim - 1 - d;
    return i < k && (p[2 * i] !== 0 || p[2 * i + 1] !== 0) ? padMap(mode, n, p[2 * i], shape[d]) : null;
  });
  // A bool input holds any non-zero value (NaN included) as true, as PyTorch's cast does.
  const fill = mode !== 'constant' ? 0 : x.dtype === 'bool' ? (value ?? 0) !== 0 ? 1 : 0 : value ?? 0;
  return indexMap('pad', x, maps, shape, fill);
}
