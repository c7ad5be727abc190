// Binary math with PyTorch's names: atan2 lerp hypot xlogy logaddexp fmax fmin, copysign ldexp
// logaddexp2 heaviside trueDivide, and the ternary addcmul addcdiv. Each is a
// MapSpec (CPU function in float64 + WGSL expression) and a Function whose gradients are one
// fused map per operand, summed back over broadcast dims. Edge values follow torch 2.14.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { broadcastShapes, checkOptions, describe, fmtShape } from '../tensor/shape.js';
import { checkTensor } from '../tensor/check.js';
import { isFloat } from '../tensor/dtype.js';
import { f32Bits } from '../backend/webgpu.js';
import { mapRaw, paramSpec, resultDType, type MapSpec, type Operand } from './map.js';
import { div, MAP_SPECS as S, sumToShape, WGSL_NAN } from './elementwise.js';
import { signbitF, WGSL_X } from './math-unary.js';
import { lit } from './math.js';
import { full } from './view.js';

// atan2 with C's special cases, on the bits (WGSL leaves atan2(0, 0) and the infinities open).
const WGSL_B = `
fn atan2_(y: f32, x: f32) -> f32 {
  if (isnan_(y) || isnan_(x)) { return bitcast<f32>(0x7fc00000u | u.pad); }
  let negx = (bitcast<u32>(x) & 0x80000000u) != 0u;
  var r: f32;
  if (inf_(y) && inf_(x)) { r = select(0.78539816339744831, 2.35619449019234492, negx); }
  else if (inf_(y)) { r = 1.57079632679489662; }
  else if (inf_(x) || y == 0.0) { r = select(0.0, 3.14159265358979324, negx); }
  else if (x == 0.0) { r = 1.57079632679489662; }
  else {
    // atan of a ratio <= 1, then the octant and the quadrant (lavapipe's atan2 was 4e-6 off)
    let ay = abs(y);
    let ax = abs(x);
    r = select(1.57079632679489662 - atan01_(ax / ay), atan01_(ay / ax), ay <= ax);
    if (negx) { r = 3.14159265358979324 - r; }
  }
  return copysign_(r, y);
}
fn hypot_(a: f32, b: f32) -> f32 {
  if (inf_(a) || inf_(b)) { return bitcast<f32>(0x7f800000u | u.pad); }
  if (isnan_(a) || isnan_(b)) { return bitcast<f32>(0x7fc00000u | u.pad); }
  let m = max(abs(a), abs(b));
  if (m == 0.0) { return 0.0; }
  let r = min(abs(a), abs(b)) / m;
  return m * sqrt(1.0 + r * r);
}
fn xlogy_(x: f32, y: f32) -> f32 {
  if (isnan_(y)) { return y; }
  if (x == 0.0 && !isnan_(x)) { return 0.0; }
  return x * log(y);
}
fn logaddexp_(a: f32, b: f32) -> f32 {
  if (isnan_(a) || isnan_(b)) { return bitcast<f32>(0x7fc00000u | u.pad); }
  if (inf_(a) && a == b) { return a; }
  return max(a, b) + log1p_(exp(-abs(a - b)));
}
fn logaddexp2_(a: f32, b: f32) -> f32 {
  if (isnan_(a) || isnan_(b)) { return bitcast<f32>(0x7fc00000u | u.pad); }
  if (inf_(a) && a == b) { return a; }
  return max(a, b) + log1p_(exp2(-abs(a - b))) * 1.44269504088896341;
}
// a·2^b exactly for an integral b, in steps WGSL's ldexp keeps exact (|exponent| <= 100)
fn ldexp_(a: f32, b: f32) -> f32 {
  if (isnan_(a) || isnan_(b)) { return bitcast<f32>(0x7fc00000u | u.pad); }
  if (inf_(b)) { return select(times0_(a), a * b, b > 0.0); }
  if (b != floor(b) || abs(b) > 1000.0) { return a * exp2(b); }
  var r = a;
  var k = i32(b);
  while (k > 100) { r = ldexp(r, 100); k = k - 100; }
  while (k < -100) { r = ldexp(r, -100); k = k + 100; }
  return ldexp(r, k);
}
fn lerp_(s: f32, e: f32, w: f32) -> f32 {
  let d = e - s;
  if (abs(w) < 0.5) { return s + w * d; }
  return e - d * (1.0 - w);
}
`;
const H = WGSL_NAN + WGSL_X + WGSL_B;

