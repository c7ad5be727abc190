// clamp, the unary math functions (sin cos erf floor ceil round trunc softplus leakyRelu elu
// logsigmoid), remainder and fmod (div's rounding modes live in intdiv.ts). Each is a MapSpec run by the strided map kernel and a small Function whose backward
// is written with fused gradient maps, as in elementwise.ts.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { broadcastShapes, checkOptions, describe, fmtShape } from '../tensor/shape.js';
import { checkTensor } from '../tensor/check.js';
import { isFloat } from '../tensor/dtype.js';
import { f32Bits } from '../backend/webgpu.js';
import { mapRaw, paramSpec, resultDType, type MapSpec, type Operand } from './map.js';
import { erf, MAP_SPECS as S, sumToShape, WGSL_ERF, WGSL_NAN } from './elementwise.js';
import { full } from './view.js';
import { binaryArgs, checkIntDivisor, DIV_SPECS as D, halfOperands } from './intdiv.js';

// ---- WGSL helpers ----

// Accurate log1p and expm1 in f32, for log1p/expm1 themselves and for softplus, logsigmoid, elu,
// celu, sinh...: series below |x| = 0.5 (lavapipe's log and exp are ~1e-8 off near 1 and 0,
// which the u = 1 + x trick relies on); Inf and NaN on the bits (needs WGSL_NAN's isnan_).
export const WGSL_LOG1P_EXPM1 = `
fn inf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn log1p_(x: f32) -> f32 {
  if (x < -1.0) { return bitcast<f32>(0x7fc00000u | u.pad); }
  // |x| < 0.5: 2·atanh(s), s = x/(2 + x), by its odd series (lavapipe's log is ~1e-8 off near 1,
  // which the u = 1 + x trick relies on); further out log(1 + x) is accurate.
  if (abs(x) < 0.5) {
    let s = x / (2.0 + x);
    let s2 = s * s;
    return 2.0 * s * (1.0 + s2 * (0.33333333333333333 + s2 * (0.2 + s2 * (0.14285714285714286 + s2 * (0.11111111111111111 + s2 * (0.09090909090909091 + s2 * 0.07692307692307693))))));
  }
  return log(1.0 + x);
}
fn expm1_(x: f32) -> f32 {
  if (abs(x) < 0.5) { return x * (1.0 + x / 2.0 * (1.0 + x / 3.0 * (1.0 + x / 4.0 * (1.0 + x / 5.0 * (1.0 + x / 6.0 * (1.0 + x / 7.0 * (1.0 + x / 8.0 * (1.0 + x / 9.0)))))))); }
  let u = exp(x);
  if (isnan_(x) || u == 1.0 || inf_(u)) { return select(u, x, u == 1.0 || isnan_(x)); }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  return um1 * (x / log(u));
}
`;

// NaN and Inf are built from u.pad (always 0) at run time: WGSL rejects them as constants.
const WGSL_MATH = `${WGSL_LOG1P_EXPM1}
fn softplus_(x: f32, beta: f32, thr: f32) -> f32 {
  let z = x * beta;
  if (isnan_(x) || z > thr) { return x; }
  return (max(z, 0.0) + log1p_(exp(-abs(z)))) / beta;
}
fn logsigmoid_(x: f32) -> f32 { if (isnan_(x)) { return x; } return min(x, 0.0) - log1p_(exp(-abs(x))); }
`;
const H = WGSL_NAN + WGSL_ERF + WGSL_MATH;

// ---- CPU helpers ----

/** Round half to even (C's nearbyint), keeping -0. */
export function roundEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
}
const nan3 = (a: number, b: number, c: number): boolean => a !== a || b !== b || c !== c;
const log1p = Math.log1p;
const softplusF = (x: number, beta: number, thr: number): number => (x * beta > thr ? x : log1p(Math.exp(x * beta)) / beta);
const sigm = (x: number): number => 1 / (1 + Math.exp(-x));

