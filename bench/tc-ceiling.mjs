// How fast Dawn's subgroup matrices can go on this adapter, apart from any real kernel:
// `node bench/tc-ceiling.mjs` times f16 x f16 -> f32 16x16x16 multiply-accumulates with the
// fragments (a) kept in registers, (b) reloaded from workgroup memory every step, (c) reloaded
// from a storage buffer every step. (a) is the ceiling the MoE and matmul kernels can hope
// for through WGSL; (b) and (c) what their operand loads cost. Needs
// chromium-experimental-subgroup-matrix (run with the toggles of ../shared/gpu/README.md).
import { create, globals } from 'webgpu';
import { timeKernel } from './kernel-timer.mjs';

Object.assign(globalThis, globals);
const toggles = (process.env.SCATTERGRAD_DAWN_TOGGLES ?? process.env.GPU_DAWN_TOGGLES ?? '').split(' ').filter(Boolean);
const gpu = create(toggles);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter.features.has('chromium-experimental-subgroup-matrix')) {
  console.log('adapter has no chromium-experimental-subgroup-matrix: nothing to measure');
  process.exit(0);
}
const device = await adapter.requestDevice({
  requiredFeatures: ['shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix'].filter((f) => adapter.features.has(f)),
  requiredLimits: { maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize },
});

const WG = 1056; // 8 per SM on a 132-SM H100
const ITER = 2048;

function kernel(src, SG, FM, FN) {
  let decl = '';
  let loads = '';
  let mma = '';
  let store = '';
  const L = 'subgroup_matrix_left<f16, 16, 16>';
  const R = 'subgroup_matrix_right<f16, 16, 16>';
  for (let i = 0; i < FM; i++) for (let j = 0; j < FN; j++) {
    decl += `  var c${i}_${j} = subgroup_matrix_result<f32, 16, 16>();\n`;
    store += `  subgroupMatrixStore<row_major>(&O, (wid.x * ${SG} + sid) * ${FM * FN * 256}u + ${(i * FN + j) * 256}u, c${i}_${j}, 16u);\n`;
  }
  const off = (x) => (src === 'regs' ? `sid * 64u + ${x}u` : src === 'wg' ? `(it & 1u) * 1024u + sid * 64u + ${x}u` : `((wid.x * 7u + it) % 64u) * 4096u + sid * 64u + ${x}u`);
  const arr = src === 'storage' ? 'A' : 'S';
  for (let i = 0; i < FM; i++) loads += `    let a${i} = subgroupMatrixLoad<${L}, row_major>(&${arr}, ${off(i * 16)}, 256u);\n`;
  for (let j = 0; j < FN; j++) loads += `    let b${j} = subgroupMatrixLoad<${R}, row_major>(&${arr}, ${off(2048 + j * 16)}, 256u);\n`;
  for (let i = 0; i < FM; i++) for (let j = 0; j < FN; j++) mma += `    c${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}_${j});\n`;
  const hoisted = src === 'regs';
  return `enable f16;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);
@group(0) @binding(0) var<storage, read> A: array<f16>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
var<workgroup> S: array<f16, 8192>;
@compute @workgroup_size(${SG * 32})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let sid = lid / 32u;
  for (var i = lid; i < 8192u; i += ${SG * 32}u) { S[i] = A[i]; }
  workgroupBarrier();
${decl}${hoisted ? loads : ''}  for (var it = 0u; it < ${ITER}u; it++) {
${hoisted ? '' : loads}${mma}  }
${store}}
`;
}

async function time(name, src, SG, FM, FN) {
  const r = await timeKernel(device, kernel(src, SG, FM, FN), { inBytes: 64 * 4096 * 2 + 8192 * 2, outBytes: WG * SG * FM * FN * 256 * 4, workgroups: WG });
  if (r.error) { console.log(`${name}: ${r.error}`); return; }
  const flops = WG * SG * ITER * FM * FN * 2 * 16 * 16 * 16;
  console.log(`${name.padEnd(40)} ${r.ms.toFixed(3).padStart(8)} ms ${(flops / r.ms / 1e9).toFixed(1).padStart(7)} TFLOP/s`);
}

console.log(`${adapter.info.description ?? adapter.info.device}: ${WG} workgroups x ${ITER} steps`);
for (const [SG, FM, FN] of [[4, 2, 2], [4, 4, 2], [4, 4, 4], [8, 4, 2], [1, 4, 4]]) {
  for (const src of ['regs', 'wg', 'storage']) await time(`${src} ${SG} subgroups ${FM}x${FN} fragments`, src, SG, FM, FN);
}
device.destroy();
process.exit(0);
