// The row machinery every per-row op shares (reductions, softmax, logsumexp, topk, the
// norms): a problem's kept dims enumerate rows, its reduced dims run along a row, and each
// operand is read or written through its own strides. Also the argument checks those ops
// share. Kernels are in the op files; this holds only the plan, the CPU row walk and the
// WGSL uniform block.
import { Tensor } from '../tensor/tensor.js';
import { roundF16, type DType } from '../tensor/dtype.js';
import { describe, normDim, numel } from '../tensor/shape.js';
import { f32Bits } from '../backend/webgpu.js';
import { coalesce, MAX_DIMS } from './map.js';

/** Threads per workgroup of the row kernels. */
export const WG = 64;

/** A tensor as a row kernel sees it: its strides (indexed by the problem's dims) and offset. */
export interface RowOperand { strides: readonly number[]; offset: number }

export interface RowPlan {
  rows: number; // product of the kept dims
  n: number; // product of the reduced dims: the length of a row
  shape: number[]; // the kept dims, coalesced
  strides: number[][]; // per operand, over the coalesced kept dims
  rs: number[]; // per operand, its stride along a row
  offs: number[]; // per operand, its element offset
}

/**
 * Plans a row problem over `shape` with reduced dims `red` for up to four operands; null
 * when the reduced dims do not collapse into one stride for every operand (the caller copies).
 */
export function rowPlan(shape: readonly number[], red: readonly number[], ops: readonly RowOperand[]): RowPlan | null {
  const kept = shape.map((_, i) => i).filter((i) => !red.includes(i));
  const k = coalesce(kept.map((d) => shape[d]), ops.map((o) => kept.map((d) => o.strides[d])));
  const r = coalesce(red.map((d) => shape[d]), ops.map((o) => red.map((d) => o.strides[d])));
  if (r.shape.length > 1) return null;
  return {
    rows: numel(kept.map((d) => shape[d])),
    n: numel(red.map((d) => shape[d])),
    shape: k.shape,
    strides: k.strides,
    rs: r.shape.length ? r.strides.map((s) => s[0]) : ops.map(() => 0),
    offs: ops.map((o) => o.offset),
  };
}

/** CPU: calls f(row, bases) for every row; bases[i] is operand i's offset of the row's first element. */
export function forEachRow(p: RowPlan, f: (row: number, b: number[]) => void): void {
  const nd = p.shape.length;
  const idx = new Array<number>(nd).fill(0);
  const b = p.offs.slice();
  for (let r = 0; r < p.rows; r++) {
    f(r, b);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      for (let t = 0; t < b.length; t++) b[t] += p.strides[t][d];
      if (idx[d] < p.shape[d]) break;
      idx[d] = 0;
      for (let t = 0; t < b.length; t++) b[t] -= p.strides[t][d] * p.shape[d];
    }
  }
}

/** CPU: what storing v into an array of dtype d must do first (typed arrays do the rest). */
export function storer(d: DType): (v: number) => number {
  return d === 'float16' ? roundF16 : (v) => v;
}

/** GPU: the uniform words of a row problem (layout of ROW_WGSL's struct U). */
export function rowUniforms(op: string, p: RowPlan, k = 0, scale = 1): number[] {
  if (p.shape.length > MAX_DIMS) throw new Error(`${op}: more than ${MAX_DIMS} non-mergeable kept dims are not supported`);
  const u = new Array<number>(56).fill(0);
  u[0] = p.rows; u[1] = p.n; u[2] = k; u[3] = p.shape.length;
  for (let i = 0; i < p.offs.length; i++) { u[4 + i] = p.offs[i]; u[8 + i] = p.rs[i]; }
  u[12] = f32Bits(scale);
  for (let d = 0; d < p.shape.length; d++) {
    u[16 + d] = p.shape[d];
    for (let t = 0; t < p.strides.length; t++) u[24 + 8 * t + d] = p.strides[t][d];
  }
  return u.map((x) => x >>> 0);
}

