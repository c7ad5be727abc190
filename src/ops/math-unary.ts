// More unary math, PyTorch's names: sign square reciprocal log1p expm1 log2 log10 exp2 sinh cosh
// tan asin acos atan asinh acosh atanh frac, and the activations relu6 hardtanh hardsigmoid
// hardswish mish selu celu softsign. Each is a MapSpec (CPU function in float64 + WGSL
// expression), run by math.ts's Unary Function: its backward is one fused map of (x or y, dy).
// Edge values (NaN, ±Inf, ±0, the kinks) follow torch 2.14, checked in test/ops/math-extra.test.ts.
// Also signbit sgn positive deg2rad rad2deg hardshrink softshrink threshold softmin.
import { Tensor } from '../tensor/tensor.js';
import { describe, fmtShape, normDim } from '../tensor/shape.js';
import { checkTensor } from '../tensor/check.js';
import { isFloat, roundF16 } from '../tensor/dtype.js';
import { f32Bits } from '../backend/webgpu.js';
import { mapRaw, paramSpec, type MapSpec } from './map.js';
import { WGSL_ERF, WGSL_NAN, neg } from './elementwise.js';
import { lit, Unary, WGSL_LOG1P_EXPM1 } from './math.js';
import { softmax } from './softmax.js';

// sinh, the inverse trig and hyperbolic functions, built on math.ts's accurate log1p_/expm1_;
// Inf and NaN handled on the bits, since a compiler may assume neither exists.
const WGSL_X = `${WGSL_LOG1P_EXPM1}
const MAXF_ = 0x1.fffffep+127f;
fn copysign_(m: f32, s: f32) -> f32 { return bitcast<f32>((bitcast<u32>(m) & 0x7fffffffu) | (bitcast<u32>(s) & 0x80000000u)); }
fn sinh_(x: f32) -> f32 {
  let ax = abs(x);
  if (isnan_(x)) { return x; }
  if (ax < 1.0) { let e = expm1_(ax); return copysign_(0.5 * (e + e / (e + 1.0)), x); }
  let e = exp(ax - 0.69314718055994531);
  return copysign_(e - 0.25 / e, x);
}
fn cosh_(x: f32) -> f32 { let e = exp(abs(x) - 0.69314718055994531); return e + 0.25 / e; }
fn asinh_(x: f32) -> f32 {
  let ax = abs(x);
  if (isnan_(x)) { return x; }
  var r: f32;
  if (ax > 4096.0) { r = log(ax) + 0.69314718055994531; }
  else { r = log1p_(ax + ax * ax / (1.0 + sqrt(1.0 + ax * ax))); }
  return copysign_(r, x);
}
fn acosh_(x: f32) -> f32 {
  if (isnan_(x) || x < 1.0) { return bitcast<f32>(0x7fc00000u | u.pad); }
  if (x > 4096.0) { return log(x) + 0.69314718055994531; }
  let t = x - 1.0;
  return log1p_(t + sqrt(2.0 * t + t * t));
}
fn atanh_(x: f32) -> f32 {
  if (isnan_(x) || abs(x) > 1.0) { return bitcast<f32>(0x7fc00000u | u.pad); }
  return copysign_(0.5 * log1p_(2.0 * abs(x) / (1.0 - abs(x))), x);
}
// asin and acos through atan_ (lavapipe's asin was 2.5e-4 off)
fn asin_(x: f32) -> f32 { if (isnan_(x) || abs(x) > 1.0) { return bitcast<f32>(0x7fc00000u | u.pad); } return atan_(x / sqrt((1.0 - x) * (1.0 + x))); }
fn acos_(x: f32) -> f32 { if (isnan_(x) || abs(x) > 1.0) { return bitcast<f32>(0x7fc00000u | u.pad); } return 2.0 * atanp_(sqrt((1.0 - x) / (1.0 + x))); }
// atan to ~1 ulp (lavapipe's was 4e-6 off): |x| folded into [0, 1], then into [0, tan(pi/12)]
// by atan(t) = pi/6 + atan((t − 1/√3)/(1 + t/√3)), where the odd series to t^11 is exact in f32.
fn atan01_(t0: f32) -> f32 {
  var t = t0;
  var off = 0.0;
  if (t > 0.26794919) { t = (t - 0.57735026918962576) / (1.0 + t * 0.57735026918962576); off = 0.52359877559829887; }
  let t2 = t * t;
  return off + t * (1.0 - t2 * (0.33333333333333333 - t2 * (0.2 - t2 * (0.14285714285714286 - t2 * (0.11111111111111111 - t2 * 0.09090909090909091)))));
}
fn atanp_(ax: f32) -> f32 { if (ax <= 1.0) { return atan01_(ax); } return 1.57079632679489662 - atan01_(1.0 / ax); }
fn atan_(x: f32) -> f32 { if (isnan_(x)) { return x; } return copysign_(atanp_(abs(x)), x); }
fn tan_(x: f32) -> f32 { if (isnan_(x) || inf_(x)) { return bitcast<f32>(0x7fc00000u | u.pad); } return tan(x); }
fn softplus1_(x: f32) -> f32 { return max(x, 0.0) + log1p_(exp(-abs(x))); }
`;
// +0 for ±0 and NaN, built from bits (lavapipe's folding gave sign(0) = −0).
const WGSL_SIGN = 'fn sign_(x: T) -> T { if (nan_(x) || x == T(0)) { return bitcast<T>(u.pad); } return select(T(-1), T(1), x > T(0)); }\n';
const H = WGSL_NAN + WGSL_ERF + WGSL_X;
const NAN_ = 'bitcast<f32>(0x7fc00000u | u.pad)';