// clamp(x, min, max) with tensor bounds, PyTorch 2.x's shares of g (NaNs tested on the bits):
// x keeps g unless x < min or x > max, halved at a tie x == min < max or x == max > min; min
// takes x < min <= max (half at the tie); max takes x > max >= min or min > max (half at the tie).
function tX(x: number, lo: number, hi: number): number {
  if (x !== x) return 1;
  if ((lo === lo && x < lo) || (hi === hi && x > hi)) return 0;
  return lo < hi && (x === lo || x === hi) ? 0.5 : 1;
}
function tLo(x: number, lo: number, hi: number): number {
  if (x !== x || lo !== lo || hi !== hi) return 0;
  return x < lo && lo <= hi ? 1 : x === lo && lo < hi ? 0.5 : 0;
}
function tHi(x: number, lo: number, hi: number): number {
  if (lo !== lo || hi !== hi) return 0;
  if (lo > hi) return 1;
  if (x !== x) return 0;
  return x > hi ? 1 : x === hi && lo < hi ? 0.5 : 0;
}
const WGSL_CLAMP_T = `
fn clamp_t_x_(x: f32, lo: f32, hi: f32) -> f32 {
  if (isnan_(x)) { return 1.0; }
  if ((!isnan_(lo) && x < lo) || (!isnan_(hi) && x > hi)) { return 0.0; }
  if (!isnan_(lo) && !isnan_(hi) && lo < hi && (x == lo || x == hi)) { return 0.5; }
  return 1.0;
}
fn clamp_t_lo_(x: f32, lo: f32, hi: f32) -> f32 {
  if (isnan_(x) || isnan_(lo) || isnan_(hi)) { return 0.0; }
  if (x < lo && lo <= hi) { return 1.0; }
  return select(0.0, 0.5, x == lo && lo < hi);
}
fn clamp_t_hi_(x: f32, lo: f32, hi: f32) -> f32 {
  if (isnan_(lo) || isnan_(hi)) { return 0.0; }
  if (lo > hi) { return 1.0; }
  if (isnan_(x)) { return 0.0; }
  if (x > hi) { return 1.0; }
  return select(0.0, 0.5, x == hi && lo < hi);
}
`;

/** An f32 constant spelled exactly in WGSL. */
export const lit = (v: number): string => `bitcast<f32>(${f32Bits(v)}u)`;

// ---- specs ----