function hypotF(a: number, b: number): number {
  if (Math.abs(a) === Infinity || Math.abs(b) === Infinity) return Infinity;
  return Math.hypot(a, b);
}
const xlogyF = (x: number, y: number): number => (y !== y ? NaN : x === 0 ? 0 : x * Math.log(y));
function logaddexpF(a: number, b: number): number {
  if (a !== a || b !== b) return NaN;
  if (Math.abs(a) === Infinity && a === b) return a;
  return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
}
const lerpF = (s: number, e: number, w: number): number => (Math.abs(w) < 0.5 ? s + w * (e - s) : e - (e - s) * (1 - w));
// fmax/fmin: a NaN operand loses (NaN only where both are).
// Ties give the first operand, as torch's: fmax(−0, 0) is −0.
const fmaxF = (a: number, b: number): number => (a !== a ? b : b !== b ? a : a >= b ? a : b);
const fminF = (a: number, b: number): number => (a !== a ? b : b !== b ? a : a <= b ? a : b);

function logaddexp2F(a: number, b: number): number {
  if (a !== a || b !== b) return NaN;
  if (Math.abs(a) === Infinity && a === b) return a;
  return Math.max(a, b) + Math.log1p(2 ** -Math.abs(a - b)) / Math.LN2;
}
const copysignF = (a: number, b: number): number => (signbitF(b) ? -Math.abs(a) : Math.abs(a));

const recipSq = (a: number, b: number): number => { const d = a * a + b * b; return d === 0 ? 0 : 1 / d; };