const LN2 = Math.LN2;
const LN10 = Math.LN10;
const SELU_A = 1.6732632423543772848170429916717;
const SELU_S = 1.0507009873554804934193349852946;
const sigm = (x: number): number => 1 / (1 + Math.exp(-x));
const softplus1 = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
/** An f32 constant spelled exactly in WGSL. */
const f32 = Math.fround;
const DEG = Math.PI / 180;
// A JS number keeps a NaN's sign bit through a Float64Array (V8 does not canonicalize it).
const bits64 = new Float64Array(1);
const hi32 = new Uint32Array(bits64.buffer, 4, 1);
export function signbitF(x: number): number {
  bits64[0] = x;
  return hi32[0] >>> 31;
}

// ---- specs: forward, and gradient maps of (x or y, g) ----

const U = {
  // torch: sign(NaN) = 0, sign(±0) = +0; keeps int (and bool).
  sign: { name: 'sign', cpu: (a) => (a > 0 ? 1 : a < 0 ? -1 : 0), wgsl: 'sign_(a)', helpers: WGSL_NAN + WGSL_SIGN },
  squareF: { name: 'square', cpu: (a) => a * a, wgsl: 'a * a' },
  squareI: { name: 'square_i', cpu: (a) => Math.imul(a, a), wgsl: 'a * a' },
  reciprocal: { name: 'reciprocal', cpu: (a) => 1 / a, wgsl: '1.0 / a', floatOnly: true },
  log1p: { name: 'log1p', cpu: Math.log1p, wgsl: 'log1p_(a)', floatOnly: true, helpers: H },
  expm1: { name: 'expm1', cpu: Math.expm1, wgsl: 'expm1_(a)', floatOnly: true, helpers: H },
  log2: { name: 'log2', cpu: Math.log2, wgsl: 'log2(a)', floatOnly: true },
  log10: { name: 'log10', cpu: Math.log10, wgsl: `log2(a) * ${lit(Math.LOG10E / Math.LOG2E)}`, floatOnly: true },
  exp2: { name: 'exp2', cpu: (a) => 2 ** a, wgsl: 'exp2(a)', floatOnly: true },
  sinh: { name: 'sinh', cpu: Math.sinh, wgsl: 'sinh_(a)', floatOnly: true, helpers: H },
  cosh: { name: 'cosh', cpu: Math.cosh, wgsl: 'cosh_(a)', floatOnly: true, helpers: H },
  tan: { name: 'tan', cpu: Math.tan, wgsl: 'tan_(a)', floatOnly: true, helpers: H },
  asin: { name: 'asin', cpu: Math.asin, wgsl: 'asin_(a)', floatOnly: true, helpers: H },
  acos: { name: 'acos', cpu: Math.acos, wgsl: 'acos_(a)', floatOnly: true, helpers: H },
  atan: { name: 'atan', cpu: Math.atan, wgsl: 'atan_(a)', floatOnly: true, helpers: H },
  asinh: { name: 'asinh', cpu: Math.asinh, wgsl: 'asinh_(a)', floatOnly: true, helpers: H },
  acosh: { name: 'acosh', cpu: Math.acosh, wgsl: 'acosh_(a)', floatOnly: true, helpers: H },
  atanh: { name: 'atanh', cpu: Math.atanh, wgsl: 'atanh_(a)', floatOnly: true, helpers: H },
  frac: { name: 'frac', cpu: (a) => a - Math.trunc(a), wgsl: 'a - trunc(a)', floatOnly: true },
  hardsigmoid: { name: 'hardsigmoid', cpu: (a) => (a !== a ? a : Math.min(Math.max(a + 3, 0), 6) / 6), wgsl: `select(min(max(a + 3.0, 0.0), 6.0) / 6.0, a, isnan_(a))`, floatOnly: true, helpers: WGSL_NAN },
  hardswish: { name: 'hardswish', cpu: (a) => (a !== a ? a : (a * Math.min(Math.max(a + 3, 0), 6)) / 6), wgsl: `select(a * min(max(a + 3.0, 0.0), 6.0) / 6.0, a, isnan_(a))`, floatOnly: true, helpers: WGSL_NAN },
  mish: { name: 'mish', cpu: (a) => a * Math.tanh(softplus1(a)), wgsl: 'a * tanh_(softplus1_(a))', floatOnly: true, helpers: H },
  selu: { name: 'selu', cpu: (a) => SELU_S * (a > 0 || a !== a ? a : SELU_A * Math.expm1(a)), wgsl: `${lit(SELU_S)} * select(${lit(SELU_A)} * expm1_(a), a, a > 0.0 || isnan_(a))`, floatOnly: true, helpers: H },
  softsign: { name: 'softsign', cpu: (a) => a / (1 + Math.abs(a)), wgsl: 'a / (1.0 + abs(a))', floatOnly: true },

  // The sign bit, so −0 and −NaN count (as torch's std::signbit); read from the bits on the CPU too.
  signbit: { name: 'signbit', cpu: signbitF, wgsl: 'select(T(0), T(1), (bitcast<u32>(a) & 0x80000000u) != 0u)' },
  deg2rad: { name: 'deg2rad', cpu: (a) => a * DEG, wgsl: `a * ${lit(DEG)}`, floatOnly: true },
  rad2deg: { name: 'rad2deg', cpu: (a) => a / DEG, wgsl: `a * ${lit(1 / DEG)}`, floatOnly: true },
  deg2radGrad: { name: 'deg2rad_grad', cpu: (_x, g) => g * DEG, wgsl: `b * ${lit(DEG)}`, floatOnly: true },
  rad2degGrad: { name: 'rad2deg_grad', cpu: (_x, g) => g / DEG, wgsl: `b * ${lit(1 / DEG)}`, floatOnly: true },

  squareGrad: { name: 'square_grad', cpu: (x, g) => 2 * x * g, wgsl: '2.0 * a * b', floatOnly: true },
  reciprocalGrad: { name: 'reciprocal_grad', cpu: (y, g) => -g * y * y, wgsl: '-b * (a * a)', floatOnly: true },
  log1pGrad: { name: 'log1p_grad', cpu: (x, g) => g / (1 + x), wgsl: 'b / (1.0 + a)', floatOnly: true },
  expm1Grad: { name: 'expm1_grad', cpu: (y, g) => g * (y + 1), wgsl: 'b * (a + 1.0)', floatOnly: true },
  log2Grad: { name: 'log2_grad', cpu: (x, g) => g / (x * LN2), wgsl: `b / (a * ${lit(LN2)})`, floatOnly: true },
  log10Grad: { name: 'log10_grad', cpu: (x, g) => g / (x * LN10), wgsl: `b / (a * ${lit(LN10)})`, floatOnly: true },
  exp2Grad: { name: 'exp2_grad', cpu: (y, g) => g * y * LN2, wgsl: `b * a * ${lit(LN2)}`, floatOnly: true },
  sinhGrad: { name: 'sinh_grad', cpu: (x, g) => g * Math.cosh(x), wgsl: 'b * cosh_(a)', floatOnly: true, helpers: H },
  coshGrad: { name: 'cosh_grad', cpu: (x, g) => g * Math.sinh(x), wgsl: 'b * sinh_(a)', floatOnly: true, helpers: H },
  tanGrad: { name: 'tan_grad', cpu: (y, g) => g * (1 + y * y), wgsl: 'b * (1.0 + a * a)', floatOnly: true },
  asinGrad: { name: 'asin_grad', cpu: (x, g) => g / Math.sqrt(1 - x * x), wgsl: 'b / sqrt(1.0 - a * a)', floatOnly: true },
  acosGrad: { name: 'acos_grad', cpu: (x, g) => -g / Math.sqrt(1 - x * x), wgsl: '-b / sqrt(1.0 - a * a)', floatOnly: true },
  atanGrad: { name: 'atan_grad', cpu: (x, g) => g / (1 + x * x), wgsl: 'b / (1.0 + a * a)', floatOnly: true },
  // torch's g·rsqrt(x² + 1) and g·rsqrt(x² − 1) (rsqrt(Inf) = 0).
  asinhGrad: { name: 'asinh_grad', cpu: (x, g) => g / Math.sqrt(x * x + 1), wgsl: 'b * inverseSqrt(a * a + 1.0)', floatOnly: true },
  acoshGrad: { name: 'acosh_grad', cpu: (x, g) => g / Math.sqrt(x * x - 1), wgsl: 'b / sqrt(a * a - 1.0)', floatOnly: true },
  atanhGrad: { name: 'atanh_grad', cpu: (x, g) => g / (1 - x * x), wgsl: 'b / (1.0 - a * a)', floatOnly: true },
  passGrad: { name: 'pass_grad', cpu: (_x, g) => g, wgsl: 'b', floatOnly: true },
  // g/6 strictly inside (−3, 3) (torch's constant is f32(1/6)); NaN gets 0.
  hardsigmoidGrad: { name: 'hardsigmoid_grad', cpu: (x, g) => (x > -3 && x < 3 ? g * f32(1 / 6) : 0), wgsl: `select(0.0, b * ${lit(1 / 6)}, !isnan_(a) && a > -3.0 && a < 3.0)`, floatOnly: true, helpers: WGSL_NAN },
  // torch 2.14: 0 for x <= −3, g·(x/3 + 1/2) for −3 < x < 3, g from 3 up; NaN for NaN
  // (torch's vectorized kernel, from 8 elements: NaN for a NaN x; its scalar one gives g there)
  hardswishGrad: { name: 'hardswish_grad', cpu: (x, g) => (x !== x ? x : x <= -3 ? 0 : x < 3 ? g * (x / 3 + 0.5) : g), wgsl: 'select(select(select(b, b * (a / 3.0 + 0.5), a < 3.0), 0.0, a <= -3.0), a, isnan_(a))', floatOnly: true, helpers: WGSL_NAN },
  mishGrad: {
    name: 'mish_grad', cpu: (x, g) => { const t = Math.tanh(softplus1(x)); return g * (t + x * sigm(x) * (1 - t * t)); },
    wgsl: 'b * (tanh_(softplus1_(a)) + a * sigmoid_(a) * (1.0 - tanh_(softplus1_(a)) * tanh_(softplus1_(a))))', floatOnly: true, helpers: H,
  },
  // The negative branch at x <= 0; NaN for a NaN x (torch's vectorized elu_backward, 8+ elements).
  seluGrad: { name: 'selu_grad', cpu: (x, g) => (x !== x ? x : x <= 0 ? g * SELU_S * SELU_A * Math.exp(x) : g * SELU_S), wgsl: `select(select(b * ${lit(SELU_S)}, b * ${lit(SELU_S * SELU_A)} * exp(a), a <= 0.0), a, isnan_(a))`, floatOnly: true, helpers: WGSL_NAN },
  // torch's softsign is x / (|x| + 1) composed: g/(1 + |x|) − g·|x|/(1 + |x|)², NaN at ±Inf.
  softsignGrad: { name: 'softsign_grad', cpu: (x, g) => { const d = 1 + Math.abs(x); return g / d - (g * Math.abs(x)) / (d * d); }, wgsl: 'b / (1.0 + abs(a)) - b * abs(a) / ((1.0 + abs(a)) * (1.0 + abs(a)))', floatOnly: true },
} satisfies Record<string, MapSpec>;

