// The scans beside cumsum: cumprod, cummax/cummin (values and the index they came from) and
// logcumsumexp, along one dim. A row problem (rows.ts), as cumsum (scan.ts): the CPU walks a
// row in float64 and rounds each prefix, as PyTorch's CPU kernels; the GPU gives each row a
// workgroup whose threads fold consecutive chunks, scan the chunk totals in workgroup memory,
// then rescan their chunk from the prefix before it, so any row length runs in one dispatch.
// The GPU computes in f32 (i32 for int32 and bool).
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { isFloat, wgslType } from '../tensor/dtype.js';
import { contiguousStrides, describe, fmtShape, normDim } from '../tensor/shape.js';
import { checkInt, checkTensor } from '../tensor/check.js';
import { tidy } from '../tensor/scope.js';
import { checkInput, enableF16, forEachRow, oneDim, ROW_WGSL, rowPlan, rowUniforms, storer, WG } from './rows.js';
import { abs, copyRaw, eq, exp, gt, log, lt, mul, sub, where, div, add } from './elementwise.js';
import { logicalAnd, logicalNot, logicalXor } from './mask.js';
import { cumsum, reverseCumsum } from './scan.js';
import { scatterAdd } from './scatter.js';
import { clone, full, narrow } from './view.js';
import { cat } from './join.js';

type ScanOp = 'prod' | 'max' | 'min' | 'lse';

/** logaddexp as PyTorch's _log_add_exp_helper: NaN propagates, equal infinities stay. */
export function logAddExp(x: number, y: number): number {
  if (x !== x || y !== y) return NaN;
  const mn = Math.min(x, y);
  const mx = Math.max(x, y);
  if (mn === -Infinity || mx === Infinity) return mx;
  return mx + Math.log1p(Math.exp(mn - mx));
}

/** The running `op` along `red` (one dim, or none for a 0-d tensor), from the end of the row
 * when `reverse`; cummax/cummin also give the int32 index of each running value. Not recorded. */
function scanRaw(op: ScanOp, t: Tensor, red: number[], reverse = false): { values: Tensor; indices: Tensor | null } {
  const values = Tensor.empty(t.shape, t.dtype, t.device, `cum${op}`);
  const indices = op === 'max' || op === 'min' ? Tensor.empty(t.shape, 'int32', t.device, `cum${op}`) : null;
  if (t.numel === 0) return { values, indices };
  const os = { strides: contiguousStrides(t.shape), offset: 0 };
  const p = rowPlan(t.shape, red, [t, os, os])!; // one dim always collapses
  if (t.device === 'cpu') {
    cpuScan(op, t, p, values, indices, reverse);
    return { values, indices };
  }
  const it = wgslType(t.dtype);
  t.storage.gpu!.dispatch({
    key: `cum${op}:${it}:${reverse ? 'rev' : 'fwd'}`,
    wgsl: () => scanWgsl(op, it, reverse),
    inputs: [t.buffer],
    outputs: indices ? [values.buffer, indices.buffer] : [values.buffer],
    uniforms: rowUniforms(`cum${op}`, p),
    workgroups: p.rows,
  });
  return { values, indices };
}

function cpuScan(op: ScanOp, t: Tensor, p: ReturnType<typeof rowPlan> & object, values: Tensor, indices: Tensor | null, reverse: boolean): void {
  const xd = t.data;
  const vd = values.data;
  const id = indices?.data;
  const st = storer(t.dtype);
  const int = !isFloat(t.dtype);
  forEachRow(p, (_, b) => {
    let acc = op === 'prod' ? 1 : op === 'lse' ? -Infinity : NaN;
    let at = 0;
    for (let q = 0; q < p.n; q++) {
      const j = reverse ? p.n - 1 - q : q;
      const x = xd[b[0] + j * p.rs[0]];
      if (op === 'prod') acc = int ? Math.imul(acc, x) : acc * x;
      else if (op === 'lse') acc = logAddExp(x, acc);
      // PyTorch's cummax: a NaN always takes over (so the index is the last NaN's), then only
      // a value >= the running one (ties take the later index).
      else if (q === 0 || x !== x || (acc === acc && (op === 'max' ? x >= acc : x <= acc))) { acc = x; at = j; }
      vd[b[1] + j * p.rs[1]] = st(acc);
      if (id) id[b[2] + j * p.rs[2]] = at;
    }
  });
}

