// Elementwise ops with broadcasting: binary (add sub mul div pow maximum minimum and
// comparisons), unary (neg exp log sqrt rsqrt abs relu gelu silu sigmoid tanh), where, cast.
// Each is a MapSpec (CPU function + WGSL expression) run by the strided map kernel, and a
// Function whose backward is written with ops (fused gradient maps where that saves
// dispatches).
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { checkDType, isFloat, roundF16, type DType } from '../tensor/dtype.js';
import { broadcastShapes, describe, fmtShape, shapesEqual } from '../tensor/shape.js';
import { checkTensor } from '../tensor/check.js';
import { mapRaw, resultDType, type MapSpec, type Operand } from './map.js';
import { divRounded, roundingModeArg, type RoundingMode } from './intdiv.js';

// ---- math helpers shared by CPU kernels ----

/** erf to ~1e-15: the Maclaurin series near 0, the erfc continued fraction further out.
 * gradcheck differentiates it numerically in float64, so a 1e-7 approximation would not do. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated backwards.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_K = Math.sqrt(2 / Math.PI);
const sigm = (x: number): number => 1 / (1 + Math.exp(-x));

// WGSL has no erf; this rational approximation (Abramowitz & Stegun 7.1.26 refined to
// W. J. Cody's form) is within 2e-7 absolute, below float32 rounding of the results.
export const WGSL_ERF = `
fn erf_(x: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * abs(x));
  let y = 1.0 - t * exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(-y, y, x >= 0.0);
}
fn sigmoid_(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn tanh_(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
`;

// NaN tested on the bits: a compiler may assume x != x is false. nan_ takes the compute type
// T (nothing is NaN when T is i32); isnan_ takes an f32.
export const WGSL_ISNAN = 'fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }\n';
export const WGSL_NAN = `
fn nan_(x: T) -> bool { return IS_F32 && (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
${WGSL_ISNAN}// x * 0 as IEEE has it (NaN for a NaN or an infinite x, else a zero with x's sign), on the
// bits: a compiler that assumes no NaN may fold x * 0.0 to 0 (NVIDIA's did, in abs's gradient).
fn times0_(x: f32) -> f32 {
  if ((bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u) { return bitcast<f32>(bitcast<u32>(x) | 0x00400000u); }
  return bitcast<f32>(bitcast<u32>(x) & 0x80000000u);
}
fn maxnan_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return a + b; } return max(a, b); }
fn minnan_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return a + b; } return min(a, b); }
`;

/** C's pow (PyTorch's): x^0 and 1^y are 1 even for NaN, and (-1)^±Inf is 1; JS's Math.pow gives NaN there. */
export function powC(a: number, b: number): number {
  if (b === 0 || a === 1 || (a === -1 && Math.abs(b) === Infinity)) return 1;
  return Math.pow(a, b);
}

/** PyTorch's integer pow: wraps as int32 products do; a negative exponent gives 1 for base 1,
 * ±1 for base -1 and 0 otherwise. */
export function powInt(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0;
  let r = 1;
  for (let p = a, k = b; k > 0; k = Math.floor(k / 2), p = Math.imul(p, p)) if (k % 2) r = Math.imul(r, p);
  return r;
}
/** WGSL: fn `name`(x: T, n: u32) -> T, x^n by repeated squaring. */
const powBySquaring = (name: string, T: string, one: string): string => `
fn ${name}(x: ${T}, n: u32) -> ${T} {
  var r = ${one};
  var p = x;
  var k = n;
  loop {
    if ((k & 1u) != 0u) { r = r * p; }
    k = k >> 1u;
    if (k == 0u) { break; }
    p = p * p;
  }
  return r;
}`;
const WGSL_IPOW = `${powBySquaring('ipowu_', 'i32', '1')}
fn ipow_(a: i32, b: i32) -> i32 {
  if (b < 0) { return select(select(0, select(1, -1, (b & 1) != 0), a == -1), 1, a == 1); }
  return ipowu_(a, u32(b));
}`;

