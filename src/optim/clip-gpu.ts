// clipGradNorm on WebGPU in a handful of dispatches, whatever the number of gradients: a
// training step is host-bound on a real GPU, and four dispatches per gradient made clipping
// a fifth of a small model's step. Three kernels:
//   sumsq  one dispatch per group of gradients; every workgroup writes Σ g² (Σ |g|^p, or
//          max |g| for the infinity norm) over a strided chunk of one gradient into its own
//          slot of a partials buffer
//   norm   one workgroup combines the partials in a fixed order and writes the norm (sqrt,
//          the 1/p power, or the max) into the result
//   scale  one dispatch per group; multiplies by min(1, maxNorm / (norm + eps)) read from
//          the result, so nothing waits on a readback
// A group is up to MAX_BUFS distinct buffers (storage bindings are the scarce resource) and
// up to MAX_GRADS gradients (the uniform block holds one vec4 per gradient). Gradients that
// are views of one buffer share its binding: Dawn rejects a buffer bound writable twice.
import { Tensor } from '../tensor/tensor.js';
import { wgslType, type DType } from '../tensor/dtype.js';
import { f32Bits, type GpuBackend } from '../backend/webgpu.js';
import { WGSL_ISNAN } from '../ops/elementwise.js';

const WG = 256;
// A workgroup's share of a gradient is at least WG * PER_THREAD elements, and a gradient
// gets at most MAX_CHUNKS workgroups (each then strides further): a 7-element gradient costs
// one workgroup, a huge one a bounded number of partials for the single-workgroup norm pass.
const PER_THREAD = 4;
const MAX_CHUNKS = 1024;
// Uniforms are 16 vec4 words: a header, one per gradient, and a sentinel holding the last
// gradient's end, so the lookup below never reads past the block.
const MAX_GRADS = 14;
const MAX_BUFS_CAP = 8;
const EPS = 1e-6;

interface Group {
  dtype: DType;
  bufs: GPUBuffer[];
  grads: Tensor[];
}

/** Which norm: the 2-norm, the infinity norm (max |g|), or any other p > 0. */
type NormKind = 'two' | 'inf' | 'p';
const kindOf = (p: number): NormKind => (p === 2 ? 'two' : p === Infinity ? 'inf' : 'p');

/** The total p-norm of `grads` (contiguous, floating point, on `gpu`) as a 0-d float32 tensor; scales them in place. */
export function gpuClipGradNorm(gpu: GpuBackend, grads: readonly Tensor[], maxNorm: number, p = 2): Tensor {
  const kind = kindOf(p);
  // One binding in each kernel is not a gradient (partials out, or the norm in).
  const maxBufs = Math.max(1, Math.min(MAX_BUFS_CAP, gpu.limits.maxStorageBuffersPerShaderStage - 1));
  const groups = groupGrads(grads, maxBufs);
  const chunks = groups.map((g) => g.grads.map(chunkCount));
  const nPartials = chunks.flat().reduce((a, b) => a + b, 0);
  const partials = Tensor.empty([nPartials], 'float32', 'webgpu', 'clipGradNorm');
  const norm = Tensor.empty([], 'float32', 'webgpu', 'clipGradNorm');
  try {
    let base = 0;
    groups.forEach((grp, k) => {
      const gt = wgslType(grp.dtype);
      const n = grp.bufs.length;
      const total = chunks[k].reduce((a, b) => a + b, 0);
      gpu.dispatch({
        key: `optim:clip_sumsq:${gt}:${n}:${kind}`,
        wgsl: () => sumsqWgsl(gt, n, kind),
        inputs: grp.bufs,
        outputs: [partials.buffer],
        uniforms: uniformBlock(grp, chunks[k], [base, f32Bits(p), 0, 0]),
        workgroups: [total, 1, 1],
      });
      base += total;
    });
    gpu.dispatch({
      key: `optim:clip_norm:${kind}`,
      wgsl: () => normWgsl(kind),
      inputs: [partials.buffer],
      outputs: [norm.buffer],
      uniforms: [nPartials, f32Bits(p), 0, 0],
      workgroups: [1, 1, 1],
    });
    groups.forEach((grp, k) => {
      const gt = wgslType(grp.dtype);
      const n = grp.bufs.length;
      gpu.dispatch({
        key: `optim:clip_scale:${gt}:${n}`,
        wgsl: () => scaleWgsl(gt, n),
        inputs: [norm.buffer],
        outputs: grp.bufs,
        uniforms: uniformBlock(grp, chunks[k], [f32Bits(maxNorm), 0, 0, 0]),
        workgroups: [chunks[k].reduce((a, b) => a + b, 0), 1, 1],
      });
    });
  } catch (e) {
    norm.dispose();
    throw e;
  } finally {
    partials.dispose();
  }
  return norm;
}

/**
 * Groups of one dtype each, filled in input order, so the partials (and so the sum) come in
 * the same order every call. A gradient overlapping one already in its group starts a new
 * group: in one dispatch two workgroups would race on those elements, where torch scales
 * them once per appearance in the list.
 */
function groupGrads(grads: readonly Tensor[], maxBufs: number): Group[] {
  const groups: Group[] = [];
  const open = new Map<DType, Group>();
  for (const g of grads) {
    let grp = open.get(g.dtype);
    if (!grp || !fits(grp, g, maxBufs)) {
      grp = { dtype: g.dtype, bufs: [], grads: [] };
      groups.push(grp);
      open.set(g.dtype, grp);
    }
    if (!grp.bufs.includes(g.buffer)) grp.bufs.push(g.buffer);
    grp.grads.push(g);
  }
  return groups;
}