const B = {
  atan2: { name: 'atan2', cpu: Math.atan2, wgsl: 'atan2_(a, b)', floatOnly: true, helpers: H },
  hypot: { name: 'hypot', cpu: hypotF, wgsl: 'hypot_(a, b)', floatOnly: true, helpers: H },
  xlogy: { name: 'xlogy', cpu: xlogyF, wgsl: 'xlogy_(a, b)', floatOnly: true, helpers: H },
  logaddexp: { name: 'logaddexp', cpu: logaddexpF, wgsl: 'logaddexp_(a, b)', floatOnly: true, helpers: H },
  lerp: { name: 'lerp', cpu: lerpF, wgsl: 'lerp_(a, b, c)', floatOnly: true, helpers: H },
  fmax: { name: 'fmax', cpu: fmaxF, wgsl: 'select(select(select(b, a, a >= b), a, nan_(b)), b, nan_(a))', helpers: WGSL_NAN },
  // the sign bit of b, so −0 and −NaN count (as C's copysign)
  copysign: { name: 'copysign', cpu: copysignF, wgsl: 'copysign_(a, b)', floatOnly: true, helpers: H },
  ldexp: { name: 'ldexp', cpu: (a, b) => a * 2 ** b, wgsl: 'ldexp_(a, b)', floatOnly: true, helpers: H },
  logaddexp2: { name: 'logaddexp2', cpu: logaddexp2F, wgsl: 'logaddexp2_(a, b)', floatOnly: true, helpers: H },
  // a == 0 ? values : a > 0 (NaN gives 0); keeps int32 and bool
  heaviside: { name: 'heaviside', cpu: (a, v) => (a === 0 ? v : a > 0 ? 1 : 0), wgsl: 'select(select(T(0), T(1), !nan_(a) && a > T(0)), b, !nan_(a) && a == T(0))', helpers: WGSL_NAN },
  fmin: { name: 'fmin', cpu: fminF, wgsl: 'select(select(select(b, a, a <= b), a, nan_(b)), b, nan_(a))', helpers: WGSL_NAN },

  // gradients: operands (a, b, g)
  // torch 2.14: g·b·r and g·(−a)·r with r = 1/(a² + b²), and r = 0 where a² + b² is 0
  atan2GradA: { name: 'atan2_grad_a', cpu: (a, b, g) => g * b * recipSq(a, b), wgsl: 'c * b * select(1.0 / (a * a + b * b), 0.0, a * a + b * b == 0.0)', floatOnly: true },
  atan2GradB: { name: 'atan2_grad_b', cpu: (a, b, g) => g * -a * recipSq(a, b), wgsl: 'c * -a * select(1.0 / (a * a + b * b), 0.0, a * a + b * b == 0.0)', floatOnly: true },
  // torch's g·x / hypot(x, y): operands (x, y = the result, g)
  hypotGrad: { name: 'hypot_grad', cpu: (x, y, g) => (g * x) / y, wgsl: 'c * a / b', floatOnly: true },
  // torch: g·log(y), 0 where x == 0 and y <= 0; and g·x / y
  xlogyGradX: { name: 'xlogy_grad_x', cpu: (x, y, g) => (x === 0 && y <= 0 ? 0 : xlogyF(g, y)), wgsl: 'select(xlogy_(c, b), 0.0, a == 0.0 && b <= 0.0 && !isnan_(b))', floatOnly: true, helpers: H },
  xlogyGradY: { name: 'xlogy_grad_y', cpu: (x, y, g) => (g * x) / y, wgsl: 'c * a / b', floatOnly: true },
  // torch: g / (1 + exp(b − a)) for a, operands swapped for b
  logaddexpGrad: { name: 'logaddexp_grad', cpu: (a, b, g) => g / (1 + Math.exp(b - a)), wgsl: 'c / (1.0 + exp(b - a))', floatOnly: true },
  // torch: g·(y/x), 0 where x == 0; operands (x, y = the result, g)
  copysignGrad: { name: 'copysign_grad', cpu: (x, y, g) => g * (x === 0 ? 0 : y / x), wgsl: 'select(c * (b / a), times0_(c), a == 0.0 && !isnan_(a))', floatOnly: true, helpers: WGSL_NAN },
  // d/db of a·2^b: g·a·2^b·ln 2
  ldexpGradB: { name: 'ldexp_grad_b', cpu: (a, b, g) => g * a * 2 ** b * Math.LN2, wgsl: `ldexp_(c * a, b) * ${lit(Math.LN2)}`, floatOnly: true, helpers: H },
  logaddexp2Grad: { name: 'logaddexp2_grad', cpu: (a, b, g) => g / (1 + 2 ** (b - a)), wgsl: 'c / (1.0 + exp2(b - a))', floatOnly: true },
  lerpGradW: { name: 'lerp_grad_w', cpu: (s, e, g) => g * (e - s), wgsl: 'c * (b - a)', floatOnly: true },
  oneMinusTimes: { name: 'lerp_grad_s', cpu: (w, g) => g * (1 - w), wgsl: 'b * (1.0 - a)', floatOnly: true },
  times: { name: 'lerp_grad_e', cpu: (w, g) => g * w, wgsl: 'a * b', floatOnly: true },
} satisfies Record<string, MapSpec>;

const shapeOf = (x: Operand): number[] | null => (x instanceof Tensor ? x.shape : null);

