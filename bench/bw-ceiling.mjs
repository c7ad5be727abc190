// How fast the MoE's memory-bound steps can go on this adapter, apart from the library: raw
// WebGPU, its own device and buffers, a batch of 20 dispatches per sample (wall time, median
// of 5). `node bench/bw-ceiling.mjs [--small]`; BW_ONLY=copy,combineLib picks variants,
// BW_FEATURES=shader-f16,... requests more device features. With T=16384, k=8, d=1024 (f32):
//   copy / read        a vec4 copy (1 GiB moved) and a read-only pass over the 512 MiB
//   combine*           out[t] = sum_q g[t, q] * S[t*k + q]   (the gates' combine bmm)
//   sumK*              out[t] = sum_q S[t*k + q]             (the MoE's dX sum over k)
//   dg*                dg[t, q] = <S[t*k + q], dy[t]>        (the gates' gradient bmm)
// combineLib and dgLib are the library's kernels for those bmms, copied as generated.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const toggles = (process.env.SCATTERGRAD_DAWN_TOGGLES ?? process.env.GPU_DAWN_TOGGLES ?? '').split(' ').filter(Boolean);
const gpu = create(toggles);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
const extra = (process.env.BW_FEATURES ?? '').split(',').filter(Boolean);
const feats = ['subgroups', 'timestamp-query', ...extra].filter((f) => adapter.features.has(f));
const only = process.env.BW_ONLY ? process.env.BW_ONLY.split(',') : null;
const lim = {};
for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxStorageBuffersPerShaderStage']) lim[k] = Number(adapter.limits[k]);
const device = await adapter.requestDevice({ requiredFeatures: feats, requiredLimits: lim });
const small = process.argv.includes('--small');
const T = small ? 512 : 16384, k = 8, d = 1024, dv = d / 4;
const WG = 256;
const U = device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
const S = device.createBuffer({ size: T * k * d * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
const Gt = device.createBuffer({ size: T * k * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
const Dy = device.createBuffer({ size: T * d * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
const O = device.createBuffer({ size: T * k * d * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
const R = device.createBuffer({ size: T * k * d * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
// Seeded data, so the variants' outputs can be compared.
let seed = 1;
const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) / 16777216 - 0.5; };
const fill = (buf, n) => { for (let c = 0; c < n; c += 1 << 22) { const m = Math.min(1 << 22, n - c); const a = new Float32Array(m); for (let i = 0; i < m; i++) a[i] = rnd(); device.queue.writeBuffer(buf, c * 4, a); } };
fill(S, T * k * d); fill(Gt, T * k); fill(Dy, T * d);

const hdr = (uf) => `struct U { ${uf} }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> S: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read> Dy: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> O: array<vec4<f32>>;
`;
const hdrS = (uf) => hdr(uf).replace('read_write> O: array<vec4<f32>>', 'read_write> O: array<f32>');
const UF = 'count: u32, dv: u32, k: u32, off: u32';
const gid = `@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>`;
const lin = `let i = gid.x + gid.y * nwg.x * ${WG}u;`;

const V = {};
V.copy = { bytes: 2 * T * k * d * 4, n: T * k * dv, wgsl: `${hdr(UF)}
@compute @workgroup_size(${WG}) fn main(${gid}) { ${lin} if (i >= u.count) { return; } O[i] = S[i]; }` };
V.copy8 = { bytes: 2 * T * k * d * 4, n: T * k * dv * 2, u: [T * k * dv * 2], wgsl: `${hdr(UF).replace(/vec4<f32>/g, 'vec2<f32>')}
@compute @workgroup_size(${WG}) fn main(${gid}) { ${lin} if (i >= u.count) { return; } O[i] = S[i]; }` };
V.copy2x = { bytes: 2 * T * k * d * 4, n: T * k * dv / 2, u: [T * k * dv / 2], wgsl: `${hdr(UF)}
@compute @workgroup_size(${WG}) fn main(${gid}) { ${lin} if (i >= u.count) { return; } let a = S[i]; let b = S[i + u.count]; O[i] = a; O[i + u.count] = b; }` };
V.copy4x = { bytes: 2 * T * k * d * 4, n: T * k * dv / 4, u: [T * k * dv / 4], wgsl: `${hdr(UF)}
@compute @workgroup_size(${WG}) fn main(${gid}) { ${lin} if (i >= u.count) { return; } let a = S[i]; let b = S[i + u.count]; let c = S[i + 2u * u.count]; let e = S[i + 3u * u.count]; O[i] = a; O[i + u.count] = b; O[i + 2u * u.count] = c; O[i + 3u * u.count] = e; }` };
V.copyAdj2 = { bytes: 2 * T * k * d * 4, n: T * k * dv / 2, u: [T * k * dv / 2], wgsl: `${hdr(UF)}
@compute @workgroup_size(${WG}) fn main(${gid}) { ${lin} if (i >= u.count) { return; } let a = S[2u * i]; let b = S[2u * i + 1u]; O[2u * i] = a; O[2u * i + 1u] = b; }` };
V.copyWg64 = { bytes: 2 * T * k * d * 4, n: T * k * dv, wg: 64, u: [T * k * dv], wgsl: `${hdr(UF)}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) { let i = gid.x + gid.y * nwg.x * 64u; if (i >= u.count) { return; } O[i] = S[i]; }` };
V.read = { bytes: T * k * d * 4, n: T * k * dv / 8, wgsl: `${hdr(UF)}
@compute @workgroup_size(${WG}) fn main(${gid}) { ${lin} if (i >= u.count) { return; }
  var a = vec4<f32>(0.0); for (var q = 0u; q < 8u; q++) { a += S[i + q * u.count]; } if (a.x == 1234.5) { O[i] = a; } }` };
const cbytes = T * k * d * 4 + T * d * 4 + T * k * 4;
// The library's combine today (matmul-small n4): batch dims decoded per invocation.
V.combineLib = { bytes: cbytes, n: T * dv, lib: true, wgsl: `struct U {
  M: u32, N: u32, K: u32, total: u32, tilesN: u32, tilesM: u32, nbd: u32, pad0: u32,
  offA: u32, rsA: u32, csA: u32, aMFast: u32, offB: u32, rsB: u32, csB: u32, bKFast: u32,
  offO: u32, pad1: u32, pad2: u32, pad3: u32, bshape: vec4<u32>, bsa: vec4<u32>, bsb: vec4<u32>, }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> Dy: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> O: array<vec4<f32>>;
@compute @workgroup_size(256)
fn main(${gid}) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.total) { return; }
  let n4 = u.N / 4u; let n = (i % n4) * 4u; let m = (i / n4) % u.M; var bi = i / (n4 * u.M);
  var baseA = u.offA; var baseB = u.offB;
  for (var d = u.nbd; d > 0u; d--) { let c = bi % u.bshape[d - 1u]; bi = bi / u.bshape[d - 1u]; baseA += c * u.bsa[d - 1u]; baseB += c * u.bsb[d - 1u]; }
  let ba = baseA + m * u.rsA; let bb = baseB + n;
  var acc = vec4<f32>(0.0);
  var k = 0u;
  for (; k + 4u <= u.K; k += 4u) {
${[0, 1, 2, 3].map((q) => `    let a${q} = f32(A[ba + (k + ${q}u) * u.csA]);\n    let b${q} = vec4<f32>(B[(bb + (k + ${q}u) * u.rsB) / 4u]);\n`).join('')}${[0, 1, 2, 3].map((q) => `    acc = fma(vec4<f32>(a${q}), b${q}, acc);\n`).join('')}  }
  for (; k < u.K; k++) { acc = fma(vec4<f32>(f32(A[ba + k * u.csA])), vec4<f32>(B[(bb + k * u.rsB) / 4u]), acc); }
  O[u.offO / 4u + i] = vec4<f32>(acc);
}` };
// Flat index math; gates and rows in a uniform loop.
V.combineFlat = { u: [T * dv], bytes: cbytes, n: T * dv, wgsl: `${hdr(UF)}
@compute @workgroup_size(${WG}) fn main(${gid}) { ${lin} if (i >= u.count) { return; }
  let t = i / u.dv; let j = i % u.dv; let r = t * u.k;
  var acc = vec4<f32>(0.0);
  for (var q = 0u; q < u.k; q++) { acc = fma(vec4<f32>(G[r + q]), S[(r + q) * u.dv + j], acc); }
  O[i] = acc; }` };
// Flat, eight rows' loads issued before any use (guarded, any k).
V.combine8 = { u: [T * dv], bytes: cbytes, n: T * dv, wgsl: `${hdr(UF)}
@compute @workgroup_size(${WG}) fn main(${gid}) { ${lin} if (i >= u.count) { return; }
  let t = i / u.dv; let j = i % u.dv; let r = t * u.k;
  var acc = vec4<f32>(0.0);
  for (var q0 = 0u; q0 < u.k; q0 += 8u) {
${[...Array(8).keys()].map((q) => `    var s${q} = vec4<f32>(0.0); var g${q} = 0.0; if (q0 + ${q}u < u.k) { s${q} = S[(r + q0 + ${q}u) * u.dv + j]; g${q} = G[r + q0 + ${q}u]; }\n`).join('')}${[...Array(8).keys()].map((q) => `    acc = fma(vec4<f32>(g${q}), s${q}, acc);\n`).join('')}  }
  O[i] = acc; }` };
// One workgroup per token: gates loaded once into workgroup memory.
V.combineWg = { u: [T], bytes: cbytes, n: T * WG, wgsl: `${hdr(UF)}
var<workgroup> gs: array<f32, 64>;
@compute @workgroup_size(${WG}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x; if (t >= u.count) { return; }
  let r = t * u.k;
  if (lid < u.k) { gs[lid] = G[r + lid]; }
  workgroupBarrier();
  for (var j = lid; j < u.dv; j += ${WG}u) {
    var acc = vec4<f32>(0.0);
    var q = 0u;
    for (; q + 4u <= u.k; q += 4u) {
${[0, 1, 2, 3].map((q) => `      let s${q} = S[(r + q + ${q}u) * u.dv + j];\n`).join('')}${[0, 1, 2, 3].map((q) => `      acc = fma(vec4<f32>(gs[q + ${q}u]), s${q}, acc);\n`).join('')}    }
    for (; q < u.k; q++) { acc = fma(vec4<f32>(gs[q]), S[(r + q) * u.dv + j], acc); }
    O[t * u.dv + j] = acc;
  } }` };
V.sumKLib = { u: [T * dv], bytes: T * k * d * 4 + T * d * 4, n: T * dv, wgsl: `${hdr(UF)}
@compute @workgroup_size(${WG}) fn main(${gid}) { ${lin} if (i >= u.count) { return; }
  let t = i / u.dv; let j = i % u.dv; var acc = vec4<f32>(0.0);
  for (var q = 0u; q < u.k; q++) { acc += vec4<f32>(S[u.off + (t * u.k + q) * u.dv + j]); }
  O[i] = vec4<f32>(acc); }` };
V.sumK8 = { u: [T * dv], bytes: T * k * d * 4 + T * d * 4, n: T * dv, wgsl: `${hdr(UF)}
@compute @workgroup_size(${WG}) fn main(${gid}) { ${lin} if (i >= u.count) { return; }
  let t = i / u.dv; let j = i % u.dv; let r = u.off + t * u.k * u.dv + j;
  var acc = vec4<f32>(0.0);
  for (var q0 = 0u; q0 < u.k; q0 += 8u) {
${[...Array(8).keys()].map((q) => `    var s${q} = vec4<f32>(0.0); if (q0 + ${q}u < u.k) { s${q} = S[r + (q0 + ${q}u) * u.dv]; }\n`).join('')}    acc += ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }
  O[i] = acc; }` };
const dbytes = T * k * d * 4 + T * d * 4 + T * k * 4;
// dgates today: one 64-invocation workgroup per output, vec4 along K, tree in workgroup memory.
V.dgLib = { u: [T * k], bytes: dbytes, n: T * k * 64, out1: true, wgsl: `${hdrS(UF)}
var<workgroup> part: array<f32, 64>;
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = wid.x + wid.y * nwg.x; if (i >= u.count) { return; }
  let t = i / u.k; let a0 = i * u.dv; let b0 = t * u.dv;
  var acc = 0.0; var kk = lid;
  for (; kk + 192u < u.dv; kk += 256u) {
${[0, 1, 2, 3].map((q) => `    acc += dot(S[a0 + kk + ${q * 64}u], Dy[b0 + kk + ${q * 64}u]);\n`).join('')}  }
  for (; kk < u.dv; kk += 64u) { acc += dot(S[a0 + kk], Dy[b0 + kk]); }
  part[lid] = acc; workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) { if (lid < s) { part[lid] += part[lid + s]; } workgroupBarrier(); }
  if (lid == 0u) { O[i] = part[0]; } }` };
// One workgroup per token: dy read once, the k dots reduced through workgroup memory.
V.dgWg = { u: [T], bytes: dbytes, n: T * WG, out1: true, wgsl: `${hdrS(UF)}
var<workgroup> part: array<f32, ${8 * WG}>;
@compute @workgroup_size(${WG}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x; if (t >= u.count) { return; }
  for (var q0 = 0u; q0 < u.k; q0 += 8u) {
    var acc: array<f32, 8>;
    for (var j = lid; j < u.dv; j += ${WG}u) {
      let y = Dy[t * u.dv + j];
${[...Array(8).keys()].map((q) => `      if (q0 + ${q}u < u.k) { acc[${q}] += dot(S[(t * u.k + q0 + ${q}u) * u.dv + j], y); }\n`).join('')}    }
    for (var q = 0u; q < 8u; q++) { part[q * ${WG}u + lid] = acc[q]; }
    workgroupBarrier();
    for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
      if (lid < s) { for (var q = 0u; q < 8u; q++) { part[q * ${WG}u + lid] += part[q * ${WG}u + lid + s]; } }
      workgroupBarrier();
    }
    if (lid < 8u && q0 + lid < u.k) { O[t * u.k + q0 + lid] = part[lid * ${WG}u]; }
    workgroupBarrier();
  } }` };
if (adapter.features.has('subgroups')) {
  // Same, the 256 partial sums of each dot added with subgroupAdd, then 8 subgroups' in workgroup memory.
  V.dgSg = { u: [T], bytes: dbytes, n: T * WG, out1: true, wgsl: `enable subgroups;\n${hdrS(UF)}
var<workgroup> part: array<f32, 512>;
@compute @workgroup_size(${WG}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32,
  @builtin(subgroup_size) sgs: u32, @builtin(subgroup_invocation_id) sli: u32) {
  let t = wid.x + wid.y * nwg.x; if (t >= u.count) { return; }
  let nsg = ${WG}u / sgs; let sg = lid / sgs;
  for (var q0 = 0u; q0 < u.k; q0 += 8u) {
    var acc: array<f32, 8>;
    for (var j = lid; j < u.dv; j += ${WG}u) {
      let y = Dy[t * u.dv + j];
${[...Array(8).keys()].map((q) => `      if (q0 + ${q}u < u.k) { acc[${q}] += dot(S[(t * u.k + q0 + ${q}u) * u.dv + j], y); }\n`).join('')}    }
    for (var q = 0u; q < 8u; q++) { let s = subgroupAdd(acc[q]); if (sli == 0u) { part[q * 64u + sg] = s; } }
    workgroupBarrier();
    if (lid < 8u && q0 + lid < u.k) { var s = 0.0; for (var g = 0u; g < nsg; g++) { s += part[lid * 64u + g]; } O[t * u.k + q0 + lid] = s; }
    workgroupBarrier();
  } }` };
}

function grid(n) { return n <= 65535 ? [n, 1] : [65535, Math.ceil(n / 65535)]; }

async function run(name, v) {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: v.wgsl });
  const pipe = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const err = await device.popErrorScope();
  if (err) { console.log(`${name}: ${err.message.split('\n').slice(0, 6).join(' | ')}`); return null; }
  const ent = [U, S, Gt, Dy, O].map((buffer, binding) => ({ binding, resource: { buffer } }));
  const layout = pipe.getBindGroupLayout(0);
  // 'auto' layouts drop unused bindings: keep only those the shader uses.
  let bg;
  for (const drop of [[], [3], [2], [2, 3]]) {
    device.pushErrorScope('validation');
    bg = device.createBindGroup({ layout, entries: ent.filter((e) => !drop.includes(e.binding)) });
    if (!(await device.popErrorScope())) break;
  }
  const wgs = v.n / (v.wg ?? (v.wgsl.includes('workgroup_id') ? (v.wgsl.includes('workgroup_size(64)') ? 64 : WG) : WG));
  let uni;
  if (v.u) uni = new Uint32Array([...v.u, dv, k, 0]);
  else if (v.lib) uni = new Uint32Array([1, d, k, T * dv, 0, 0, 1, 0, 0, k, 1, 0, 0, d, 1, 0, 0, 0, 0, 0, T, 1, 1, 1, k, 0, 0, 0, k * d, 0, 0, 0]);
  else if (name === 'copy') uni = new Uint32Array([T * k * dv, dv, k, 0]);
  else if (name === 'read') uni = new Uint32Array([T * k * dv / 8, dv, k, 0]);
  else if (name.startsWith('dgLib')) uni = new Uint32Array([T * k, dv, k, 0]);
  else if (wgs === T) uni = new Uint32Array([T, dv, k, 0]);
  else uni = new Uint32Array([T * dv, dv, k, 0]);
  device.queue.writeBuffer(U, 0, uni);
  const [gx, gy] = grid(wgs);
  const go = async (n) => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipe); pass.setBindGroup(0, bg);
    for (let i = 0; i < n; i++) pass.dispatchWorkgroups(gx, gy);
    pass.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  await go(2);
  const ts = [];
  const reps = small ? 2 : 20;
  for (let s = 0; s < 5; s++) { const t0 = performance.now(); await go(reps); ts.push((performance.now() - t0) / reps); }
  ts.sort((x, y) => x - y);
  // First outputs, to check the variants agree.
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(O, 0, R, 0, 4096);
  device.queue.submit([enc.finish()]);
  await R.mapAsync(GPUMapMode.READ, 0, 4096);
  const out = new Float32Array(R.getMappedRange(0, 4096).slice(0));
  R.unmap();
  const sumAbs = out.slice(0, 512).reduce((s, x) => s + Math.abs(x), 0);
  console.log(`${name.padEnd(14)} ${ts[2].toFixed(3).padStart(8)} ms ${(v.bytes / ts[2] / 1e6).toFixed(0).padStart(6)} GB/s   check ${sumAbs.toFixed(3)}`);
  return ts[2];
}

console.log(`${adapter.info.vendor} ${adapter.info.device} ${adapter.info.description}; T=${T} k=${k} d=${d} f32; features ${feats}; toggles ${toggles}`);
for (const [name, v] of Object.entries(V)) if (!only || only.includes(name)) await run(name, v);
device.destroy();
process.exit(0);
