// The plumbing every fused optimizer kernel shares: checks on the parameter and its
// gradient, the state a parameter keeps, and the batch that dispatches one step's updates.
// Each update reads the gradient and rewrites the parameter and its state in place, so
// parameter tensor objects stay the same.
//
// A training step on a real GPU is bound by host time per dispatch, and one dispatch per
// parameter made AdamW 28 of a small model's ~300. So run() packs several parameters into
// one dispatch: the updates of one kernel, dtype pair and flags form a group of up to
// maxParams() parameters, each with its own bindings (gradient, parameter, state), and a
// table in the uniforms maps every workgroup to a (parameter, chunk) pair.
import { Tensor } from '../tensor/tensor.js';
import { checkOptions, contiguousStrides, describe, fmtShape, shapesEqual } from '../tensor/shape.js';
import { isFloat, wgslType, type DType } from '../tensor/dtype.js';
import { copyRaw } from '../ops/elementwise.js';
import { full } from '../ops/view.js';
import { keep } from '../tensor/scope.js';
import type { GpuBackend } from '../backend/webgpu.js';

const WG = 256;
// A parameter gets one workgroup per WG elements, at most MAX_CHUNKS (each then strides
// further): a 7-element bias costs one workgroup, and a group's grid stays under the
// 65535 of one dimension (MAX_PARAMS * MAX_CHUNKS).
const MAX_CHUNKS = 4096;
// The uniform block is 16 vec4 words: a header (flags, first scalar in H), one per
// parameter (numel, parameter offset, gradient offset, first workgroup), and a sentinel
// holding the last parameter's end, so the lookup never reads past the block.
const MAX_PARAMS = 14;

/** Checks an optimizer's options: a plain object with only `keys`, each a finite number >= 0
 * unless listed in `booleans`; returns it. */
export function checkOptimizerOptions<T>(op: string, opts: unknown, keys: readonly string[], booleans: readonly string[] = []): T {
  for (const [k, v] of Object.entries(checkOptions(op, opts, keys))) {
    if (v === undefined || k === 'betas') continue;
    if (booleans.includes(k) ? typeof v !== 'boolean' : typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`${op}: ${k} must be ${booleans.includes(k) ? 'a boolean' : 'a finite number >= 0'}, got ${describe(v)}`);
    }
  }
  return (opts ?? {}) as T;
}

/** Refuses what a fused in-place update cannot handle, naming the optimizer and the parameter. */
export function checkParams(op: string, params: readonly Tensor[]): Tensor[] {
  if (!Array.isArray(params)) throw new Error(`${op}: params must be an array of tensors, got ${describe(params)}`);
  const seen = new Set<Tensor>();
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${op}: params[${i}] must be a Tensor, got ${describe(p)}`);
    p.assertAlive(op);
    if (!isFloat(p.dtype)) throw new Error(`${op}: params[${i}] has dtype ${p.dtype}; only floating point parameters can be optimized`);
    if (!p.isContiguous()) throw new Error(`${op}: params[${i}] (shape ${fmtShape(p.shape)}) is not contiguous; optimizers update parameters in place and need contiguous ones (make it with .contiguous() before training)`);
    // PyTorch's rule: a non-leaf is a function of other tensors, so updating it in place
    // would update nothing the graph learns from.
    if (p.gradFn) throw new Error(`${op}: params[${i}] (shape ${fmtShape(p.shape)}) is not a leaf tensor (it was computed by ${p.gradFn.name}); optimizers take leaves such as a module's parameters()`);
    if (seen.has(p)) throw new Error(`${op}: params[${i}] appears more than once`);
    seen.add(p);
  });
  return [...params];
}

/**
 * The gradient of `p` ready for a fused kernel: `p.grad` itself when it is contiguous (the
 * autograd engine always makes it so), else a contiguous copy the caller disposes.
 */