/** Two operands a, b; the forward spec and one gradient spec per operand, each over (a, b, g). */
class Binary extends Function {
  static override forward(ctx: Ctx, a: Operand, b: Operand, op: keyof typeof FNS): Tensor {
    ctx.op = op;
    ctx.shapes = [shapeOf(a), shapeOf(b)];
    ctx.nums = [typeof a === 'number' ? a : null, typeof b === 'number' ? b : null];
    const y = mapRaw(B[op], [a, b]);
    ctx.saveForBackward(a instanceof Tensor ? a : null, b instanceof Tensor ? b : null, op === 'hypot' || op === 'copysign' ? y : null);
    return y;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [aT, bT, y] = ctx.savedTensors;
    const a: Operand = aT ?? ctx.nums[0];
    const b: Operand = bT ?? ctx.nums[1];
    const [sa, sb] = ctx.shapes;
    const [ga, gb] = FNS[ctx.op as keyof typeof FNS](a, b, dy, y);
    return [ctx.needsInputGrad[0] ? sumToShape(ga(), sa) : null, ctx.needsInputGrad[1] ? sumToShape(gb(), sb) : null, null];
  }
}

type Grads = (a: Operand, b: Operand, g: Tensor, y: Tensor | null) => [() => Tensor, () => Tensor];
const zeros = (g: Tensor): Tensor => full(g.shape, 0, g.dtype, g.device);
const FNS: Record<'atan2' | 'hypot' | 'xlogy' | 'logaddexp' | 'fmax' | 'fmin' | 'copysign' | 'ldexp' | 'logaddexp2', Grads> = {
  atan2: (a, b, g) => [() => mapRaw(B.atan2GradA, [a, b, g]), () => mapRaw(B.atan2GradB, [a, b, g])],
  hypot: (a, b, g, y) => [() => mapRaw(B.hypotGrad, [a, y!, g]), () => mapRaw(B.hypotGrad, [b, y!, g])],
  xlogy: (a, b, g) => [() => mapRaw(B.xlogyGradX, [a, b, g]), () => mapRaw(B.xlogyGradY, [a, b, g])],
  logaddexp: (a, b, g) => [() => mapRaw(B.logaddexpGrad, [a, b, g]), () => mapRaw(B.logaddexpGrad, [b, a, g])],
  // torch 2.14: as maximum/minimum's, ties split g in halves and a NaN on either side passes g to both
  fmax: (a, b, g) => [() => mapRaw(S.maxShare, [a, b, g]), () => mapRaw(S.maxShare, [b, a, g])],
  fmin: (a, b, g) => [() => mapRaw(S.maxShare, [b, a, g]), () => mapRaw(S.maxShare, [a, b, g])],
  // torch gives other a zero gradient
  copysign: (a, _b, g, y) => [() => mapRaw(B.copysignGrad, [a, y!, g]), () => zeros(g)],
  ldexp: (a, b, g) => [() => mapRaw(B.ldexp, [g, b]), () => mapRaw(B.ldexpGradB, [a, b, g])],
  logaddexp2: (a, b, g) => [() => mapRaw(B.logaddexp2Grad, [a, b, g]), () => mapRaw(B.logaddexp2Grad, [b, a, g])],
};

// ---- argument checks ----

function checkOther(op: string, arg: string, x: unknown, self: Tensor): void {
  checkTensor(op, x, arg);
  if (x.device !== self.device) throw new Error(`${op}: ${arg} is on ${x.device} but input is on ${self.device}`);
  broadcastShapes(op, self.shape, x.shape);
}
function floatOnly(op: string, ...xs: Operand[]): void {
  for (const x of xs) {
    if (x instanceof Tensor && !isFloat(resultDType(xs))) throw new Error(`${op}: ${x.dtype} operands are not supported (needs floating point tensors, as PyTorch; cast with .float() first), shape ${fmtShape(x.shape)}`);
  }
}

function binary(op: keyof typeof FNS, a: Tensor, b: Tensor, float: boolean): Tensor {
  checkTensor(op, a);
  checkOther(op, 'other', b, a);
  // fmax/fmin take any dtypes, promoted as PyTorch's (bool with bool stays bool).
  if (float) floatOnly(op, a, b);
  return Binary.apply(a, b, op);
}

// ---- public functions ----

