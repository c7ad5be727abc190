// layerNorm and rmsNorm over the last dim, each one autograd Function. Composed from
// elementwise ops an affine LayerNorm cost 9 dispatches forward and 17 backward, and a
// training step of a small model is host-bound on its dispatch count; fused, a call costs one
// dispatch forward and at most two backward.
//
// With x̂ = (x − μ)·r (r = 1/√(var + eps); μ = 0 for RMSNorm), y = x̂·w + b and g = dy·w:
//   dx = r·(g − mean(g) − x̂·mean(g·x̂))     (RMSNorm drops the mean(g) term)
//   dw = Σ_rows dy·x̂                        db = Σ_rows dy
//
// On the GPU the forward is one workgroup per row; it keeps the row's μ and r (f32) for
// backward, so backward never re-reduces x. Backward kernel A gives each workgroup a block
// of `per` consecutive rows: dx takes its two row sums, and dy·x̂ and dy are added into the
// workgroup's own row of a partial-sum matrix P [groups, cols] (each column of it is touched
// by one thread only, so no atomics). Kernel B sums P's columns into dweight and dbias. The
// block size keeps `groups` bounded, so neither kernel walks all rows in one thread however
// many rows there are.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { describe, fmtShape, isContiguous, numel } from '../tensor/shape.js';
import { isFloat, promote, wgslType, type DType } from '../tensor/dtype.js';
import { f32Bits } from '../backend/webgpu.js';
import { cast, copyRaw } from './elementwise.js';
import { full } from './view.js';
import { checkInput, enableF16, storer, WG } from './rows.js';

// Bounds on the partial sums of backward: at most MAX_GROUPS row blocks, and P at most
// P_LIMIT floats (16 MiB) for very wide rows.
const MAX_GROUPS = 1024;
const P_LIMIT = 1 << 22;
// Kernel B: a workgroup sums COLS columns, each with LANES threads striding over the groups.
const COLS = 32;
const LANES = 8;

interface Stats { y: Tensor; mean: Tensor | null; rstd: Tensor }

/** Row-major over its own storage from t.offset, in `dtype`: t itself when it already is. */
function dense(t: Tensor, dtype: DType): Tensor {
  return t.dtype === dtype && isContiguous(t.shape, t.strides) ? t : copyRaw(t, dtype);
}

// ---- forward ----

function normForward(op: string, x: Tensor, w: Tensor | null, b: Tensor | null, eps: number, rms: boolean): Stats {
  const n = x.shape[x.ndim - 1];
  const rows = numel(x.shape.slice(0, -1));
  const sdt: DType = x.dtype === 'float64' ? 'float64' : 'float32';
  const y = Tensor.empty(x.shape, x.dtype, x.device, op);
  const mean = rms ? null : Tensor.empty([rows], sdt, x.device, op);
  const rstd = Tensor.empty([rows], sdt, x.device, op);
  if (rows === 0 || n === 0) return { y, mean, rstd };
  if (x.device === 'cpu') {
    cpuForward(x, w, b, eps, rows, n, y, mean, rstd);
    return { y, mean, rstd };
  }
  const t = wgslType(x.dtype);
  x.storage.gpu!.dispatch({
    key: `norm:fwd:${rms ? 'rms' : 'ln'}${w ? ':w' : ''}${b ? ':b' : ''}:${t}`,
    wgsl: () => forwardWgsl(t, rms, w !== null, b !== null),
    inputs: [x.buffer, ...(w ? [w.buffer] : []), ...(b ? [b.buffer] : [])],
    outputs: [y.buffer, ...(mean ? [mean.buffer] : []), rstd.buffer],
    uniforms: [rows, n, x.offset, w?.offset ?? 0, b?.offset ?? 0, f32Bits(eps)],
    workgroups: rows,
  });
  return { y, mean, rstd };
}

/**
 * The CPU's rounding for float32 and float16 tensors: every product, difference and finished
 * sum rounded to float32, as the GPU kernels and PyTorch compute them, so that what overflows
 * float32 there (a square of 1e20) is Inf here too. float64 keeps doubles (gradcheck).
 */
function f32Round(d: DType): (v: number) => number {
  return d === 'float64' ? (v) => v : Math.fround;
}

