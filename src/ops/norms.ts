// Vector and matrix norms, as torch.linalg.vector_norm, torch.norm and torch.linalg.matrix_norm.
// The vector norm is a row problem (rows.ts) with its own kernel on each backend, one per kind
// of order: 0 (count of non-zeros), 1, 2, ±Inf (max/min |x|) and any other p,
// (Σ |x|^p)^(1/p). float16 is read into float32 and rounded once, as PyTorch's opmath; on the
// CPU the sum is rounded to float32 before the root, so it underflows and overflows as there.
// The gradient is PyTorch's norm_backward, written with elementwise ops. matrixNorm's
// orders are compositions of vector norms and amax/amin, as PyTorch writes them.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { isFloat, wgslType } from '../tensor/dtype.js';
import { contiguousStrides, describe, fmtShape, normDim } from '../tensor/shape.js';
import { checkBool, checkInput, forEachRow, reduceDims, rowKernel, rowPlan, rowUniforms, storer, WG, type RowPlan } from './rows.js';
import { abs, copyRaw, div, eq, mul, pow, where, cast } from './elementwise.js';
import { sign } from './math-unary.js';
import { isnan, logicalOr } from './mask.js';
import { amax, amin, sum } from './reduce.js';
import { reshape } from './view.js';
import { WGSL_ISNAN } from './elementwise.js';

/**
 * Which kernel an order takes. 'zeroN' and 'infI' are cdist's: its 0-norm keeps a NaN (it
 * sums min(ceil|d|, 1)) and its Inf-norm drops NaNs (a max that is not NaN-aware).
 */
export type NormKind = 'zero' | 'one' | 'two' | 'inf' | 'ninf' | 'p' | 'zeroN' | 'infI';
export const normKind = (p: number): NormKind => (p === 0 ? 'zero' : p === 1 ? 'one' : p === 2 ? 'two' : p === Infinity ? 'inf' : p === -Infinity ? 'ninf' : 'p');

/** Orders with no identity (a max, a min, a negative power): an empty reduction is an error. */
const noIdentity = (p: number): boolean => p < 0 || p === Infinity;

// ---- the kernel ----

/** ‖x‖_p over `red` (kind from p unless given). Not recorded by autograd. */
export function normRaw(x: Tensor, red: number[], keepdim: boolean, p: number, kind: NormKind = normKind(p)): Tensor {
  const keepShape = x.shape.map((s, i) => (red.includes(i) ? 1 : s));
  const outShape = keepdim ? keepShape : x.shape.filter((_, i) => !red.includes(i));
  const out = Tensor.empty(outShape, x.dtype, x.device, 'vectorNorm');
  if (out.numel === 0) return out;
  const os = contiguousStrides(keepShape).map((s, i) => (red.includes(i) ? 0 : s));
  let src = x;
  let plan = rowPlan(x.shape, red, [x, { strides: os, offset: 0 }]);
  if (!plan) {
    // The reduced dims do not collapse into one stride: copy with them moved last.
    const perm = [...x.shape.map((_, i) => i).filter((i) => !red.includes(i)), ...red];
    const moved = x.withLayout(perm.map((d) => x.shape[d]), perm.map((d) => x.strides[d]), x.offset);
    src = copyRaw(moved);
    moved.dispose();
    const kept = perm.length - red.length;
    plan = rowPlan(src.shape, red.map((_, i) => kept + i), [src, { strides: perm.map((d) => os[d]), offset: 0 }])!;
  }
  if (x.device === 'cpu') cpuNorm(src, plan, out, p, kind);
  else {
    const [xt, ot] = [wgslType(x.dtype), wgslType(out.dtype)];
    x.storage.gpu!.dispatch({
      key: `vector_norm:${kind}:${xt}>${ot}`,
      wgsl: () => normWgsl(xt, ot, kind),
      inputs: [src.buffer],
      outputs: [out.buffer],
      uniforms: rowUniforms('vectorNorm', plan, 0, kind === 'p' ? p : 1),
      workgroups: plan.rows,
    });
  }
  if (src !== x) src.dispose();
  return out;
}

