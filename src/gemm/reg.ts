// The matmul kernel for CPU adapters (Mesa lavapipe/llvmpipe, SwiftShader). A workgroup is
// one subgroup; each invocation keeps RM rows x RN columns of outputs in registers, the lanes
// side by side along N, and A and B are read straight from the storage buffers: no workgroup
// memory, no barriers.
//
// Why not the tiled kernel: llvmpipe runs a workgroup on one CPU thread with its
// invocations as the lanes of SIMD vectors (8 lanes of 32 bits for AVX2), one coroutine per
// vector. Arithmetic is one instruction for all lanes, but a storage or workgroup load whose
// address may differ by lane, and inside a loop every load, is emitted as a loop over lanes
// with a mask test, a bounds check and a scalar load each: ~15 instructions per element and
// lane, so loads, not FLOPs, are the cost (about 95% of the tiled kernel's inner loop).
// Staging tiles in workgroup memory only adds loads and stores there, and each barrier
// switches every coroutine of the workgroup. So this kernel minimises loaded elements:
//  - B (per lane): each element feeds RM multiply-adds from registers;
//  - A (the same rows for every lane): each lane loads a different slice of the RM x 4 block
//    that the next four k need, and subgroupBroadcast hands every element to every lane (two
//    vector instructions), so each element is loaded once instead of once per lane.
// Per lane and multiply-add that is about 15/RM + 2/RN instructions of loading, against
// 15·(1/RM + 1/RN) when every lane loads its own A. vec4 loads save nothing per element
// (each component is checked on its own) but cost nothing either, and an operand is read as
// vec4 along whichever dim is contiguous: in SoA form a transposed vec4 is free.
//
// Rows and columns past the edge are clamped onto the last valid one for loading (no branch
// in the loop) and skipped when storing.
//
// Measured on Mesa 25.0 llvmpipe (LLVM 15, 256-bit, 2 cores), f32 512³: 14 ms with RM = 32,
// RN = 4; 17 with RM = 16; 19-20 with 64x4, 32x8 or 16x8 (spills, and compiles 2-4x longer);
// ~100 without broadcasts (4x8 per lane); 106 for the tiled kernel and 85 for TF.js's.
import { matmulHeader, BATCH_BASES } from './wgsl.js';
import type { RegTile } from './tiles.js';


/** How an operand is read: vec4 along K, vec4 along its outer dim (M for A, N for B), or scalars. */
export type RegMode = 'k4' | 'o4' | 's';


const CM = ['x', 'y', 'z', 'w'];

/**
 * WGSL for one config and layout. `aMode`/`bMode` say how A and B are read (see RegMode);
 * `o4`: the output is written as vec4 (N and its offset multiples of 4).
 */
