// flattenSortCount: from each token's k expert choices to the grouped order the kernels
// walk. A stable counting sort of the flattened choices (ties keep scattered order):
//
//   choices [[2,0],[2,1],[0,2]], E = 3  ->  flattened [2,0,2,1,0,2]
//   sortedExpertIdxs    [0,0,1,2,2,2]
//   sortedScatteredIdxs [1,4,3,0,2,5]
//   expertOffsets       [2,3,6]          (inclusive cumulative counts)
//
// It is synchronous, so it can sit inside tidy() and a model's forward. Out-of-range expert
// indices (< 0 or >= E):
//   - CPU tensors: always checked; throws naming the first bad one.
//   - WebGPU tensors: checking needs a readback, which a synchronous call cannot wait for.
//     The sort puts bad choices in a tail bucket past expertOffsets[E-1], where every MoE
//     kernel treats them as belonging to no expert (zero output rows, no gradient), so
//     nothing is read or written out of bounds. With sg.debug(true) the indices are also
//     read back, and the returned `checked` promise rejects naming the first bad one (left
//     unawaited, Node reports it as an unhandled rejection, which ends the process).
import { Tensor, checkAllocation } from '../tensor/tensor.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { roundF16, wgslType, type DType } from '../tensor/dtype.js';
import { runtime } from '../backend/runtime.js';
import { f32Bits } from '../backend/webgpu.js';
import { full } from '../ops/view.js';
import { enableF16 } from '../ops/rows.js';
import { grid } from '../gemm/wgsl.js';

export interface FlattenSortCountResult {
  /** int32 [T·k]: the expert of each grouped row. */
  sortedExpertIdxs: Tensor;
  /** int32 [T·k]: the scattered row (t·k + j) each grouped row came from. */
  sortedScatteredIdxs: Tensor;
  /** int32 [E]: inclusive cumulative counts; expert e owns grouped rows [offsets[e-1], offsets[e]). */
  expertOffsets: Tensor;
  /** Resolves once the expert indices are known to be in range. Only in debug mode on
   * WebGPU does it do any work (a readback); elsewhere it is already resolved. */
  checked: Promise<void>;
}

const CHUNK = 256;
/** The WebGPU histogram lives in workgroup memory: E + 1 counters of 4 bytes. */
export const MAX_GPU_EXPERTS = 2048;

export function flattenSortCount(expertIdxs: Tensor, numExperts: number): FlattenSortCountResult {
  const r = route('flattenSortCount', expertIdxs, numExperts, null);
  return { sortedExpertIdxs: r.sortedExpertIdxs, sortedScatteredIdxs: r.sortedScatteredIdxs, expertOffsets: r.expertOffsets, checked: r.checked };
}

/** What flattenSortCountWithCounts adds: counts, and optionally counts · scale as floats. */
interface CountsWanted { scaled: { scale: number; dtype: DType } | null }

export interface FlattenSortCountWithCounts extends FlattenSortCountResult {
  /** int32 [E]: how many of the T·k choices each expert took (expertOffsets' differences). */
  expertCounts: Tensor;
  /** [E] of the asked dtype: expertCounts · scale; null when not asked for. */
  scaledCounts: Tensor | null;
}

/**
 * flattenSortCount that also returns per-expert counts and, when `scaled` is given, those
 * counts times `scaled.scale` in the float dtype `scaled.dtype` (nn.MoE's load-balancing
 * weights E·f_e). Internal, for nn.MoE. On WebGPU the scan that writes the offsets writes
 * these too, so they cost no dispatch: derived from the offsets with tensor ops they took
 * five (zeros, two copies for cat, sub, cast) before the scaling.
 */
export function flattenSortCountWithCounts(expertIdxs: Tensor, numExperts: number, scaled: { scale: number; dtype: DType } | null = null): FlattenSortCountWithCounts {
  const op = 'flattenSortCountWithCounts';
  if (scaled && (!Number.isFinite(scaled.scale) || !['float32', 'float16', 'float64'].includes(scaled.dtype))) {
    throw new Error(`${op}: scaled needs a finite scale and a float dtype, got scale ${scaled.scale}, dtype ${scaled.dtype}`);
  }
  const r = route(op, expertIdxs, numExperts, { scaled });
  return { ...r, expertCounts: r.expertCounts!, scaledCounts: r.scaledCounts ?? null };
}

