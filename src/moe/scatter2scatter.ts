// scatter2scatter: the grouped matmul at the heart of ScatteredExperts. For every grouped
// row p of expert e (the rows [offsets[e-1], offsets[e]) ), with s = sse[p]:
//   in  = x[p] (groupedIn) or x[floor(s / k)]
//   out = y[p] (groupedOut) or y[s]
//   y[out] = in · W[e] (+ b[e])
// W is read through its strides, so the transposed view Wᵀ used for dX costs no copy.
//
// Expert ranges come from `offsets`, not from sortedExpertIdxs: rows that belong to no range
// (those flattenSortCount sorted to the tail because their expert index was out of range)
// are written as zeros, so a bad index never makes a kernel read or write out of bounds.
import { Tensor } from '../tensor/tensor.js';
import { grid, header, intAt, storeFn } from './wgsl.js';

export interface S2SOptions {
  k: number;
  groupedIn: boolean;
  groupedOut: boolean;
}

/**
 * y (N, dOut) = the grouped matmul of x with w (E, dIn, dOut; any strides) over the N
 * grouped rows described by sse (int32 [N], contiguous) and offsets (int32 [E], contiguous).
 * Not recorded by autograd.
 */
export function scatter2scatter(x: Tensor, w: Tensor, bias: Tensor | null, sse: Tensor, offsets: Tensor, o: S2SOptions): Tensor {
  const n = sse.numel;
  const y = Tensor.empty([n, w.shape[2]], x.dtype, x.device);
  if (n === 0 || w.shape[2] === 0) return y;
  if (x.device === 'cpu') s2sCpu(x, w, bias, sse, offsets, o, y);
  else s2sGpu(x, w, bias, sse, offsets, o, y);
  return y;
}

// ---- CPU ----

function s2sCpu(x: Tensor, w: Tensor, bias: Tensor | null, sse: Tensor, offsets: Tensor, o: S2SOptions, y: Tensor): void {
  const [numE, dIn, dOut] = w.shape;
  const n = sse.numel;
  const [xs0, xs1] = x.strides;
  const [ws0, ws1, ws2] = w.strides;
  const xd = x.data;
  const wd = w.data;
  const yd = y.data;
  const s = intAt(sse);
  const off = intAt(offsets);
  const store = storeFn(y);
  const acc = new Float64Array(dOut);
  // Loop order follows W's layout: walk the unit-stride dim innermost.
  const rowMajorW = ws2 <= ws1;
  let start = 0;
  for (let e = 0; e < numE; e++) {
    const end = Math.min(Math.max(off(e), start), n);
    for (let p = start; p < end; p++) {
      const sc = s(p);
      if (sc < 0 || sc >= n) continue; // unreachable with validated indices; never out of bounds
      const xr = x.offset + (o.groupedIn ? p : Math.floor(sc / o.k)) * xs0;
      const wb = w.offset + e * ws0;
      if (rowMajorW) {
        acc.fill(0);
        for (let i = 0; i < dIn; i++) {
          const xv = xd[xr + i * xs1];
          if (xv === 0) continue;
          const wr = wb + i * ws1;
          for (let c = 0; c < dOut; c++) acc[c] += xv * wd[wr + c * ws2];
        }
      } else {
        for (let c = 0; c < dOut; c++) {
          let a = 0;
          const wc = wb + c * ws2;
          for (let i = 0; i < dIn; i++) a += xd[xr + i * xs1] * wd[wc + i * ws1];
          acc[c] = a;
        }
      }
      if (bias) {
        const bb = bias.offset + e * bias.strides[0];
        for (let c = 0; c < dOut; c++) acc[c] += bias.data[bb + c * bias.strides[1]];
      }
      const yr = y.offset + (o.groupedOut ? p : sc) * dOut;
      for (let c = 0; c < dOut; c++) yd[yr + c] = store(acc[c]);
    }
    start = end;
  }
  // Rows past the last range were left at zero by Tensor.empty (typed arrays start zeroed).
}

// ---- WebGPU ----

// Tile: BM grouped rows of one expert × BN output columns, BK of the inner dim per step;
// 16×16 threads, each owning a 2×2 block of outputs.
const BM = 32;
const BN = 32;
const BK = 16;

function s2sGpu(x: Tensor, w: Tensor, bias: Tensor | null, sse: Tensor, offsets: Tensor, o: S2SOptions, y: Tensor): void {
  const [numE, dIn, dOut] = w.shape;
  const n = sse.numel;
  // Every expert adds at most one partial block, and the tail of invalid rows one more:
  // sum_e ceil(c_e / BM) + ceil(tail / BM) <= ceil(n / BM) + E + 1.
  const rowBlocks = Math.ceil(n / BM) + numE + 1;
  const u = [
    n, numE, dIn, dOut, o.k, rowBlocks, x.offset, x.strides[0],
    x.strides[1], w.offset, w.strides[0], w.strides[1], w.strides[2], sse.offset, offsets.offset, y.offset,
    bias ? bias.offset : 0, bias ? bias.strides[0] : 0, bias ? bias.strides[1] : 0, 0,
  ];
  const gpu = y.storage.gpu!;
  gpu.dispatch({
    key: `moe.scatter2scatter:${x.dtype}:${o.groupedIn ? 'gi' : 'si'}${o.groupedOut ? 'go' : 'so'}${bias ? ':b' : ''}`,
    wgsl: () => s2sWgsl(x.dtype === 'float16' ? 'float16' : 'float32', o.groupedIn, o.groupedOut, bias !== null),
    inputs: bias ? [x.buffer, w.buffer, sse.buffer, offsets.buffer, bias.buffer] : [x.buffer, w.buffer, sse.buffer, offsets.buffer],
    outputs: [y.buffer],
    uniforms: u.map((v) => v >>> 0),
    workgroups: grid(rowBlocks, Math.ceil(dOut / BN)),
  });
}