function cpuNorm(x: Tensor, pl: RowPlan, out: Tensor, p: number, kind: NormKind): void {
  const [xd, od, st] = [x.data, out.data, storer(out.dtype)];
  // A float32 sum for float32 and float16, as PyTorch's opmath (the float64 one is only more exact).
  const fr = x.dtype === 'float64' ? (v: number) => v : Math.fround;
  const rs = pl.rs[0];
  forEachRow(pl, (_, b) => {
    let s = kind === 'ninf' ? Infinity : 0;
    let nan = false;
    for (let j = 0; j < pl.n; j++) {
      const v = xd[b[0] + j * rs];
      const a = Math.abs(v);
      if (v !== v && kind !== 'zero') { nan = true; continue; }
      if (kind === 'zero') s += v !== 0 ? 1 : 0;
      else if (kind === 'zeroN') s += Math.min(Math.ceil(a), 1);
      else if (kind === 'one') s += a;
      else if (kind === 'two') s += v * v;
      else if (kind === 'inf' || kind === 'infI') s = Math.max(s, a);
      else if (kind === 'ninf') s = Math.min(s, a);
      else s += Math.pow(a, p);
    }
    s = fr(s);
    const r = kind === 'two' ? Math.sqrt(s) : kind === 'p' ? Math.pow(s, 1 / p) : s;
    od[b[1]] = st(nan && kind !== 'infI' ? NaN : r);
  });
}

// Each element's contribution (v is x as f32, not NaN) and the row's result from the reduced s.
const ACC: Record<NormKind, string> = {
  zero: 's += select(1.0, 0.0, v == 0.0);', zeroN: 's += select(1.0, 0.0, v == 0.0);', one: 's += abs(v);', two: 's += v * v;',
  inf: 's = max(s, abs(v));', infI: 's = max(s, abs(v));', ninf: 's = max(s, -abs(v));', p: 's += powp_(abs(v), u.scale);',
};
const FINISH: Record<NormKind, string> = { zero: 's', zeroN: 's', one: 's', two: 'sqrt(s)', inf: 's', infI: 's', ninf: '-s', p: 'powp_(s, 1.0 / u.scale)' };

/** One workgroup per row: each invocation folds its strided share, then a tree over the workgroup.
 * NaN is counted on the bits beside the sum (a compiler may assume none exists). */
function normWgsl(xt: string, ot: string, kind: NormKind): string {
  const isMax = kind === 'inf' || kind === 'infI' || kind === 'ninf';
  // The 0-norm counts a NaN as a non-zero; cdist's Inf-norm ignores it.
  const nanIs = kind === 'zero' ? 'one' : kind === 'infI' ? 'skip' : 'nan';
  const onNan = nanIs === 'one' ? 's += 1.0;' : nanIs === 'nan' ? 'f = 1.0;' : '';
  const binds = `@group(0) @binding(1) var<storage, read> X: array<${xt}>;
@group(0) @binding(2) var<storage, read_write> O: array<${ot}>;
${WGSL_ISNAN}// Inf and NaN are built from u.p0 (always 0) at run time: WGSL rejects them as constants.
fn inf_() -> f32 { return bitcast<f32>(0x7f800000u | u.p0); }
// |x|^q for |x| >= 0, at 0 and Inf as C's pow (WGSL's pow is undefined at 0).
fn powp_(a: f32, q: f32) -> f32 {
  if (a == 0.0) { return select(inf_(), 0.0, q > 0.0); }
  if (bitcast<u32>(a) == 0x7f800000u) { return select(0.0, inf_(), q > 0.0); }
  return pow(a, q);
}
`;
  return rowKernel([xt, ot], binds, `  var s = ${kind === 'ninf' ? '-inf_()' : '0.0'};
  var f = 0.0;
  for (var j = lid; j < u.n; j += ${WG}u) {
    let v = f32(X[b.x + j * u.rs.x]);
    if (isnan_(v)) { ${onNan} } else { ${ACC[kind]} }
  }
  s = wgReduce(s, lid, ${isMax});
  f = wgReduce(f, lid, true);
  let r = ${FINISH[kind]};
  if (lid == 0u) { O[b.y] = ${ot}(select(r, bitcast<f32>(0x7fc00000u | u.p0), f > 0.0)); }
`);
}