type Routed = Omit<FlattenSortCountResult, 'checked'> & { expertCounts?: Tensor; scaledCounts?: Tensor };

function route(op: string, expertIdxs: Tensor, numExperts: number, want: CountsWanted | null): Routed & { checked: Promise<void> } {
  if (!(expertIdxs instanceof Tensor)) throw new Error(`${op}: expertIdxs must be a Tensor, got ${describe(expertIdxs)}`);
  expertIdxs.assertAlive(op);
  if (expertIdxs.dtype !== 'int32') throw new Error(`${op}: expertIdxs must be int32, got ${expertIdxs.dtype} (shape ${fmtShape(expertIdxs.shape)})`);
  if (expertIdxs.ndim !== 2) throw new Error(`${op}: expertIdxs must be 2-D (T, k), got shape ${fmtShape(expertIdxs.shape)}`);
  if (typeof numExperts !== 'number' || !Number.isInteger(numExperts) || numExperts < 1) throw new Error(`${op}: numExperts must be a positive integer, got ${describe(numExperts)}`);
  // The counts and offsets are numExperts long: a size past a tensor's limit is refused here, by name.
  checkAllocation(op, [numExperts], 'int32', expertIdxs.device);
  const [t, k] = expertIdxs.shape;
  const n = t * k;
  if (expertIdxs.device === 'cpu') return { ...sortCpu(expertIdxs, numExperts, want), checked: Promise.resolve() };
  if (numExperts > MAX_GPU_EXPERTS) throw new Error(`${op}: numExperts ${numExperts} exceeds ${MAX_GPU_EXPERTS}, the most the WebGPU histogram holds`);
  const checked = runtime.debug ? expertIdxs.toArray().then((a) => { validate(a, k, numExperts); }) : Promise.resolve();
  if (n === 0) return { ...emptyResult(numExperts, 'webgpu', want), checked };
  return { ...sortGpu(expertIdxs, numExperts, want), checked };
}

function validate(flat: ArrayLike<number>, k: number, numExperts: number): void {
  for (let i = 0; i < flat.length; i++) {
    const e = flat[i];
    if (e < 0 || e >= numExperts) {
      throw new Error(`flattenSortCount: expertIdxs[${Math.floor(i / k)}, ${i % k}] = ${e} is out of range for numExperts ${numExperts}`);
    }
  }
}

function emptyResult(numExperts: number, device: 'cpu' | 'webgpu', want: CountsWanted | null): Routed {
  return {
    sortedExpertIdxs: Tensor.empty([0], 'int32', device),
    sortedScatteredIdxs: Tensor.empty([0], 'int32', device),
    expertOffsets: full([numExperts], 0, 'int32', device),
    ...(want ? { expertCounts: full([numExperts], 0, 'int32', device) } : {}),
    ...(want?.scaled ? { scaledCounts: full([numExperts], 0, want.scaled.dtype, device) } : {}),
  };
}

function sortCpu(idx: Tensor, numExperts: number, want: CountsWanted | null): Routed {
  const [t, k] = idx.shape;
  const n = t * k;
  const flat = new Int32Array(n);
  for (let i = 0; i < n; i++) flat[i] = idx.data[idx.offset + Math.floor(i / k) * idx.strides[0] + (i % k) * idx.strides[1]];
  validate(flat, k, numExperts);
  const counts = new Int32Array(numExperts);
  for (let i = 0; i < n; i++) counts[flat[i]]++;
  const offsets = new Int32Array(numExperts);
  const next = new Int32Array(numExperts);
  let run = 0;
  for (let e = 0; e < numExperts; e++) {
    next[e] = run;
    run += counts[e];
    offsets[e] = run;
  }
  const sei = new Int32Array(n);
  const sse = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = next[flat[i]]++;
    sei[p] = flat[i];
    sse[p] = i;
  }
  const make = (a: Int32Array): Tensor => {
    const out = Tensor.empty([a.length], 'int32', 'cpu');
    out.data.set(a);
    return out;
  };
  const res: Routed = { sortedExpertIdxs: make(sei), sortedScatteredIdxs: make(sse), expertOffsets: make(offsets) };
  if (want) res.expertCounts = make(counts);
  if (want?.scaled) {
    const { scale, dtype } = want.scaled;
    const sc = Tensor.empty([numExperts], dtype, 'cpu');
    for (let e = 0; e < numExperts; e++) sc.data[e] = dtype === 'float16' ? roundF16(counts[e] * scale) : counts[e] * scale;
    res.scaledCounts = sc;
  }
  return res;
}