// WGSL leaves pow undefined for a negative or zero base (lavapipe returns 0 for
// pow(0, -0.5)); this one follows C: odd integral exponents of negative bases keep the sign
// (every |b| >= 2^24 is even), other finite negative bases give NaN, 0^b is 0 for b > 0 and
// Inf for b < 0 (-Inf for -0 and odd b), NaN propagates except through x^0 and 1^y.
// Integral exponents up to 64 multiply by repeated squaring, exact where the result is (WGSL's
// pow is exp2(b·log2 a): 3^6 came out 729.0002).
// Inf and NaN are built from u.pad (always 0) at run time: WGSL rejects them as constants.
const WGSL_POW = `
const MAXF = 0x1.fffffep+127f;${powBySquaring('powi_', 'f32', '1.0')}
fn odd_(b: f32) -> bool { return floor(b) == b && abs(b) < 16777216.0 && fract(b * 0.5) != 0.0; }
fn pow_(a: f32, b: f32) -> f32 {
  if (b == 0.0 || a == 1.0 || (a == -1.0 && abs(b) > MAXF)) { return 1.0; }
  if (isnan_(a) || isnan_(b)) { return a + b; }
  let neg = (bitcast<u32>(a) & 0x80000000u) != 0u;
  if (a == 0.0) {
    let r = select(0.0, bitcast<f32>(0x7f800000u | u.pad), b < 0.0);
    return select(r, -r, neg && odd_(b));
  }
  var m: f32;
  if (floor(b) == b && abs(b) <= 64.0) {
    m = powi_(abs(a), u32(abs(b)));
    if (b < 0.0) { m = 1.0 / m; }
  } else {
    m = pow(abs(a), b);
  }
  if (!neg) { return m; }
  if (floor(b) == b) { return select(m, -m, odd_(b)); }
  if (a < -MAXF) { return m; }
  return bitcast<f32>(0x7fc00000u | u.pad);
}`;

// ---- specs ----