// ---- autograd ----

class VectorNorm extends Function {
  static override forward(ctx: Ctx, x: Tensor, red: number[], keepdim: boolean, p: number): Tensor {
    const n = normRaw(x, red, keepdim, p);
    ctx.saveForBackward(x, n);
    Object.assign(ctx, { red, p });
    return n;
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [x, n] = ctx.savedTensors;
    // The 0-norm is piecewise constant: PyTorch gives no gradient at all (x.grad stays null).
    return [ctx.p === 0 ? null : normGrad(x, n, g, ctx.red, ctx.p), null, null, null];
  }
}

/** PyTorch's norm_backward: the gradient of ‖x‖_p given the norm n and its gradient g. */
function normGrad(x: Tensor, n: Tensor, g: Tensor, red: number[], p: number): Tensor {
  const keep = x.shape.map((s, i) => (red.includes(i) ? 1 : s));
  const [nk, gk] = [reshape(n, keep), reshape(g, keep)];
  const zeroN = eq(nk, 0);
  if (p === 1) return mul(sign(x), gk);
  if (p === 2) return mul(gk, where(zeroN, 0, div(x, nk)));
  if (Math.abs(p) === Infinity) {
    // The gradient is shared by the elements at the max (or min), NaNs included.
    const a = abs(x);
    const mask = cast(logicalOr(eq(a, nk), isnan(a)), x.dtype);
    return mul(sign(x), mul(div(gk, sum(mask, red, true)), mask));
  }
  if (p < 1) {
    const scaled = mul(sign(x), where(eq(x, 0), 0, pow(abs(x), p - 1)));
    return mul(mul(scaled, gk), pow(nk, 1 - p));
  }
  const scaled = p < 2 ? mul(sign(x), pow(abs(x), p - 1)) : mul(x, pow(abs(x), p - 2));
  return mul(scaled, where(zeroN, 0, div(gk, pow(nk, p - 1))));
}

// ---- public functions ----

function checkOrd(op: string, arg: string, p: unknown): asserts p is number {
  if (typeof p !== 'number' || Number.isNaN(p)) throw new Error(`${op}: ${arg} must be a number (any real, Infinity or -Infinity), got ${describe(p)}`);
}

export function checkFloatInput(op: string, x: Tensor, arg = 'input'): void {
  if (!isFloat(x.dtype)) throw new Error(`${op}: expected a floating point tensor as ${arg}, got dtype ${x.dtype} (shape ${fmtShape(x.shape)}); cast with .float() first`);
}

/** An order with no identity over an empty reduction: PyTorch's error. */
function checkEmpty(op: string, x: Tensor, red: number[], p: number, whole: boolean): void {
  if (!noIdentity(p)) return;
  if (whole && x.numel === 0) throw new Error(`${op}: cannot compute the ${p} norm of an empty tensor (shape ${fmtShape(x.shape)}): the operation has no identity`);
  const d = red.find((i) => x.shape[i] === 0);
  if (d !== undefined) throw new Error(`${op}: cannot compute the ${p} norm over dim ${d}: it is empty (input shape ${fmtShape(x.shape)}) and the operation has no identity`);
}

/** The checked vector norm; `op` names the public caller in errors. */
function vectorNormAs(op: string, x: Tensor, ord: unknown, dim: unknown, keepdim: unknown, ordName = 'ord'): Tensor {
  checkInput(op, x);
  checkOrd(op, ordName, ord);
  const red = reduceDims(op, x, dim);
  checkBool(op, 'keepdim', keepdim);
  checkFloatInput(op, x);
  const whole = dim === undefined || dim === null || (Array.isArray(dim) && dim.length === 0);
  checkEmpty(op, x, red, ord, whole);
  return VectorNorm.apply(x, red, keepdim, ord);
}