/** WGSL of the state S, its identity and `comb(a, b)` (a earlier in the row than b). */
function combineWgsl(op: ScanOp, ct: string): string {
  const f = ct === 'f32';
  const nan = f ? 'fn nan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }' : 'fn nan_(x: i32) -> bool { return false; }';
  // ±Inf built at run time from u.p2 (always 0): WGSL rejects infinite constants.
  const lowest = f ? 'bitcast<f32>(0xff800000u | u.p2)' : 'i32(-2147483647 - 1)';
  const highest = f ? 'bitcast<f32>(0x7f800000u | u.p2)' : 'i32(2147483647)';
  if (op === 'prod') return `${nan}\nfn ident() -> S { return S(${ct}(1), 0); }\nfn comb(a: S, b: S) -> S { return S(a.v * b.v, 0); }`;
  if (op === 'max' || op === 'min') {
    const cmp = op === 'max' ? '>=' : '<=';
    return `${nan}
fn ident() -> S { return S(${op === 'max' ? lowest : highest}, -1); }
// A NaN takes over; otherwise the later value wins ties (PyTorch's cummax/cummin).
fn comb(a: S, b: S) -> S { if (nan_(b.v) || (!nan_(a.v) && b.v ${cmp} a.v)) { return b; } return a; }`;
  }
  return `${nan}
fn inf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
// log(1 + z) for z in [0, 1]: the series of 2·atanh(z / (2 + z)) below 0.5 keeps tiny z exact.
fn log1p01(z: f32) -> f32 {
  if (z >= 0.5) { return log(1.0 + z); }
  let s = z / (2.0 + z);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (0.33333333333333333 + s2 * (0.2 + s2 * (0.14285714285714286 + s2 * (0.11111111111111111 + s2 * 0.09090909090909091)))));
}
fn ident() -> S { return S(${lowest}, 0); }
// PyTorch's _log_add_exp_helper; infinities and NaN are tested on the bits.
fn comb(a: S, b: S) -> S {
  if (nan_(a.v) || nan_(b.v)) { return S(a.v + b.v, 0); }
  let mn = min(a.v, b.v);
  let mx = max(a.v, b.v);
  if (inf_(mn) || inf_(mx)) { return S(mx, 0); }
  return S(mx + log1p01(exp(mn - mx)), 0);
}`;
}

function scanWgsl(op: ScanOp, it: string, reverse: boolean): string {
  const ct = it === 'i32' ? 'i32' : 'f32';
  const pos = reverse ? 'u.n - 1u - q' : 'q';
  const idx = op === 'max' || op === 'min';
  return `${enableF16(it)}${ROW_WGSL}
@group(0) @binding(1) var<storage, read> X: array<${it}>;
@group(0) @binding(2) var<storage, read_write> O: array<${it}>;
${idx ? '@group(0) @binding(3) var<storage, read_write> I: array<i32>;' : ''}
struct S { v: ${ct}, i: i32 }
${combineWgsl(op, ct)}
var<workgroup> tot: array<S, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.rows) { return; }
  let b = bases(row);
  let chunk = (u.n + ${WG - 1}u) / ${WG}u;
  let start = min(u.n, lid * chunk);
  let end = min(u.n, start + chunk);
  var acc = ident();
  for (var q = start; q < end; q++) { let j = ${pos}; acc = comb(acc, S(${ct}(X[b.x + j * u.rs.x]), i32(j))); }
  tot[lid] = acc;
  workgroupBarrier();
  // Hillis-Steele inclusive scan of the chunk totals.
  for (var s = 1u; s < ${WG}u; s <<= 1u) {
    var prev = ident();
    if (lid >= s) { prev = tot[lid - s]; }
    workgroupBarrier();
    tot[lid] = comb(prev, tot[lid]);
    workgroupBarrier();
  }
  acc = ident();
  if (lid > 0u) { acc = tot[lid - 1u]; }
  for (var q = start; q < end; q++) {
    let j = ${pos};
    acc = comb(acc, S(${ct}(X[b.x + j * u.rs.x]), i32(j)));
    O[b.y + j * u.rs.y] = ${it}(acc.v);
    ${idx ? 'I[b.z + j * u.rs.z] = acc.i;' : ''}
  }
}
`;
}