/** atan2(input, other): the angle of (other, input), as C's atan2 (signed zeros and infinities); int32 gives float32. */
export function atan2(input: Tensor, other: Tensor): Tensor {
  checkTensor('atan2', input);
  checkOther('atan2', 'other', other, input);
  return Binary.apply(input, other, 'atan2');
}
/** sqrt(a² + b²) without overflow; Inf wins over NaN, as C's hypot. Float only. */
export const hypot = (input: Tensor, other: Tensor): Tensor => binary('hypot', input, other, true);
/** log(exp(a) + exp(b)) computed stably. Float only. */
export const logaddexp = (input: Tensor, other: Tensor): Tensor => binary('logaddexp', input, other, true);
/** maximum that ignores a NaN (NaN only where both are); int32 stays int32; ties split the gradient, as maximum. */
export const fmax = (input: Tensor, other: Tensor): Tensor => binary('fmax', input, other, false);
export const fmin = (input: Tensor, other: Tensor): Tensor => binary('fmin', input, other, false);

/** x·log(y), 0 where x == 0 (unless y is NaN). Either operand may be a number (not both). */
export function xlogy(input: Tensor | number, other: Tensor | number): Tensor {
  const op = 'xlogy';
  if (typeof input === 'number') {
    checkTensor(op, other, 'other');
    return Binary.apply(input, other, op);
  }
  checkTensor(op, input);
  if (typeof other === 'number') return Binary.apply(input, other, op);
  checkOther(op, 'other', other, input);
  return Binary.apply(input, other, op);
}

class Lerp extends Function {
  static override forward(ctx: Ctx, s: Tensor, e: Tensor, w: Operand): Tensor {
    ctx.saveForBackward(s, e, w instanceof Tensor ? w : null);
    ctx.w = typeof w === 'number' ? w : null;
    ctx.shapes = [s.shape, e.shape, shapeOf(w)];
    return mapRaw(B.lerp, [s, e, w]);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [s, e, wT] = ctx.savedTensors;
    const w: Operand = wT ?? ctx.w;
    const [ss, se, sw] = ctx.shapes;
    const ng = ctx.needsInputGrad;
    return [
      ng[0] ? sumToShape(mapRaw(B.oneMinusTimes, [w, dy]), ss) : null,
      ng[1] ? sumToShape(mapRaw(B.times, [w, dy]), se) : null,
      ng[2] && wT ? sumToShape(mapRaw(B.lerpGradW, [s, e, dy]), sw) : null,
    ];
  }
}

/** start + weight·(end − start), computed as PyTorch (from end where |weight| >= 0.5). Float only; end and a tensor weight share input's dtype. */
export function lerp(input: Tensor, end: Tensor, weight: Tensor | number): Tensor {
  const op = 'lerp';
  checkTensor(op, input);
  checkOther(op, 'end', end, input);
  if (!isFloat(input.dtype)) throw new Error(`${op}: input dtype ${input.dtype} is not supported (needs a floating point tensor, as PyTorch), input shape ${fmtShape(input.shape)}`);
  if (end.dtype !== input.dtype) throw new Error(`${op}: expected dtype ${input.dtype} for end but got ${end.dtype} (shapes ${fmtShape(input.shape)} and ${fmtShape(end.shape)})`);
  if (weight instanceof Tensor) {
    checkOther(op, 'weight', weight, input);
    broadcastShapes(op, broadcastShapes(op, input.shape, end.shape), weight.shape);
    if (weight.dtype !== input.dtype) throw new Error(`${op}: expected dtype ${input.dtype} for weight but got ${weight.dtype} (shape ${fmtShape(weight.shape)})`);
  } else if (typeof weight !== 'number') {
    throw new Error(`${op}: weight must be a Tensor or a number, got ${describe(weight)}`);
  }
  return Lerp.apply(input, end, weight);
}

// ---- copysign, ldexp, logaddexp2, heaviside, trueDivide ----

/** other is a Tensor (broadcast) or a number. */
function tensorOrNumber(op: string, arg: string, x: unknown, self: Tensor): void {
  if (typeof x === 'number') return;
  checkOther(op, arg, x, self);
}