const S = {
  add: { name: 'add', cpu: (a, b) => a + b, wgsl: 'a + b' },
  sub: { name: 'sub', cpu: (a, b) => a - b, wgsl: 'a - b' },
  rsub: { name: 'rsub', cpu: (a, b) => b - a, wgsl: 'b - a' },
  mulF: { name: 'mul', cpu: (a, b) => a * b, wgsl: 'a * b', opmath: true },
  // A gradient share: m · g where m != 0, and 0 (not NaN for a NaN or infinite g) elsewhere,
  // as PyTorch's where(mask, ...) backward formulas give.
  shareF: { name: 'share', cpu: (m, g) => (m === 0 ? 0 : m * g), wgsl: 'select(a * b, 0.0, a == 0.0)', floatOnly: true },
  mulI: { name: 'mul', cpu: (a, b) => Math.imul(a, b), wgsl: 'a * b' },
  div: { name: 'div', cpu: (a, b) => a / b, wgsl: 'a / b', floatOnly: true, opmath: true },
  rdiv: { name: 'rdiv', cpu: (a, b) => b / a, wgsl: 'b / a', floatOnly: true, opmath: true },
  // WGSL pow is undefined for negative bases; this one follows C for integral exponents.
  pow: { name: 'pow', cpu: powC, wgsl: 'pow_(a, b)', floatOnly: true, helpers: WGSL_NAN + WGSL_POW },
  rpow: { name: 'rpow', cpu: (a, b) => powC(b, a), wgsl: 'pow_(b, a)', floatOnly: true, helpers: WGSL_NAN + WGSL_POW },
  // Integer base and exponent: int32 results, as PyTorch's integer pow (no float round trip).
  powI: { name: 'pow', cpu: powInt, wgsl: 'ipow_(a, b)', helpers: WGSL_IPOW },
  rpowI: { name: 'rpow', cpu: (a, b) => powInt(b, a), wgsl: 'ipow_(b, a)', helpers: WGSL_IPOW },
  maximum: { name: 'maximum', cpu: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), wgsl: 'max(a, b)' },
  minimum: { name: 'minimum', cpu: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)), wgsl: 'min(a, b)' },
  // WGSL's max/min may return the other operand for a NaN (they are IEEE maxNum on many
  // GPUs); PyTorch's maximum/minimum propagate NaN, and so does the CPU kernel.
  maximumF: { name: 'maximum', cpu: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), wgsl: 'maxnan_(a, b)', helpers: WGSL_NAN },
  minimumF: { name: 'minimum', cpu: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)), wgsl: 'minnan_(a, b)', helpers: WGSL_NAN },
  // IEEE comparisons: false with a NaN operand, except ne (true); NaN is tested on the bits.
  eq: { name: 'eq', cpu: (a, b) => +(a === b), wgsl: 'select(T(0), T(1), !(nan_(a) || nan_(b)) && a == b)', helpers: WGSL_NAN },
  ne: { name: 'ne', cpu: (a, b) => +(a !== b), wgsl: 'select(T(0), T(1), nan_(a) || nan_(b) || a != b)', helpers: WGSL_NAN },
  lt: { name: 'lt', cpu: (a, b) => +(a < b), wgsl: 'select(T(0), T(1), !(nan_(a) || nan_(b)) && a < b)', helpers: WGSL_NAN },
  le: { name: 'le', cpu: (a, b) => +(a <= b), wgsl: 'select(T(0), T(1), !(nan_(a) || nan_(b)) && a <= b)', helpers: WGSL_NAN },
  gt: { name: 'gt', cpu: (a, b) => +(a > b), wgsl: 'select(T(0), T(1), !(nan_(a) || nan_(b)) && a > b)', helpers: WGSL_NAN },
  ge: { name: 'ge', cpu: (a, b) => +(a >= b), wgsl: 'select(T(0), T(1), !(nan_(a) || nan_(b)) && a >= b)', helpers: WGSL_NAN },
  // eq with NaN equal to NaN: which elements a NaN max() or min() came from.
  eqNan: { name: 'eq_nan', cpu: (a, b) => +(a === b || (a !== a && b !== b)), wgsl: 'select(T(0), T(1), (nan_(a) && nan_(b)) || (!(nan_(a) || nan_(b)) && a == b))', helpers: WGSL_NAN },
  neg: { name: 'neg', cpu: (a) => -a, wgsl: '-a' },
  exp: { name: 'exp', cpu: Math.exp, wgsl: 'exp(a)', floatOnly: true },
  log: { name: 'log', cpu: Math.log, wgsl: 'log(a)', floatOnly: true },
  sqrt: { name: 'sqrt', cpu: Math.sqrt, wgsl: 'sqrt(a)', floatOnly: true },
  rsqrt: { name: 'rsqrt', cpu: (a) => 1 / Math.sqrt(a), wgsl: 'inverseSqrt(a)', floatOnly: true },
  abs: { name: 'abs', cpu: Math.abs, wgsl: 'abs(a)' },
  // relu(NaN) is NaN, as in PyTorch (WGSL's max may drop the NaN).
  relu: { name: 'relu', cpu: (a) => (a > 0 || a !== a ? a : 0), wgsl: 'select(max(a, T(0)), a, nan_(a))', helpers: WGSL_NAN },
  sigmoid: { name: 'sigmoid', cpu: sigm, wgsl: 'sigmoid_(a)', floatOnly: true, helpers: WGSL_ERF },
  tanh: { name: 'tanh', cpu: Math.tanh, wgsl: 'tanh_(a)', floatOnly: true, helpers: WGSL_ERF },
  silu: { name: 'silu', cpu: (a) => a * sigm(a), wgsl: 'a * sigmoid_(a)', floatOnly: true, helpers: WGSL_ERF },
  gelu: { name: 'gelu', cpu: (a) => 0.5 * a * (1 + erf(a * SQRT1_2)), wgsl: '0.5 * a * (1.0 + erf_(a * 0.70710678118654752))', floatOnly: true, helpers: WGSL_ERF },
  geluTanh: { name: 'gelu_tanh', cpu: (a) => 0.5 * a * (1 + Math.tanh(GELU_K * (a + 0.044715 * a * a * a))), wgsl: '0.5 * a * (1.0 + tanh_(0.7978845608028654 * (a + 0.044715 * a * a * a)))', floatOnly: true, helpers: WGSL_ERF },
  where: { name: 'where', cpu: (c, x, y) => (c !== 0 ? x : y), wgsl: 'select(c, b, a != T(0))' },
  copy: { name: 'copy', cpu: (a) => a, wgsl: 'a' },
  // fused gradients: (input or output, dy) -> dx
  // PyTorch masks where relu's output is <= 0: a NaN input passes its gradient on.
  reluGrad: { name: 'relu_grad', cpu: (a, g) => (a <= 0 ? 0 : g), wgsl: 'select(b, T(0), !nan_(a) && a <= T(0))', helpers: WGSL_NAN },
  // PyTorch's g·sign(x), whose sign(NaN) is 0 (torch.sign differs from NumPy there).
  absGrad: { name: 'abs_grad', cpu: (a, g) => g * (a > 0 ? 1 : a < 0 ? -1 : 0), wgsl: 'select(sign(a) * b, times0_(b), isnan_(a) || a == 0.0)', floatOnly: true, helpers: WGSL_NAN },
  sqrtGrad: { name: 'sqrt_grad', cpu: (y, g) => (0.5 * g) / y, wgsl: '0.5 * b / a', floatOnly: true },
  rsqrtGrad: { name: 'rsqrt_grad', cpu: (y, g) => -0.5 * g * y * y * y, wgsl: '-0.5 * b * a * a * a', floatOnly: true },
  sigmoidGrad: { name: 'sigmoid_grad', cpu: (y, g) => g * y * (1 - y), wgsl: 'b * a * (1.0 - a)', floatOnly: true },
  tanhGrad: { name: 'tanh_grad', cpu: (y, g) => g * (1 - y * y), wgsl: 'b * (1.0 - a * a)', floatOnly: true },
  siluGrad: { name: 'silu_grad', cpu: (a, g) => { const s = sigm(a); return g * s * (1 + a * (1 - s)); }, wgsl: 'b * sigmoid_(a) * (1.0 + a * (1.0 - sigmoid_(a)))', floatOnly: true, helpers: WGSL_ERF },
  geluGrad: { name: 'gelu_grad', cpu: (a, g) => g * (0.5 * (1 + erf(a * SQRT1_2)) + a * INV_SQRT_2PI * Math.exp(-0.5 * a * a)), wgsl: 'b * (0.5 * (1.0 + erf_(a * 0.70710678118654752)) + a * 0.3989422804014327 * exp(-0.5 * a * a))', floatOnly: true, helpers: WGSL_ERF },
  // maximum's gradient for a (share(a, b, g)) and b (share(b, a, g)); minimum swaps them.
  // As PyTorch: zero where the operand loses, half on ties, all of it where a NaN is involved.
  maxShare: {
    name: 'max_share', cpu: (a, b, g) => (a < b ? 0 : a === b ? 0.5 * g : g),
    wgsl: 'select(select(c, 0.5 * c, !(nan_(a) || nan_(b)) && a == b), T(0), !(nan_(a) || nan_(b)) && a < b)', floatOnly: true, helpers: WGSL_NAN,
  },
  // pow's gradients, PyTorch's: d/da = g·b·a^(b−1), 0 where b == 0 (even at a == 0);
  // d/db = g·y·log(a), g·0 where a == 0 and b >= 0 (there y = a^b is 0 or 1: finite), so a
  // NaN or infinite g still gives NaN there (PyTorch's grad * where(..., 0, y·log(a))).
  powGradBase: { name: 'pow_grad_base', cpu: (a, b, g) => (b === 0 ? 0 : g * b * powC(a, b - 1)), wgsl: 'select(c * b * pow_(a, b - 1.0), 0.0, b == 0.0)', floatOnly: true, helpers: WGSL_NAN + WGSL_POW },
  powGradExp: {
    name: 'pow_grad_exp', cpu: (a, y, g) => (a === 0 && Number.isFinite(y) ? g * 0 : g * y * Math.log(a)),
    wgsl: 'select(c * b * log(a), times0_(c), a == 0.0 && (bitcast<u32>(b) & 0x7f800000u) != 0x7f800000u)', floatOnly: true, helpers: WGSL_NAN,
  },
  geluTanhGrad: {
    name: 'gelu_tanh_grad',
    cpu: (a, g) => { const u = GELU_K * (a + 0.044715 * a ** 3); const t = Math.tanh(u); return g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * GELU_K * (1 + 3 * 0.044715 * a * a)); },
    wgsl: 'b * (0.5 * (1.0 + tanh_(0.7978845608028654 * (a + 0.044715 * a * a * a))) + 0.5 * a * (1.0 - tanh_(0.7978845608028654 * (a + 0.044715 * a * a * a)) * tanh_(0.7978845608028654 * (a + 0.044715 * a * a * a))) * 0.7978845608028654 * (1.0 + 0.134145 * a * a))',
    floatOnly: true, helpers: WGSL_ERF,
  },
} satisfies Record<string, MapSpec>;