const M = {
  // Any NaN among x, min, max gives NaN, as PyTorch's clamp.
  clamp: { name: 'clamp', cpu: (a, lo, hi) => (nan3(a, lo, hi) ? NaN : Math.min(Math.max(a, lo), hi)), wgsl: 'select(min(max(a, b), c), a + b + c, nan_(a) || nan_(b) || nan_(c))', helpers: WGSL_NAN },
  clampMin: { name: 'clamp_min', cpu: (a, lo) => (nan3(a, lo, 0) ? NaN : Math.max(a, lo)), wgsl: 'select(max(a, b), a + b, nan_(a) || nan_(b))', helpers: WGSL_NAN },
  clampMax: { name: 'clamp_max', cpu: (a, hi) => (nan3(a, hi, 0) ? NaN : Math.min(a, hi)), wgsl: 'select(min(a, b), a + b, nan_(a) || nan_(b))', helpers: WGSL_NAN },
  // clamp's gradient masks with number bounds (torch 2.x's): g strictly inside the bounds.
  inOpen: { name: 'clamp_in_open', cpu: (a, lo, hi) => +(a > lo && a < hi), wgsl: 'select(0.0, 1.0, !(isnan_(a) || isnan_(b) || isnan_(c)) && a > b && a < c)', floatOnly: true, helpers: WGSL_NAN },
  passLt: { name: 'clamp_grad_lt', cpu: (a, hi, g) => (a < hi ? g : 0), wgsl: 'select(0.0, c, !(isnan_(a) || isnan_(b)) && a < b)', floatOnly: true, helpers: WGSL_NAN },
  passGt: { name: 'clamp_grad_gt', cpu: (a, lo, g) => (a > lo ? g : 0), wgsl: 'select(0.0, c, !(isnan_(a) || isnan_(b)) && a > b)', floatOnly: true, helpers: WGSL_NAN },
  // With tensor bounds PyTorch 2.x splits ties in halves and lets a NaN through (min only and
  // max only are maximum(x, min) and minimum(x, max)): the x, min and max shares below.
  tMinX: { name: 'clamp_tmin_x', cpu: (a, lo) => (a !== a || lo !== lo || a > lo ? 1 : a === lo ? 0.5 : 0), wgsl: 'select(select(select(0.0, 0.5, a == b), 1.0, a > b), 1.0, isnan_(a) || isnan_(b))', floatOnly: true, helpers: WGSL_NAN },
  tMinB: { name: 'clamp_tmin_b', cpu: (a, lo) => (a !== a || lo !== lo || a < lo ? 1 : a === lo ? 0.5 : 0), wgsl: 'select(select(select(0.0, 0.5, a == b), 1.0, a < b), 1.0, isnan_(a) || isnan_(b))', floatOnly: true, helpers: WGSL_NAN },
  tMaxX: { name: 'clamp_tmax_x', cpu: (a, hi) => (a !== a || hi !== hi || a < hi ? 1 : a === hi ? 0.5 : 0), wgsl: 'select(select(select(0.0, 0.5, a == b), 1.0, a < b), 1.0, isnan_(a) || isnan_(b))', floatOnly: true, helpers: WGSL_NAN },
  tMaxB: { name: 'clamp_tmax_b', cpu: (a, hi) => (a !== a || hi !== hi || a > hi ? 1 : a === hi ? 0.5 : 0), wgsl: 'select(select(select(0.0, 0.5, a == b), 1.0, a > b), 1.0, isnan_(a) || isnan_(b))', floatOnly: true, helpers: WGSL_NAN },
  tX: { name: 'clamp_t_x', cpu: tX, wgsl: 'clamp_t_x_(a, b, c)', floatOnly: true, helpers: WGSL_NAN + WGSL_CLAMP_T },
  tLo: { name: 'clamp_t_lo', cpu: tLo, wgsl: 'clamp_t_lo_(a, b, c)', floatOnly: true, helpers: WGSL_NAN + WGSL_CLAMP_T },
  tHi: { name: 'clamp_t_hi', cpu: tHi, wgsl: 'clamp_t_hi_(a, b, c)', floatOnly: true, helpers: WGSL_NAN + WGSL_CLAMP_T },

  sin: { name: 'sin', cpu: Math.sin, wgsl: 'sin(a)', floatOnly: true },
  cos: { name: 'cos', cpu: Math.cos, wgsl: 'cos(a)', floatOnly: true },
  erf: { name: 'erf', cpu: erf, wgsl: 'select(erf_(a), a, isnan_(a))', floatOnly: true, helpers: H },
  floor: { name: 'floor', cpu: Math.floor, wgsl: 'floor(a)' },
  ceil: { name: 'ceil', cpu: Math.ceil, wgsl: 'ceil(a)' },
  trunc: { name: 'trunc', cpu: Math.trunc, wgsl: 'trunc(a)' },
  // WGSL's round is half to even, as PyTorch's.
  round: { name: 'round', cpu: roundEven, wgsl: 'round(a)' },
  logsigmoid: { name: 'logsigmoid', cpu: (a) => (a !== a ? a : Math.min(a, 0) - log1p(Math.exp(-Math.abs(a)))), wgsl: 'logsigmoid_(a)', floatOnly: true, helpers: H },
  sinGrad: { name: 'sin_grad', cpu: (a, g) => g * Math.cos(a), wgsl: 'b * cos(a)', floatOnly: true },
  cosGrad: { name: 'cos_grad', cpu: (a, g) => -g * Math.sin(a), wgsl: '-b * sin(a)', floatOnly: true },
  erfGrad: { name: 'erf_grad', cpu: (a, g) => g * (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a), wgsl: 'b * 1.1283791670955126 * exp(-a * a)', floatOnly: true },
  // d logsigmoid(x)/dx = sigmoid(-x)
  logsigmoidGrad: { name: 'logsigmoid_grad', cpu: (a, g) => g * sigm(-a), wgsl: 'b / (1.0 + exp(a))', floatOnly: true },

} satisfies Record<string, MapSpec>;

