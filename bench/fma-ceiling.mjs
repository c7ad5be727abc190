// How fast float32 multiply-adds can go through WGSL on this adapter, apart from any real
// kernel: `node bench/fma-ceiling.mjs` times the inner product of the dense SIMT kernel
// (src/gemm/tiled.ts: 16x16 invocations, RM x RN outputs each as vec4 accumulators, operands
// read as vec4s, A by the invocation's row and B by its column) with the operands
// (a) kept in registers: the FMA ceiling of any f32 kernel written in WGSL;
// (b) read from workgroup memory every step, as tiled.ts reads them, with no global loads and
//     no barriers: the ceiling of that micro-tile once shared-memory reads are paid for.
// The dense f32 matmul can at best reach (b) for its tile (128x128, 8x8 per invocation).
// `--log [FILE]` appends the rows to the measurement log (bench/log.mjs; `--commit HASH`
// names the tree), `--json FILE` writes them alone.
import { writeFileSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { timeKernel } from './kernel-timer.mjs';
import { appendLog, logArg, runFields } from './log.mjs';

Object.assign(globalThis, globals);
const argv = process.argv.slice(2);
const jsonAt = argv.indexOf('--json');
const toggles = (process.env.SCATTERGRAD_DAWN_TOGGLES ?? process.env.GPU_DAWN_TOGGLES ?? '').split(' ').filter(Boolean);
const gpu = create(toggles);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
const device = await adapter.requestDevice({ requiredLimits: { maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize } });
const info = adapter.info ?? {};
const cpuAdapter = /llvmpipe|swiftshader|lavapipe/i.test(`${info.device} ${info.description}`);

// Enough workgroups to fill an H100 several times over (132 SMs); a CPU adapter gets a taste.
const WG = cpuAdapter ? 8 : 1056;
const ITER = cpuAdapter ? 64 : 4096;
const BK = 16; // the K step the dense kernel unrolls its inner product over

function kernel(src, RM, RN) {
  const GA = RM / 4;
  const GB = RN / 4;
  const SA4 = 4 * GA; // vec4s per k row of the shared A tile: 16 invocations x GA vec4s
  const SB4 = 4 * GB;
  let body = '';
  for (let k = 0; k < BK; k++) {
    for (let g = 0; g < GA; g++) body += src === 'regs' ? `      let a${k}_${g} = ra${(k + g) % 4};\n` : `      let a${k}_${g} = As[${k * SA4 * 4 + g * 16}u + ty];\n`;
    for (let j = 0; j < GB; j++) body += src === 'regs' ? `      let b${k}_${j} = rb${(k + j) % 4};\n` : `      let b${k}_${j} = Bs[${k * SB4 * 4 + j * 16}u + tx];\n`;
    for (let r = 0; r < RM; r++) {
      for (let j = 0; j < GB; j++) body += `      c${r}_${j} = fma(vec4<f32>(a${k}_${Math.floor(r / 4)}[${r % 4}]), b${k}_${j}, c${r}_${j});\n`;
    }
  }
  let acc = '';
  let sum = '';
  for (let r = 0; r < RM; r++) for (let j = 0; j < GB; j++) { acc += `  var c${r}_${j} = vec4<f32>(0.0);\n`; sum += ` + c${r}_${j}`; }
  return `@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> O: array<vec4<f32>>;
var<workgroup> As: array<vec4<f32>, ${BK * SA4 * 4}>;
var<workgroup> Bs: array<vec4<f32>, ${BK * SB4 * 4}>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tx = lid % 16u;
  let ty = lid / 16u;
  for (var i = lid; i < ${BK * SA4 * 4}u; i += 256u) { As[i] = A[i]; }
  for (var i = lid; i < ${BK * SB4 * 4}u; i += 256u) { Bs[i] = A[i + 7u]; }
  let ra0 = A[lid]; let ra1 = A[lid + 1u]; let ra2 = A[lid + 2u]; let ra3 = A[lid + 3u];
  let rb0 = A[lid + 4u]; let rb1 = A[lid + 5u]; let rb2 = A[lid + 6u]; let rb3 = A[lid + 7u];
  workgroupBarrier();
${acc}  for (var it = 0u; it < ${ITER / BK}u; it++) {
${body}  }
  O[wid.x * 256u + lid] = vec4<f32>(0.0)${sum};
}
`;
}

const rows = [];
async function time(src, RM, RN) {
  const name = `${src === 'regs' ? 'registers' : 'workgroup memory'} ${RM}x${RN} per invocation`;
  // Seeded operands near 1, so that the sums stay finite and nothing can be folded away.
  let seed = 7;
  const init = Float32Array.from({ length: 16 * 1024 }, () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return 1 + (seed / 2 ** 31 - 0.5) * 1e-3; });
  const r = await timeKernel(device, kernel(src, RM, RN), { inBytes: 64 * 1024, outBytes: WG * 256 * 16, workgroups: WG, init });
  if (r.error) { console.log(`${name}: ${r.error}`); return; }
  const flops = WG * 256 * ITER * RM * RN * 2;
  const tflops = flops / r.ms / 1e9;
  rows.push({ name, src, RM, RN, ms: r.ms, tflops });
  console.log(`${name.padEnd(40)} ${r.ms.toFixed(3).padStart(8)} ms ${tflops.toFixed(tflops < 1 ? 3 : 1).padStart(7)} TFLOP/s`);
}

console.log(`${info.description || info.device || info.vendor}: ${WG} workgroups of 256 x ${ITER} k steps (wall time)`);
for (const [RM, RN] of [[4, 4], [8, 8], [8, 16], [16, 8]]) {
  for (const src of ['regs', 'wg']) await time(src, RM, RN);
}
const adapterName = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
if (jsonAt >= 0) writeFileSync(argv[jsonAt + 1], JSON.stringify({ adapter: adapterName, rows }, null, 1));
const log = logArg(argv);
if (log) {
  const commitAt = argv.indexOf('--commit');
  const run = runFields({ adapter: adapterName, toggles, tool: 'bench/fma-ceiling.mjs', commit: commitAt >= 0 ? argv[commitAt + 1] : undefined });
  appendLog(rows.map((r) => ({ ...run, workload: `f32 FMA ceiling, ${r.name}`, config: 'default', dtype: 'float32', ms: r.ms, timing: 'wall', gflops: r.tflops * 1000, note: `${WG} workgroups of 256 x ${ITER} k steps` })), log);
}
device.destroy();
process.exit(0);