// ---- parameterized specs (constants baked in: paramSpec) ----

/** hardtanh: x < lo ? lo : x > hi ? hi : x (so −0 stays −0); NaN stays NaN; int32 stays int32. */
function hardtanhSpecs(lo: number, hi: number, int: boolean): [MapSpec, MapSpec] {
  const [l, h] = int ? [`${lo}i`, `${hi}i`] : [lit(lo), lit(hi)];
  const [fl, fh] = int ? [lo, hi] : [f32(lo), f32(hi)];
  const tag = `${int ? 'i' : 'f'}_${f32Bits(lo)}_${f32Bits(hi)}`;
  return [
    paramSpec(`hardtanh_${tag}`, () => ({ name: `hardtanh_${tag}`, cpu: (x) => (x < fl ? fl : x > fh ? fh : x), wgsl: `select(select(select(a, ${h}, a > ${h}), ${l}, a < ${l}), a, nan_(a))`, helpers: WGSL_NAN })),
    // g strictly inside (lo, hi); nothing at a bound or for NaN
    paramSpec(`hardtanh_grad_${tag}`, () => ({ name: `hardtanh_grad_${tag}`, cpu: (x, g) => (x > fl && x < fh ? g : 0), wgsl: `select(0.0, b, !isnan_(a) && a > ${lit(fl)} && a < ${lit(fh)})`, floatOnly: true, helpers: WGSL_NAN })),
  ];
}