function s2sWgsl(dtype: 'float32' | 'float16', groupedIn: boolean, groupedOut: boolean, hasBias: boolean): string {
  const outBinding = hasBias ? 6 : 5;
  return `${header(dtype)}
struct U {
  n: u32, E: u32, dIn: u32, dOut: u32, k: u32, rowBlocks: u32, xOff: u32, xs0: u32,
  xs1: u32, wOff: u32, ws0: u32, ws1: u32, ws2: u32, sOff: u32, oOff: u32, yOff: u32,
  bOff: u32, bs0: u32, bs1: u32, pad: u32,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> X: array<T>;
@group(0) @binding(2) var<storage, read> W: array<T>;
@group(0) @binding(3) var<storage, read> SSE: array<i32>;
@group(0) @binding(4) var<storage, read> OFF: array<i32>;
${hasBias ? '@group(0) @binding(5) var<storage, read> B: array<T>;\n' : ''}@group(0) @binding(${outBinding}) var<storage, read_write> Y: array<T>;

const BM = ${BM}u;
const BN = ${BN}u;
const BK = ${BK}u;
const NONE = 0xffffffffu;

var<workgroup> xs: array<f32, ${BM * BK}>;
var<workgroup> ws: array<f32, ${BK * BN}>;
var<workgroup> rowIn: array<u32, ${BM}>;
var<workgroup> rowOut: array<u32, ${BM}>;
// (expert, first row, end row, 1 if the expert is real / 0 for the zero-filled tail)
var<workgroup> tile: vec4<u32>;

// Which rows this row-block owns: walk the experts' ranges, counting BM-row blocks in each.
// Blocks past the last expert cover the tail of rows that belong to no expert.
fn findTile(rb: u32) -> vec4<u32> {
  var b = rb;
  var start = 0u;
  for (var e = 0u; e < u.E; e++) {
    let end = clamp(u32(max(OFF[u.oOff + e], 0)), start, u.n);
    let nb = (end - start + BM - 1u) / BM;
    if (b < nb) { return vec4<u32>(e, start + b * BM, min(start + (b + 1u) * BM, end), 1u); }
    b -= nb;
    start = end;
  }
  let first = start + b * BM;
  if (first < u.n) { return vec4<u32>(0u, first, min(first + BM, u.n), 0u); }
  return vec4<u32>(0u, 0u, 0u, 0u);
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let rb = wid.x + wid.y * nwg.x;
  if (rb >= u.rowBlocks) { return; }
  let tid = lid.y * 16u + lid.x;
  if (tid == 0u) { tile = findTile(rb); }
  let t = workgroupUniformLoad(&tile);
  if (t.z <= t.y) { return; }
  let e = t.x;
  if (tid < BM) {
    let p = t.y + tid;
    var ri = NONE;
    var ro = NONE;
    if (p < t.z) {
      let s = bitcast<u32>(SSE[u.sOff + p]);
      if (s < u.n) {
        ri = ${groupedIn ? 'p' : 's / u.k'};
        ro = ${groupedOut ? 'p' : 's'};
      }
    }
    rowIn[tid] = ri;
    rowOut[tid] = ro;
  }
  workgroupBarrier();
  let c0 = wid.z * BN;
  var acc = array<vec2<f32>, 2>(vec2<f32>(0.0), vec2<f32>(0.0));
  if (t.w == 1u) {
    let wBase = u.wOff + e * u.ws0;
    for (var k0 = 0u; k0 < u.dIn; k0 += BK) {
      for (var q = tid; q < BM * BK; q += 256u) {
        let ri = rowIn[q / BK];
        let kc = k0 + q % BK;
        var v = 0.0;
        if (ri != NONE && kc < u.dIn) { v = f32(X[u.xOff + ri * u.xs0 + kc * u.xs1]); }
        xs[q] = v;
      }
      for (var q = tid; q < BK * BN; q += 256u) {
        let kc = k0 + q / BN;
        let col = c0 + q % BN;
        var v = 0.0;
        if (kc < u.dIn && col < u.dOut) { v = f32(W[wBase + kc * u.ws1 + col * u.ws2]); }
        ws[q] = v;
      }
      workgroupBarrier();
      for (var kk = 0u; kk < BK; kk++) {
        let a0 = xs[(lid.y * 2u) * BK + kk];
        let a1 = xs[(lid.y * 2u + 1u) * BK + kk];
        let b = vec2<f32>(ws[kk * BN + lid.x * 2u], ws[kk * BN + lid.x * 2u + 1u]);
        acc[0] += a0 * b;
        acc[1] += a1 * b;
      }
      workgroupBarrier();
    }
  }
  for (var i = 0u; i < 2u; i++) {
    let ro = rowOut[lid.y * 2u + i];
    if (ro == NONE) { continue; }
    for (var j = 0u; j < 2u; j++) {
      let col = c0 + lid.x * 2u + j;
      if (col >= u.dOut) { continue; }
      var v = acc[i][j];
${hasBias ? '      if (t.w == 1u) { v += f32(B[u.bOff + e * u.bs0 + col * u.bs1]); }\n' : ''}      Y[u.yOff + ro * u.dOut + col] = T(v);
    }
  }
}
`;
}