export function denseGrad(op: string, p: Tensor, i: number): Tensor {
  const g = p.grad!;
  g.assertAlive(op);
  if (!shapesEqual(g.shape, p.shape)) throw new Error(`${op}: params[${i}].grad has shape ${fmtShape(g.shape)} but the parameter has shape ${fmtShape(p.shape)}`);
  if (g.device !== p.device) throw new Error(`${op}: params[${i}].grad is on ${g.device} but the parameter is on ${p.device}`);
  if (!isFloat(g.dtype)) throw new Error(`${op}: params[${i}].grad has dtype ${g.dtype}`);
  // The kernel writes p while reading g; one buffer cannot be bound both ways in a dispatch.
  if (g.storage === p.storage) throw new Error(`${op}: params[${i}].grad shares memory with the parameter`);
  return g.isContiguous() ? g : copyRaw(g);
}

/** State kept beside a parameter: float32 (float64 for a float64 CPU parameter), filled with `init` (0). */
export function stateLike(p: Tensor, init = 0): Tensor {
  const dtype: DType = p.dtype === 'float64' ? 'float64' : 'float32';
  // keep(): a step inside the user's tidy() must not dispose the optimizer's state.
  return keep(full(p.shape, init, dtype, p.device));
}

/**
 * `count` float32 state tensors shaped like `p` (on WebGPU), filled with `init`, views of one allocation
 * with state s at offset s·numel. The fused kernel binds the allocation once: bindings are
 * what limit the parameters per dispatch, and AdamW's two moments would otherwise take two.
 */
export function stateBlock(p: Tensor, count: number, init = 0): Tensor[] {
  const block = full([count * p.numel], init, 'float32', p.device);
  try {
    const strides = contiguousStrides(p.shape);
    return Array.from({ length: count }, (_, s) => keep(block.withLayout(p.shape, strides, s * p.numel)));
  } finally {
    block.dispose(); // the views hold the storage
  }
}

/** Whether `states` are laid out as stateBlock(p, states.length) lays them out. */
export function isStateBlock(p: Tensor, states: ReadonlyArray<Tensor | undefined>): states is Tensor[] {
  return states.every((t, s) => t !== undefined && !t.disposed && t.storage === states[0]!.storage && t.offset === s * p.numel &&
    t.dtype === 'float32' && t.isContiguous() && shapesEqual(t.shape, p.shape));
}

export interface FusedKernel {
  /** Pipeline key prefix: the optimizer and its structural flags (never sizes or scalars). */
  name: string;
  /** Names of the float scalars the body reads as h.<name> (learning rate, betas, ...). */
  scalars: string[];
  /** How many float32 state tensors a parameter keeps, in one block (see stateBlock). */
  states: number;
  /** WGSL statements updating `p` (f32 var) from `g` (f32), h.<scalar>, the u32 `flags`
   * and the state values s0, s1, ... (f32 vars, loaded before and stored after). */
  body: string;
}

interface Update { k: FusedKernel; p: Tensor; g: Tensor; state: GPUBuffer | null; flags: number; scalars: () => number[] }

interface Group {
  key: string;
  updates: Update[];
  /** Buffers the group's dispatch reads, and writes: what a later update must not touch
   * the other way round for it to join (see place()). */
  reads: Set<GPUBuffer>;
  writes: Set<GPUBuffer>;
}

/**
 * One optimizer step's fused updates on WebGPU, dispatched together by run(). The scalars
 * of every update go into one small buffer written once per step, not into the uniforms:
 * they change every step (the bias corrections, a scheduled learning rate), and uniforms
 * that change every step would cost every dispatch a new bind group per step. They are
 * written as the host's part of the step (writeHost), so that a compiled step (sg.compile)
 * that replays this one computes them anew, from the optimizer's state at that time.
 */
export class FusedBatch {
  private updates: Update[] = [];