function fits(grp: Group, g: Tensor, maxBufs: number): boolean {
  if (grp.grads.length >= MAX_GRADS) return false;
  if (!grp.bufs.includes(g.buffer)) return grp.bufs.length < maxBufs;
  return !grp.grads.some((h) => h.buffer === g.buffer && h.offset < g.offset + g.numel && g.offset < h.offset + h.numel);
}

function chunkCount(g: Tensor): number {
  return Math.min(MAX_CHUNKS, Math.max(1, Math.ceil(g.numel / (WG * PER_THREAD))));
}

/** Header, then per gradient (numel, offset, binding slot, first workgroup), then the sentinel. */
function uniformBlock(grp: Group, chunks: number[], header: number[]): number[] {
  const words = [...header];
  let start = 0;
  grp.grads.forEach((g, j) => {
    words.push(g.numel, g.offset, grp.bufs.indexOf(g.buffer), start);
    start += chunks[j];
  });
  words.push(0, 0, 0, start);
  return words;
}

// Shared by sumsq and scale: which gradient this workgroup works on (g: numel, offset, slot,
// first workgroup), and its chunk c of `chunks`. Everything here is workgroup-uniform.
const LOOKUP = `
  let w = wid.x;
  var j = 1u;
  while (u.v[j + 1u].w <= w) { j++; }
  let g = u.v[j];
  let chunks = u.v[j + 1u].w - g.w;
  let c = w - g.w;`;

function head(gt: string): string {
  return `${gt === 'f16' ? 'enable f16;\n' : ''}struct U { v: array<vec4<u32>, 16> }
@group(0) @binding(0) var<uniform> u: U;
`;
}

/** One case per bound buffer, running `body(name)` over this workgroup's elements i (indexing name[g.y + i]). */
function perSlot(n: number, body: (name: string) => string): string {
  const cases = Array.from({ length: n }, (_, s) => `    case ${s}u: {
      for (var i = c * ${WG}u + lid; i < g.x; i += chunks * ${WG}u) { ${body(`G${s}`)} }
    }`);
  return `  switch g.z {\n${cases.join('\n')}\n    default: {}\n  }`;
}

// How each norm adds an element's |x| or a partial into s (the max keeps a NaN: WGSL's max
// need not, so it is tested on the bits).
const ADD_ELEM: Record<NormKind, string> = { two: 's += x * x;', inf: 's = maxn_(s, abs(x));', p: 'if (isnan_(x)) { s += x; } else if (x != 0.0) { s += pow(abs(x), bitcast<f32>(u.v[0].y)); }' };
const COMBINE = (kind: NormKind, a: string, b: string): string => (kind === 'inf' ? `${a} = maxn_(${a}, ${b});` : `${a} += ${b};`);
const MAXN = `${WGSL_ISNAN}fn maxn_(a: f32, b: f32) -> f32 { return select(max(a, b), a + b, isnan_(a) || isnan_(b)); }\n`;

function sumsqWgsl(gt: string, n: number, kind: NormKind): string {
  const binds = Array.from({ length: n }, (_, s) => `@group(0) @binding(${1 + s}) var<storage, read> G${s}: array<${gt}>;`);
  return `${head(gt)}${MAXN}${binds.join('\n')}
@group(0) @binding(${1 + n}) var<storage, read_write> P: array<f32>;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {${LOOKUP}
  var s = 0.0;
${perSlot(n, (G) => `let x = f32(${G}[g.y + i]); ${ADD_ELEM[kind]}`)}
${tree(kind)}
  if (lid == 0u) { P[u.v[0].x + w] = red[0]; }
}
`;
}

// A fixed-shape tree over the workgroup's values: the same result for the same inputs every run.
const tree = (kind: NormKind): string => `  red[lid] = s;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k = k >> 1u) {
    if (lid < k) { ${COMBINE(kind, 'red[lid]', 'red[lid + k]')} }
    workgroupBarrier();
  }`;

// The norm from the combined partials: sqrt, the 1/p power, or the max itself. WGSL's pow is
// undefined at 0 and need not keep a NaN (lavapipe's gave 0), so both are tested first: the
// same for each element's |x|^p above.
const FINISH: Record<NormKind, string> = {
  two: 'sqrt(red[0])', inf: 'red[0]',
  p: 'select(select(pow(red[0], 1.0 / bitcast<f32>(u.p)), 0.0, red[0] == 0.0), red[0], isnan_(red[0]))',
};

function normWgsl(kind: NormKind): string {
  return `struct U { n: u32, p: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> N: array<f32>;
var<workgroup> red: array<f32, ${WG}>;
${MAXN}@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < u.n; i += ${WG}u) { ${COMBINE(kind, 's', 'P[i]')} }
${tree(kind)}
  if (lid == 0u) { N[0] = ${FINISH[kind]}; }
}
`;
}

function scaleWgsl(gt: string, n: number): string {
  const binds = Array.from({ length: n }, (_, s) => `@group(0) @binding(${2 + s}) var<storage, read_write> G${s}: array<${gt}>;`);
  return `${head(gt)}${WGSL_ISNAN}@group(0) @binding(1) var<storage, read> N: array<f32>;
${binds.join('\n')}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {${LOOKUP}
  // PyTorch clamps the coefficient to at most 1, and a NaN norm stays NaN (so does every
  // gradient); WGSL's min(1.0, NaN) need not be NaN, so the NaN is tested on the bits.
  let q = bitcast<f32>(u.v[0].x) / (N[0] + ${EPS});
  let coef = select(min(1.0, q), q, isnan_(q));
${perSlot(n, (G) => `${G}[g.y + i] = ${gt}(f32(${G}[g.y + i]) * coef);`)}
}
`;
}
