// Special functions with PyTorch's names: erfc erfinv lgamma digamma logit sinc tanhshrink.
// Each is a MapSpec (CPU function in float64 + WGSL in f32) run by math.ts's Unary Function.
// f32 accuracy is the point here: cancellations are avoided by series (lgamma around 2,
// digamma around its positive root, sinc and x − tanh x near 0) and by exact argument
// reductions (sin(πx) from x − 2·round(x/2)), so the relative error stays near f32 rounding
// at the poles and zeros and for huge arguments. Checked against torch 2.14 float64 in
// test/ops/math-extra-more.test.ts.
import { Tensor } from '../tensor/tensor.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { checkTensor } from '../tensor/check.js';
import { f32Bits } from '../backend/webgpu.js';
import { paramSpec, type MapSpec } from './map.js';
import { erf, WGSL_NAN } from './elementwise.js';
import { lit, Unary } from './math.js';
import { WGSL_X } from './math-unary.js';

// ---- coefficients (float64, from torch.special.zeta and Bernoulli numbers) ----

/** lgamma(2 + t) = Σ LG[k−1]·t^k: (1 − γ) and (−1)^k (ζ(k) − 1)/k. */
const LG = [
  0.42278433509846713, 0.3224670334241133, -0.0673523010531981, 0.020580808427784553, -0.007385551028673988, 0.002890510330741523,
  -0.0011927539117032612, 0.0005096695247430426, -0.00022315475845357936, 9.945751278180857e-5, -4.4926236738133156e-5, 2.0507212775670688e-5,
  -9.439488275268398e-6, 4.3748667899074865e-6, -2.039215753801366e-6, 9.551412130407415e-7, -4.492469198764565e-7, 2.1207184805554667e-7,
  -1.0043224823968102e-7, 4.76981016936398e-8, -2.2711094608943164e-8, 1.0838659214896953e-8, -5.183475041970047e-9, 2.4836745438024785e-9,
  -1.1921401405860912e-9, 5.731367241678861e-10, -2.7595228851242334e-10, 1.3304764374244491e-10, -6.422964563838102e-11, 3.104424774732227e-11,
];
/** digamma's positive root x0, and digamma(x0 + t) = Σ DG[k−1]·t^k: (−1)^(k+1) ζ(k + 1, x0). */
const X0 = 1.4616321449683622;
const X0_HI = Math.fround(X0);
const X0_LO = X0 - X0_HI;
const DG = [
  0.9676722454476214, -0.44276316898359214, 0.2584997609556512, -0.16394270544240658, 0.10782405069126239, -0.07219956125645476,
  0.048804288164143145, -0.033161126474847376, 0.022597648232218125, -0.015424765904948968, 0.010538791616612182, -0.007204534386356875,
  0.004926781395729858, -0.0033698016554393317, 0.00230512632673493, -0.0015769367714301987, 0.0010788252019162975, -0.000738070938996006,
  0.0005049532658346026, -0.0003454680251063082, 0.00023635601564027086,
];
/** x − tanh x = Σ TS[k]·x^(2k+3), from tanh's Taylor series. */
const TS = [
  0.3333333333333333, -0.13333333333333333, 0.05396825396825397, -0.021869488536155203, 0.008863235529902197, -0.003592128036572481,
  0.0014558343870513183, -0.000590027440945586, 0.00023912911424355248, -9.691537956929451e-5, 3.927832388331683e-5, -1.5918905069328964e-5,
  6.451689215655431e-6, -2.6147711512907546e-6, 1.0597268320104654e-6, -4.294911078273806e-7, 1.7406618963571648e-7,
];
/** sin(πx)/(πx) = Σ SC[k]·u^k and its derivative / (π²x) = Σ SD[k]·u^k, u = (πx)². */
const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
const SC = Array.from({ length: 12 }, (_, k) => (-1) ** k / fact(2 * k + 1));
const SD = Array.from({ length: 12 }, (_, j) => ((-1) ** (j + 1) * 2 * (j + 1)) / fact(2 * j + 3));
// Giles' single-precision erfinv ("Approximating the erfinv function", 2010): p(w)·x.
const GILES_LO = [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941];
const GILES_HI = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682];
// Stirling: lgamma(x) ≈ (x − ½)·log x − x + ½·log 2π + Σ ST[k]/x^(2k+1); digamma's and trigamma's asymptotic series.
const ST = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400];
const PSI = [1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12];
const PSI1 = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6];
const HALF_LOG_2PI = 0.9189385332046728;