/** The uniform block of the row kernels and `bases(row)`: the four operands' row starts. */
export const ROW_WGSL = `
struct U {
  rows: u32, n: u32, k: u32, ndim: u32,
  off: vec4<u32>,
  rs: vec4<u32>,
  scale: f32, p0: u32, p1: u32, p2: u32,
  shape: array<vec4<u32>, 2>,
  s0: array<vec4<u32>, 2>, s1: array<vec4<u32>, 2>, s2: array<vec4<u32>, 2>, s3: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> u: U;
fn bases(row: u32) -> vec4<u32> {
  var rem = row;
  var b = u.off;
  for (var d = i32(u.ndim) - 1; d >= 0; d--) {
    let q = u32(d) >> 2u;
    let r = u32(d) & 3u;
    let s = u.shape[q][r];
    let c = rem % s;
    rem = rem / s;
    b += c * vec4<u32>(u.s0[q][r], u.s1[q][r], u.s2[q][r], u.s3[q][r]);
  }
  return b;
}
`;

export function enableF16(...types: string[]): string {
  return types.includes('f16') ? 'enable f16;\n' : '';
}

// ---- argument checks (all before any GPU work) ----

export function checkInput(op: string, t: unknown, arg = 'input'): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${op}: ${arg} must be a Tensor, got ${describe(t)}`);
  t.assertAlive(op);
}

export function checkBool(op: string, arg: string, v: unknown): void {
  if (typeof v !== 'boolean') throw new Error(`${op}: ${arg} must be a boolean, got ${describe(v)}`);
}

/** Normalized, sorted dims to reduce; undefined or [] means all (as PyTorch's sum(dim=[])). */
export function reduceDims(op: string, t: Tensor, dim: unknown): number[] {
  const all = t.shape.map((_, i) => i);
  if (dim === undefined || dim === null) return all;
  if (typeof dim !== 'number' && !Array.isArray(dim)) throw new Error(`${op}: dim must be a number or an array of numbers, got ${describe(dim)}`);
  const list: unknown[] = typeof dim === 'number' ? [dim] : dim;
  if (list.length === 0) return all;
  const out: number[] = [];
  for (const d of list) {
    if (typeof d !== 'number') throw new Error(`${op}: dim must be a number or an array of numbers, got ${describe(dim)}`);
    // A 0-d tensor accepts dim 0 / -1 (as PyTorch does: both are its dim 0) and has nothing
    // to reduce over, but a dim listed twice is refused there too.
    const nd = normDim(op, d, t.ndim) + (t.ndim === 0 && d < 0 ? 1 : 0);
    if (out.includes(nd)) throw new Error(`${op}: dim ${nd} appears more than once in ${describe(dim)}`);
    out.push(nd);
  }
  return t.ndim === 0 ? [] : out.sort((a, b) => a - b);
}

/** One dim, as a list ([] for a 0-d tensor). */
export function oneDim(op: string, t: Tensor, dim: unknown): number[] {
  if (typeof dim !== 'number') throw new Error(`${op}: dim must be a number, got ${describe(dim)}`);
  return reduceDims(op, t, dim);
}

/** max/min/argmax have no identity: a zero-size reduced dim is an error (PyTorch's). */

/** WGSL of a row kernel, one workgroup per row: the uniform block, `binds` (binding 1 on),
 * the workgroup reduction and a main that sets `row` and its operands' starts `b`, then `body`. */
export function rowKernel(types: string[], binds: string, body: string): string {
  return `${enableF16(...types)}${ROW_WGSL}
${binds}${WG_REDUCE_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.rows) { return; }
  let b = bases(row);
${body}}
`;
}

/** WGSL: a workgroup-wide sum (or max) of one f32 per invocation, every invocation gets it. */
export const WG_REDUCE_WGSL = `var<workgroup> red: array<f32, ${WG}>;
fn wgReduce(v: f32, lid: u32, isMax: bool) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = select(red[lid] + red[lid + s], max(red[lid], red[lid + s]), isMax); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;