const f32 = Math.fround;

function softplusSpecs(beta: number, thr: number): [MapSpec, MapSpec] {
  const [b, t] = [lit(beta), lit(thr)];
  const [fb, ft] = [f32(beta), f32(thr)];
  return [
    paramSpec(`softplus(${beta},${thr})`, () => ({ name: `softplus_${f32Bits(beta)}_${f32Bits(thr)}`, cpu: (x) => softplusF(x, fb, ft), wgsl: `softplus_(a, ${b}, ${t})`, floatOnly: true, helpers: H })),
    // PyTorch's: g where x·beta > threshold, else g·z/(z + 1) with z = exp(x·beta)
    paramSpec(`softplus_grad(${beta},${thr})`, () => ({
      name: `softplus_grad_${f32Bits(beta)}_${f32Bits(thr)}`, cpu: (x, g) => (x * fb > ft ? g : g * sigm(x * fb)),
      wgsl: `select(b / (1.0 + exp(-a * ${b})), b, a * ${b} > ${t})`, floatOnly: true,
    })),
  ];
}

// A NaN passes through by test, and a slope (or alpha) of 0 multiplies on the bits (times0_:
// ±0, NaN for NaN and ±Inf): a compiler may fold v * 0 to 0, in the forward and the gradient.
/** WGSL for v · c, c a constant (needs WGSL_NAN's times0_ where c is ±0). */
const timesConst = (v: string, c: number): string => (c !== 0 ? `${v} * ${lit(c)}` : Object.is(c, -0) ? `-times0_(${v})` : `times0_(${v})`);
function leakySpecs(s: number): [MapSpec, MapSpec] {
  const fs = f32(s);
  return [
    paramSpec(`leaky(${s})`, () => ({ name: `leaky_relu_${f32Bits(s)}`, cpu: (x) => (x > 0 ? x : x * fs), wgsl: `select(${timesConst('a', s)}, a, a > 0.0 || isnan_(a))`, floatOnly: true, helpers: WGSL_NAN })),
    paramSpec(`leaky_grad(${s})`, () => ({ name: `leaky_relu_grad_${f32Bits(s)}`, cpu: (x, g) => (x > 0 ? g : g * fs), wgsl: `select(${timesConst('b', s)}, b, a > 0.0)`, floatOnly: true, helpers: WGSL_NAN })),
  ];
}

function eluSpecs(alpha: number): [MapSpec, MapSpec] {
  const [l, fa] = [lit(alpha), f32(alpha)];
  return [
    paramSpec(`elu(${alpha})`, () => ({ name: `elu_${f32Bits(alpha)}`, cpu: (x) => (x > 0 ? x : fa * Math.expm1(x)), wgsl: `select(${l} * expm1_(a), a, a > 0.0 || isnan_(a))`, floatOnly: true, helpers: H })),
    // PyTorch's: the negative branch where x <= 0 (a NaN x passes g on)
    paramSpec(`elu_grad(${alpha})`, () => ({ name: `elu_grad_${f32Bits(alpha)}`, cpu: (x, g) => (x <= 0 ? g * fa * Math.exp(x) : g), wgsl: `select(b, ${timesConst('b', alpha)} * exp(a), !isnan_(a) && a <= 0.0)`, floatOnly: true, helpers: WGSL_NAN })),
  ];
}

/** round(x, decimals): PyTorch scales by 10^|decimals|, rounds half to even and scales back. */
function roundSpec(decimals: number): MapSpec {
  const p = 10 ** Math.abs(decimals);
  const fp = f32(p);
  const [mul, div] = decimals > 0 ? ['*', '/'] : ['/', '*'];
  return paramSpec(`round(${decimals})`, () => ({
    name: `round_${decimals < 0 ? 'm' : ''}${Math.abs(decimals)}`,
    // In f32 as PyTorch computes it: the scaled value is rounded before rounding half to even.
    cpu: decimals > 0 ? (x) => roundEven(f32(x * fp)) / fp : (x) => roundEven(f32(x / fp)) * fp,
    wgsl: `round(a ${mul} ${lit(p)}) ${div} ${lit(p)}`,
  }));
}