/** |input| with the sign bit of other (−0 and −NaN count); int32 gives float32. Gradient: g·(y/x), 0 at x == 0; other gets 0. */
export function copysign(input: Tensor, other: Tensor | number): Tensor {
  checkTensor('copysign', input);
  tensorOrNumber('copysign', 'other', other, input);
  return Binary.apply(input, other, 'copysign');
}
/** input·2^other, exact for integral exponents (no overflow in between); int32 gives float32. */
export function ldexp(input: Tensor, other: Tensor): Tensor {
  checkTensor('ldexp', input);
  checkOther('ldexp', 'other', other, input);
  return Binary.apply(input, other, 'ldexp');
}
/** log2(2^a + 2^b) computed stably. Float only. */
export const logaddexp2 = (input: Tensor, other: Tensor): Tensor => binary('logaddexp2', input, other, true);

/** values where input == 0, else 1 where input > 0 and 0 below (NaN gives 0). input and values
 * share a dtype, as PyTorch requires; not differentiable (PyTorch has no derivative for it). */
export function heaviside(input: Tensor, values: Tensor): Tensor {
  const op = 'heaviside';
  checkTensor(op, input);
  checkOther(op, 'values', values, input);
  if (values.dtype !== input.dtype) throw new Error(`${op}: input (${input.dtype}, shape ${fmtShape(input.shape)}) and values (${values.dtype}, shape ${fmtShape(values.shape)}) must have the same dtype, as PyTorch`);
  return mapRaw(B.heaviside, [input, values]);
}

/** div without a rounding mode: PyTorch's true_divide. */
export function trueDivide(input: Tensor | number, other: Tensor | number): Tensor {
  if (typeof input === 'number' && typeof other === 'number') throw new Error('trueDivide: at least one of input and other must be a Tensor, got two numbers');
  return div(input, other);
}

// ---- addcmul, addcdiv ----

/** WGSL for v·e, v a constant: ±0 multiplies on the bits (a compiler may fold 0·e to 0). */
const scaled = (v: number, e: string): string => (v !== 0 ? `${lit(v)} * ${e}` : `${Object.is(v, -0) ? '-' : ''}times0_(${e})`);

/** input + value·t1·t2 (mul) or input + value·t1/t2 (div), with their gradient maps. */
function addcSpecs(div: boolean, v: number, int: boolean): { f: MapSpec; g1: MapSpec; g2: MapSpec } {
  const tag = `${div ? 'div' : 'mul'}_${int ? 'i' : 'f'}_${f32Bits(v)}`;
  const fv = int ? v : Math.fround(v);
  const fwd: MapSpec = int
    ? { name: `addcmul_${tag}`, cpu: (a, b, c) => (a + Math.imul(Math.imul(fv, b), c)) | 0, wgsl: `a + ${v}i * b * c` }
    : div
      ? { name: `addcdiv_${tag}`, cpu: (a, b, c) => a + (fv * b) / c, wgsl: `a + ${scaled(v, 'b')} / c`, helpers: WGSL_NAN }
      : { name: `addcmul_${tag}`, cpu: (a, b, c) => a + fv * b * c, wgsl: `a + ${scaled(v, 'b')} * c`, helpers: WGSL_NAN };
  return {
    f: paramSpec(`addc_${tag}`, () => fwd),
    // addcmul: (g·t_other)·v; addcdiv: g·(v/t2) for t1 and ((−g·v)·t1)/(t2·t2) for t2, as torch's formulas
    g1: paramSpec(`addc_g1_${tag}`, () => (div
      ? { name: `addcdiv_g1_${tag}`, cpu: (t2, g) => g * (fv / t2), wgsl: `b * ${v !== 0 ? `(${lit(v)} / a)` : `${Object.is(v, -0) ? '-' : ''}times0_(1.0 / a)`}`, floatOnly: true, helpers: WGSL_NAN }
      : { name: `addcmul_g_${tag}`, cpu: (t, g) => g * t * fv, wgsl: scaled(v, '(b * a)'), floatOnly: true, helpers: WGSL_NAN })),
    g2: paramSpec(`addc_g2_${tag}`, () => (div
      ? { name: `addcdiv_g2_${tag}`, cpu: (t1, t2, g) => (-g * fv * t1) / (t2 * t2), wgsl: `${scaled(v, '(-c)')} * a / (b * b)`, floatOnly: true, helpers: WGSL_NAN }
      : { name: `addcmul_g_${tag}`, cpu: (t, g) => g * t * fv, wgsl: scaled(v, '(b * a)'), floatOnly: true, helpers: WGSL_NAN })),
  };
}

