// The dense kernels for products the tiled ones do not take: the scalar strided kernel (any
// layout and alignment), one invocation per output (tiny products) and one workgroup per
// output (few outputs over a long K). All share gemm/wgsl.ts's uniform layout.
import { matmulHeader, BATCH_BASES } from './wgsl.js';

// A 16x16 workgroup computes a 64x64 output tile, each invocation a 4x4 block held in
// registers, walking K in steps of 16 through shared memory (8 KiB: fits the 16 KiB every
// adapter offers). Rows and columns of the block are strided by 16 so that neighbouring
// invocations touch neighbouring shared-memory words and output columns.
export const TM = 64;
export const TN = 64;
export const BK = 16;
const WX = 16;
const WY = 16;
export const RM = TM / WY;
export const RN = TN / WX;
const THREADS = WX * WY;
const PAD_A = TM + 1; // A's tile is stored transposed; the pad keeps its stores off one bank

/** Invocations per workgroup of the per-output kernel. */
export const SMALL_WG = 256;

/** One invocation per output element over the flattened (batch, m, n) range: no shared
 * memory, no barriers; for products too small to fill a tile. Same uniforms as the tiled
 * kernel, with `total` counting outputs. With `n4` (N a multiple of 4, B and the output read
 * and written as vec4 along N) an invocation makes four neighbouring outputs and `total`
 * counts groups of four. */
export function smallWgsl(ta: string, tb: string, to: string, n4: boolean): string {
  if (!n4) {
    return `${matmulHeader(ta, tb, to)}
@compute @workgroup_size(${SMALL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${SMALL_WG}u;
  if (i >= u.total) { return; }
  let n = i % u.N;
  let m = (i / u.N) % u.M;
  var bi = i / (u.N * u.M);
${BATCH_BASES}  var acc = 0.0;
  for (var k = 0u; k < u.K; k++) {
    acc = fma(f32(A[baseA + m * u.rsA + k * u.csA]), f32(B[baseB + k * u.rsB + n * u.csB]), acc);
  }
  O[u.offO + i] = ${to}(acc);
}
`;
  }
  return `${matmulHeader(ta, `vec4<${tb}>`, `vec4<${to}>`)}
@compute @workgroup_size(${SMALL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${SMALL_WG}u;
  if (i >= u.total) { return; }
  let n4 = u.N / 4u;
  let n = (i % n4) * 4u;
  let m = (i / n4) % u.M;
  var bi = i / (n4 * u.M);
${BATCH_BASES}  let ba = baseA + m * u.rsA;
  let bb = baseB + n;
  var acc = vec4<f32>(0.0);
  // Four k per iteration, their loads independent: they are in flight together, not one
  // memory latency after another (the loop is not unrolled otherwise).
  var k = 0u;
  for (; k + 4u <= u.K; k += 4u) {
${[0, 1, 2, 3].map((q) => `    let a${q} = f32(A[ba + (k + ${q}u) * u.csA]);\n    let b${q} = vec4<f32>(B[(bb + (k + ${q}u) * u.rsB) / 4u]);\n`).join('')}${[0, 1, 2, 3].map((q) => `    acc = fma(vec4<f32>(a${q}), b${q}, acc);\n`).join('')}  }
  for (; k < u.K; k++) {
    acc = fma(vec4<f32>(f32(A[ba + k * u.csA])), vec4<f32>(B[(bb + k * u.rsB) / 4u]), acc);
  }
  // Groups of four are contiguous in the output: group i starts at element 4i.
  O[u.offO / 4u + i] = vec4<${to}>(acc);
}
`;
}

const DOT_WG = 64;

/** One workgroup per output over the flattened (batch, m, n) range: its invocations stride
 * along K (as vec4 when `k4`), then sum their partial sums in workgroup memory. */
