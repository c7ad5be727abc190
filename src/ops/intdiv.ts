// Integer-style division: div with rounding mode 'trunc' or 'floor' (floorDivide), and the
// remainder/fmod kernels. Its own file, importing no op file, so that elementwise.ts's div
// can route a rounding mode here without an import cycle.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { broadcastShapes, checkOptions, describe, fmtShape, forEachOffset } from '../tensor/shape.js';
import { checkTensor } from '../tensor/check.js';
import { mapRaw, resultDType, type MapSpec, type Operand } from './map.js';
import { roundF16 } from '../tensor/dtype.js';

// NaN and Inf are built from u.pad (always 0) at run time: WGSL rejects them as constants,
// and NaN is tested on the bits (a compiler may assume x != x is false).
// fmod_ is exact, as C's fmod: the remainder is found on the integer significands by long
// division (one bit per step of exponent difference), since a - b·trunc(a/b) in f32 loses
// the low bits of the product (fmod(1, 0.1) came out 0, not 0.0999999).
export const WGSL_DIV = `
fn dnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn dinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn dnanv_() -> f32 { return bitcast<f32>(0x7fc00000u | u.pad); }
fn sgnbit_(x: f32) -> u32 { return bitcast<u32>(x) & 0x80000000u; }
// The significand (24 bits, subnormals normalized) and exponent of a nonzero |x| as bits.
fn fsig_(ux: u32) -> vec2<i32> {
  var e = i32(ux >> 23u);
  var m = ux & 0x7fffffu;
  if (e == 0) { e = 1; while (m < 0x800000u) { m = m << 1u; e -= 1; } } else { m = m | 0x800000u; }
  return vec2<i32>(i32(m), e);
}
fn fmod_(a: f32, b: f32) -> f32 {
  if (dnan_(a) || dnan_(b) || dinf_(a) || b == 0.0) { return dnanv_(); }
  if (dinf_(b)) { return a; }
  let ua = bitcast<u32>(a) & 0x7fffffffu;
  let ub = bitcast<u32>(b) & 0x7fffffffu;
  let sa = sgnbit_(a);
  if (ua < ub) { return a; }
  let fa = fsig_(ua);
  let fb = fsig_(ub);
  var m = u32(fa.x);
  let mb = u32(fb.x);
  for (var k = fa.y; k > fb.y; k -= 1) {
    if (m >= mb) { m -= mb; }
    m = m << 1u;
  }
  if (m >= mb) { m -= mb; }
  if (m == 0u) { return bitcast<f32>(sa); }
  var e = fb.y;
  while (m < 0x800000u) { m = m << 1u; e -= 1; }
  if (e >= 1) { return bitcast<f32>(sa | (u32(e) << 23u) | (m & 0x7fffffu)); }
  return bitcast<f32>(sa | (m >> u32(1 - e)));
}
fn rem_(a: f32, b: f32) -> f32 {
  let m = fmod_(a, b);
  if (m != 0.0 && (b < 0.0) != (m < 0.0)) { return m + b; }
  return m;
}
// IEEE's a / 0: ±Inf, NaN for 0/0 and NaN operands.
fn divzero_(a: f32, b: f32) -> f32 {
  if (a == 0.0 || dnan_(a) || dnan_(b)) { return dnanv_(); }
  return bitcast<f32>(0x7f800000u | u.pad | (sgnbit_(a) ^ sgnbit_(b)));
}
// Python's and PyTorch's floor division: from the exact remainder, not floor(a / b).
fn floordiv_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return divzero_(a, b); }
  let m = fmod_(a, b);
  var d = (a - m) / b;
  if (m != 0.0 && (b < 0.0) != (m < 0.0)) { d -= 1.0; }
  if (dnan_(d)) { return d; }
  if (d != 0.0) { var f = floor(d); if (d - f > 0.5) { f += 1.0; } return f; }
  return bitcast<f32>(sgnbit_(a) ^ sgnbit_(b));
}
fn truncdiv_(a: f32, b: f32) -> f32 { if (b == 0.0) { return divzero_(a, b); } return trunc(a / b); }
fn ifloordiv_(a: i32, b: i32) -> i32 { let q = a / b; return select(q, q - 1, (a % b != 0) && ((a < 0) != (b < 0))); }
fn irem_(a: i32, b: i32) -> i32 { let r = a % b; return select(r, r + b, r != 0 && ((r < 0) != (b < 0))); }
`;

