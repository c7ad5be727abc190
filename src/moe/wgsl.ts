// Host-side helpers of the MoE's CPU kernels: float rounding for outputs, index reads.
import { roundF16 } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

/** What a CPU kernel stores: float16 tensors hold half-rounded values in a Float32Array. */
export function storeFn(t: Tensor): (v: number) => number {
  return t.dtype === 'float16' ? roundF16 : (v: number) => v;
}

/** Reads an int32 index tensor (unit stride along its elements) on the CPU. */
export function intAt(t: Tensor): (i: number) => number {
  const d = t.data;
  const off = t.offset;
  return (i: number) => d[off + i];
}