  /** Queues `k` over the parameter `p` with gradient `g`, state tensors `states` (a
   * stateBlock) and the `scalars` (in k.scalars order) that the function returns now. */
  add(k: FusedKernel, p: Tensor, g: Tensor, states: Tensor[], flags: number, scalars: () => number[]): void {
    const n = scalars().length;
    if (n !== k.scalars.length) throw new Error(`optim:${k.name}: ${n} scalars for ${k.scalars.length} names`);
    if (states.length !== k.states || !isStateBlock(p, states)) throw new Error(`optim:${k.name}: the state of a parameter must be ${k.states} views of one allocation (stateBlock)`);
    if (p.numel === 0) return;
    this.updates.push({ k, p, g, state: k.states ? states[0].buffer : null, flags, scalars });
  }

  /** Dispatches the updates. `advance` is the step's bookkeeping on the host (step counts),
   * done already for this step; a replay does it before computing the scalars again. */
  run(advance: () => void): void {
    if (this.updates.length === 0) return;
    const gpu = this.updates[0].p.storage.gpu!;
    const groups: Group[] = [];
    for (const u of this.updates) place(groups, u, maxParams(gpu, u.k));
    // H holds the groups' scalars one after another, in group order, so that a group finds
    // its parameter j's at a base (in its uniforms) + j · scalars per parameter.
    const hBase: number[] = [];
    let count = 0;
    for (const grp of groups) {
      hBase.push(count);
      count += grp.updates.length * grp.updates[0].k.scalars.length;
    }
    const scalars = (): Float32Array => Float32Array.from(groups.flatMap((grp) => grp.updates.flatMap((u) => u.scalars())));
    const h = Tensor.empty([count], 'float32', 'webgpu', 'optimizer');
    gpu.writeHost(h.buffer, 0, scalars(), () => { advance(); return scalars(); });
    try {
      groups.forEach((grp, i) => dispatchGroup(gpu, grp, h.buffer, hBase[i]));
    } finally {
      h.dispose();
    }
  }
}

/** Parameters per dispatch for `k`: H plus one binding each for gradient, parameter and state. */
function maxParams(gpu: GpuBackend, k: FusedKernel): number {
  const perParam = 2 + (k.states > 0 ? 1 : 0);
  return Math.max(1, Math.min(MAX_PARAMS, Math.floor((gpu.limits.maxStorageBuffersPerShaderStage - 1) / perParam)));
}

/**
 * Adds `u` to the newest group of its kind if that has room and neither it nor any later
 * group touches u's buffers in a conflicting way; else starts a new group. Groups dispatch
 * in creation order, so updates that share memory keep the order they were queued in (as
 * one dispatch per parameter had it), and no dispatch binds a buffer writable twice or
 * both ways, which Dawn rejects. Parameters with buffers of their own, the usual case,
 * never conflict, and the scan stops at the newest group of u's kind.
 */
function place(groups: Group[], u: Update, max: number): void {
  const key = `${u.k.name}:${wgslType(u.p.dtype)}:${wgslType(u.g.dtype)}:${u.flags}`;
  const writes = u.state ? [u.p.buffer, u.state] : [u.p.buffer];
  let target: Group | null = null;
  for (let i = groups.length - 1; i >= 0; i--) {
    const grp = groups[i];
    if (grp.writes.has(u.g.buffer) || writes.some((b) => grp.writes.has(b) || grp.reads.has(b))) break;
    if (grp.key === key) {
      if (grp.updates.length < max) target = grp;
      break;
    }
  }
  if (!target) groups.push(target = { key, updates: [], reads: new Set(), writes: new Set() });
  target.updates.push(u);
  target.reads.add(u.g.buffer);
  for (const b of writes) target.writes.add(b);
}