// ---- Functions ----

/** A unary op with a gradient map of (x, dy), or of (y, dy) with `fromOutput`, or zero
 * gradient ('zero'). */
export class Unary extends Function {
  static override forward(ctx: Ctx, a: Tensor, spec: MapSpec, grad: MapSpec | 'zero', fromOutput = false): Tensor {
    const y = mapRaw(spec, [a]);
    ctx.saveForBackward(grad === 'zero' ? null : fromOutput ? y : a);
    ctx.grad = grad;
    return y;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [s] = ctx.savedTensors;
    // Zeros, not dy · 0: PyTorch's floor, ceil, round, trunc and sign give zeros_like(grad),
    // also where the incoming gradient is NaN or infinite.
    if (ctx.grad === 'zero') return [full(dy.shape, 0, dy.dtype, dy.device), null, null, null];
    return [mapRaw(ctx.grad, [s, dy]), null, null, null];
  }
}

const shapeOf = (x: Operand | null): number[] | null => (x instanceof Tensor ? x.shape : null);

class Clamp extends Function {
  static override forward(ctx: Ctx, x: Tensor, lo: Operand | null, hi: Operand | null): Tensor {
    ctx.saveForBackward(x, lo instanceof Tensor ? lo : null, hi instanceof Tensor ? hi : null);
    ctx.lo = typeof lo === 'number' ? lo : null;
    ctx.hi = typeof hi === 'number' ? hi : null;
    ctx.has = [lo !== null, hi !== null];
    ctx.shapes = [x.shape, shapeOf(lo), shapeOf(hi)];
    const dt = resultDType([x, ...[lo, hi].filter((v): v is Operand => v !== null)]);
    if (lo === null) return mapRaw(M.clampMax, [x, hi!], dt);
    if (hi === null) return mapRaw(M.clampMin, [x, lo], dt);
    // The map takes one number operand: a number max joins as a 0-d tensor.
    const hiT = typeof lo === 'number' && typeof hi === 'number' ? full([], hi, dt === 'int32' ? 'int32' : 'float32', x.device) : hi;
    return mapRaw(M.clamp, [x, lo, hiT], dt);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [x, loT, hiT] = ctx.savedTensors;
    const [sx, slo, shi] = ctx.shapes;
    const [hasLo, hasHi] = ctx.has;
    const ng = ctx.needsInputGrad;
    // PyTorch masks with where(): no share where the mask is 0, whatever dy holds there.
    const share = (spec: MapSpec, ops: Operand[], shape: number[] | null): Tensor => sumToShape(mapRaw(S.shareF, [mapRaw(spec, ops), dy]), shape!);
    // A tensor bound: PyTorch's tensor overloads (maximum/minimum-like ties and NaNs).
    if (loT || hiT) {
      if (!hasLo) return [ng[0] ? share(M.tMaxX, [x, hiT!], sx) : null, null, ng[2] ? share(M.tMaxB, [x, hiT!], shi) : null];
      if (!hasHi) return [ng[0] ? share(M.tMinX, [x, loT!], sx) : null, ng[1] ? share(M.tMinB, [x, loT!], slo) : null, null];
      // A number bound joins as a 0-d tensor (the map takes one number operand).
      const l = loT ?? full([], ctx.lo, 'float32', x.device);
      const h = hiT ?? full([], ctx.hi, 'float32', x.device);
      return [ng[0] ? share(M.tX, [x, l, h], sx) : null, ng[1] ? share(M.tLo, [x, l, h], slo) : null, ng[2] ? share(M.tHi, [x, l, h], shi) : null];
    }
    // Number bounds: torch 2.x passes g strictly inside (min < x < max), none at a bound or for NaN.
    if (!ng[0]) return [null, null, null];
    if (!hasLo) return [sumToShape(mapRaw(M.passLt, [x, ctx.hi, dy]), sx), null, null];
    if (!hasHi) return [sumToShape(mapRaw(M.passGt, [x, ctx.lo, dy]), sx), null, null];
    return [sumToShape(mapRaw(S.shareF, [mapRaw(M.inOpen, [x, ctx.lo, full([], ctx.hi, 'float32', x.device)]), dy]), sx), null, null];
  }
}

