// Statistics over dims: var, std, varMean, stdMean (written with ops: mean, subtract,
// square, sum, so their gradients come from those ops), and prod, which has its own kernel
// (a row problem, rows.ts) and PyTorch's zero-safe gradient.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { wgslType } from '../tensor/dtype.js';
import { contiguousStrides, checkOptions, describe, fmtShape, numel } from '../tensor/shape.js';
import { tidy } from '../tensor/scope.js';
import { checkBool, checkInput, enableF16, forEachRow, oneDim, reduceDims, ROW_WGSL, rowPlan, rowUniforms, storer, WG, type RowPlan } from './rows.js';
import { add, cast, copyRaw, div, eq, gt, mul, sqrt, sub, where } from './elementwise.js';
import { mean, sum } from './reduce.js';
import { fromArray, reshape } from './view.js';
import { isinf } from './mask.js';

export interface VarOptions { correction?: number; keepdim?: boolean }

/** The variance and the mean (with kept dims) over `dim`, checked; `op` names the caller. */
function varAndMean(op: string, t: Tensor, dim: unknown, opts: unknown, root = false): { v: Tensor; m: Tensor; keepdim: boolean } {
  checkInput(op, t);
  // x.var({ correction: 0 }): the options alone, as PyTorch's keywords without a dim.
  if (dim !== null && typeof dim === 'object' && Object.getPrototypeOf(dim) === Object.prototype && opts === undefined) {
    opts = dim;
    dim = undefined;
  }
  const red = reduceDims(op, t, dim);
  const o = checkOptions(op, opts, ['correction', 'keepdim']);
  const correction = o.correction ?? 1;
  const keepdim = o.keepdim ?? false;
  if (typeof correction !== 'number' || !Number.isFinite(correction)) throw new Error(`${op}: correction must be a finite number, got ${describe(correction)}`);
  checkBool(op, 'keepdim', keepdim);
  if (t.dtype === 'int32') throw new Error(`${op}: input dtype int32 is not supported (${op} needs a floating point tensor; cast with .float() first), input shape ${fmtShape(t.shape)}`);
  // PyTorch divides by max(0, N - correction): 0/0 (one element, correction 1) is NaN.
  const n = numel(red.map((d) => t.shape[d]));
  const whole = dim === undefined || dim === null || (Array.isArray(dim) && dim.length === 0) || t.ndim === 0;
  return tidy(() => {
    // float16 is computed in float32 and rounded once, as PyTorch: squares overflow float16.
    const x = t.dtype === 'float16' ? cast(t, 'float32') : t;
    const m = mean(x, red, true);
    let v = VarFn.apply(x, m, red, keepdim, n, correction, whole) as Tensor;
    if (root) v = StdSqrt.apply(v) as Tensor;
    let mk = keepdim ? m : reshape(m, v.shape);
    if (x !== t) { v = cast(v, t.dtype); mk = cast(mk, t.dtype); }
    return { v, m: mk, keepdim: keepdim as boolean };
  });
}

/**
 * sum((x − mean)²) / max(0, N − correction), with PyTorch's var_backward: 2/(N − c)·g·(x − mean)
 * (no term through the mean, so N = c gives ±Inf, not NaN); over every dim with N <= c it is
 * g·(NaN where x equals the mean, else +Inf), as PyTorch.
 */
class VarFn extends Function {
  static override forward(ctx: Ctx, t: Tensor, m: Tensor, red: number[], keepdim: boolean, n: number, c: number, whole: boolean): Tensor {
    ctx.saveForBackward(t, m);
    Object.assign(ctx, { red, n, c, whole });
    const d = sub(t, m);
    return div(sum(mul(d, d), red, keepdim), Math.max(0, n - c));
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [x, m] = ctx.savedTensors;
    const { red, n, c, whole } = ctx as unknown as { red: number[]; n: number; c: number; whole: boolean };
    const gk = reshape(g, x.shape.map((s, i) => (red.includes(i) ? 1 : s)));
    const grad = whole && n - c <= 0 ? mul(gk, where(eq(x, m), NaN, Infinity)) : mul(gk, mul(sub(x, m), 2 / (n - c)));
    return [grad, null, null, null, null, null, null];
  }
}

/** sqrt whose gradient is 0 where the result is 0, as PyTorch's std_backward masks it. */
class StdSqrt extends Function {
  static override forward(ctx: Ctx, v: Tensor): Tensor {
    const y = sqrt(v);
    ctx.saveForBackward(y);
    return y;
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [y] = ctx.savedTensors;
    return [where(eq(y, 0), 0, div(g, mul(y, 2)))];
  }
}

// Each public function runs in a tidy scope, so the intermediate it does not return is freed.

/** Variance over `dim` (a number, an array, or every dim), dividing by N − correction. */
export function variance(t: Tensor, dim?: number | number[] | null | VarOptions, opts?: VarOptions): Tensor {
  return tidy(() => varAndMean('var', t, dim, opts).v);
}

/** Standard deviation over `dim`: sqrt of var (gradient 0 where the result is 0, as PyTorch). */
export function std(t: Tensor, dim?: number | number[] | null | VarOptions, opts?: VarOptions): Tensor {
  return tidy(() => varAndMean('std', t, dim, opts, true).v);
}

/**
 * var_mean's mean as PyTorch's Welford pass gives it: NaN when a ±Inf comes before the last
 * element of the slice (row-major over the reduced dims), where the running mean meets Inf − Inf.
 */
