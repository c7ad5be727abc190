// Dtypes. 'float64' exists only on the CPU backend: it is what gradcheck and the
// reference computations run in, never something a GPU buffer holds. 'bool' is stored as
// 0/1 in 4-byte int32 slots on both backends (WGSL has no bool in storage buffers), so any
// kernel that reads int32 reads a bool; its values are always exactly 0 or 1.
import { describe } from './shape.js';
export type DType = 'float32' | 'int32' | 'float16' | 'float64' | 'bool';
export type PublicDType = 'float32' | 'int32' | 'float16' | 'bool';

export type TypedArray = Float32Array | Int32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float32', 'int32', 'float16', 'float64', 'bool'];

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float16' || d === 'float64';
}

/** Bytes per element as stored on the GPU. */
export function gpuBytes(d: DType): number {
  if (d === 'float16') return 2;
  if (d === 'float64') throw new Error("dtype 'float64' exists only on the CPU backend");
  return 4;
}

/** The WGSL scalar type a dtype is stored and computed as. */
export function wgslType(d: DType): 'f32' | 'i32' | 'f16' {
  if (d === 'float32') return 'f32';
  if (d === 'int32' || d === 'bool') return 'i32';
  if (d === 'float16') return 'f16';
  throw new Error("dtype 'float64' exists only on the CPU backend");
}

/** CPU storage: float16 lives in a Float32Array holding values rounded to half precision. */
export function cpuArray(d: DType, n: number): TypedArray {
  if (d === 'int32' || d === 'bool') return new Int32Array(n);
  if (d === 'float64') return new Float64Array(n);
  return new Float32Array(n);
}

/** Type promotion as PyTorch does it for the dtypes we have (bool is below every number type). */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'bool') return b;
  if (b === 'bool') return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  if (a === 'float32' || b === 'float32') return 'float32';
  if (a === 'float16' || b === 'float16') return 'float16';
  return 'int32';
}

export function checkDType(op: string, arg: string, d: unknown): DType {
  if (typeof d === 'string' && (DTYPES as readonly string[]).includes(d)) return d as DType;
  throw new Error(`${op}: ${arg} has unknown dtype ${describe(d)}; expected one of float32, int32, float16, bool`);
}

// IEEE half rounding (round to nearest even), used for float16 on the CPU backend and
// for packing float16 uploads.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

export function roundF16(x: number): number {
  return f16BitsToF32(f32ToF16Bits(x));
}

/**
 * v as `dtype` stores it, kept below `top`: a uniform sample in [from, top) can round up to top
 * in float32 or float16 (about 2.5 draws in 10,000 in float16), so such a value becomes the
 * largest one the dtype holds below top, as PyTorch's samples never reach their open end.
 */
export function keepBelow(v: number, top: number, dtype: DType): number {
  if (dtype === 'float32') {
    if (Math.fround(v) < top) return v;
    const bits = new Uint32Array(new Float32Array([top]).buffer);
    bits[0] += top > 0 ? -1 : top < 0 ? 1 : 0x80000001; // one float32 ulp towards -Infinity
    return new Float32Array(bits.buffer)[0];
  }
  if (dtype === 'float16') {
    if (roundF16(v) < top) return v;
    const h = f32ToF16Bits(top);
    return f16BitsToF32(top > 0 ? h - 1 : top < 0 ? h + 1 : 0x8001);
  }
  return v < top ? v : top - Math.abs(top) * Number.EPSILON || -Number.MIN_VALUE;
}