// float16 as PyTorch's half kernels compute it: each step rounded to half (half_ comes with
// every map kernel that computes float16): trunc of the rounded quotient; floor division's
// algorithm step by step.
const WGSL_DIV_H = WGSL_DIV + `
fn truncdivh_(a: f32, b: f32) -> f32 { if (b == 0.0) { return divzero_(a, b); } return trunc(half_(a / b)); }
fn floordivh_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return divzero_(a, b); }
  let m = half_(fmod_(a, b));
  var d = half_(half_(a - m) / b);
  if (m != 0.0 && (b < 0.0) != (m < 0.0)) { d = half_(d - 1.0); }
  if (dnan_(d)) { return d; }
  if (d != 0.0) { var f = floor(d); if (half_(d - f) > 0.5) { f += 1.0; } return f; }
  return bitcast<f32>(sgnbit_(a) ^ sgnbit_(b));
}
`;

/** PyTorch's remainder of floats: the sign of the divisor. */
function remF(a: number, b: number): number { const m = a % b; return m !== 0 && (b < 0) !== (m < 0) ? m + b : m; }
/** PyTorch's floor division of floats (Python's algorithm: from the exact remainder). */
function floorDivF(a: number, b: number): number {
  if (b === 0) return a / b;
  const m = a % b;
  let d = (a - m) / b;
  if (m !== 0 && (b < 0) !== (m < 0)) d -= 1;
  if (d !== d) return d;
  if (d !== 0) { let f = Math.floor(d); if (d - f > 0.5) f += 1; return f; }
  return (a < 0) !== (b < 0) ? -0 : 0;
}
/** floorDivF with every step rounded to half, as PyTorch's float16 kernel computes it. */
function floorDivH(a: number, b: number): number {
  const h = roundF16;
  if (b === 0) return a / b;
  const m = h(a % b);
  let d = h(h(a - m) / b);
  if (m !== 0 && (b < 0) !== (m < 0)) d = h(d - 1);
  if (d !== d) return d;
  if (d !== 0) { let f = Math.floor(d); if (h(d - f) > 0.5) f += 1; return f; }
  return (a < 0) !== (b < 0) ? -0 : 0;
}
function floorDivI(a: number, b: number): number { const q = Math.trunc(a / b) | 0; return a % b !== 0 && (a < 0) !== (b < 0) ? (q - 1) | 0 : q; }
function remI(a: number, b: number): number { const r = a % b; return r !== 0 && (r < 0) !== (b < 0) ? r + b : r | 0; }

export const DIV_SPECS = {
  // int32 computes as int32 (WGSL's i32 / and % truncate, as C's)
  // The quotient rounded to float32 first, as PyTorch's float kernel (2 / 0.1 is 20, not 19).
  truncDivF: { name: 'div_trunc', cpu: (a, b) => Math.trunc(Math.fround(a / b)), wgsl: 'truncdiv_(a, b)', helpers: WGSL_DIV },
  truncDivI: { name: 'div_trunc', cpu: (a, b) => Math.trunc(a / b) | 0, wgsl: 'a / b' },
  floorDivF: { name: 'div_floor', cpu: floorDivF, wgsl: 'floordiv_(a, b)', helpers: WGSL_DIV },
  truncDivH: { name: 'div_trunc_h', cpu: (a, b) => Math.trunc(roundF16(a / b)), wgsl: 'truncdivh_(a, b)', helpers: WGSL_DIV_H },
  floorDivH: { name: 'div_floor_h', cpu: floorDivH, wgsl: 'floordivh_(a, b)', helpers: WGSL_DIV_H },
  floorDivI: { name: 'div_floor', cpu: floorDivI, wgsl: 'ifloordiv_(a, b)', helpers: WGSL_DIV },
  remF: { name: 'remainder', cpu: remF, wgsl: 'rem_(a, b)', helpers: WGSL_DIV },
  remI: { name: 'remainder', cpu: remI, wgsl: 'irem_(a, b)', helpers: WGSL_DIV },
  fmodF: { name: 'fmod', cpu: (a, b) => a % b, wgsl: 'fmod_(a, b)', helpers: WGSL_DIV },
  fmodI: { name: 'fmod', cpu: (a, b) => (a % b) | 0, wgsl: 'a % b' },
  zero: { name: 'zeros', cpu: () => 0, wgsl: 'T(0)' },
} satisfies Record<string, MapSpec>;
const D = DIV_SPECS;