/** celu(x, alpha) = max(0, x) + min(0, alpha·(exp(x/alpha) − 1)); the gradient's negative branch at x <= 0. */
function celuSpecs(alpha: number): [MapSpec, MapSpec] {
  const [a, fa, inv, finv] = [lit(alpha), f32(alpha), lit(1 / alpha), f32(1 / f32(alpha))];
  const tag = f32Bits(alpha);
  return [
    paramSpec(`celu_${tag}`, () => ({ name: `celu_${tag}`, cpu: (x) => (x > 0 || x !== x ? x : fa * Math.expm1(x * finv)), wgsl: `select(${a} * expm1_(a * ${inv}), a, a > 0.0 || isnan_(a))`, floatOnly: true, helpers: H })),
    paramSpec(`celu_grad_${tag}`, () => ({ name: `celu_grad_${tag}`, cpu: (x, g) => (x !== x ? x : x <= 0 ? g * Math.exp(x * finv) : g), wgsl: `select(select(b, b * exp(a * ${inv}), a <= 0.0), a, isnan_(a))`, floatOnly: true, helpers: WGSL_NAN })),
  ];
}

/** hardshrink (0 inside [−l, l], else x) or softshrink (x ∓ l outside, +0 inside); a NaN stays NaN
 * and both pass g only outside [−l, l] (0 for a NaN): torch's vectorized kernels (its scalar tail
 * keeps −0 in softshrink and passes g for a NaN). */
