// The two backward helpers of ScatteredExperts:
//   group:    out[p] = coef[s] · src[floor(s / fanOut)], s = sse[p]  (rows into grouped order)
//   groupXtY: dW[e] = Xg[range e]ᵀ · dYg[range e], db[e] = Σ dYg[range e]
// Each has a CPU loop and a WGSL kernel; none is recorded by autograd.
import { Tensor } from '../tensor/tensor.js';
import { grid, header, intAt, storeFn } from './wgsl.js';

const WG = 256;

function gpuDtype(t: Tensor): 'float32' | 'float16' {
  return t.dtype === 'float16' ? 'float16' : 'float32';
}

// ---- group ----

/**
 * Rows of `src` (R, D; any strides) gathered into grouped order: out[p] = src[floor(sse[p] /
 * fanOut)], times coef[sse[p]] when `coef` (viewed as (·, fanOut), any strides) is given.
 * That is the gates' fan-out: coef = gates (T, k), fanOut = k.
 */
export function group(src: Tensor, sse: Tensor, fanOut: number, coef: Tensor | null): Tensor {
  const n = sse.numel;
  const d = src.shape[1];
  const out = Tensor.empty([n, d], src.dtype, src.device);
  if (n === 0 || d === 0) return out;
  const [ss0, ss1] = src.strides;
  const [cs0, cs1] = coef ? coef.strides : [0, 0];
  if (src.device === 'cpu') {
    const s = intAt(sse);
    const sd = src.data;
    const od = out.data;
    const store = storeFn(out);
    for (let p = 0; p < n; p++) {
      const sc = s(p);
      if (sc < 0 || sc >= n) continue;
      const row = src.offset + Math.floor(sc / fanOut) * ss0;
      const c = coef ? coef.data[coef.offset + Math.floor(sc / fanOut) * cs0 + (sc % fanOut) * cs1] : 1;
      for (let j = 0; j < d; j++) od[p * d + j] = store(c * sd[row + j * ss1]);
    }
    return out;
  }
  const u = [n, d, fanOut, src.offset, ss0, ss1, sse.offset, coef ? coef.offset : 0, cs0, cs1, 0, 0];
  const blocks = Math.ceil((n * d) / WG);
  out.storage.gpu!.dispatch({
    key: `moe.group:${src.dtype}${coef ? ':coef' : ''}`,
    wgsl: () => groupWgsl(gpuDtype(src), coef !== null),
    inputs: coef ? [src.buffer, sse.buffer, coef.buffer] : [src.buffer, sse.buffer],
    outputs: [out.buffer],
    uniforms: u.map((v) => v >>> 0),
    workgroups: grid(blocks),
  });
  return out;
}

function groupWgsl(dtype: 'float32' | 'float16', hasCoef: boolean): string {
  return `${header(dtype)}
struct U { n: u32, d: u32, fanOut: u32, sOff: u32, ss0: u32, ss1: u32, iOff: u32, cOff: u32, cs0: u32, cs1: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> SRC: array<T>;
@group(0) @binding(2) var<storage, read> SSE: array<i32>;
${hasCoef ? '@group(0) @binding(3) var<storage, read> COEF: array<T>;\n' : ''}@group(0) @binding(${hasCoef ? 4 : 3}) var<storage, read_write> OUT: array<T>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.n * u.d) { return; }
  let p = i / u.d;
  let j = i % u.d;
  let s = bitcast<u32>(SSE[u.iOff + p]);
  var v = 0.0;
  if (s < u.n) {
    let r = s / u.fanOut;
    v = f32(SRC[u.sOff + r * u.ss0 + j * u.ss1]);
${hasCoef ? '    v *= f32(COEF[u.cOff + r * u.cs0 + (s % u.fanOut) * u.cs1]);\n' : ''}  }
  OUT[i] = T(v);
}
`;
}

// ---- groupXtY ----

/**
 * Per-expert Xᵀ·dY over each expert's grouped rows: dW (E, dIn, dOut) from xg (N, dIn) and
 * dyg (N, dOut), both grouped and with any strides; with `withBias`, also db (E, dOut), the
 * per-expert sum of dyg's rows. Experts with no rows get zeros.
 */
export function groupXtY(xg: Tensor, dyg: Tensor, offsets: Tensor, withBias: boolean): { dw: Tensor; db: Tensor | null } {
  const numE = offsets.numel;
  const n = xg.shape[0];
  const dIn = xg.shape[1];
  const dOut = dyg.shape[1];
  const dw = Tensor.empty([numE, dIn, dOut], xg.dtype, xg.device);
  const db = withBias ? Tensor.empty([numE, dOut], xg.dtype, xg.device) : null;
  if (xg.device === 'cpu') {
    xtyCpu(xg, dyg, offsets, dw, db);
    return { dw, db };
  }
  if (numE === 0 || dIn === 0 || dOut === 0) return { dw, db };
  const u = [n, numE, dIn, dOut, xg.offset, xg.strides[0], xg.strides[1], dyg.offset, dyg.strides[0], dyg.strides[1], offsets.offset, 0];
  dw.storage.gpu!.dispatch({
    key: `moe.groupXtY:${xg.dtype}${db ? ':b' : ''}`,
    wgsl: () => xtyWgsl(gpuDtype(xg), db !== null),
    inputs: [xg.buffer, dyg.buffer, offsets.buffer],
    outputs: db ? [dw.buffer, db.buffer] : [dw.buffer],
    uniforms: u.map((v) => v >>> 0),
    // x: experts, y: dIn tiles, z: dOut tiles (each well under the 65535 limit for real models)
    workgroups: [numE, Math.ceil(dIn / XT), Math.ceil(dOut / XT)],
  });
  return { dw, db };
}