const shapeOf = (x: Operand): number[] | null => (x instanceof Tensor ? x.shape : null);

/** In a float16 division a number operand is cast to float16 first, as PyTorch's does
 * (7.99998 and 8 floor differently). */
export function halfOperands(a: Operand, b: Operand): [Operand, Operand] {
  if (resultDType([a, b]) !== 'float16') return [a, b];
  const h = (x: Operand): Operand => (typeof x === 'number' ? roundF16(x) : x);
  return [h(a), h(b)];
}

/** div with a rounding mode: zero gradient, as PyTorch's. */
class RoundedDiv extends Function {
  static override forward(ctx: Ctx, a0: Operand, b0: Operand, mode: 'trunc' | 'floor'): Tensor {
    const [a, b] = halfOperands(a0, b0);
    ctx.shapes = [shapeOf(a), shapeOf(b)];
    const dt = resultDType([a, b]);
    const [ti, tf] = dt === 'float16' ? [D.truncDivH, D.floorDivH] : [D.truncDivF, D.floorDivF];
    return mapRaw(mode === 'trunc' ? (dt === 'int32' ? D.truncDivI : ti) : (dt === 'int32' ? D.floorDivI : tf), [a, b]);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const zeros = (s: number[] | null): Tensor | null => (s ? mapRaw(D.zero, [], undefined, Tensor.empty(s, dy.dtype, dy.device)) : null);
    return [ctx.needsInputGrad[0] ? zeros(ctx.shapes[0]) : null, ctx.needsInputGrad[1] ? zeros(ctx.shapes[1]) : null, null];
  }
}

/** input a Tensor or (when other is a tensor) a number; other a Tensor or a number. */
export function binaryArgs(op: string, a: unknown, b: unknown): asserts a is Operand {
  if (typeof a === 'number') { checkTensor(op, b, 'other'); return; }
  checkTensor(op, a);
  if (b instanceof Tensor) {
    b.assertAlive(op);
    if (b.device !== a.device) throw new Error(`${op}: tensors are on different devices (input on ${a.device}, other on ${b.device})`);
    broadcastShapes(op, a.shape, b.shape);
  } else if (typeof b !== 'number') throw new Error(`${op}: other must be a Tensor or a number, got ${describe(b)}`);
}

/** Integer division by zero raises in PyTorch; a number or CPU divisor is checked here (a
 * WebGPU one would need a readback: there WGSL's rule gives x / 0 = x and x % 0 = x). */
export function checkIntDivisor(op: string, a: Operand, b: Operand): void {
  const dt = resultDType([a, b]);
  // PyTorch has no bool kernel for these (bool // bool, bool % bool).
  if (dt === 'bool') throw new Error(`${op}: both operands are bool, which is not supported (cast one with .int() first)`);
  if (dt !== 'int32') return;
  if (typeof b === 'number') {
    if (b === 0) throw new Error(`${op}: integer division by zero (other is 0)`);
    return;
  }
  if (b.device !== 'cpu') return;
  let at = -1;
  forEachOffset(b.shape, b.strides, b.offset, (off, i) => { if (at < 0 && b.data[off] === 0) at = i; });
  if (at >= 0) throw new Error(`${op}: integer division by zero (other has a 0 at flat index ${at}, shape ${fmtShape(b.shape)})`);
}

export type RoundingMode = 'trunc' | 'floor';

/** div's third argument: 'trunc', 'floor', null/undefined (true division) or { roundingMode }. */
export function roundingModeArg(mode: unknown): RoundingMode | null {
  let m = mode;
  if (m !== null && typeof m === 'object') m = checkOptions('div', m, ['roundingMode']).roundingMode;
  if (m === undefined || m === null) return null;
  if (m !== 'trunc' && m !== 'floor') throw new Error(`div: roundingMode must be 'trunc', 'floor' or null, got ${describe(m)}`);
  return m;
}

export function divRounded(a: Tensor | number, b: Operand, mode: RoundingMode, op = 'div'): Tensor {
  binaryArgs(op, a, b);
  checkIntDivisor(op, a, b);
  return RoundedDiv.apply(a, b, mode);
}

/** a / b rounded toward -Inf (PyTorch's floor_divide). */
export const floorDivide = (a: Tensor | number, b: Operand): Tensor => divRounded(a, b, 'floor', 'floorDivide');