class Addc extends Function {
  static override forward(ctx: Ctx, input: Tensor, t1: Tensor, t2: Tensor, isDiv: boolean, v: number): Tensor {
    const s = addcSpecs(isDiv, v, !isFloat(resultDType([input, t1, t2])));
    ctx.saveForBackward(t1, t2);
    ctx.s = s;
    ctx.isDiv = isDiv;
    ctx.shapes = [input.shape, t1.shape, t2.shape];
    return mapRaw(s.f, [input, t1, t2]);
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [t1, t2] = ctx.savedTensors;
    const [s0, s1, s2] = ctx.shapes;
    const ng = ctx.needsInputGrad;
    const g1 = (): Tensor => mapRaw(ctx.s.g1, [t2, g]);
    const g2 = (): Tensor => mapRaw(ctx.s.g2, ctx.isDiv ? [t1, t2, g] : [t1, g]);
    return [ng[0] ? sumToShape(mapRaw(S.copy, [g]), s0) : null, ng[1] ? sumToShape(g1(), s1) : null, ng[2] ? sumToShape(g2(), s2) : null, null, null];
  }
}

function addc(op: 'addcmul' | 'addcdiv', input: Tensor, t1: Tensor, t2: Tensor, opts: number | { value?: number } | undefined): Tensor {
  checkTensor(op, input);
  checkOther(op, 'tensor1', t1, input);
  checkOther(op, 'tensor2', t2, input);
  broadcastShapes(op, broadcastShapes(op, input.shape, t1.shape), t2.shape);
  const v = typeof opts === 'object' && opts !== null ? checkOptions(op, opts, ['value']).value ?? 1 : opts ?? 1;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: value must be a finite number, got ${describe(v)}`);
  const dt = resultDType([input, t1, t2]);
  if (dt === 'bool') throw new Error(`${op}: bool operands are not supported (as PyTorch), shapes ${fmtShape(input.shape)}, ${fmtShape(t1.shape)} and ${fmtShape(t2.shape)}`);
  if (op === 'addcdiv' && !isFloat(resultDType([t1, t2]))) throw new Error(`${op}: integer division with addcdiv is not supported (tensor1 ${t1.dtype} and tensor2 ${t2.dtype}; as PyTorch, cast one to float)`);
  if (!isFloat(dt) && Math.abs(v) >= 2 ** 31) throw new Error(`${op}: value must fit int32 where the operands are integral (${dt}), got ${v}`);
  if (!isFloat(dt) && !Number.isInteger(v)) throw new Error(`${op}: value must be an integer where the operands are integral (${dt}), got ${v} (PyTorch truncates it)`);
  return Addc.apply(input, t1, t2, op === 'addcdiv', v);
}
/** input + value·tensor1·tensor2 (value defaults to 1), broadcast; int32 stays int32. */
export const addcmul = (input: Tensor, tensor1: Tensor, tensor2: Tensor, opts?: number | { value?: number }): Tensor => addc('addcmul', input, tensor1, tensor2, opts);
/** input + value·tensor1/tensor2 (value defaults to 1), broadcast; tensor1 and tensor2 both integral is refused, as PyTorch. */
export const addcdiv = (input: Tensor, tensor1: Tensor, tensor2: Tensor, opts?: number | { value?: number }): Tensor => addc('addcdiv', input, tensor1, tensor2, opts);