function shrinkSpecs(l: number, soft: boolean): [MapSpec, MapSpec] {
  const fl = f32(l);
  const [p, m] = [lit(l), lit(-l)];
  const tag = f32Bits(l);
  const inside = `!isnan_(a) && a >= ${m} && a <= ${p}`;
  const fwd: MapSpec = soft
    ? { name: `softshrink_${tag}`, cpu: (x) => (x > fl ? x - fl : x < -fl ? x + fl : x !== x ? x : 0), wgsl: `select(select(select(0.0, a + ${p}, a < ${m}), a - ${p}, a > ${p}), a, isnan_(a))`, floatOnly: true, helpers: WGSL_NAN }
    : { name: `hardshrink_${tag}`, cpu: (x) => (x >= -fl && x <= fl ? 0 : x), wgsl: `select(a, 0.0, ${inside})`, floatOnly: true, helpers: WGSL_NAN };
  return [
    paramSpec(fwd.name, () => fwd),
    paramSpec(`shrink_grad_${tag}`, () => ({ name: `shrink_grad_${tag}`, cpu: (x, g) => (x > fl || x < -fl ? g : 0), wgsl: `select(0.0, b, !isnan_(a) && (a > ${p} || a < ${m}))`, floatOnly: true, helpers: WGSL_NAN })),
  ];
}

