// Small pieces shared by the MoE kernels: the element type header, workgroup grids that
// split past the per-dimension limit, and the host-side float rounding for CPU outputs.
import { roundF16, wgslType, type DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

const MAX_WG = 65535;

/** `enable f16;` where needed, and `alias T` = the storage type of `dtype`. Math is f32. */
export function header(dtype: DType): string {
  return `${dtype === 'float16' ? 'enable f16;\n' : ''}alias T = ${wgslType(dtype)};\n`;
}

/** A grid of `blocks` workgroups along x (spilling into y) times `z`; kernels recover the
 * block as `wid.x + wid.y * nwg.x` and must skip blocks past the count they were given. */
export function grid(blocks: number, z = 1): [number, number, number] {
  const b = Math.max(1, blocks);
  if (z > MAX_WG) throw new Error(`moe: ${z} column blocks exceed the ${MAX_WG} workgroup limit`);
  return b <= MAX_WG ? [b, 1, z] : [MAX_WG, Math.ceil(b / MAX_WG), z];
}

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