function dispatchGroup(gpu: GpuBackend, grp: Group, h: GPUBuffer, hBase: number): void {
  const { k, p, g, flags } = grp.updates[0];
  const pt = wgslType(p.dtype);
  const gt = wgslType(g.dtype);
  const n = grp.updates.length;
  // Everything here is the same every step of a steady loop (sizes, offsets, which
  // parameters), so the uniform block, and with it the cached bind group, is reused.
  const uniforms = [flags, hBase, 0, 0];
  let start = 0;
  for (const u of grp.updates) {
    uniforms.push(u.p.numel, u.p.offset, u.g.offset, start);
    start += Math.min(MAX_CHUNKS, Math.ceil(u.p.numel / WG));
  }
  uniforms.push(0, 0, 0, start);
  gpu.dispatch({
    key: `optim:${k.name}:${pt}:${gt}:${n}`,
    wgsl: () => fusedWgsl(k, pt, gt, n),
    inputs: [h, ...grp.updates.map((u) => u.g.buffer)],
    outputs: [...grp.updates.map((u) => u.p.buffer), ...grp.updates.flatMap((u) => (u.state ? [u.state] : []))],
    uniforms,
    workgroups: [start, 1, 1],
  });
}

/** The kernel for `n` parameters: parameter j's gradient, parameter and state are bound as
 * Gj, Pj and Stj, and the update body is written out once per j (switch cases), so that
 * each parameter's loop indexes fixed bindings. */
function fusedWgsl(k: FusedKernel, pt: string, gt: string, n: number): string {
  const f16 = pt === 'f16' || gt === 'f16';
  const js = Array.from({ length: n }, (_, j) => j);
  const binds = [`@group(0) @binding(1) var<storage, read> H: array<f32>;`];
  let b = 2;
  for (const j of js) binds.push(`@group(0) @binding(${b++}) var<storage, read> G${j}: array<${gt}>;`);
  for (const j of js) binds.push(`@group(0) @binding(${b++}) var<storage, read_write> P${j}: array<${pt}>;`);
  if (k.states) for (const j of js) binds.push(`@group(0) @binding(${b++}) var<storage, read_write> St${j}: array<f32>;`);
  // State s of the parameter with e.x elements sits at s · e.x in its block.
  const at = (s: number): string => (s === 0 ? 'i' : s === 1 ? 'e.x + i' : `${s}u * e.x + i`);
  const body = k.body.replace(/^\n+/, '').replace(/^/gm, '      ');
  const states = Array.from({ length: k.states }, (_, s) => s);
  const cases = js.map((j) => `    case ${j}u: {
      for (var i = c * ${WG}u + lid; i < e.x; i += chunks * ${WG}u) {
        let g = f32(G${j}[e.z + i]);
        var p = f32(P${j}[e.y + i]);
${states.map((s) => `        var s${s} = St${j}[${at(s)}];\n`).join('')}${body}
${states.map((s) => `        St${j}[${at(s)}] = s${s};\n`).join('')}        P${j}[e.y + i] = ${pt}(p);
      }
    }`);
  const fields = k.scalars.map((name) => `${name}: f32`).join(', ');
  const load = k.scalars.map((_, s) => `H[hb + ${s}u]`).join(', ');
  return `${f16 ? 'enable f16;\n' : ''}struct U { v: array<vec4<u32>, 16> }
struct Scalars { ${fields} }
@group(0) @binding(0) var<uniform> u: U;
${binds.join('\n')}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Which parameter this workgroup updates (e: numel, parameter offset, gradient offset,
  // first workgroup) and its chunk c of \`chunks\`; all of it is workgroup-uniform.
  let w = wid.x;
  var j = 1u;
  while (u.v[j + 1u].w <= w) { j++; }
  let e = u.v[j];
  let chunks = u.v[j + 1u].w - e.w;
  let c = w - e.w;
  let flags = u.v[0].x;
  let hb = u.v[0].y + (j - 1u) * ${k.scalars.length}u;
  let h = Scalars(${load});
  switch j - 1u {
${cases.join('\n')}
    default: {}
  }
}
`;
}