/** threshold: value where x <= th, else x (NaN passes); int32 compares and fills in int32. */
function thresholdSpecs(th: number, v: number, int: boolean): [MapSpec, MapSpec] {
  const [t, w] = int ? [`${th}i`, `${v}i`] : [lit(th), lit(v)];
  const [ft, fv] = int ? [th, v] : [f32(th), f32(v)];
  const tag = `${int ? 'i' : 'f'}_${f32Bits(th)}_${f32Bits(v)}`;
  return [
    paramSpec(`threshold_${tag}`, () => ({ name: `threshold_${tag}`, cpu: (x) => (x <= ft ? fv : x), wgsl: `select(select(a, ${w}, a <= ${t}), a, nan_(a))`, helpers: WGSL_NAN })),
    paramSpec(`threshold_grad_${tag}`, () => ({ name: `threshold_grad_${tag}`, cpu: (x, g) => (x <= ft ? 0 : g), wgsl: `select(b, 0.0, !isnan_(a) && a <= ${lit(ft)})`, floatOnly: true, helpers: WGSL_NAN })),
  ];
}

// ---- the checks, then math.ts's Unary: y = spec(x); dx = grad(x or y, dy), or zeros ----

type Kind = 'any' | 'float' | 'noBool';
function run(op: string, x: unknown, kind: Kind, spec: MapSpec, grad: MapSpec | 'zero', fromOutput = false): Tensor {
  checkTensor(op, x);
  if (kind === 'float' && !isFloat(x.dtype)) throw new Error(`${op}: input dtype ${x.dtype} is not supported (needs a floating point tensor, as PyTorch; cast with .float() first), input shape ${fmtShape(x.shape)}`);
  if (kind === 'noBool' && x.dtype === 'bool') throw new Error(`${op}: input dtype bool is not supported (cast with .int() or .float() first), input shape ${fmtShape(x.shape)}`);
  return Unary.apply(x, spec, grad, fromOutput);
}