// ---- cumprod ----

/**
 * PyTorch's cumprod_backward, exact with zeros: before a row's first zero, the reversed
 * cumsum of g·y divided by x; at the first zero, the product before it times the reversed
 * cumsum of g·(the running product after it, up to the second zero); 0 after it.
 */
class CumProd extends Function {
  static override forward(ctx: Ctx, t: Tensor, red: number[]): Tensor {
    const y = scanRaw('prod', t, red).values;
    ctx.saveForBackward(t, y);
    ctx.red = red;
    return y;
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [x, y] = ctx.savedTensors;
    const red: number[] = ctx.red;
    // PyTorch returns g as it is for one element or a dim of size 1 (x = ±Inf there gives g, not NaN).
    if (red.length === 0 || x.numel <= 1 || x.shape[red[0]] === 1) return [g, null];
    const dim = red[0];
    const zero = eq(x, 0);
    const zc = cumsum(zero, dim);
    const before = eq(zc, 0);
    const part1 = where(before, div(reverseCumsum(where(before, mul(y, g), 0), dim), where(before, x, 1)), 0);
    const first = logicalAnd(zero, eq(zc, 1));
    const between = logicalAnd(eq(zc, 1), logicalNot(zero));
    const pre = CumProd.apply(where(before, x, 1), red) as Tensor;
    const after = CumProd.apply(where(between, x, 1), red) as Tensor;
    const s = reverseCumsum(mul(after, where(eq(zc, 1), g, 0)), dim);
    return [add(part1, where(first, mul(s, pre), 0)), null];
  }
}

/** The running product along `dim`; int32 stays int32 and wraps (PyTorch gives int64), bool
 * gives int32 (PyTorch: int64). */
export function cumprod(t: Tensor, dim: number): Tensor {
  checkInput('cumprod', t);
  const red = oneDim('cumprod', t, dim);
  if (t.dtype !== 'bool') return CumProd.apply(t, red);
  const ints = copyRaw(t, 'int32');
  try { return CumProd.apply(ints, red) as Tensor; } finally { ints.dispose(); }
}

// ---- cummax / cummin ----

/** The gradient of each running value goes to the element its index names (summed). */
class CumMaxMin extends Function {
  static override forward(ctx: Ctx, t: Tensor, red: number[], isMax: boolean): Tensor[] {
    const { values, indices } = scanRaw(isMax ? 'max' : 'min', t, red);
    ctx.markNonDifferentiable(indices!);
    ctx.saveForBackward(indices);
    ctx.red = red;
    return [values, indices!];
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [idx] = ctx.savedTensors;
    if (ctx.red.length === 0 || g.numel === 0) return [g, null, null];
    return [scatterAdd(full(g.shape, 0, g.dtype, g.device), ctx.red[0], idx, g), null, null];
  }
}

function cumMaxMin(op: string, t: Tensor, dim: unknown, isMax: boolean): { values: Tensor; indices: Tensor } {
  checkInput(op, t);
  const red = oneDim(op, t, dim);
  const [values, indices] = CumMaxMin.apply(t, red, isMax) as Tensor[];
  return { values, indices };
}

/** The running maximum along `dim` and the int32 index it came from: ties take the later
 * index, and once a NaN is seen the value stays NaN with the last NaN's index (PyTorch's). */
export const cummax = (t: Tensor, dim: number): { values: Tensor; indices: Tensor } => cumMaxMin('cummax', t, dim, true);
/** The running minimum along `dim` and its int32 index, as cummax. */
export const cummin = (t: Tensor, dim: number): { values: Tensor; indices: Tensor } => cumMaxMin('cummin', t, dim, false);

// ---- logcumsumexp ----

