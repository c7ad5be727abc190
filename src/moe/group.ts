// The two backward helpers of ScatteredExperts:
//   group:    out[p] = coef[s] · src[floor(s / fanOut)], s = sse[p]  (rows into grouped order)
//   groupXtY: dW[e] = Xg[range e]ᵀ · dYg[range e], db[e] = Σ dYg[range e], gathering Xg and dYg
//             from their sources as it loads them (src/gemm)
// Each has a CPU loop and a WGSL kernel; none is recorded by autograd.
import { Tensor } from '../tensor/tensor.js';
import { intAt, storeFn } from './wgsl.js';
import { grid, header } from '../gemm/wgsl.js';
import { runGemm, type RowSrc } from '../gemm/index.js';

export type { RowSrc };

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
 * Per-expert Aᵀ·D over each expert's grouped rows: dW (E, dIn, dOut), where grouped row p of
 * A is row p of a.t (a.grouped) or row floor(sse[p] / a.fan) (times a.coef), and likewise D;
 * with `withBias`, also db (E, dOut), the per-expert sum of D's rows. Experts with no rows get
 * zeros. On WebGPU the rows are gathered as the tiles load (no grouped copies).
 */
export function groupXtY(a: RowSrc, d: RowSrc, sse: Tensor, offsets: Tensor, withBias: boolean): { dw: Tensor; db: Tensor | null } {
  const numE = offsets.numel;
  const dIn = a.t.shape[1];
  const dOut = d.t.shape[1];
  const dw = Tensor.empty([numE, dIn, dOut], a.t.dtype, a.t.device);
  const db = withBias ? Tensor.empty([numE, dOut], a.t.dtype, a.t.device) : null;
  if (a.t.device === 'cpu') {
    const xg = a.grouped ? a.t : group(a.t, sse, a.fan, a.coef);
    const dyg = d.grouped ? d.t : group(d.t, sse, d.fan, d.coef);
    xtyCpu(xg, dyg, offsets, dw, db);
    if (xg !== a.t) xg.dispose();
    if (dyg !== d.t) dyg.dispose();
    return { dw, db };
  }
  if (numE === 0 || dIn === 0 || dOut === 0) return { dw, db };
  const clean = (s: RowSrc): RowSrc => (s.grouped ? { ...s, coef: null } : s);
  runGemm({
    M: dIn, N: dOut, K: sse.numel, batch: [], a: { kind: 'gathered', rows: clean(a) }, b: { kind: 'gathered', rows: clean(d) },
    out: { t: dw, scattered: false }, bias: db ? { t: db, sum: true } : null, groups: { index: sse, offsets },
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
  // float32 products rounded to float32 as on the GPU (an overflowing one is ±Inf); sums in doubles.
  const fr = dw.dtype === 'float64' ? (v: number) => v : Math.fround;
  let start = 0;
  for (let e = 0; e < numE; e++) {
    const end = Math.min(Math.max(off(e), start), n);
    acc.fill(0);
    bacc.fill(0);
    for (let p = start; p < end; p++) {
      for (let j = 0; j < dOut; j++) dyRow[j] = yd[dyg.offset + p * ys0 + j * ys1];
      for (let j = 0; j < dOut; j++) bacc[j] += dyRow[j];
      for (let i = 0; i < dIn; i++) {
        const xv = xd[xg.offset + p * xs0 + i * xs1]; // zeros too: 0 · ±Inf is NaN
        const base = i * dOut;
        for (let j = 0; j < dOut; j++) acc[base + j] += fr(xv * dyRow[j]);
      }
    }
    const w = dw.data;
    for (let q = 0; q < dIn * dOut; q++) w[e * dIn * dOut + q] = store(acc[q]);
    if (db) for (let j = 0; j < dOut; j++) db.data[e * dOut + j] = store(bacc[j]);
    start = end;
  }
}


// ---- sumK ----

/**
 * out[t] = Σ_{i<k} src[t·k + i] for a contiguous (T·k, D) src: each token's k dX rows summed
 * (one pass, vec4 where D allows; the generic reduction over a middle dim is much slower).
 */
export function sumK(src: Tensor, k: number): Tensor {
  const [n, d] = src.shape;
  if (src.device === 'cpu' || k === 1 || !src.isContiguous() || src.offset % 4 !== 0) return src.view([n / k, k, d]).sum(1);
  const t = n / k;
  const out = Tensor.empty([t, d], src.dtype, src.device);
  if (t === 0 || d === 0) return out;
  const v = d % 4 === 0 ? 4 : 1;
  const count = (t * d) / v;
  out.storage.gpu!.dispatch({
    key: `moe.sumK:${src.dtype}:${v}`,
    wgsl: () => sumKWgsl(gpuDtype(src), v),
    inputs: [src.buffer],
    outputs: [out.buffer],
    uniforms: [count, d / v, k, src.offset / v].map((x) => x >>> 0),
    workgroups: grid(Math.ceil(count / WG)),
  });
  return out;
}

function sumKWgsl(dtype: 'float32' | 'float16', v: number): string {
  const ty = v === 4 ? 'vec4<T>' : 'T';
  const f = v === 4 ? 'vec4<f32>' : 'f32';
  return `${header(dtype)}
struct U { count: u32, dv: u32, k: u32, off: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> S: array<${ty}>;
@group(0) @binding(2) var<storage, read_write> O: array<${ty}>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.count) { return; }
  let t = i / u.dv;
  let j = i % u.dv;
  var acc = ${f}(0.0);
  for (var q = 0u; q < u.k; q++) { acc += ${f}(S[u.off + (t * u.k + q) * u.dv + j]); }
  O[i] = ${ty}(acc);
}
`;
}
