// The fast dense matmul kernel: large workgroup tiles (128x128 by default), 8x8 outputs per
// invocation held in registers, vec4 loads from global memory, double-buffered shared
// memory (one barrier per K step) and a fully unrolled inner product with no bounds checks.
// It applies when every operand can be read as vec4 (its contiguous dim has stride 1 and an
// extent that is a multiple of 4, other strides and offsets multiples of 4); gemm/choose.ts
// picks it, its tile and its loop shape. Which dim is contiguous in A and in B is a flag in
// the pipeline key, so at most four pipelines per dtype and tile ever exist.
import { matmulHeader, BATCH_BASES, groupedTileOrder } from './wgsl.js';
import { kLoop, bufExpr, type Buf } from './kloop.js';
import type { SimtTile } from './tiles.js';

/** Workgroup memory: two buffers of A's and B's tiles, each row padded by 4 floats. */
export const sharedBytes = (c: SimtTile): number => 2 * c.BK * ((c.TM + 4) + (c.TN + 4)) * 4;

/**
 * WGSL placing invocation lid at column group tx and row group ty of a tile WX groups wide:
 * row by row (`bx` 0), or each 32 invocations a bx x (32 / bx) block, so that one NVIDIA warp
 * reads bx of B's vec4s and 32 / bx of A's per k from shared memory (8 x 4: 8 and 4, where
 * row by row it is 16 and 2).
 */
export function invocationXY(WX: number, T: number, bx = 0): string {
  const by = 32 / bx;
  if (!bx || WX % bx !== 0 || T % 32 !== 0 || (T / WX) % by !== 0) return `  let tx = lid % ${WX}u;\n  let ty = lid / ${WX}u;\n`;
  return `  let tx = lid % ${bx}u + ((lid / 32u) % ${WX / bx}u) * ${bx}u;\n  let ty = (lid % 32u) / ${bx}u + (lid / ${by * WX}u) * ${by}u;\n`;
}

/**
 * WGSL for one config. `aMFast`: A is contiguous along M (a transposed view), else along K.
 * `bKFast`: B is contiguous along K, else along N. Element types may differ per operand
 * (f16 operands are widened to f32 as they enter shared memory).
 */