// ---- shape plumbing for gradients ----

/** Sums a broadcast gradient back down to `shape`. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  const s = dims.length ? g.sum(dims, true) : g;
  return s.reshape([...shape]);
}

export function checkOperand(op: string, arg: string, x: unknown): void {
  if (x instanceof Tensor) { x.assertAlive(op); return; }
  if (typeof x !== 'number') throw new Error(`${op}: ${arg} must be a Tensor or a number, got ${describe(x)}`);
}

/** input a Tensor (as in PyTorch, a number there is refused), other a Tensor or a number,
 * on one device, broadcasting together. */
function binaryCheck(op: string, a: Tensor, b: Operand): void {
  checkTensor(op, a);
  checkOperand(op, 'other', b);
  if (b instanceof Tensor) {
    if (b.device !== a.device) throw new Error(`${op}: tensors are on different devices (input on ${a.device}, other on ${b.device})`);
    broadcastShapes(op, a.shape, b.shape);
  }
}

export function checkAlpha(op: string, alpha: unknown): void {
  if (alpha !== undefined && (typeof alpha !== 'number' || Number.isNaN(alpha))) throw new Error(`${op}: alpha must be a number, got ${describe(alpha)}`);
}

const shapeOf = (x: Operand): number[] | null => (x instanceof Tensor ? x.shape : null);