/**
 * torch.linalg.vector_norm: (Σ |x|^ord)^(1/ord) over `dim` (a number, an array, or every dim
 * when omitted); ord 0 counts the non-zeros, Infinity / -Infinity take max / min |x|.
 */
export function vectorNorm(x: Tensor, ord: number = 2, dim?: number | number[] | null, keepdim = false): Tensor {
  return vectorNormAs('vectorNorm', x, ord, dim, keepdim);
}

/**
 * torch.norm: the vector p-norm over `dim` (every dim when omitted); p 'fro' is the 2-norm
 * over at most two dims. The nuclear norm ('nuc') needs an SVD and is not supported.
 */
export function norm(x: Tensor, p: number | 'fro' | 'nuc' = 2, dim?: number | number[] | null, keepdim = false): Tensor {
  checkInput('norm', x);
  if (p === 'nuc') throw new Error(`norm: p 'nuc' (the nuclear norm) needs an SVD, which is not supported (input shape ${fmtShape(x.shape)})`);
  if (p === 'fro') {
    if (Array.isArray(dim) && dim.length > 2) throw new Error(`norm: p 'fro' takes at most 2 dims, got dim ${describe(dim)} (input shape ${fmtShape(x.shape)})`);
    return vectorNormAs('norm', x, 2, dim, keepdim);
  }
  if (typeof p === 'string') throw new Error(`norm: p must be a number, 'fro' or 'nuc', got ${describe(p)}`);
  return vectorNormAs('norm', x, p, dim, keepdim, 'p');
}

/**
 * torch.linalg.matrix_norm over the two dims `dim`: 'fro' (the 2-norm of the entries), 1 / -1
 * (max / min column sum of |x|), Infinity / -Infinity (max / min row sum). The SVD-based
 * orders ('nuc', 2, -2) are not supported.
 */
export function matrixNorm(x: Tensor, ord: number | 'fro' | 'nuc' = 'fro', dim: [number, number] = [-2, -1], keepdim = false): Tensor {
  const op = 'matrixNorm';
  checkInput(op, x);
  if (!(ord === 'fro' || ord === 1 || ord === -1 || ord === Infinity || ord === -Infinity)) {
    const why = ord === 'nuc' || ord === 2 || ord === -2 ? ' (it needs an SVD, which is not supported)' : '';
    throw new Error(`${op}: ord must be 'fro', 1, -1, Infinity or -Infinity, got ${describe(ord)}${why}`);
  }
  if (x.ndim < 2) throw new Error(`${op}: the input must have at least 2 dims, got shape ${fmtShape(x.shape)}`);
  if (!Array.isArray(dim) || dim.length !== 2 || dim.some((d) => typeof d !== 'number')) throw new Error(`${op}: dim must be a pair of dims, got ${describe(dim)}`);
  let [d0, d1] = dim.map((d) => normDim(op, d, x.ndim));
  if (d0 === d1) throw new Error(`${op}: dims must be different, got ${describe(dim)}`);
  checkBool(op, 'keepdim', keepdim);
  checkFloatInput(op, x);
  if (ord === 'fro') return vectorNormAs(op, x, 2, [d0, d1], keepdim);
  if (Math.abs(ord) === Infinity) [d0, d1] = [d1, d0];
  // A sum of |x| along d0 for each index of d1, then the max / min of those.
  if (x.shape[d1] === 0) throw new Error(`${op}: cannot compute the ${ord} norm: dim ${d1} is empty (input shape ${fmtShape(x.shape)}) and the operation has no identity`);
  const sums = VectorNorm.apply(x, [d0], keepdim, 1) as Tensor;
  const k = !keepdim && d0 < d1 ? d1 - 1 : d1;
  try { return ord > 0 ? amax(sums, k, keepdim) : amin(sums, k, keepdim); } finally { sums.dispose(); }
}

export { checkOrd };