// ---- WebGPU: histogram per chunk, one exclusive scan, stable scatter ----
//
// counts is laid out bucket-major, counts[b * nChunks + c] = how many choices of chunk c
// went to bucket b (bucket E collects out-of-range indices), so one exclusive scan over it
// gives every (bucket, chunk) pair its first destination, in the order a stable sort needs.

function sortGpu(idx: Tensor, numExperts: number, want: CountsWanted | null): Routed {
  const [t, k] = idx.shape;
  const n = t * k;
  const nChunks = Math.ceil(n / CHUNK);
  const buckets = numExperts + 1;
  const gpu = idx.storage.gpu!;
  const counts = Tensor.empty([buckets * nChunks], 'int32', 'webgpu');
  const base = Tensor.empty([buckets * nChunks], 'int32', 'webgpu');
  const sei = Tensor.empty([n], 'int32', 'webgpu');
  const sse = Tensor.empty([n], 'int32', 'webgpu');
  const offsets = Tensor.empty([numExperts], 'int32', 'webgpu');
  const expertCounts = want ? Tensor.empty([numExperts], 'int32', 'webgpu') : null;
  const scaled = want?.scaled ? Tensor.empty([numExperts], want.scaled.dtype, 'webgpu') : null;
  const st = scaled ? wgslType(scaled.dtype) : null;
  const u = [n, numExperts, nChunks, k, idx.offset, idx.strides[0], idx.strides[1], f32Bits(want?.scaled?.scale ?? 0)];
  gpu.dispatch({ key: 'moe.fsc.hist', wgsl: histWgsl, inputs: [idx.buffer], outputs: [counts.buffer], uniforms: u, workgroups: grid(nChunks) });
  gpu.dispatch({
    key: `moe.fsc.scan${want ? ':counts' : ''}${st ? `:${st}` : ''}`,
    wgsl: () => scanWgsl(want !== null, st),
    inputs: [counts.buffer],
    outputs: [base.buffer, offsets.buffer, ...(expertCounts ? [expertCounts.buffer] : []), ...(scaled ? [scaled.buffer] : [])],
    uniforms: u,
    workgroups: 1,
  });
  gpu.dispatch({ key: 'moe.fsc.scatter', wgsl: scatterWgsl, inputs: [idx.buffer, base.buffer], outputs: [sei.buffer, sse.buffer], uniforms: u, workgroups: grid(nChunks) });
  counts.dispose();
  base.dispose();
  const res: Routed = { sortedExpertIdxs: sei, sortedScatteredIdxs: sse, expertOffsets: offsets };
  if (expertCounts) res.expertCounts = expertCounts;
  if (scaled) res.scaledCounts = scaled;
  return res;
}

const COMMON = `
struct U { n: u32, E: u32, nChunks: u32, k: u32, off: u32, s0: u32, s1: u32, scale: f32 }
@group(0) @binding(0) var<uniform> u: U;
const CHUNK = ${CHUNK}u;
`;

// The choice i = t·k + j of a (T, k) index tensor with any strides.
const LOAD = `
fn choice(i: u32) -> i32 { return IDX[u.off + (i / u.k) * u.s0 + (i % u.k) * u.s1]; }
fn bucketOf(e: i32) -> u32 { return select(u.E, u32(e), e >= 0 && u32(e) < u.E); }
`;