/** remainder and fmod: d/da = g, d/db = -g·floor(a/b) (remainder) or -g·trunc(a/b) (fmod). */
class Mod extends Function {
  static override forward(ctx: Ctx, a0: Operand, b0: Operand, isFmod: boolean): Tensor {
    const [a, b] = halfOperands(a0, b0);
    const int = resultDType([a, b]) === 'int32';
    ctx.saveForBackward(a instanceof Tensor ? a : null, b instanceof Tensor ? b : null);
    ctx.a = typeof a === 'number' ? a : null;
    ctx.b = typeof b === 'number' ? b : null;
    ctx.isFmod = isFmod;
    ctx.shapes = [shapeOf(a), shapeOf(b)];
    return mapRaw(isFmod ? (int ? D.fmodI : D.fmodF) : (int ? D.remI : D.remF), [a, b]);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [aT, bT] = ctx.savedTensors;
    const [sa, sb] = ctx.shapes;
    const ga = ctx.needsInputGrad[0] ? sumToShape(mapRaw(S.copy, [dy]), sa) : null;
    let gb: Tensor | null = null;
    if (ctx.needsInputGrad[1]) {
      const q = mapRaw(ctx.isFmod ? D.truncDivF : D.floorDivF, [aT ?? ctx.a, bT ?? ctx.b], dy.dtype);
      gb = sumToShape(mapRaw(S.mulF, [mapRaw(S.neg, [q]), dy]), sb);
    }
    return [ga, gb, null];
  }
}

// ---- argument checks ----

function checkOperand(op: string, arg: string, x: unknown, self: Tensor): asserts x is Operand {
  if (x instanceof Tensor) {
    x.assertAlive(op);
    if (x.device !== self.device) throw new Error(`${op}: ${arg} is on ${x.device} but input is on ${self.device}`);
    broadcastShapes(op, self.shape, x.shape);
    return;
  }
  if (typeof x !== 'number') throw new Error(`${op}: ${arg} must be a Tensor or a number, got ${describe(x)}`);
}

