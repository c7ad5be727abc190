// float16 matmul on the tensor cores for the products the staged kernel (matmulTc in
// src/gemm/tc.ts, the default) does not take, such as A contiguous along M; through Dawn's
// chromium-experimental-subgroup-matrix:
// f16 x f16 -> f32 on 16x16x16 fragments, loaded straight from the storage buffers (the L1
// serves the reuse between subgroups), accumulated in f32 and rounded to f16 on the way out
// through a small workgroup scratch. It applies to float16 operands whose dims are multiples
// of 16 with a unit stride along M or K (A) and along K or N (B), where the adapter lists an
// f16->f32 16x16x16 config and a subgroup size of 32; everything else takes the SIMT kernels.
import { matmulHeader, BATCH_BASES, groupedTileOrder } from './wgsl.js';
import type { GpuBackend } from '../backend/webgpu.js';
import { knob } from '../backend/tuning.js';

interface SubgroupMatrixConfig { componentType: string; resultComponentType: string; M: number; N: number; K: number }

/** Fragments per subgroup (rows x cols of 16x16 fragments) and subgroups per workgroup. */
// One subgroup per workgroup: subgroupMatrixLoad/Store offsets must be workgroup-uniform, so
// they may depend on the workgroup id but not on which subgroup of a workgroup runs them.
export const SG = { FM: 4, FN: 4, SGM: 1, SGN: 1, SIZE: 32 };
export const SG_TM = 16 * SG.FM * SG.SGM;
export const SG_TN = 16 * SG.FN * SG.SGN;

const ok = new WeakMap<GpuBackend, boolean>();


/** Whether this adapter can run the subgroup-matrix kernel (f16 -> f32, 16x16x16, subgroups of
 * 32), and the noSubgroupMatrix knob does not rule it out. */
export function hasSubgroupMatrix(g: GpuBackend): boolean {
  if (knob('noSubgroupMatrix')) return false;
  let v = ok.get(g);
  if (v !== undefined) return v;
  v = false;
  if (g.features.has('chromium-experimental-subgroup-matrix') && g.features.has('shader-f16')) {
    const info = g.adapter.info as GPUAdapterInfo & { subgroupMatrixConfigs?: Iterable<SubgroupMatrixConfig>; subgroupMaxSize?: number };
    const cfgs = [...(info.subgroupMatrixConfigs ?? [])];
    v = cfgs.some((c) => c.componentType === 'f16' && c.resultComponentType === 'f32' && c.M === 16 && c.N === 16 && c.K === 16) &&
      g.subgroupSize === SG.SIZE && (info.subgroupMaxSize ?? SG.SIZE) === SG.SIZE;
  }
  ok.set(g, v);
  return v;
}

/** `aCol`: A is contiguous along M (read column-major); `bCol`: B is contiguous along K. */
export function subgroupWgsl(aCol: boolean, bCol: boolean): string {
  const { FM, FN, SGM, SGN, SIZE } = SG;
  const threads = SIZE * SGM * SGN;
  const L = 'subgroup_matrix_left<f16, 16, 16>';
  const R = 'subgroup_matrix_right<f16, 16, 16>';
  const C = 'subgroup_matrix_result<f32, 16, 16>';
  let decl = '';
  for (let i = 0; i < FM; i++) for (let j = 0; j < FN; j++) decl += `  var c${i}_${j} = ${C}();\n`;
  let body = '';
  for (let i = 0; i < FM; i++) {
    const off = aCol ? `baseA + k * u.csA + (sm + ${i * 16}u)` : `baseA + (sm + ${i * 16}u) * u.rsA + k`;
    body += `    let a${i} = subgroupMatrixLoad<${L}, ${aCol ? 'col_major' : 'row_major'}>(&A, ${off}, ${aCol ? 'u.csA' : 'u.rsA'});\n`;
  }
  for (let j = 0; j < FN; j++) {
    const off = bCol ? `baseB + (sn + ${j * 16}u) * u.csB + k` : `baseB + k * u.rsB + (sn + ${j * 16}u)`;
    body += `    let b${j} = subgroupMatrixLoad<${R}, ${bCol ? 'col_major' : 'row_major'}>(&B, ${off}, ${bCol ? 'u.csB' : 'u.rsB'});\n`;
  }
  for (let i = 0; i < FM; i++) for (let j = 0; j < FN; j++) body += `    c${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}_${j});\n`;
  let out = '';
  for (let i = 0; i < FM; i++) {
    for (let j = 0; j < FN; j++) {
      out += `  subgroupMatrixStore<row_major>(&S, 0u, c${i}_${j}, 16u);\n  workgroupBarrier();\n`;
      out += `  for (var q = 0u; q < 8u; q++) {\n    let e = lane * 8u + q; let r = e / 16u; let col = e % 16u;\n`;
      out += `    O[baseO + (sm + ${i * 16}u + r) * u.N + sn + ${j * 16}u + col] = f16(S[e]);\n  }\n  workgroupBarrier();\n`;
    }
  }
  return `${matmulHeader('f16', 'f16', 'f16', 'enable chromium_experimental_subgroup_matrix;\n')}var<workgroup> S: array<f32, 256>;

@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  // Uniform per workgroup, so the barriers below stay in uniform control flow.
  if (g >= u.total) { return; }
${groupedTileOrder(8)}  let baseO = u.offO + bi * u.M * u.N;
${BATCH_BASES}  let lane = lid;
  // Tiles of a partial edge are clamped onto the last full fragment block and recompute it
  // (M and N are multiples of 16, not of the workgroup tile).
  let sm = min(tm * ${SG_TM}u, u.M - ${16 * FM}u);
  let sn = min(tn * ${SG_TN}u, u.N - ${16 * FN}u);
${decl}
  for (var k = 0u; k < u.K; k += 16u) {
${body}  }
${out}}
`;
}