function xtyCpu(xg: Tensor, dyg: Tensor, offsets: Tensor, dw: Tensor, db: Tensor | null): void {
  const numE = offsets.numel;
  const n = xg.shape[0];
  const dIn = xg.shape[1];
  const dOut = dyg.shape[1];
  const [xs0, xs1] = xg.strides;
  const [ys0, ys1] = dyg.strides;
  const xd = xg.data;
  const yd = dyg.data;
  const off = intAt(offsets);
  const store = storeFn(dw);
  const acc = new Float64Array(dIn * dOut);
  const bacc = new Float64Array(dOut);
  const dyRow = new Float64Array(dOut);
  let start = 0;
  for (let e = 0; e < numE; e++) {
    const end = Math.min(Math.max(off(e), start), n);
    acc.fill(0);
    bacc.fill(0);
    for (let p = start; p < end; p++) {
      for (let j = 0; j < dOut; j++) dyRow[j] = yd[dyg.offset + p * ys0 + j * ys1];
      for (let j = 0; j < dOut; j++) bacc[j] += dyRow[j];
      for (let i = 0; i < dIn; i++) {
        const xv = xd[xg.offset + p * xs0 + i * xs1];
        if (xv === 0) continue;
        const base = i * dOut;
        for (let j = 0; j < dOut; j++) acc[base + j] += xv * dyRow[j];
      }
    }
    const w = dw.data;
    for (let q = 0; q < dIn * dOut; q++) w[e * dIn * dOut + q] = store(acc[q]);
    if (db) for (let j = 0; j < dOut; j++) db.data[e * dOut + j] = store(bacc[j]);
    start = end;
  }
}

// Tile: XT×XT of one expert's dW, accumulated over its rows RK at a time; 16×16 threads, 2×2 each.
const XT = 32;
const RK = 16;

function xtyWgsl(dtype: 'float32' | 'float16', hasBias: boolean): string {
  return `${header(dtype)}
struct U { n: u32, E: u32, dIn: u32, dOut: u32, xOff: u32, xs0: u32, xs1: u32, yOff: u32, ys0: u32, ys1: u32, oOff: u32, pad: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> X: array<T>;
@group(0) @binding(2) var<storage, read> DY: array<T>;
@group(0) @binding(3) var<storage, read> OFF: array<i32>;
@group(0) @binding(4) var<storage, read_write> DW: array<T>;
${hasBias ? '@group(0) @binding(5) var<storage, read_write> DB: array<T>;\n' : ''}
const XT = ${XT}u;
const RK = ${RK}u;
var<workgroup> xt: array<f32, ${RK * XT}>;
var<workgroup> yt: array<f32, ${RK * XT}>;
var<workgroup> rowRange: vec2<u32>;

fn clampOff(i: u32, lo: u32) -> u32 { return clamp(u32(max(OFF[u.oOff + i], 0)), lo, u.n); }

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let e = wid.x;
  let i0 = wid.y * XT;
  let j0 = wid.z * XT;
  let tid = lid.y * 16u + lid.x;
  if (tid == 0u) {
    var start = 0u;
    if (e > 0u) { start = clampOff(e - 1u, 0u); }
    rowRange = vec2<u32>(start, clampOff(e, start));
  }
  let r = workgroupUniformLoad(&rowRange);
  var acc = array<vec2<f32>, 2>(vec2<f32>(0.0), vec2<f32>(0.0));
  var bacc = vec2<f32>(0.0);
  for (var p0 = r.x; p0 < r.y; p0 += RK) {
    for (var q = tid; q < RK * XT; q += 256u) {
      let p = p0 + q / XT;
      let c = q % XT;
      var xv = 0.0;
      var yv = 0.0;
      if (p < r.y && i0 + c < u.dIn) { xv = f32(X[u.xOff + p * u.xs0 + (i0 + c) * u.xs1]); }
      if (p < r.y && j0 + c < u.dOut) { yv = f32(DY[u.yOff + p * u.ys0 + (j0 + c) * u.ys1]); }
      xt[q] = xv;
      yt[q] = yv;
    }
    workgroupBarrier();
    for (var rr = 0u; rr < RK; rr++) {
      let a0 = xt[rr * XT + lid.y * 2u];
      let a1 = xt[rr * XT + lid.y * 2u + 1u];
      let b = vec2<f32>(yt[rr * XT + lid.x * 2u], yt[rr * XT + lid.x * 2u + 1u]);
      acc[0] += a0 * b;
      acc[1] += a1 * b;
      bacc += b;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 2u; i++) {
    let row = i0 + lid.y * 2u + i;
    if (row >= u.dIn) { continue; }
    for (var j = 0u; j < 2u; j++) {
      let col = j0 + lid.x * 2u + j;
      if (col < u.dOut) { DW[(e * u.dIn + row) * u.dOut + col] = T(acc[i][j]); }
    }
  }
${hasBias ? `  if (wid.y == 0u && lid.y == 0u) {
    for (var j = 0u; j < 2u; j++) {
      let col = j0 + lid.x * 2u + j;
      if (col < u.dOut) { DB[e * u.dOut + col] = T(bacc[j]); }
    }
  }
` : '  _ = bacc;\n'}}
`;
}