function checkParam(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${arg} must be a finite number, got ${describe(v)}`);
  return v;
}

function floatInput(op: string, x: unknown): asserts x is Tensor {
  checkTensor(op, x);
  if (!isFloat(x.dtype)) throw new Error(`${op}: input dtype ${x.dtype} is not supported (needs a floating point tensor; cast with .float() first), input shape ${fmtShape(x.shape)}`);
}

// ---- public functions ----

/**
 * clamp(x, min, max): min and max are numbers, tensors (broadcast) or null; at least one is
 * given. Where min > max the result is max, as PyTorch's.
 */
export function clamp(x: Tensor, min?: Operand | null, max?: Operand | null, op = 'clamp'): Tensor {
  checkTensor(op, x);
  const lo = min ?? null;
  const hi = max ?? null;
  if (lo === null && hi === null) throw new Error(`${op}: at least one of min and max must be given (got neither)`);
  if (lo !== null) checkOperand(op, 'min', lo, x);
  if (hi !== null) checkOperand(op, 'max', hi, x);
  if (resultDType([x, ...[lo, hi].filter((v): v is Operand => v !== null)]) === 'bool') throw new Error(`${op}: bool input with bool bounds is not supported (as PyTorch; cast with .int() first), input shape ${fmtShape(x.shape)}`);
  return Clamp.apply(x, lo, hi);
}
export const clip = (x: Tensor, min?: Operand | null, max?: Operand | null): Tensor => clamp(x, min, max, 'clip');
/** clamp with only a lower bound (torch.clamp_min): a number or a tensor that broadcasts. */
export function clampMin(x: Tensor, min: Operand): Tensor {
  if (min === null || min === undefined) throw new Error(`clampMin: min must be a Tensor or a number, got ${describe(min)}`);
  return clamp(x, min, null, 'clampMin');
}
/** clamp with only an upper bound (torch.clamp_max). */
export function clampMax(x: Tensor, max: Operand): Tensor {
  if (max === null || max === undefined) throw new Error(`clampMax: max must be a Tensor or a number, got ${describe(max)}`);
  return clamp(x, null, max, 'clampMax');
}

function unaryOp(op: string, x: unknown, spec: MapSpec, grad: MapSpec | 'zero'): Tensor {
  checkTensor(op, x);
  return Unary.apply(x, spec, grad);
}
export const sin = (x: Tensor): Tensor => unaryOp('sin', x, M.sin, M.sinGrad);
export const cos = (x: Tensor): Tensor => unaryOp('cos', x, M.cos, M.cosGrad);
export const erfFn = (x: Tensor): Tensor => unaryOp('erf', x, M.erf, M.erfGrad);
// floor/ceil/trunc/round of an int32 tensor is a copy of it, as in PyTorch.
function rounding(op: string, x: unknown, spec: MapSpec): Tensor {
  checkTensor(op, x);
  // PyTorch has no floor/ceil/trunc/round kernel for bool.
  if (x.dtype === 'bool') throw new Error(`${op}: input dtype bool is not supported (cast with .int() or .float() first), input shape ${fmtShape(x.shape)}`);
  return Unary.apply(x, x.dtype === 'int32' ? S.copy : spec, 'zero');
}
export const floor = (x: Tensor): Tensor => rounding('floor', x, M.floor);
export const ceil = (x: Tensor): Tensor => rounding('ceil', x, M.ceil);
export const trunc = (x: Tensor): Tensor => rounding('trunc', x, M.trunc);
/** round half to even; with `decimals` (a number or { decimals }), to that many decimal places. */
export function round(x: Tensor, decimals: number | { decimals?: number } = 0): Tensor {
  const op = 'round';
  checkTensor(op, x);
  const d = typeof decimals === 'object' && decimals !== null ? checkOptions(op, decimals, ['decimals']).decimals ?? 0 : decimals;
  if (typeof d !== 'number' || !Number.isInteger(d) || Math.abs(d) > 30) throw new Error(`${op}: decimals must be an integer from -30 to 30, got ${describe(d)}`);
  if (d !== 0 && x.dtype === 'int32') throw new Error(`${op}: decimals is not supported for an int32 input (shape ${fmtShape(x.shape)})`);
  return rounding(op, x, d === 0 ? M.round : roundSpec(d));
}

/** softplus(x) = log(1 + exp(beta·x)) / beta, and x itself where beta·x > threshold. */
export function softplus(x: Tensor, beta: number = 1, threshold: number = 20): Tensor {
  floatInput('softplus', x);
  const [f, g] = softplusSpecs(checkParam('softplus', 'beta', beta), checkParam('softplus', 'threshold', threshold));
  if (beta === 0) throw new Error('softplus: beta must be nonzero, got 0');
  return Unary.apply(x, f, g);
}
export function leakyRelu(x: Tensor, negativeSlope: number = 0.01): Tensor {
  floatInput('leakyRelu', x);
  const [f, g] = leakySpecs(checkParam('leakyRelu', 'negativeSlope', negativeSlope));
  return Unary.apply(x, f, g);
}
export function elu(x: Tensor, alpha: number = 1): Tensor {
  floatInput('elu', x);
  const [f, g] = eluSpecs(checkParam('elu', 'alpha', alpha));
  return Unary.apply(x, f, g);
}
export function logsigmoid(x: Tensor): Tensor {
  floatInput('logsigmoid', x);
  return Unary.apply(x, M.logsigmoid, M.logsigmoidGrad);
}

export function remainder(a: Tensor | number, b: Operand): Tensor {
  binaryArgs('remainder', a, b);
  checkIntDivisor('remainder', a, b);
  return Mod.apply(a, b, false);
}
export function fmod(a: Tensor, b: Operand): Tensor {
  checkTensor('fmod', a);
  checkOperand('fmod', 'other', b, a);
  checkIntDivisor('fmod', a, b);
  return Mod.apply(a, b, true);
}