// ---- Functions ----

class Add extends Function {
  static override forward(ctx: Ctx, a: Tensor, b: Operand): Tensor {
    ctx.shapes = [a.shape, shapeOf(b)];
    return mapRaw(S.add, [a, b]);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [sa, sb] = ctx.shapes;
    return [ctx.needsInputGrad[0] ? sumToShape(dy, sa) : null, ctx.needsInputGrad[1] ? sumToShape(dy, sb) : null];
  }
}

class Sub extends Function {
  static override forward(ctx: Ctx, a: Operand, b: Operand): Tensor {
    ctx.shapes = [shapeOf(a), shapeOf(b)];
    return typeof a === 'number' ? mapRaw(S.rsub, [b, a]) : mapRaw(S.sub, [a, b]);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [sa, sb] = ctx.shapes;
    return [ctx.needsInputGrad[0] ? sumToShape(dy, sa) : null, ctx.needsInputGrad[1] ? sumToShape(mapRaw(S.neg, [dy]), sb) : null];
  }
}

class Mul extends Function {
  static override forward(ctx: Ctx, a: Tensor, b: Operand): Tensor {
    ctx.saveForBackward(ctx.needsInputGrad[1] ? a : null, ctx.needsInputGrad[0] && b instanceof Tensor ? b : null);
    ctx.b = typeof b === 'number' ? b : null;
    ctx.shapes = [a.shape, shapeOf(b)];
    return mapRaw(isFloat(resultDType([a, b])) ? S.mulF : S.mulI, [a, b]);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [a, b] = ctx.savedTensors;
    const [sa, sb] = ctx.shapes;
    return [
      ctx.needsInputGrad[0] ? sumToShape(mapRaw(S.mulF, [dy, b ?? ctx.b]), sa) : null,
      ctx.needsInputGrad[1] ? sumToShape(mapRaw(S.mulF, [dy, a]), sb) : null,
    ];
  }
}

class Div extends Function {
  static override forward(ctx: Ctx, a: Operand, b: Operand): Tensor {
    const y = typeof a === 'number' ? mapRaw(S.rdiv, [b, a]) : mapRaw(S.div, [a, b]);
    ctx.saveForBackward(b instanceof Tensor ? b : null, ctx.needsInputGrad[1] ? y : null);
    ctx.b = typeof b === 'number' ? b : null;
    ctx.shapes = [shapeOf(a), shapeOf(b)];
    return y;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [b, y] = ctx.savedTensors;
    const [sa, sb] = ctx.shapes;
    // d(a/b)/da = 1/b; d(a/b)/db = -y/b
    const ga = ctx.needsInputGrad[0] ? sumToShape(mapRaw(S.div, [dy, b ?? ctx.b]), sa) : null;
    const gb = ctx.needsInputGrad[1] ? sumToShape(mapRaw(S.neg, [mapRaw(S.div, [mapRaw(S.mulF, [dy, y]), b])]), sb) : null;
    return [ga, gb];
  }
}

// PyTorch computes a float tensor to the number power 0.5 or -0.5 as sqrt or rsqrt, in the
// forward and in the gradient's x ** (b - 1): at -0 and -Inf their signs and NaNs are not
// C's pow's (sqrt(-0) = -0, sqrt(-Inf) = NaN, where pow gives +0 and +Inf).
const rootOf = (x: Operand, e: Operand | null): MapSpec | null =>
  (x instanceof Tensor && isFloat(x.dtype) && (e === 0.5 || e === -0.5) ? (e === 0.5 ? S.sqrt : S.rsqrt) : null);