function histWgsl(): string {
  return `${COMMON}
@group(0) @binding(1) var<storage, read> IDX: array<i32>;
@group(0) @binding(2) var<storage, read_write> COUNTS: array<u32>;
${LOAD}
var<workgroup> hist: array<atomic<u32>, ${MAX_GPU_EXPERTS + 1}>;

@compute @workgroup_size(${CHUNK})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= u.nChunks) { return; }
  for (var b = tid; b <= u.E; b += CHUNK) { atomicStore(&hist[b], 0u); }
  workgroupBarrier();
  let i = c * CHUNK + tid;
  if (i < u.n) { atomicAdd(&hist[bucketOf(choice(i))], 1u); }
  workgroupBarrier();
  for (var b = tid; b <= u.E; b += CHUNK) { COUNTS[b * u.nChunks + c] = atomicLoad(&hist[b]); }
}
`;
}

/** `counts`: also write each expert's count (and, with `st`, count · u.scale as st) after the scan. */
function scanWgsl(counts = false, st: string | null = null): string {
  const extra = (counts ? '@group(0) @binding(4) var<storage, read_write> CNT: array<i32>;\n' : '') +
    (st ? `@group(0) @binding(5) var<storage, read_write> SC: array<${st}>;\n` : '');
  // Every OFFS entry is written by some thread of this one workgroup; storageBarrier makes
  // them all visible before each thread differences its experts' pair.
  const tail = counts ? `
  storageBarrier();
  for (var e = tid; e < u.E; e += CHUNK) {
    let c = OFFS[e] - select(0, OFFS[max(e, 1u) - 1u], e > 0u);
    CNT[e] = c;${st ? `\n    SC[e] = ${st}(f32(c) * u.scale);` : ''}
  }` : '';
  return `${st ? enableF16(st) : ''}${COMMON}
@group(0) @binding(1) var<storage, read> COUNTS: array<u32>;
@group(0) @binding(2) var<storage, read_write> BASE: array<u32>;
@group(0) @binding(3) var<storage, read_write> OFFS: array<i32>;
${extra}var<workgroup> buf: array<u32, ${CHUNK}>;

// One workgroup scans the whole (E + 1)·nChunks array, CHUNK entries per step, carrying the
// running total; the start of bucket e + 1 is expert e's inclusive offset.
@compute @workgroup_size(${CHUNK})
fn main(@builtin(local_invocation_index) tid: u32) {
  let len = (u.E + 1u) * u.nChunks;
  var carry = 0u;
  for (var s = 0u; s < len; s += CHUNK) {
    let i = s + tid;
    var v = 0u;
    if (i < len) { v = COUNTS[i]; }
    buf[tid] = v;
    workgroupBarrier();
    for (var d = 1u; d < CHUNK; d *= 2u) {
      var add = 0u;
      if (tid >= d) { add = buf[tid - d]; }
      workgroupBarrier();
      buf[tid] += add;
      workgroupBarrier();
    }
    let excl = carry + buf[tid] - v;
    if (i < len) {
      BASE[i] = excl;
      if (i % u.nChunks == 0u && i > 0u) { OFFS[i / u.nChunks - 1u] = i32(excl); }
    }
    carry += buf[CHUNK - 1u];
    workgroupBarrier();
  }${tail}
}
`;
}

function scatterWgsl(): string {
  return `${COMMON}
@group(0) @binding(1) var<storage, read> IDX: array<i32>;
@group(0) @binding(2) var<storage, read> BASE: array<u32>;
@group(0) @binding(3) var<storage, read_write> SEI: array<i32>;
@group(0) @binding(4) var<storage, read_write> SSE: array<i32>;
${LOAD}
var<workgroup> bucket: array<u32, ${CHUNK}>;

// Rank within the chunk = earlier choices of the chunk with the same bucket: that keeps
// ties in scattered order (a stable sort).
@compute @workgroup_size(${CHUNK})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= u.nChunks) { return; }
  let i = c * CHUNK + tid;
  var e = 0;
  var b = 0xffffffffu;
  if (i < u.n) {
    e = choice(i);
    b = bucketOf(e);
  }
  bucket[tid] = b;
  workgroupBarrier();
  if (i >= u.n) { return; }
  var rank = 0u;
  for (var j = 0u; j < tid; j++) { rank += select(0u, 1u, bucket[j] == b); }
  let dest = BASE[b * u.nChunks + c] + rank;
  SEI[dest] = e;
  SSE[dest] = i32(i);
}
`;
}