/**
 * PyTorch's logcumsumexp_backward: the gradient's positive and negative parts separately, in
 * log space (a reversed logcumsumexp of log|g| − y, plus x, exponentiated), so no exp overflows.
 */
class LogCumSumExp extends Function {
  static override forward(ctx: Ctx, t: Tensor, red: number[], reverse: boolean): Tensor {
    const y = scanRaw('lse', t, red, reverse).values;
    ctx.saveForBackward(t, y);
    Object.assign(ctx, { red, reverse });
    return y;
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [x, y] = ctx.savedTensors;
    if (ctx.red.length === 0 || g.numel === 0) return [g, null, null];
    const lowest = x.dtype === 'float64' ? -Number.MAX_VALUE : x.dtype === 'float16' ? -65504 : -3.4028234663852886e38;
    const la = log(abs(g));
    const part = (mask: Tensor): Tensor => exp(add(LogCumSumExp.apply(sub(where(mask, la, lowest), y), ctx.red, !ctx.reverse) as Tensor, x));
    return [sub(part(gt(g, 0)), part(lt(g, 0))), null, null];
  }
}

/** log(cumsum(exp(x))) along `dim`, computed stably; float dtypes only, as PyTorch. */
export function logcumsumexp(t: Tensor, dim: number): Tensor {
  checkInput('logcumsumexp', t);
  const red = oneDim('logcumsumexp', t, dim);
  if (!isFloat(t.dtype)) throw new Error(`logcumsumexp: input dtype ${t.dtype} is not supported (a floating point tensor is needed, as in PyTorch; cast with .float() first), input shape ${fmtShape(t.shape)}`);
  return LogCumSumExp.apply(t, red, false);
}

// ---- diff ----

/** The tensors to join before the differences, checked as PyTorch's diff checks them. */
function diffPieces(t: Tensor, d: number, prepend: unknown, append: unknown): Tensor[] {
  const pieces: Tensor[] = [];
  for (const [arg, p] of [['prepend', prepend], ['append', append]] as const) {
    if (p === undefined || p === null) continue;
    checkTensor('diff', p, arg);
    if (p.device !== t.device) throw new Error(`diff: ${arg} is on ${p.device} but input is on ${t.device}`);
    if (p.ndim !== t.ndim || p.shape.some((s, k) => k !== d && s !== t.shape[k])) {
      throw new Error(`diff: ${arg} must have the input's dims and sizes except along dim ${d}: ${arg} shape ${fmtShape(p.shape)}, input shape ${fmtShape(t.shape)}`);
    }
    pieces.push(p);
  }
  return pieces;
}

/**
 * The n-th forward difference along `dim` (x[i + 1] − x[i], n times), after joining
 * `prepend` and `append` along it; bool takes logical xor, as PyTorch. A composite of narrow,
 * sub (or logicalXor) and cat, so its gradient is theirs; n = 0 returns a copy of the input
 * without prepend and append, as PyTorch.
 */
export function diff(t: Tensor, n = 1, dim = -1, prepend?: Tensor | null, append?: Tensor | null): Tensor {
  checkInput('diff', t);
  if (t.ndim === 0) throw new Error('diff: expects input to be at least one-dimensional, got a 0-d tensor');
  checkInt('diff', 'n', n, 0);
  if (typeof dim !== 'number') throw new Error(`diff: dim must be a number, got ${describe(dim)}`);
  const d = normDim('diff', dim, t.ndim);
  const extra = diffPieces(t, d, prepend, append);
  // n = 0 gives the input back, prepend and append not joined (as PyTorch).
  if (n === 0) return clone(t);
  return tidy(() => {
    let x = extra.length ? cat([...(prepend ? [prepend] : []), t, ...(append ? [append] : [])], d) : t;
    for (let i = 0; i < n && x.shape[d] > 0; i++) {
      const len = x.shape[d] - 1;
      const hi = narrow(x, d, 1, len);
      const lo = narrow(x, d, 0, len);
      x = x.dtype === 'bool' ? logicalXor(hi, lo) : sub(hi, lo);
    }
    return x;
  });
}