function checkParam(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${arg} must be a finite number, got ${describe(v)}`);
  return v;
}

// ---- public functions ----

/** −1, 0 or 1 (sign(NaN) and sign(−0) are +0, as PyTorch); int32 and bool keep their dtype; zero gradient. */
export const sign = (x: Tensor): Tensor => run('sign', x, 'any', U.sign, 'zero');
export const square = (x: Tensor): Tensor => {
  checkTensor('square', x);
  return run('square', x, 'noBool', x.dtype === 'int32' ? U.squareI : U.squareF, U.squareGrad);
};
export const reciprocal = (x: Tensor): Tensor => run('reciprocal', x, 'any', U.reciprocal, U.reciprocalGrad, true);
export const log1p = (x: Tensor): Tensor => run('log1p', x, 'any', U.log1p, U.log1pGrad);
export const expm1 = (x: Tensor): Tensor => run('expm1', x, 'any', U.expm1, U.expm1Grad, true);
export const log2 = (x: Tensor): Tensor => run('log2', x, 'any', U.log2, U.log2Grad);
export const log10 = (x: Tensor): Tensor => run('log10', x, 'any', U.log10, U.log10Grad);
export const exp2 = (x: Tensor): Tensor => run('exp2', x, 'any', U.exp2, U.exp2Grad, true);
export const sinh = (x: Tensor): Tensor => run('sinh', x, 'any', U.sinh, U.sinhGrad);
export const cosh = (x: Tensor): Tensor => run('cosh', x, 'any', U.cosh, U.coshGrad);
export const tan = (x: Tensor): Tensor => run('tan', x, 'any', U.tan, U.tanGrad, true);
export const asin = (x: Tensor): Tensor => run('asin', x, 'any', U.asin, U.asinGrad);
export const acos = (x: Tensor): Tensor => run('acos', x, 'any', U.acos, U.acosGrad);
export const atan = (x: Tensor): Tensor => run('atan', x, 'any', U.atan, U.atanGrad);
export const asinh = (x: Tensor): Tensor => run('asinh', x, 'any', U.asinh, U.asinhGrad);
export const acosh = (x: Tensor): Tensor => run('acosh', x, 'any', U.acosh, U.acoshGrad);
export const atanh = (x: Tensor): Tensor => run('atanh', x, 'any', U.atanh, U.atanhGrad);
/** x − trunc(x); float input only (PyTorch has no integer kernel); gradient g. */
export const frac = (x: Tensor): Tensor => run('frac', x, 'float', U.frac, U.passGrad);
export const hardsigmoid = (x: Tensor): Tensor => run('hardsigmoid', x, 'float', U.hardsigmoid, U.hardsigmoidGrad);
export const hardswish = (x: Tensor): Tensor => run('hardswish', x, 'float', U.hardswish, U.hardswishGrad);
export const mish = (x: Tensor): Tensor => run('mish', x, 'float', U.mish, U.mishGrad);
export const selu = (x: Tensor): Tensor => run('selu', x, 'float', U.selu, U.seluGrad);
export const softsign = (x: Tensor): Tensor => run('softsign', x, 'any', U.softsign, U.softsignGrad);

/** clamp to [minVal, maxVal] (int32 stays int32); the gradient passes strictly inside only. */
export function hardtanh(x: Tensor, minVal: number = -1, maxVal: number = 1, op = 'hardtanh'): Tensor {
  checkTensor(op, x);
  checkParam(op, 'minVal', minVal);
  checkParam(op, 'maxVal', maxVal);
  if (minVal > maxVal) throw new Error(`${op}: minVal must not be greater than maxVal, got minVal ${minVal} and maxVal ${maxVal}`);
  const int = x.dtype === 'int32';
  if (int && !(Number.isInteger(minVal) && Number.isInteger(maxVal))) throw new Error(`${op}: minVal and maxVal must be integers for an int32 input, got ${minVal} and ${maxVal}`);
  const [f, g] = hardtanhSpecs(minVal, maxVal, int);
  return run(op, x, 'noBool', f, g);
}
export const relu6 = (x: Tensor): Tensor => hardtanh(x, 0, 6, 'relu6');
export function celu(x: Tensor, alpha: number = 1): Tensor {
  checkTensor('celu', x);
  checkParam('celu', 'alpha', alpha);
  if (alpha === 0) throw new Error('celu: alpha cannot be 0, got 0');
  const [f, g] = celuSpecs(alpha);
  return run('celu', x, 'float', f, g);
}

/** true where the sign bit is set: negative numbers, −0, −Inf and a NaN with its sign bit; bool
 * gives false. Not differentiable (bool result). */
export function signbit(x: Tensor): Tensor {
  checkTensor('signbit', x);
  return mapRaw(U.signbit, [x], 'bool');
}
/** sign for real tensors (PyTorch's sgn differs only for complex ones). */
export const sgn = (x: Tensor): Tensor => run('sgn', x, 'any', U.sign, 'zero');
/** x itself, as PyTorch's (the same tensor, not a copy); bool refused, as PyTorch's unary +. */
export function positive(x: Tensor): Tensor {
  checkTensor('positive', x);
  if (x.dtype === 'bool') throw new Error(`positive: input dtype bool is not supported (as PyTorch's unary +), input shape ${fmtShape(x.shape)}`);
  return x;
}
export const deg2rad = (x: Tensor): Tensor => run('deg2rad', x, 'any', U.deg2rad, U.deg2radGrad);
export const rad2deg = (x: Tensor): Tensor => run('rad2deg', x, 'any', U.rad2deg, U.rad2degGrad);

/** A float16 input compares against lambd rounded to half, as torch's shrink kernels cast it (threshold does not). */
const asInput = (x: Tensor, v: number): number => (x.dtype === 'float16' ? roundF16(v) : v);

/** 0 where −lambd <= x <= lambd, else x. Float input only. */
export function hardshrink(x: Tensor, lambd: number = 0.5): Tensor {
  checkTensor('hardshrink', x);
  const [f, g] = shrinkSpecs(asInput(x, checkParam('hardshrink', 'lambd', lambd)), false);
  return run('hardshrink', x, 'float', f, g);
}
/** x − lambd above lambd, x + lambd below −lambd, else 0. Float input only; lambd >= 0. */
export function softshrink(x: Tensor, lambd: number = 0.5): Tensor {
  checkTensor('softshrink', x);
  checkParam('softshrink', 'lambd', lambd);
  if (lambd < 0) throw new Error(`softshrink: lambd must be >= 0, got ${lambd}`);
  const [f, g] = shrinkSpecs(asInput(x, lambd), true);
  return run('softshrink', x, 'float', f, g);
}
/** F.threshold: value where x <= threshold, else x. int32 stays int32 (both numbers truncated, as
 * PyTorch casts them); bool refused. */
export function threshold(x: Tensor, thresh: number, value: number): Tensor {
  const op = 'threshold';
  checkTensor(op, x);
  checkParam(op, 'threshold', thresh);
  checkParam(op, 'value', value);
  const int = x.dtype === 'int32';
  if (int && [thresh, value].some((v) => Math.abs(v) >= 2 ** 31)) throw new Error(`${op}: threshold and value must fit int32 for an int32 input, got ${thresh} and ${value}`);
  const [f, g] = int ? thresholdSpecs(Math.trunc(thresh), Math.trunc(value), true) : thresholdSpecs(thresh, value, false);
  return run(op, x, 'noBool', f, g);
}
/** softmax(−x, dim), as PyTorch's F.softmin. Float input only. */
export function softmin(x: Tensor, dim: number): Tensor {
  checkTensor('softmin', x);
  normDim('softmin', dim, x.ndim);
  if (!isFloat(x.dtype)) throw new Error(`softmin: input dtype ${x.dtype} is not supported (needs a floating point tensor; cast with .float() first), input shape ${fmtShape(x.shape)}`);
  return softmax(neg(x), dim);
}

export { U as UNARY_EXTRA_SPECS, NAN_ as WGSL_NAN_CONST, WGSL_X };