function cpuForward(x: Tensor, w: Tensor | null, b: Tensor | null, eps: number, rows: number, n: number, y: Tensor, mean: Tensor | null, rstd: Tensor): void {
  const xd = x.data;
  const yd = y.data;
  const wd = w?.data;
  const bd = b?.data;
  const st = storer(y.dtype);
  const f = f32Round(x.dtype);
  for (let r = 0; r < rows; r++) {
    const xb = x.offset + r * n;
    let mu = 0;
    if (mean) {
      for (let j = 0; j < n; j++) mu += xd[xb + j];
      mu = f(f(mu) / n);
      mean.data[r] = mu;
    }
    let q = 0;
    for (let j = 0; j < n; j++) { const d = f(xd[xb + j] - mu); q += f(d * d); }
    const rs = f(1 / Math.sqrt(f(f(q) / n + eps)));
    rstd.data[r] = rs;
    for (let j = 0; j < n; j++) {
      let v = f(f(xd[xb + j] - mu) * rs);
      if (wd) v = f(v * wd[w!.offset + j]);
      if (bd) v += bd[b!.offset + j];
      yd[r * n + j] = st(v);
    }
  }
}

/** A workgroup-wide sum of T (f32 or vec2<f32>) over WG threads; every thread gets it. */
function wgSum(ty: string): string {
  return `var<workgroup> red: array<${ty}, ${WG}>;
fn wgSum(v: ${ty}, lid: u32) -> ${ty} {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;
}

/** Declares storage bindings in call order (inputs first, then outputs), from binding 1. */
function bindings(list: Array<[name: string, type: string, out: boolean]>): string {
  return list.map(([name, type, out], i) =>
    `@group(0) @binding(${i + 1}) var<storage, ${out ? 'read_write' : 'read'}> ${name}: array<${type}>;`).join('\n');
}

const MAIN_HEAD = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`;

function forwardWgsl(t: string, rms: boolean, hasW: boolean, hasB: boolean): string {
  const binds: Array<[string, string, boolean]> = [['X', t, false]];
  if (hasW) binds.push(['W', t, false]);
  if (hasB) binds.push(['B', t, false]);
  binds.push(['Y', t, true]);
  if (!rms) binds.push(['MEAN', 'f32', true]);
  binds.push(['RSTD', 'f32', true]);
  const x = 'f32(X[xb + j])';
  let v = `(${x} - mu) * rs`;
  if (hasW) v = `${v} * f32(W[u.woff + j])`;
  if (hasB) v = `${v} + f32(B[u.boff + j])`;
  // Two passes over the row (mean, then squared deviations): one-pass E[x²] − E[x]² loses
  // the variance to cancellation when |mean| is large against the spread.
  return `${enableF16(t)}struct U { rows: u32, n: u32, xoff: u32, woff: u32, boff: u32, eps: f32 }
@group(0) @binding(0) var<uniform> u: U;
${bindings(binds)}
${wgSum('f32')}
${MAIN_HEAD}
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.rows) { return; }
  let xb = u.xoff + row * u.n;
  let inv = 1.0 / f32(u.n);
  var mu = 0.0;
${rms ? '' : `  var s = 0.0;
  for (var j = lid; j < u.n; j += ${WG}u) { s += ${x}; }
  mu = wgSum(s, lid) * inv;
`}  var q = 0.0;
  for (var j = lid; j < u.n; j += ${WG}u) { let d = ${x} - mu; q += d * d; }
  let rs = 1.0 / sqrt(wgSum(q, lid) * inv + u.eps);
  for (var j = lid; j < u.n; j += ${WG}u) { Y[row * u.n + j] = ${t}(${v}); }
  if (lid == 0u) {
${rms ? '' : '    MEAN[row] = mu;\n'}    RSTD[row] = rs;
  }
}
`;
}

// ---- backward ----

interface Need { x: boolean; w: boolean; b: boolean }
interface Grads { dx: Tensor | null; dw: Tensor | null; db: Tensor | null }

function normBackward(dy: Tensor, x: Tensor, w: Tensor | null, mean: Tensor | null, rstd: Tensor, need: Need): Grads {
  const n = x.shape[x.ndim - 1];
  const rows = numel(x.shape.slice(0, -1));
  const pdt = w?.dtype ?? x.dtype;
  const dx = need.x ? Tensor.empty(x.shape, x.dtype, x.device) : null;
  const empty = rows === 0 || n === 0;
  // No rows: the parameter gradients are sums over nothing.
  const dw = need.w ? (empty ? full([n], 0, pdt, x.device) : Tensor.empty([n], pdt, x.device)) : null;
  const db = need.b ? (empty ? full([n], 0, pdt, x.device) : Tensor.empty([n], pdt, x.device)) : null;
  if (empty) return { dx, dw, db };
  const g = dense(dy, x.dtype);
  if (x.device === 'cpu') cpuBackward(g, x, w, mean, rstd, rows, n, dx, dw, db);
  else gpuBackward(g, x, w, mean, rstd, rows, n, dx, dw, db);
  if (g !== dy) g.dispose();
  return { dx, dw, db };
}

function cpuBackward(dy: Tensor, x: Tensor, w: Tensor | null, mean: Tensor | null, rstd: Tensor, rows: number, n: number,
  dx: Tensor | null, dw: Tensor | null, db: Tensor | null): void {
  const xd = x.data;
  const gd = dy.data;
  const wd = w?.data;
  const sw = dw ? new Float64Array(n) : null;
  const sb = db ? new Float64Array(n) : null;
  const xh = new Float64Array(n);
  const gw = new Float64Array(n);
  const st = storer(x.dtype);
  const f = f32Round(x.dtype);
  for (let r = 0; r < rows; r++) {
    const xb = x.offset + r * n;
    const gb = dy.offset + r * n;
    const mu = mean ? mean.data[r] : 0;
    const rs = rstd.data[r];
    let sg = 0;
    let sgx = 0;
    for (let j = 0; j < n; j++) {
      const gy = gd[gb + j];
      xh[j] = f(f(xd[xb + j] - mu) * rs);
      gw[j] = wd ? f(gy * wd[w!.offset + j]) : gy;
      sg += gw[j];
      sgx += f(gw[j] * xh[j]);
      if (sw) sw[j] += f(gy * xh[j]);
      if (sb) sb[j] += gy;
    }
    if (!dx) continue;
    const mg = mean ? f(f(sg) / n) : 0;
    const mgx = f(f(sgx) / n);
    for (let j = 0; j < n; j++) dx.data[r * n + j] = st(rs * f(f(gw[j] - mg) - f(xh[j] * mgx)));
  }
  const sp = storer((dw ?? db)?.dtype ?? 'float32');
  if (dw) for (let j = 0; j < n; j++) dw.data[j] = sp(sw![j]);
  if (db) for (let j = 0; j < n; j++) db.data[j] = sp(sb![j]);
}

function gpuBackward(dy: Tensor, x: Tensor, w: Tensor | null, mean: Tensor | null, rstd: Tensor, rows: number, n: number,
  dx: Tensor | null, dw: Tensor | null, db: Tensor | null): void {
  const gpu = x.storage.gpu!;
  const t = wgslType(x.dtype);
  const rms = mean === null;
  const cols = (dw ? n : 0) + (db ? n : 0);
  const maxGroups = Math.max(1, Math.min(MAX_GROUPS, Math.floor(P_LIMIT / Math.max(1, cols))));
  const per = Math.ceil(rows / maxGroups);
  const groups = Math.ceil(rows / per);
  if (!dx && !cols) return;
  const p = cols ? Tensor.empty([groups, cols], 'float32', x.device) : null;
  const flags = `${rms ? 'rms' : 'ln'}${w ? ':w' : ''}${dx ? ':dx' : ''}${dw ? ':dw' : ''}${db ? ':db' : ''}`;
  gpu.dispatch({
    key: `norm:bwd:${flags}:${t}`,
    wgsl: () => backwardWgsl(t, rms, w !== null, dx !== null, dw !== null, db !== null),
    inputs: [x.buffer, dy.buffer, ...(w ? [w.buffer] : []), ...(mean ? [mean.buffer] : []), rstd.buffer],
    outputs: [...(dx ? [dx.buffer] : []), ...(p ? [p.buffer] : [])],
    // dbcol: where the dbias columns start in P's rows
    uniforms: [rows, n, per, x.offset, dy.offset, w?.offset ?? 0, cols, dw ? n : 0],
    workgroups: groups,
  });
  if (!p) return;
  const ot = wgslType((dw ?? db)!.dtype);
  gpu.dispatch({
    key: `norm:colsum${dw ? ':dw' : ''}${db ? ':db' : ''}:${ot}`,
    wgsl: () => colSumWgsl(ot, dw !== null, db !== null),
    inputs: [p.buffer],
    outputs: [...(dw ? [dw.buffer] : []), ...(db ? [db.buffer] : [])],
    uniforms: [groups, cols, dw ? n : 0],
    workgroups: Math.ceil(cols / COLS),
  });
  p.dispose();
}

function backwardWgsl(t: string, rms: boolean, hasW: boolean, needX: boolean, needW: boolean, needB: boolean): string {
  const binds: Array<[string, string, boolean]> = [['X', t, false], ['GY', t, false]];
  if (hasW) binds.push(['W', t, false]);
  if (!rms) binds.push(['MEAN', 'f32', false]);
  binds.push(['RSTD', 'f32', false]);
  if (needX) binds.push(['DX', t, true]);
  if (needW || needB) binds.push(['P', 'f32', true]);
  const load = `let xh = (f32(X[xb + j]) - mu) * rs;
      let gy = f32(GY[gb + j]);
      let g = gy${hasW ? ' * f32(W[u.woff + j])' : ''};`;
  // The first row of a block stores, later rows add: P needs no clearing beforehand.
  const part = (col: string, v: string): string =>
    `if (row == r0) { P[pb + ${col}] = ${v}; } else { P[pb + ${col}] += ${v}; }`;
  let first = `      ${load}`;
  if (needX) first += '\n      acc += vec2<f32>(g, g * xh);';
  if (needW) first += `\n      ${part('j', 'gy * xh')}`;
  if (needB) first += `\n      ${part('u.dbcol + j', 'gy')}`;
  const dx = needX ? `
    let m = wgSum(acc, lid) * inv;
    for (var j = lid; j < u.n; j += ${WG}u) {
      ${load}
      DX[row * u.n + j] = ${t}(rs * (g${rms ? '' : ' - m.x'} - xh * m.y));
    }` : '';
  return `${enableF16(t)}struct U { rows: u32, n: u32, per: u32, xoff: u32, gyoff: u32, woff: u32, cols: u32, dbcol: u32 }
@group(0) @binding(0) var<uniform> u: U;
${bindings(binds)}
${wgSum('vec2<f32>')}
${MAIN_HEAD}
  let grp = wid.x + wid.y * nwg.x;
  let r0 = grp * u.per;
  if (r0 >= u.rows) { return; }
  let r1 = min(u.rows, r0 + u.per);
  let inv = 1.0 / f32(u.n);
  let pb = grp * u.cols;
  for (var row = r0; row < r1; row++) {
    let xb = u.xoff + row * u.n;
    let gb = u.gyoff + row * u.n;
    let mu = ${rms ? '0.0' : 'MEAN[row]'};
    let rs = RSTD[row];
    var acc = vec2<f32>(0.0);
    for (var j = lid; j < u.n; j += ${WG}u) {
${first}
    }${dx}
  }
}
`;
}

function colSumWgsl(t: string, needW: boolean, needB: boolean): string {
  const binds: Array<[string, string, boolean]> = [['P', 'f32', false]];
  if (needW) binds.push(['DW', t, true]);
  if (needB) binds.push(['DB', t, true]);
  const store = needW && needB ? `if (c < u.dbcol) { DW[c] = ${t}(s); } else { DB[c - u.dbcol] = ${t}(s); }`
    : `${needW ? 'DW' : 'DB'}[c] = ${t}(s);`;
  return `${enableF16(t)}struct U { groups: u32, cols: u32, dbcol: u32 }
@group(0) @binding(0) var<uniform> u: U;
${bindings(binds)}
var<workgroup> part: array<f32, ${COLS * LANES}>;
@compute @workgroup_size(${COLS}, ${LANES})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let c = (wid.x + wid.y * nwg.x) * ${COLS}u + l.x;
  var acc = 0.0;
  if (c < u.cols) {
    for (var g = l.y; g < u.groups; g += ${LANES}u) { acc += P[g * u.cols + c]; }
  }
  part[l.y * ${COLS}u + l.x] = acc;
  workgroupBarrier();
  if (l.y == 0u && c < u.cols) {
    var s = 0.0;
    for (var k = 0u; k < ${LANES}u; k++) { s += part[k * ${COLS}u + l.x]; }
    ${store}
  }
}
`;
}

// ---- the Function ----

class Norm extends Function {
  static override forward(ctx: Ctx, x: Tensor, w: Tensor | null, b: Tensor | null, eps: number, rms: boolean): Tensor {
    const op = rms ? 'rmsNorm' : 'layerNorm';
    const xc = dense(x, x.dtype);
    const wc = w && dense(w, w.dtype);
    const bc = b && dense(b, b.dtype);
    const { y, mean, rstd } = normForward(op, xc, wc, bc, eps, rms);
    ctx.saveForBackward(xc, wc, mean, rstd);
    return y;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [x, w, mean, rstd] = ctx.savedTensors;
    const [nx, nw, nb] = ctx.needsInputGrad;
    const { dx, dw, db } = normBackward(dy, x, w, mean, rstd, { x: nx, w: nw, b: nb });
    return [dx, dw, db, null, null];
  }
}

// ---- argument checks (all before any GPU work) ----

function checkParam(op: string, arg: string, p: unknown, x: Tensor): Tensor | null {
  if (p === null || p === undefined) return null;
  checkInput(op, p, arg);
  const n = x.shape[x.ndim - 1];
  if (p.ndim !== 1 || p.shape[0] !== n) {
    throw new Error(`${op}: ${arg} must have shape [${n}] (the last dim of input of shape ${fmtShape(x.shape)}), got ${arg} of shape ${fmtShape(p.shape)}`);
  }
  if (!isFloat(p.dtype)) throw new Error(`${op}: ${arg} must be a floating point tensor, got dtype ${p.dtype} (shape ${fmtShape(p.shape)})`);
  if (p.device !== x.device) throw new Error(`${op}: ${arg} is on ${p.device} but input is on ${x.device} (input shape ${fmtShape(x.shape)}, ${arg} shape ${fmtShape(p.shape)})`);
  return p;
}

function norm(op: string, x: unknown, weight: unknown, bias: unknown, eps: unknown, rms: boolean): Tensor {
  checkInput(op, x);
  if (x.ndim === 0) throw new Error(`${op}: input must have at least one dim (normalized over the last), got shape ${fmtShape(x.shape)}`);
  if (!isFloat(x.dtype)) throw new Error(`${op}: input must be a floating point tensor, got dtype ${x.dtype} (shape ${fmtShape(x.shape)}; cast with .float() first)`);
  let w = checkParam(op, 'weight', weight, x);
  let b = checkParam(op, 'bias', bias, x);
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw new Error(`${op}: eps must be a finite number >= 0, got ${describe(eps)}`);
  // Mixed dtypes compute in the promoted one, as the elementwise form did; the casts are
  // recorded so each gradient comes back in its input's dtype.
  const dt = [w, b].reduce((d: DType, p) => (p ? promote(d, p.dtype) : d), x.dtype);
  let xi: Tensor = x;
  if (xi.dtype !== dt) xi = cast(xi, dt);
  if (w && w.dtype !== dt) w = cast(w, dt);
  if (b && b.dtype !== dt) b = cast(b, dt);
  return Norm.apply(xi, w, b, eps, rms);
}

/**
 * Layer normalization over the last dim, as PyTorch's F.layer_norm with normalized_shape
 * [x.shape[-1]]: (x − mean) / √(var + eps) · weight + bias, with the biased variance.
 * weight and bias (shape [lastDim]) are optional.
 */
export function layerNorm(x: Tensor, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return norm('layerNorm', x, weight, bias, eps, false);
}

/**
 * RMS normalization over the last dim, as PyTorch's F.rms_norm: x / √(mean(x²) + eps) ·
 * weight. The default eps is the machine epsilon of the type it computes in, as PyTorch's:
 * float32's for float32 and float16, float64's for float64.
 */
export function rmsNorm(x: Tensor, weight: Tensor | null = null, eps?: number | null): Tensor {
  return norm('rmsNorm', x, weight, null, eps ?? (x instanceof Tensor && x.dtype === 'float64' ? 2 ** -52 : 2 ** -23), true);
}