class Pow extends Function {
  static override forward(ctx: Ctx, a: Operand, b: Operand): Tensor {
    const root = rootOf(a, b);
    const int = !isFloat(resultDType([a, b]));
    const y = typeof a === 'number' ? mapRaw(int ? S.rpowI : S.rpow, [b, a]) : int ? mapRaw(S.powI, [a, b])
      : root ? mapRaw(root, [a]) : mapRaw(S.pow, [a, b]);
    ctx.saveForBackward(a instanceof Tensor ? a : null, b instanceof Tensor ? b : null, y);
    ctx.a = typeof a === 'number' ? a : null;
    ctx.b = typeof b === 'number' ? b : null;
    ctx.shapes = [shapeOf(a), shapeOf(b)];
    return y;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [a, b, y] = ctx.savedTensors;
    const [sa, sb] = ctx.shapes;
    // One fused map each (PyTorch's masks at a zero base or exponent, see powGradBase/Exp).
    const root = ctx.b === null ? null : rootOf(a, ctx.b - 1);
    const dx = (): Tensor => (root ? mapRaw(S.mulF, [dy, mapRaw(S.mulF, [mapRaw(root, [a]), ctx.b])]) : mapRaw(S.powGradBase, [a, b ?? ctx.b, dy]));
    const ga = ctx.needsInputGrad[0] ? sumToShape(dx(), sa) : null;
    const gb = ctx.needsInputGrad[1] ? sumToShape(mapRaw(S.powGradExp, [a ?? ctx.a, y, dy]), sb) : null;
    return [ga, gb];
  }
}

/** maximum/minimum: the gradient goes to the winner; ties split it evenly and a NaN takes it whole, as in PyTorch. */
class MaxMin extends Function {
  static override forward(ctx: Ctx, a: Tensor, b: Tensor, isMax: boolean): Tensor {
    ctx.saveForBackward(a, b);
    ctx.isMax = isMax;
    const int = !isFloat(resultDType([a, b]));
    return mapRaw(isMax ? (int ? S.maximum : S.maximumF) : (int ? S.minimum : S.minimumF), [a, b]);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [a, b] = ctx.savedTensors;
    const [x, y] = ctx.isMax ? [a, b] : [b, a];
    const ga = ctx.needsInputGrad[0] ? sumToShape(mapRaw(S.maxShare, [x, y, dy]), a.shape) : null;
    const gb = ctx.needsInputGrad[1] ? sumToShape(mapRaw(S.maxShare, [y, x, dy]), b.shape) : null;
    return [ga, gb, null];
  }
}

/** A unary op whose gradient is one fused map of (saved, dy). `fromOutput` saves y instead of x. */
function unaryFn(spec: MapSpec, grad: MapSpec | 'neg' | 'exp', fromOutput: boolean): typeof Function {
  const fn = class extends Function {
    static override forward(ctx: Ctx, a: Tensor): Tensor {
      const y = mapRaw(spec, [a]);
      ctx.saveForBackward(fromOutput ? y : a);
      return y;
    }
    static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
      const [s] = ctx.savedTensors;
      if (grad === 'neg') return [mapRaw(S.neg, [dy])];
      if (grad === 'exp') return [mapRaw(S.mulF, [dy, s])];
      return [mapRaw(grad, [s, dy])];
    }
  };
  // A class expression has no name of its own; graph pictures and errors show this one.
  const name = spec.name.replace(/(^|_)(\w)/g, (_m, _u, c: string) => c.toUpperCase());
  Object.defineProperty(fn, 'name', { value: name });
  return fn;
}

const logGrad: MapSpec = { name: 'log_grad', cpu: (a, g) => g / a, wgsl: 'b / a', floatOnly: true };

const U = {
  neg: unaryFn(S.neg, 'neg', false),
  exp: unaryFn(S.exp, 'exp', true),
  log: unaryFn(S.log, logGrad, false),
  sqrt: unaryFn(S.sqrt, S.sqrtGrad, true),
  rsqrt: unaryFn(S.rsqrt, S.rsqrtGrad, true),
  abs: unaryFn(S.abs, S.absGrad, false),
  relu: unaryFn(S.relu, S.reluGrad, false),
  sigmoid: unaryFn(S.sigmoid, S.sigmoidGrad, true),
  tanh: unaryFn(S.tanh, S.tanhGrad, true),
  silu: unaryFn(S.silu, S.siluGrad, false),
  gelu: unaryFn(S.gelu, S.geluGrad, false),
  geluTanh: unaryFn(S.geluTanh, S.geluTanhGrad, false),
};

class Where extends Function {
  static override forward(ctx: Ctx, cond: Tensor, a: Operand, b: Operand): Tensor {
    ctx.saveForBackward(cond);
    ctx.shapes = [shapeOf(a), shapeOf(b)];
    // The map kernel takes one number operand; a second one becomes a 0-d tensor.
    const bb = typeof a === 'number' && typeof b === 'number' ? full0(b, cond) : b;
    return mapRaw(S.where, [cond, a, bb], resultDType([a, bb]));
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [cond] = ctx.savedTensors;
    const [sa, sb] = ctx.shapes;
    return [
      null,
      ctx.needsInputGrad[1] ? sumToShape(mapRaw(S.where, [cond, dy, 0]), sa) : null,
      ctx.needsInputGrad[2] ? sumToShape(mapRaw(S.where, [cond, 0, dy]), sb) : null,
    ];
  }
}