export function tiledWgsl(c: SimtTile, ta: string, tb: string, to: string, aMFast: boolean, bKFast: boolean, exact = false, unroll2 = false, bx = 0, group = 8): string {
  const { TM, TN, BK, RM, RN } = c;
  const WX = TN / RN;
  const WY = TM / RM;
  const T = WX * WY;
  const SA4 = (TM + 4) / 4; // vec4s per row of As (k-major, padded)
  const SB4 = (TN + 4) / 4;
  const LA = (TM * BK) / 4 / T; // vec4 loads per invocation per K step
  const LB = (TN * BK) / 4 / T;
  const GA = RM / 4; // vec4 groups per invocation along M
  const GB = RN / 4;
  const rowStride4 = TM / GA / 4; // distance in vec4s between an invocation's row groups
  const colStride4 = TN / GB / 4;
  const comp = ['x', 'y', 'z', 'w'];
  // `exact`: M, N and K are whole tiles, so no load or store needs its bounds check.
  const guard = (cond: string): string => (exact ? '' : `if (${cond}) `);

  // ---- global -> registers (prefetch) and registers -> shared buffer `buf` ----
  const loads = (k0: string): string => {
    let s = '';
    for (let i = 0; i < LA; i++) {
      s += `    { let e = lid + ${i * T}u;\n`;
      if (aMFast) {
        s += `      let k = e / ${TM / 4}u; let mq = e % ${TM / 4}u; let gm = m0 + mq * 4u; let gk = ${k0} + k;\n`;
        s += `      pa${i} = vec4<f32>(0.0); ${guard('gm < u.M && gk < u.K')}{ pa${i} = vec4<f32>(A[(baseA + gk * u.csA + gm) / 4u]); } }\n`;
      } else {
        s += `      let m = e / ${BK / 4}u; let kq = e % ${BK / 4}u; let gm = m0 + m; let gk = ${k0} + kq * 4u;\n`;
        s += `      pa${i} = vec4<f32>(0.0); ${guard('gm < u.M && gk < u.K')}{ pa${i} = vec4<f32>(A[(baseA + gm * u.rsA + gk) / 4u]); } }\n`;
      }
    }
    for (let i = 0; i < LB; i++) {
      s += `    { let e = lid + ${i * T}u;\n`;
      if (!bKFast) {
        s += `      let k = e / ${TN / 4}u; let nq = e % ${TN / 4}u; let gn = n0 + nq * 4u; let gk = ${k0} + k;\n`;
        s += `      pb${i} = vec4<f32>(0.0); ${guard('gn < u.N && gk < u.K')}{ pb${i} = vec4<f32>(B[(baseB + gk * u.rsB + gn) / 4u]); } }\n`;
      } else {
        s += `      let n = e / ${BK / 4}u; let kq = e % ${BK / 4}u; let gn = n0 + n; let gk = ${k0} + kq * 4u;\n`;
        s += `      pb${i} = vec4<f32>(0.0); ${guard('gn < u.N && gk < u.K')}{ pb${i} = vec4<f32>(B[(baseB + gn * u.csB + gk) / 4u]); } }\n`;
      }
    }
    return s;
  };
  const stores = (buf: Buf): string => {
    const nba = `${bufExpr(buf, 'nb')} * ${BK * SA4}u`;
    const nbb = `${bufExpr(buf, 'nb')} * ${BK * SB4}u`;
    let s = '';
    for (let i = 0; i < LA; i++) {
      if (aMFast) s += `    { let e = lid + ${i * T}u; As[${nba} + (e / ${TM / 4}u) * ${SA4}u + e % ${TM / 4}u] = pa${i}; }\n`;
      else {
        s += `    { let e = lid + ${i * T}u; let m = e / ${BK / 4}u; let kq = e % ${BK / 4}u;\n`;
        s += `      let o = ${nba} + kq * ${4 * SA4}u + m / 4u; let c = m % 4u;\n`;
        for (let q = 0; q < 4; q++) s += `      As[o + ${q * SA4}u][c] = pa${i}.${comp[q]};\n`;
        s += '    }\n';
      }
    }
    for (let i = 0; i < LB; i++) {
      if (!bKFast) s += `    { let e = lid + ${i * T}u; Bs[${nbb} + (e / ${TN / 4}u) * ${SB4}u + e % ${TN / 4}u] = pb${i}; }\n`;
      else {
        s += `    { let e = lid + ${i * T}u; let n = e / ${BK / 4}u; let kq = e % ${BK / 4}u;\n`;
        s += `      let o = ${nbb} + kq * ${4 * SB4}u + n / 4u; let c = n % 4u;\n`;
        for (let q = 0; q < 4; q++) s += `      Bs[o + ${q * SB4}u][c] = pb${i}.${comp[q]};\n`;
        s += '    }\n';
      }
    }
    return s;
  };
  const regs = [
    ...Array.from({ length: LA }, (_, s) => `  var pa${s}: vec4<f32>;\n`),
    ...Array.from({ length: LB }, (_, s) => `  var pb${s}: vec4<f32>;\n`),
  ].join('');

  // ---- the inner product, unrolled over the K step ----
  let accDecl = '';
  for (let r = 0; r < RM; r++) for (let j = 0; j < GB; j++) accDecl += `  var c${r}_${j} = vec4<f32>(0.0);\n`;
  // `ab`, `bb`: WGSL offsets of the shared buffers being read.
  const inner = (ab: string, bb: string): string => {
    let t = '';
    for (let k = 0; k < BK; k++) {
      for (let g = 0; g < GA; g++) t += `    let a${k}_${g} = As[${ab} + ${k * SA4 + g * rowStride4}u + ty];\n`;
      for (let j = 0; j < GB; j++) t += `    let b${k}_${j} = Bs[${bb} + ${k * SB4 + j * colStride4}u + tx];\n`;
      for (let r = 0; r < RM; r++) {
        for (let j = 0; j < GB; j++) {
          t += `    c${r}_${j} = fma(vec4<f32>(a${k}_${Math.floor(r / 4)}.${comp[r % 4]}), b${k}_${j}, c${r}_${j});\n`;
        }
      }
    }
    return t;
  };
  let out = '';
  for (let r = 0; r < RM; r++) {
    out += `  { let gm = m0 + ${Math.floor(r / 4) * rowStride4 * 4 + (r % 4)}u + ty * 4u;\n    ${guard('gm < u.M')}{\n`;
    for (let j = 0; j < GB; j++) {
      out += `      { let gn = n0 + ${j * colStride4 * 4}u + tx * 4u; ${guard('gn < u.N')}{ O[(baseO + gm * u.N + gn) / 4u] = vec4<${to}>(c${r}_${j}); } }\n`;
    }
    out += '    }\n  }\n';
  }

  // Flat shared tiles: Dawn clamps each dynamic index into them (min(i, len - 1)). With the
  // buffer a variable that is every load of the inner product; unrolled by two, the buffer is a
  // constant and an index is a constant plus tx or ty, which Dawn proves in bounds.
  const loop = kLoop({
    kTiles: `(u.K + ${BK - 1}u) / ${BK}u`,
    step: BK,
    loads: (_set, k0) => loads(k0),
    stores: (buf) => stores(buf),
    body: (cur) => (cur === null ? inner('ab', 'bb') : inner(`${cur}u * ${BK * SA4}u`, `${cur}u * ${BK * SB4}u`)),
    unroll: unroll2 ? 2 : 1,
    head: `    let ab = nb * ${BK * SA4}u;\n    let bb = nb * ${BK * SB4}u;\n`,
    guardFirst: false,
  });

  return `${matmulHeader(`vec4<${ta}>`, `vec4<${tb}>`, `vec4<${to}>`)}var<workgroup> As: array<vec4<f32>, ${2 * BK * SA4}>;
var<workgroup> Bs: array<vec4<f32>, ${2 * BK * SB4}>;

@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= u.total) { return; }
${invocationXY(WX, T, bx)}${groupedTileOrder(group)}  let baseO = u.offO + bi * u.M * u.N;
${BATCH_BASES}  let m0 = tm * ${TM}u;
  let n0 = tn * ${TN}u;
${regs}${accDecl}
${loop}${out}}
`;
}