export function regWgsl(c: RegTile, ta: string, tb: string, to: string, aMode: RegMode, bMode: RegMode, o4: boolean): string {
  const { RM, RN, lanes: L, bcast } = c;
  const vecA = aMode !== 's';
  const vecB = bMode !== 's';
  // Element e of an operand, whatever its binding's element type.
  const elemA = (e: string): string => (vecA ? `f32(A[(${e}) / 4u][(${e}) % 4u])` : `f32(A[${e}])`);
  const elemB = (e: string): string => (vecB ? `f32(B[(${e}) / 4u][(${e}) % 4u])` : `f32(B[${e}])`);
  let pre = '';
  for (let r = 0; r < RM; r++) for (let j = 0; j < RN; j++) pre += `  var c${r}_${j} = 0.0;\n`;
  let body = '';
  // ---- A: a(r, q) is the value of row m0 + r at k + q ----
  let a: (r: number, q: number) => string;
  if (bcast) {
    // The RM x 4 block is RM vec4s (or 4·RM scalars); lane l loads number l + L·t of them.
    if (aMode === 'k4') {
      for (let t = 0; t < RM / L; t++) pre += `  let pa${t} = baseA + min(m0 + lid + ${L * t}u, u.M - 1u) * u.rsA;\n`;
      for (let t = 0; t < RM / L; t++) body += `    let la${t} = vec4<f32>(A[(pa${t} + k) / 4u]);\n`;
      a = (r, q) => `subgroupBroadcast(la${Math.floor(r / L)}.${CM[q]}, ${r % L}u)`;
    } else if (aMode === 'o4') {
      // vec4 v covers rows 4·(v / 4) .. +3 at k + v % 4.
      for (let t = 0; t < RM / L; t++) {
        pre += `  let pa${t} = baseA + min(m0 + ((lid + ${L * t}u) / 4u) * 4u, u.M - 4u) + ((lid + ${L * t}u) % 4u) * u.csA;\n`;
      }
      for (let t = 0; t < RM / L; t++) body += `    let la${t} = vec4<f32>(A[(pa${t} + k * u.csA) / 4u]);\n`;
      a = (r, q) => { const v = q + 4 * Math.floor(r / 4); return `subgroupBroadcast(la${Math.floor(v / L)}.${CM[r % 4]}, ${v % L}u)`; };
    } else {
      // Scalar e covers row e / 4 at k + e % 4.
      for (let t = 0; t < (4 * RM) / L; t++) {
        pre += `  let pa${t} = baseA + min(m0 + (lid + ${L * t}u) / 4u, u.M - 1u) * u.rsA + ((lid + ${L * t}u) % 4u) * u.csA;\n`;
      }
      for (let t = 0; t < (4 * RM) / L; t++) body += `    let la${t} = f32(A[pa${t} + k * u.csA]);\n`;
      a = (r, q) => { const e = q + 4 * r; return `subgroupBroadcast(la${Math.floor(e / L)}, ${e % L}u)`; };
    }
    // Broadcast once per element, not once per use.
    const bc: string[] = [];
    for (let r = 0; r < RM; r++) for (let q = 0; q < 4; q++) bc.push(`    let a${r}_${q} = ${a(r, q)};\n`);
    body += bc.join('');
    a = (r, q) => `a${r}_${q}`;
  } else if (aMode === 'k4') {
    for (let r = 0; r < RM; r++) pre += `  let pa${r} = baseA + min(m0 + ${r}u, u.M - 1u) * u.rsA;\n`;
    for (let r = 0; r < RM; r++) body += `    let la${r} = vec4<f32>(A[(pa${r} + k) / 4u]);\n`;
    a = (r, q) => `la${r}.${CM[q]}`;
  } else if (aMode === 'o4') {
    for (let g = 0; g < RM / 4; g++) pre += `  let pa${g} = baseA + min(m0 + ${4 * g}u, u.M - 4u);\n`;
    for (let q = 0; q < 4; q++) for (let g = 0; g < RM / 4; g++) body += `    let la${g}_${q} = vec4<f32>(A[(pa${g} + (k + ${q}u) * u.csA) / 4u]);\n`;
    a = (r, q) => `la${r >> 2}_${q}.${CM[r & 3]}`;
  } else {
    for (let r = 0; r < RM; r++) pre += `  let pa${r} = baseA + min(m0 + ${r}u, u.M - 1u) * u.rsA;\n`;
    for (let r = 0; r < RM; r++) for (let q = 0; q < 4; q++) body += `    let la${r}_${q} = f32(A[pa${r} + (k + ${q}u) * u.csA]);\n`;
    a = (r, q) => `la${r}_${q}`;
  }
  // ---- B: b(j, q) is the value of column n0 + j at k + q, loaded by each lane ----
  let b: (j: number, q: number) => string;
  if (bMode === 'o4') {
    for (let g = 0; g < RN / 4; g++) pre += `  let pb${g} = baseB + min(n0 + ${4 * g}u, u.N - 4u);\n`;
    for (let q = 0; q < 4; q++) for (let g = 0; g < RN / 4; g++) body += `    let lb${g}_${q} = vec4<f32>(B[(pb${g} + (k + ${q}u) * u.rsB) / 4u]);\n`;
    b = (j, q) => `lb${j >> 2}_${q}.${CM[j & 3]}`;
  } else if (bMode === 'k4') {
    for (let j = 0; j < RN; j++) pre += `  let pb${j} = baseB + min(n0 + ${j}u, u.N - 1u) * u.csB;\n`;
    for (let j = 0; j < RN; j++) body += `    let lb${j} = vec4<f32>(B[(pb${j} + k) / 4u]);\n`;
    b = (j, q) => `lb${j}.${CM[q]}`;
  } else {
    for (let j = 0; j < RN; j++) pre += `  let pb${j} = baseB + min(n0 + ${j}u, u.N - 1u) * u.csB;\n`;
    for (let j = 0; j < RN; j++) for (let q = 0; q < 4; q++) body += `    let lb${j}_${q} = f32(B[pb${j} + (k + ${q}u) * u.rsB]);\n`;
    b = (j, q) => `lb${j}_${q}`;
  }
  // Each output's four products are summed before the one update of its accumulator: inside
  // a loop every assignment is a masked blend, so one per four products, not one per product.
  for (let r = 0; r < RM; r++) {
    for (let j = 0; j < RN; j++) body += `    c${r}_${j} += ${[0, 1, 2, 3].map((q) => `${a(r, q)} * ${b(j, q)}`).join(' + ')};\n`;
  }
  // K % 4 last steps (only where K is not read as vec4), each lane loading what it needs.
  let tail = '';
  if (aMode !== 'k4' && bMode !== 'k4') {
    tail = '  for (var k = kq; k < u.K; k++) {\n';
    for (let r = 0; r < RM; r++) tail += `    let ta${r} = ${elemA(`baseA + min(m0 + ${r}u, u.M - 1u) * u.rsA + k * u.csA`)};\n`;
    for (let j = 0; j < RN; j++) tail += `    let tb${j} = ${elemB(`baseB + k * u.rsB + min(n0 + ${j}u, u.N - 1u) * u.csB`)};\n`;
    for (let r = 0; r < RM; r++) for (let j = 0; j < RN; j++) tail += `    c${r}_${j} += ta${r} * tb${j};\n`;
    tail += '  }\n';
  }
  let store = '';
  for (let r = 0; r < RM; r++) {
    store += `  if (m0 + ${r}u < u.M) {\n    let o = baseO + (m0 + ${r}u) * u.N + n0;\n`;
    if (o4) {
      for (let g = 0; g < RN / 4; g++) {
        const v = [0, 1, 2, 3].map((i) => `c${r}_${4 * g + i}`).join(', ');
        store += `    if (n0 + ${4 * g}u < u.N) { O[(o + ${4 * g}u) / 4u] = vec4<${to}>(vec4<f32>(${v})); }\n`;
      }
    } else {
      for (let j = 0; j < RN; j++) store += `    if (n0 + ${j}u < u.N) { O[o + ${j}u] = ${to}(c${r}_${j}); }\n`;
    }
    store += '  }\n';
  }
  const vt = (t: string, vec: boolean): string => (vec ? `vec4<${t}>` : t);
  return `${matmulHeader(vt(ta, vecA), vt(tb, vecB), o4 ? `vec4<${to}>` : to, bcast ? 'enable subgroups;\n' : '')}
@compute @workgroup_size(${L})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= u.total) { return; }
  // Tiles of M fastest: consecutive workgroups (on llvmpipe's threads at the same time)
  // share B's column panel in the cache.
  let tm = g % u.tilesM;
  let tn = (g / u.tilesM) % u.tilesN;
  var bi = g / (u.tilesN * u.tilesM);
  let baseO = u.offO + bi * u.M * u.N;
${BATCH_BASES}  let m0 = tm * ${RM}u;
  let n0 = tn * ${L * RN}u + lid * ${RN}u;
${pre}  let kq = u.K - u.K % 4u;
  for (var k = 0u; k < kq; k += 4u) {
${body}  }
${tail}${store}}
`;
}