function welfordMean(t: Tensor, m: Tensor, dim: unknown): Tensor {
  if (t.dtype === 'int32') return m;
  const red = reduceDims('varMean', t, dim);
  const shape = t.shape.map((s, i) => (red.includes(i) ? s : 1));
  const n = numel(shape);
  if (n < 2 || t.numel === 0) return m;
  const notLast = new Float32Array(n).fill(1);
  notLast[n - 1] = 0;
  const early = gt(sum(where(isinf(t), fromArray(notLast, shape, t.dtype, t.device), 0), red, true), 0);
  return add(m, reshape(where(early, NaN, 0), m.shape));
}

/** [var, mean] over `dim`, as torch.var_mean's tuple. */
export function varMean(t: Tensor, dim?: number | number[] | null | VarOptions, opts?: VarOptions): [Tensor, Tensor] {
  return tidy(() => { const { v, m } = varAndMean('varMean', t, dim, opts); return [v, welfordMean(t, m, optsFirst(dim))]; });
}

/** [std, mean] over `dim`, as torch.std_mean's tuple. */
export function stdMean(t: Tensor, dim?: number | number[] | null | VarOptions, opts?: VarOptions): [Tensor, Tensor] {
  return tidy(() => { const { v, m } = varAndMean('stdMean', t, dim, opts, true); return [v, welfordMean(t, m, optsFirst(dim))]; });
}

/** The dim argument once an options object in its place (x.var({ correction })) is set aside. */
const optsFirst = (dim: unknown): unknown => (dim !== null && typeof dim === 'object' && !Array.isArray(dim) ? undefined : dim);

// ---- prod ----

/** The product over `red` (one dim, or all of them). Not recorded. int32 wraps around. */
function prodRaw(t: Tensor, red: number[], keepdim: boolean): Tensor {
  const keepShape = t.shape.map((s, i) => (red.includes(i) ? 1 : s));
  const outShape = keepdim ? keepShape : t.shape.filter((_, i) => !red.includes(i));
  const out = Tensor.empty(outShape, t.dtype, t.device, 'prod');
  if (out.numel === 0) return out;
  const os = { strides: contiguousStrides(keepShape).map((s, i) => (red.includes(i) ? 0 : s)), offset: 0 };
  let src = t;
  let p = rowPlan(t.shape, red, [t, os]);
  if (!p) {
    // Several reduced dims that do not collapse into one stride: a row-major copy does.
    src = copyRaw(t);
    p = rowPlan(src.shape, red, [src, os])!;
  }
  if (t.device === 'cpu') cpuProd(src, p, out);
  else {
    const it = wgslType(t.dtype);
    const ct = t.dtype === 'int32' ? 'i32' : 'f32';
    t.storage.gpu!.dispatch({
      key: `prod:${it}`,
      wgsl: () => prodWgsl(it, ct),
      inputs: [src.buffer],
      outputs: [out.buffer],
      uniforms: rowUniforms('prod', p),
      workgroups: p.rows,
    });
  }
  if (src !== t) src.dispose();
  return out;
}

function cpuProd(x: Tensor, p: RowPlan, out: Tensor): void {
  const xd = x.data;
  const od = out.data;
  const st = storer(out.dtype);
  const int = out.dtype === 'int32';
  forEachRow(p, (_, b) => {
    let acc = 1;
    for (let j = 0; j < p.n; j++) {
      const v = xd[b[0] + j * p.rs[0]];
      acc = int ? Math.imul(acc, v) : acc * v;
    }
    od[b[1]] = st(acc);
  });
}

/** A workgroup per row: a strided loop, then a tree of products in workgroup memory. */
function prodWgsl(it: string, ct: string): string {
  return `${enableF16(it)}${ROW_WGSL}
@group(0) @binding(1) var<storage, read> X: array<${it}>;
@group(0) @binding(2) var<storage, read_write> O: array<${it}>;
var<workgroup> sv: array<${ct}, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.rows) { return; }
  let b = bases(row);
  var acc = ${ct}(1);
  for (var j = lid; j < u.n; j += ${WG}u) { acc *= ${ct}(X[b.x + j * u.rs.x]); }
  sv[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { sv[lid] *= sv[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { O[b.y] = ${it}(sv[0]); }
}
`;
}

/**
 * d prod / dx_i is the product of the other elements: result / x_i when the slice has no
 * zero (PyTorch's choice), the product of the non-zeros at a lone zero, and 0 elsewhere.
 */
class Prod extends Function {
  static override forward(ctx: Ctx, t: Tensor, red: number[], keepdim: boolean): Tensor {
    ctx.saveForBackward(t);
    ctx.red = red;
    return prodRaw(t, red, keepdim);
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [x] = ctx.savedTensors;
    const red: number[] = ctx.red;
    const gk = reshape(g, x.shape.map((s, i) => (red.includes(i) ? 1 : s)));
    const isZero = eq(x, 0);
    const zeros = sum(where(isZero, 1, 0), red, true);
    const others = Prod.apply(where(isZero, 1, x), red, true) as Tensor;
    const grad = where(eq(zeros, 0), div(others, x), where(isZero, where(eq(zeros, 1), others, 0), 0));
    return [mul(grad, gk), null, null];
  }
}

/** The product of all elements, or along `dim` (int32 stays int32 and wraps, where PyTorch
 * gives int64). */
export function prod(t: Tensor, dim?: number | null, keepdim = false): Tensor {
  checkInput('prod', t);
  const whole = dim === undefined || dim === null;
  const red = whole ? reduceDims('prod', t, undefined) : oneDim('prod', t, dim);
  checkBool('prod', 'keepdim', keepdim);
  if (whole && keepdim) throw new Error(`prod: keepdim needs a dim (input shape ${fmtShape(t.shape)})`);
  if (t.dtype !== 'bool') return Prod.apply(t, red, keepdim);
  // A bool product is int32 (PyTorch's int64): 1 where every element is true.
  const ints = copyRaw(t, 'int32');
  try { return Prod.apply(ints, red, keepdim) as Tensor; } finally { ints.dispose(); }
}