function full0(v: number, like: Tensor): Tensor {
  const t = Tensor.empty([], Number.isInteger(v) ? 'int32' : 'float32', like.device);
  return mapRaw(S.copy, [v], undefined, t);
}

class Cast extends Function {
  static override forward(ctx: Ctx, a: Tensor, dtype: DType): Tensor {
    ctx.from = a.dtype;
    return mapRaw(S.copy, [a], dtype);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    return [isFloat(ctx.from) ? mapRaw(S.copy, [dy], ctx.from) : null, null];
  }
}

// ---- public functions ----

/** PyTorch refuses a fractional alpha where input and other are integral (the result would be float). */
function checkIntAlpha(op: string, a: Operand, b: Operand, alpha: number | undefined): void {
  if (alpha === undefined || Number.isInteger(alpha)) return;
  const dt = resultDType([a, b]);
  if (!isFloat(dt)) throw new Error(`${op}: alpha must not be fractional where input and other are integral (${dt}), got ${alpha}`);
}

export function add(a: Tensor, b: Operand, alpha?: number): Tensor {
  binaryCheck('add', a, b);
  checkAlpha('add', alpha);
  checkIntAlpha('add', a, b, alpha);
  if (alpha !== undefined && alpha !== 1) b = typeof b === 'number' ? b * alpha : mul(b, alpha);
  return Add.apply(a, b);
}
/** PyTorch refuses `-` on bool (an inverted mask is x.logicalNot() there, here x.eq(0)). */
function noBoolMinus(op: string, ...xs: Operand[]): void {
  if (xs.some((x) => x instanceof Tensor && x.dtype === 'bool')) throw new Error(`${op}: the - operator on a bool tensor is not supported (to invert a mask, use mask.eq(0))`);
}
export function sub(a: Tensor | number, b: Operand, alpha?: number): Tensor {
  if (typeof a === 'number') { checkTensor('sub', b, 'other'); noBoolMinus('sub', b); return Sub.apply(a, b); }
  binaryCheck('sub', a, b);
  noBoolMinus('sub', a, b);
  checkAlpha('sub', alpha);
  checkIntAlpha('sub', a, b, alpha);
  if (alpha !== undefined && alpha !== 1) b = typeof b === 'number' ? b * alpha : mul(b, alpha);
  return Sub.apply(a, b);
}
export function mul(a: Tensor, b: Operand): Tensor { binaryCheck('mul', a, b); return Mul.apply(a, b); }
/** div(a, b, roundingMode?): true division, or 'trunc'/'floor' (also { roundingMode }), see intdiv.ts. */
export function div(a: Tensor | number, b: Operand, roundingMode?: RoundingMode | null | { roundingMode?: RoundingMode | null }): Tensor {
  const mode = roundingModeArg(roundingMode);
  if (mode) return divRounded(a, b, mode);
  if (typeof a === 'number') { checkTensor('div', b, 'other'); return Div.apply(a, b); }
  binaryCheck('div', a, b);
  return Div.apply(a, b);
}
export function pow(a: Tensor | number, b: Operand): Tensor {
  if (typeof a === 'number') { checkTensor('pow', b, 'exponent'); return Pow.apply(a, b); }
  binaryCheck('pow', a, b);
  if (a.dtype === 'bool' && b instanceof Tensor && b.dtype === 'bool') {
    throw new Error(`pow: both operands are bool, which is not supported (cast one with .int() first), shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  if (typeof b === 'number' && b < 0 && resultDType([a, b]) === 'int32') {
    throw new Error(`pow: integers to negative integer powers are not allowed (exponent ${b}, ${a.dtype} input of shape ${fmtShape(a.shape)}); use a float input`);
  }
  return Pow.apply(a, b);
}
export function maximum(a: Tensor, b: Tensor): Tensor {
  if (!(b instanceof Tensor)) throw new Error(`maximum: other must be a Tensor, got ${describe(b)} (for a number, use x.maximum(sg.fullLike(x, v)))`);
  binaryCheck('maximum', a, b);
  return MaxMin.apply(a, b, true);
}
export function minimum(a: Tensor, b: Tensor): Tensor {
  if (!(b instanceof Tensor)) throw new Error(`minimum: other must be a Tensor, got ${describe(b)}`);
  binaryCheck('minimum', a, b);
  return MaxMin.apply(a, b, false);
}

function compare(spec: MapSpec, a: Tensor, b: Operand): Tensor {
  binaryCheck(spec.name, a, b);
  // PyTorch casts a number to a float16 input's dtype first: half(0.1) == 0.1 is true.
  if (a.dtype === 'float16' && typeof b === 'number') b = roundF16(b);
  return mapRaw(spec, [a, b], 'bool');
}
/** Comparisons return bool, as in PyTorch, and carry no gradient. */
export const eq = (a: Tensor, b: Operand): Tensor => compare(S.eq, a, b);
export const ne = (a: Tensor, b: Operand): Tensor => compare(S.ne, a, b);
export const lt = (a: Tensor, b: Operand): Tensor => compare(S.lt, a, b);
export const le = (a: Tensor, b: Operand): Tensor => compare(S.le, a, b);
export const gt = (a: Tensor, b: Operand): Tensor => compare(S.gt, a, b);
export const ge = (a: Tensor, b: Operand): Tensor => compare(S.ge, a, b);

function unary(name: keyof typeof U, a: Tensor, op: string = name): Tensor {
  checkTensor(op, a);
  return U[name].apply(a);
}
export function neg(a: Tensor): Tensor {
  checkTensor('neg', a);
  noBoolMinus('neg', a);
  return unary('neg', a);
}
export const exp = (a: Tensor): Tensor => unary('exp', a);
export const log = (a: Tensor): Tensor => unary('log', a);
export const sqrt = (a: Tensor): Tensor => unary('sqrt', a);
export const rsqrt = (a: Tensor): Tensor => unary('rsqrt', a);
export function abs(a: Tensor): Tensor {
  checkTensor('abs', a);
  // PyTorch has no abs kernel for bool.
  if (a.dtype === 'bool') throw new Error(`abs: input dtype bool is not supported (cast with .int() or .float() first), input shape ${fmtShape(a.shape)}`);
  return unary('abs', a);
}
/** PyTorch has no kernel for these dtypes (relu of bool, gelu and silu of int32 or bool): refuse as it does. */
function noKernelFor(op: string, a: Tensor, dtypes: readonly string[]): void {
  checkTensor(op, a);
  if (dtypes.includes(a.dtype)) throw new Error(`${op}: input dtype ${a.dtype} is not supported, as in PyTorch (cast with .float() first), input shape ${fmtShape(a.shape)}`);
}
export const relu = (a: Tensor): Tensor => { noKernelFor('relu', a, ['bool']); return unary('relu', a); };
export const sigmoid = (a: Tensor): Tensor => unary('sigmoid', a);
export const tanh = (a: Tensor): Tensor => unary('tanh', a);
export const silu = (a: Tensor): Tensor => { noKernelFor('silu', a, ['int32', 'bool']); return unary('silu', a); };
export function gelu(a: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  noKernelFor('gelu', a, ['int32', 'bool']);
  if (approximate !== 'none' && approximate !== 'tanh') throw new Error(`gelu: approximate must be 'none' or 'tanh', got ${describe(approximate)}`);
  return unary(approximate === 'tanh' ? 'geluTanh' : 'gelu', a, 'gelu');
}

/** where(cond, a, b): a where cond is nonzero, else b; broadcasts all three. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  checkTensor('where', cond, 'condition');
  checkOperand('where', 'input', a);
  checkOperand('where', 'other', b);
  for (const x of [a, b]) if (x instanceof Tensor && x.device !== cond.device) throw new Error(`where: condition is on ${cond.device} but an operand is on ${x.device}`);
  // Broadcasting is checked here so the error names `where` before any work is queued.
  let s: number[] = cond.shape;
  if (a instanceof Tensor) s = broadcastShapes('where', s, a.shape);
  if (b instanceof Tensor) s = broadcastShapes('where', s, b.shape);
  return Where.apply(cond, a, b);
}

export function cast(a: Tensor, dtype: DType): Tensor {
  checkTensor('cast', a);
  checkDType('cast', 'dtype', dtype);
  if (dtype === 'float64' && a.device !== 'cpu') throw new Error("cast: dtype 'float64' exists only on the CPU backend");
  return Cast.apply(a, dtype);
}

/** Copies `src` into `dst` (any strides, e.g. a slice view), broadcasting; not recorded. */
export function copyInto(dst: Tensor, src: Operand): Tensor {
  return mapRaw(S.copy, [src], undefined, dst);
}

/** A contiguous copy, optionally cast; not recorded. */
export function copyRaw(a: Tensor, dtype?: DType): Tensor {
  return mapRaw(S.copy, [a], dtype ?? a.dtype);
}

export { S as MAP_SPECS };