/** Horner in f64: Σ c[k]·t^k. */
const poly = (c: readonly number[], t: number): number => c.reduceRight((acc, ck) => acc * t + ck, 0);
/** WGSL Horner of the first n coefficients, as a nested f32 expression of `t`. */
function wpoly(c: readonly number[], n: number, t: string): string {
  let e = lit(c[n - 1]);
  for (let k = n - 2; k >= 0; k--) e = `${lit(c[k])} + ${t} * (${e})`;
  return e;
}

// ---- CPU (float64) ----

/** sin(πx) and cos(πx) with x reduced exactly to [−1, 1] (so sin(πn) is exactly 0). */
function sinpi(x: number): number {
  const r = x - 2 * Math.round(x / 2);
  const s = Math.abs(r) > 0.5 ? 1 - Math.abs(r) : Math.abs(r);
  const v = s < 0.25 ? Math.PI * s * poly(SC, (Math.PI * s) ** 2) : Math.sin(Math.PI * s);
  return r < 0 ? -v : v;
}
function cospi(x: number): number {
  const r = Math.abs(x - 2 * Math.round(x / 2));
  return r > 0.5 ? -Math.sin(Math.PI * (r - 0.5)) : Math.sin(Math.PI * (0.5 - r));
}

function erfcF(x: number): number {
  if (x !== x) return x;
  if (x < 0) return 2 - erfcF(-x);
  if (x < 3) return 1 - erf(x);
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated backwards.
  let f = x;
  for (let n = 60; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Giles' approximation, then two Newton steps on erf (erfc near ±1, where erf(y) − x cancels). */
function erfinvF(x: number): number {
  const ax = Math.abs(x);
  if (x !== x || ax > 1) return NaN;
  if (ax === 1) return x * Infinity;
  if (x === 0) return x;
  const w0 = ax < 0.5 ? -Math.log1p(-ax * ax) : -Math.log((1 - ax) * (1 + ax));
  let y = (w0 < 5 ? poly([...GILES_LO].reverse(), w0 - 2.5) : poly([...GILES_HI].reverse(), Math.sqrt(w0) - 3)) * ax;
  for (let i = 0; i < 2; i++) {
    const f = ax < 0.5 ? erf(y) - ax : 1 - ax - erfcF(y);
    y -= f / ((2 / Math.sqrt(Math.PI)) * Math.exp(-y * y));
  }
  return x < 0 ? -y : y;
}

/** lgamma for x >= 0.5: the series around 2 after an exact shift, Stirling from 15. */
function lgammaPos(x: number): number {
  if (x < 1.5) return poly(LG, x - 1) * (x - 1) - Math.log1p(x - 1);
  if (x < 2.5) return poly(LG, x - 2) * (x - 2);
  if (x < 15) {
    let y = x;
    let p = 1;
    while (y >= 2.5) { y -= 1; p *= y; }
    return poly(LG, y - 2) * (y - 2) + Math.log(p);
  }
  const r = 1 / x;
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + r * poly(ST, r * r);
}
function lgammaF(x: number): number {
  if (x !== x) return x;
  if (!Number.isFinite(x)) return Infinity;
  // Γ(x) = Γ(x + 1)/x near 0 (either side); reflection further left.
  if (Math.abs(x) < 0.5) return poly(LG, x) * x - Math.log1p(x) - Math.log(Math.abs(x));
  if (x > 0) return lgammaPos(x);
  const s = Math.abs(sinpi(x));
  return s === 0 ? Infinity : Math.log(Math.PI / s) - lgammaPos(1 - x);
}

/** digamma for x > 0: the Taylor series at the root, else the recurrence up to 10 and the asymptotic series. */
function digammaPos(x0: number): number {
  const t = x0 - X0_HI - X0_LO;
  if (Math.abs(t) < 0.25) return poly(DG, t) * t;
  let x = x0;
  let s = 0;
  while (x < 10) { s -= 1 / x; x += 1; }
  const r2 = 1 / (x * x);
  return s + Math.log(x) - 0.5 / x - r2 * poly(PSI, r2);
}
function digammaF(x: number): number {
  if (x !== x) return x;
  if (x === 0) return Object.is(x, -0) ? Infinity : -Infinity; // torch: ψ(0) = −Inf, ψ(−0) = +Inf
  if (x === Infinity) return x;
  if (x < 0) {
    if (x === Math.floor(x)) return NaN; // −Inf too
    return digammaPos(1 - x) - (Math.PI * cospi(x)) / sinpi(x);
  }
  return digammaPos(x);
}
function trigammaF(x: number): number {
  if (x !== x || x === -Infinity) return NaN;
  if (x === Infinity) return 0;
  if (x <= 0) {
    const s = sinpi(x);
    return s === 0 ? Infinity : (Math.PI * Math.PI) / (s * s) - trigammaF(1 - x);
  }
  let y = x;
  let s = 0;
  while (y < 10) { s += 1 / (y * y); y += 1; }
  const r = 1 / y;
  return s + r + 0.5 * r * r + r * r * r * poly(PSI1, r * r);
}

function logitF(x: number): number {
  return x < 0.25 ? Math.log(x / (1 - x)) : Math.log1p((2 * x - 1) / (1 - x));
}
const sincF = (x: number): number => (x === 0 ? 1 : Math.abs(x) < 0.25 ? poly(SC, (Math.PI * x) ** 2) : sinpi(x) / (Math.PI * x));
function sincGradF(x: number, g: number): number {
  if (x === 0) return 0 * g;
  if (Math.abs(x) < 0.25) return g * Math.PI * Math.PI * x * poly(SD, (Math.PI * x) ** 2);
  return (g * (Math.PI * x * cospi(x) - sinpi(x))) / (Math.PI * x * x);
}
// ±0 gives +0, as torch's x − tanh(x)
const tanhshrinkF = (x: number): number => (x === 0 ? 0 : Math.abs(x) < 0.5 ? x * x * x * poly(TS, x * x) : x - Math.tanh(x));

// ---- WGSL (f32) ----

const NAN = 'bitcast<f32>(0x7fc00000u | u.pad)';
const INF = 'bitcast<f32>(0x7f800000u | u.pad)';
const PI = lit(Math.PI);
// Needs WGSL_NAN and WGSL_X (inf_, log1p_, expm1_, copysign_).
const WGSL_S = `
// x through a runtime-opaque OR: a compiler that reassociates (x − hi) − lo into x − (hi + lo),
// which rounds away lo, cannot see through it (llvmpipe's did)
fn opaque_(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) | u.pad); }
fn sincser_(x: f32) -> f32 { let u = ${PI} * ${PI} * x * x; return ${wpoly(SC, 7, 'u')}; }
// |sin(πx)| and cos(πx), x reduced exactly to [-1, 1], then to [0, 1/2]
fn sinpiabs_(x: f32) -> f32 {
  let r = abs(x - 2.0 * round(0.5 * x));
  let s = select(r, 1.0 - r, r > 0.5);
  if (s < 0.25) { return ${PI} * s * sincser_(s); }
  return sin(${PI} * s);
}
fn sinpi_(x: f32) -> f32 { return copysign_(sinpiabs_(x), x - 2.0 * round(0.5 * x)); }
fn cospi_(x: f32) -> f32 { let r = abs(x - 2.0 * round(0.5 * x)); return select(sinpiabs_(0.5 - r), -sinpiabs_(r - 0.5), r > 0.5); }
// exp(a) = 2^k·exp(r) with r = a − k·ln2 (Cody–Waite): exact arguments keep erfc's tail accurate
fn expacc_(a: f32) -> f32 {
  let k = round(a * 1.44269504088896341);
  let r = opaque_(a - k * 0.693145751953125) - k * 1.42860682030941723e-6;
  let e = exp(r);
  let h = i32(k) / 2;
  return ldexp(ldexp(e, h), i32(k) - h);
}
fn erfc_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  let z = min(abs(x), 12.0);
  let t = 1.0 / (1.0 + 0.5 * z);
  let zh = bitcast<f32>(bitcast<u32>(z) & 0xfffff000u);
  let p = -(z - zh) * (z + zh) - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let r = t * expacc_(-zh * zh) * exp(p);
  return select(2.0 - r, r, x >= 0.0);
}
fn erfinv_(x: f32) -> f32 {
  let ax = abs(x);
  if (isnan_(x) || ax > 1.0) { return ${NAN}; }
  if (ax == 1.0) { return copysign_(${INF}, x); }
  var w = select(-log((1.0 - ax) * (1.0 + ax)), -log1p_(-ax * ax), ax < 0.5);
  var p: f32;
  if (w < 5.0) { w = w - 2.5; p = ${wpoly([...GILES_LO].reverse(), 9, 'w')}; }
  else { w = sqrt(w) - 3.0; p = ${wpoly([...GILES_HI].reverse(), 9, 'w')}; }
  return p * x;
}
fn lgser_(t: f32) -> f32 { return t * (${wpoly(LG, 15, 't')}); }
fn lgpos_(x: f32) -> f32 {
  if (x < 1.5) { let t = x - 1.0; return lgser_(t) - log1p_(t); }
  if (x < 2.5) { return lgser_(x - 2.0); }
  if (x < 8.0) {
    var y = x;
    var p = 1.0;
    while (y >= 2.5) { y = y - 1.0; p = p * y; }
    return lgser_(y - 2.0) + log(p);
  }
  let r = 1.0 / x;
  return (x - 0.5) * log(x) - x + ${lit(HALF_LOG_2PI)} + r * (${wpoly(ST, 3, 'r * r')});
}
fn lgamma_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  if (inf_(x)) { return ${INF}; }
  if (abs(x) < 0.5) { return lgser_(x) - log1p_(x) - log(abs(x)); }
  if (x > 0.0) { return lgpos_(x); }
  let s = sinpiabs_(x);
  if (s == 0.0) { return ${INF}; }
  return log(${PI} / s) - lgpos_(1.0 - x);
}
fn digpos_(x0: f32) -> f32 {
  let t = opaque_(x0 - ${lit(X0_HI)}) - ${lit(X0_LO)};
  if (abs(t) < 0.25) { return t * (${wpoly(DG, 12, 't')}); }
  var x = x0;
  var s = 0.0;
  while (x < 6.0) { s = s - 1.0 / x; x = x + 1.0; }
  let r2 = 1.0 / (x * x);
  return s + log(x) - 0.5 / x - r2 * (${wpoly(PSI, 5, 'r2')});
}
fn digamma_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  if (x == 0.0) { return copysign_(${INF}, -x); }
  if (inf_(x)) { return select(${NAN}, x, x > 0.0); }
  if (x < 0.0) {
    if (x == floor(x)) { return ${NAN}; }
    return digpos_(1.0 - x) - ${PI} * cospi_(x) / sinpi_(x);
  }
  return digpos_(x);
}
fn trigpos_(x0: f32) -> f32 {
  var x = x0;
  var s = 0.0;
  while (x < 6.0) { s = s + 1.0 / (x * x); x = x + 1.0; }
  let r = 1.0 / x;
  return s + r + 0.5 * r * r + r * r * r * (${wpoly(PSI1, 5, 'r * r')});
}
fn trigamma_(x: f32) -> f32 {
  if (isnan_(x) || (inf_(x) && x < 0.0)) { return ${NAN}; }
  if (inf_(x)) { return 0.0; }
  if (x > 0.0) { return trigpos_(x); }
  let s = sinpiabs_(x);
  if (s == 0.0) { return ${INF}; }
  return ${PI} * ${PI} / (s * s) - trigpos_(1.0 - x);
}
fn logit_(x: f32) -> f32 {
  if (isnan_(x) || x < 0.0 || x > 1.0) { return select(${NAN}, x, isnan_(x)); }
  if (x == 0.0) { return -${INF}; }
  if (x == 1.0) { return ${INF}; }
  if (x < 0.25) { return log(x / (1.0 - x)); }
  return log1p_((2.0 * x - 1.0) / (1.0 - x));
}
fn sinc_(x: f32) -> f32 {
  if (isnan_(x) || inf_(x)) { return ${NAN}; }
  if (abs(x) < 0.25) { return sincser_(x); }
  return sinpi_(x) / (${PI} * x);
}
fn sincgrad_(x: f32, g: f32) -> f32 {
  if (isnan_(x) || inf_(x)) { return ${NAN}; }
  if (x == 0.0) { return times0_(g); }
  if (abs(x) < 0.25) { let u = ${PI} * ${PI} * x * x; return g * ${PI} * ${PI} * x * (${wpoly(SD, 7, 'u')}); }
  return g * (${PI} * x * cospi_(x) - sinpi_(x)) / (${PI} * x * x);
}
// tanh from expm1_ (tanh_ loses relative accuracy near 0)
fn tanhacc_(x: f32) -> f32 { if (isnan_(x)) { return x; } let e = expm1_(-2.0 * abs(x)); return copysign_(-e / (2.0 + e), x); }
fn tanhshrink_(x: f32) -> f32 {
  if (x == 0.0) { return 0.0; }
  if (abs(x) < 0.5) { let x2 = x * x; return x * x2 * (${wpoly(TS, 9, 'x2')}); }
  return x - tanhacc_(x);
}
`;
const H = WGSL_NAN + WGSL_X + WGSL_S;
const RSQRT_PI_2 = 2 / Math.sqrt(Math.PI);

const P = {
  erfc: { name: 'erfc', cpu: erfcF, wgsl: 'erfc_(a)', floatOnly: true, helpers: H },
  erfinv: { name: 'erfinv', cpu: erfinvF, wgsl: 'erfinv_(a)', floatOnly: true, helpers: H },
  lgamma: { name: 'lgamma', cpu: lgammaF, wgsl: 'lgamma_(a)', floatOnly: true, helpers: H },
  digamma: { name: 'digamma', cpu: digammaF, wgsl: 'digamma_(a)', floatOnly: true, helpers: H },
  sinc: { name: 'sinc', cpu: (x) => (x !== x || !Number.isFinite(x) ? NaN : sincF(x)), wgsl: 'sinc_(a)', floatOnly: true, helpers: H },
  tanhshrink: { name: 'tanhshrink', cpu: tanhshrinkF, wgsl: 'tanhshrink_(a)', floatOnly: true, helpers: H },

  // gradients of (x or y, g)
  erfcGrad: { name: 'erfc_grad', cpu: (x, g) => -g * RSQRT_PI_2 * Math.exp(-x * x), wgsl: `-b * ${lit(RSQRT_PI_2)} * exp(-a * a)`, floatOnly: true },
  // from y = erfinv(x): g·(√π/2)·exp(y²)
  erfinvGrad: { name: 'erfinv_grad', cpu: (y, g) => (g / RSQRT_PI_2) * Math.exp(y * y), wgsl: `b * ${lit(1 / RSQRT_PI_2)} * exp(a * a)`, floatOnly: true },
  lgammaGrad: { name: 'lgamma_grad', cpu: (x, g) => g * digammaF(x), wgsl: 'b * digamma_(a)', floatOnly: true, helpers: H },
  digammaGrad: { name: 'digamma_grad', cpu: (x, g) => g * trigammaF(x), wgsl: 'b * trigamma_(a)', floatOnly: true, helpers: H },
  sincGrad: { name: 'sinc_grad', cpu: (x, g) => (x !== x || !Number.isFinite(x) ? NaN : sincGradF(x, g)), wgsl: 'sincgrad_(a, b)', floatOnly: true, helpers: H },
  // torch's g − g·(1 − tanh²x) is g·tanh²x
  tanhshrinkGrad: { name: 'tanhshrink_grad', cpu: (x, g) => g * Math.tanh(x) ** 2, wgsl: 'b * tanhacc_(a) * tanhacc_(a)', floatOnly: true, helpers: H },
} satisfies Record<string, MapSpec>;

/** logit with eps clamps x to [eps, 1 − eps] first, as torch (x < lo ? lo : x > hi ? hi : x). */
function logitSpecs(eps: number | null): [MapSpec, MapSpec] {
  const on = eps !== null && eps >= 0;
  const [lo, hi] = on ? [Math.fround(eps), Math.fround(1 - eps)] : [0, 1];
  const [l, h] = [lit(lo), lit(hi)];
  const tag = on ? f32Bits(eps) : 'none';
  const clampF = (x: number): number => (x < lo ? lo : x > hi ? hi : x);
  // torch's backward: g/(x(1 − x)) inside [lo, hi]; outside, 0 with eps (a NaN x too, as its
  // vectorized kernel gives) and NaN without
  return [
    paramSpec(`logit_${tag}`, () => ({
      name: `logit_${tag}`, cpu: on ? (x) => logitF(clampF(x)) : logitF, floatOnly: true, helpers: H,
      // The NaN test is on the bits: NVIDIA's compiler turned the two selects into a clamp that sends NaN to a bound.
      wgsl: on ? `select(logit_(select(select(a, ${h}, a > ${h}), ${l}, a < ${l})), a, isnan_(a))` : 'logit_(a)',
    })),
    paramSpec(`logit_grad_${tag}`, () => ({
      name: `logit_grad_${tag}`, floatOnly: true, helpers: WGSL_NAN,
      cpu: on ? (x, g) => (x >= lo && x <= hi ? g / (x * (1 - x)) : 0) : (x, g) => (x < lo || x > hi ? NaN : g / (x * (1 - x))),
      wgsl: on ? `select(0.0, b / (a * (1.0 - a)), !isnan_(a) && a >= ${l} && a <= ${h})` : `select(select(b / (a * (1.0 - a)), ${NAN}, a < 0.0 || a > 1.0), a, isnan_(a))`,
    })),
  ];
}

// ---- public functions ----

function run(op: string, x: unknown, spec: MapSpec, grad: MapSpec, fromOutput = false): Tensor {
  checkTensor(op, x);
  return Unary.apply(x, spec, grad, fromOutput);
}
/** 1 − erf(x), accurate in the tail (relative error near f32 rounding up to x ≈ 9, where it underflows). */
export const erfc = (x: Tensor): Tensor => run('erfc', x, P.erfc, P.erfcGrad);
/** The inverse of erf on [−1, 1]: ±Inf at ±1, NaN outside. */
export const erfinv = (x: Tensor): Tensor => run('erfinv', x, P.erfinv, P.erfinvGrad, true);
/** log|Γ(x)|: +Inf at 0 and the negative integers and at ±Inf. */
export const lgamma = (x: Tensor): Tensor => run('lgamma', x, P.lgamma, P.lgammaGrad);
/** Γ'(x)/Γ(x): −Inf at +0 and +Inf at −0 (as torch), NaN at the negative integers and −Inf. */
export const digamma = (x: Tensor): Tensor => run('digamma', x, P.digamma, P.digammaGrad);
/** sin(πx)/(πx), 1 at 0 (NaN at ±Inf). */
export const sinc = (x: Tensor): Tensor => run('sinc', x, P.sinc, P.sincGrad);
/** x − tanh(x), accurate near 0 (a series below |x| = 0.5). */
export function tanhshrink(x: Tensor): Tensor {
  checkTensor('tanhshrink', x);
  if (x.dtype === 'bool') throw new Error(`tanhshrink: input dtype bool is not supported (as PyTorch's x − tanh(x); cast with .float() first), input shape ${fmtShape(x.shape)}`);
  return run('tanhshrink', x, P.tanhshrink, P.tanhshrinkGrad);
}

/** log(x/(1 − x)); with eps >= 0, x is clamped to [eps, 1 − eps] first (a negative eps clamps nothing). */
export function logit(x: Tensor, eps: number | null = null): Tensor {
  const op = 'logit';
  checkTensor(op, x);
  if (eps !== null && eps !== undefined && (typeof eps !== 'number' || !Number.isFinite(eps))) throw new Error(`logit: eps must be a finite number or null, got ${describe(eps)}`);
  const [f, g] = logitSpecs(eps ?? null);
  return Unary.apply(x, f, g);
}