export function dotWgsl(ta: string, tb: string, to: string, k4: boolean): string {
  const v = (t: string): string => (k4 ? `vec4<${t}>` : t);
  const step = k4 ? 4 * DOT_WG : DOT_WG;
  const body = (k: string): string => (k4
    ? `acc += dot(vec4<f32>(A[(a0 + ${k}) / 4u]), vec4<f32>(B[(b0 + ${k}) / 4u]));`
    : `acc = fma(f32(A[a0 + ${k} * u.csA]), f32(B[b0 + ${k} * u.rsB]), acc);`);
  return `${matmulHeader(v(ta), v(tb), to)}var<workgroup> part: array<f32, ${DOT_WG}>;

@compute @workgroup_size(${DOT_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = wid.x + wid.y * nwg.x;
  if (i >= u.total) { return; }
  let n = i % u.N;
  let m = (i / u.N) % u.M;
  var bi = i / (u.N * u.M);
${BATCH_BASES}  let a0 = baseA + m * u.rsA;
  let b0 = baseB + n * u.csB;
  var acc = 0.0;
  // Four steps per iteration, their loads independent (in flight together), then the rest.
  var k = lid${k4 ? ' * 4u' : ''};
  for (; k + ${3 * step}u < u.K; k += ${4 * step}u) {
${[0, 1, 2, 3].map((q) => `    ${body(`(k + ${q * step}u)`)}\n`).join('')}  }
  for (; k < u.K; k += ${step}u) {
    ${body('k')}
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${DOT_WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { O[u.offO + i] = ${to}(part[0]); }
}
`;
}

export function simpleWgsl(ta: string, tb: string, to: string): string {
  const loadsA = (TM * BK) / THREADS;
  const loadsB = (BK * TN) / THREADS;
  let fmaLines = '';
  for (let i = 0; i < RM; i++) fmaLines += `      acc[${i}] = fma(vec4<f32>(As[ak + l.y + ${i * WY}u]), bv, acc[${i}]);\n`;
  const bvec = Array.from({ length: RN }, (_, j) => `Bs[bk + l.x + ${j * WX}u]`).join(', ');
  let stores = '';
  for (let i = 0; i < RM; i++) {
    for (let j = 0; j < RN; j++) {
      stores += `  if (r${i} < u.M && c${j} < u.N) { O[baseO + r${i} * u.N + c${j}] = ${to}(acc[${i}][${j}]); }\n`;
    }
  }
  const rows = Array.from({ length: RM }, (_, i) => `  let r${i} = m0 + l.y + ${i * WY}u;\n`).join('');
  const cols = Array.from({ length: RN }, (_, j) => `  let c${j} = n0 + l.x + ${j * WX}u;\n`).join('');
  return `${matmulHeader(ta, tb, to)}var<workgroup> As: array<f32, ${BK * PAD_A}>;
var<workgroup> Bs: array<f32, ${BK * TN}>;

@compute @workgroup_size(${WX}, ${WY})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) l: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Workgroups are one linear range (tiles of N fastest, then M, then batch) so that no
  // count is bound by the 65535-per-dimension limit.
  let g = wid.x + wid.y * nwg.x;
  if (g >= u.total) { return; }
  let tn = g % u.tilesN;
  let tm = (g / u.tilesN) % u.tilesM;
  var bi = g / (u.tilesN * u.tilesM);
  let baseO = u.offO + bi * u.M * u.N;
${BATCH_BASES}  let m0 = tm * ${TM}u;
  let n0 = tn * ${TN}u;
  var acc: array<vec4<f32>, ${RM}>;
  let kTiles = (u.K + ${BK - 1}u) / ${BK}u;
  for (var kt = 0u; kt < kTiles; kt++) {
    let k0 = kt * ${BK}u;
    for (var s = 0u; s < ${loadsA}u; s++) {
      let e = lid + s * ${THREADS}u;
      let m = select(e / ${BK}u, e % ${TM}u, u.aMFast != 0u);
      let k = select(e % ${BK}u, e / ${TM}u, u.aMFast != 0u);
      var v = 0.0;
      if (m0 + m < u.M && k0 + k < u.K) { v = f32(A[baseA + (m0 + m) * u.rsA + (k0 + k) * u.csA]); }
      As[k * ${PAD_A}u + m] = v;
    }
    for (var s = 0u; s < ${loadsB}u; s++) {
      let e = lid + s * ${THREADS}u;
      let k = select(e / ${TN}u, e % ${BK}u, u.bKFast != 0u);
      let n = select(e % ${TN}u, e / ${BK}u, u.bKFast != 0u);
      var v = 0.0;
      if (k0 + k < u.K && n0 + n < u.N) { v = f32(B[baseB + (k0 + k) * u.rsB + (n0 + n) * u.csB]); }
      Bs[k * ${TN}u + n] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < ${BK}u; k++) {
      let ak = k * ${PAD_A}u;
      let bk = k * ${TN}u;
      let bv = vec4<f32>(${bvec});
${fmaLines}    }
    workgroupBarrier();
  }
${rows}${cols}${stores}}
`;
}
