// Reductions over any set of dims (sum, mean, amax/amin, max/min/argmax with indices), and
// the row machinery that softmax.ts and topk.ts share with them.
//
// Every op in these three files is a per-row problem: the kept dims enumerate rows, the
// reduced dim(s) run along a row. Each tensor a kernel touches (input, outputs, targets,
// indices) is read or written through its own strides, so a transposed or sliced input needs
// no copy; only when the reduced dims do not collapse into one stride is the input copied
// with those dims moved last. On the GPU a row is one workgroup (a strided loop, then a
// tree reduction in workgroup memory), so any row length and any number of rows work; sums
// and max/min along a strided dim whose rows are neighbours in memory take one invocation
// per row instead (columns, below).
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { roundF16, wgslType, type DType } from '../tensor/dtype.js';
import { contiguousStrides, fmtShape, normDim, numel, describe } from '../tensor/shape.js';
import { f32Bits } from '../backend/webgpu.js';
import { coalesce, mapRaw, MAX_DIMS, type MapSpec } from './map.js';
import { MAP_SPECS, copyInto, copyRaw } from './elementwise.js';
import { reshape } from './view.js';
import { scatterRows } from './topk.js';

export { softmax, logSoftmax, crossEntropy } from './softmax.js';
export { topk } from './topk.js';

// ---- the row machinery ----

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
  if (!(t instanceof Tensor)) throw new Error(`${op}: ${arg} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
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
    const nd = normDim(op, d, t.ndim);
    // A 0-d tensor accepts dim 0 / -1 (as PyTorch does) and has nothing to reduce over.
    if (t.ndim === 0) continue;
    if (out.includes(nd)) throw new Error(`${op}: dim ${nd} appears more than once in ${describe(dim)}`);
    out.push(nd);
  }
  return out.sort((a, b) => a - b);
}

/** One dim, as a list ([] for a 0-d tensor). */
export function oneDim(op: string, t: Tensor, dim: unknown): number[] {
  if (typeof dim !== 'number') throw new Error(`${op}: dim must be a number, got ${describe(dim)}`);
  return reduceDims(op, t, dim);
}

/** max/min/argmax have no identity: a zero-size reduced dim is an error (PyTorch's). */
function checkNonEmpty(op: string, t: Tensor, red: number[]): void {
  const d = red.find((i) => t.shape[i] === 0);
  if (d !== undefined) {
    throw new Error(`${op}: expected reduction dim ${d} to have non-zero size, got input shape ${fmtShape(t.shape)} (a zero-size dim has nothing to take the ${op} of)`);
  }
}

// ---- the reduction kernel ----

type RMode = 'sum' | 'max' | 'min';

/**
 * `t` reduced over `red` (sum times `scale`, or max/min with first-occurrence indices along
 * the row when `withIdx`). Not recorded by autograd.
 */
export function reduceRaw(mode: RMode, t: Tensor, red: number[], keepdim: boolean, scale = 1, withIdx = false): { values: Tensor; indices: Tensor | null } {
  const keepShape = t.shape.map((s, i) => (red.includes(i) ? 1 : s));
  const outShape = keepdim ? keepShape : t.shape.filter((_, i) => !red.includes(i));
  const values = Tensor.empty(outShape, t.dtype, t.device, mode);
  const indices = withIdx ? Tensor.empty(outShape, 'int32', t.device) : null;
  if (values.numel === 0) return { values, indices };
  const os = contiguousStrides(keepShape).map((s, i) => (red.includes(i) ? 0 : s));
  let src = t;
  let plan = rowPlan(t.shape, red, [t, { strides: os, offset: 0 }, { strides: os, offset: 0 }]);
  if (!plan) {
    // The reduced dims do not collapse into one stride: copy with them moved last.
    const perm = [...t.shape.map((_, i) => i).filter((i) => !red.includes(i)), ...red];
    const moved = t.withLayout(perm.map((d) => t.shape[d]), perm.map((d) => t.strides[d]), t.offset);
    src = copyRaw(moved);
    moved.dispose();
    const pos = perm.map((d) => os[d]);
    const kept = perm.length - red.length;
    plan = rowPlan(src.shape, red.map((_, i) => kept + i), [src, { strides: pos, offset: 0 }, { strides: pos, offset: 0 }])!;
  }
  if (t.device === 'cpu') cpuReduce(mode, src, plan, values, indices, scale);
  else gpuReduce(mode, src, plan, values, indices, scale);
  if (src !== t) src.dispose();
  return { values, indices };
}

function cpuReduce(mode: RMode, x: Tensor, p: RowPlan, values: Tensor, indices: Tensor | null, scale: number): void {
  const xd = x.data;
  const vd = values.data;
  const id = indices?.data;
  const st = storer(values.dtype);
  const [rs] = p.rs;
  const sign = mode === 'min' ? -1 : 1;
  // A float32 sum past float32's range is ±Inf before a mean divides it, as in PyTorch and
  // on the GPU; the double accumulator only keeps the rounding error small.
  const fr = values.dtype === 'float64' || values.dtype === 'int32' ? (v: number) => v : Math.fround;
  forEachRow(p, (_, b) => {
    if (mode === 'sum') {
      let acc = 0;
      for (let j = 0; j < p.n; j++) acc += xd[b[0] + j * rs];
      vd[b[1]] = st(scale === 1 ? acc : fr(acc) * scale);
      return;
    }
    // max, or min as the max of -x; a NaN wins (as in PyTorch), the first one found
    let best = xd[b[0]];
    let bi = 0;
    for (let j = 1; j < p.n && best === best; j++) {
      const v = xd[b[0] + j * rs];
      if (sign * v > sign * best || v !== v) { best = v; bi = j; }
    }
    vd[b[1]] = st(best);
    if (id) id[b[2]] = bi;
  });
}

// A few long rows (a global sum, a loss mean) would leave all but a few workgroups idle:
// such sums first reduce chunks of CHUNK elements into partial sums, then the partials.
const CHUNK = 2048;

function gpuReduce(mode: RMode, x: Tensor, p: RowPlan, values: Tensor, indices: Tensor | null, scale: number): void {
  const it = wgslType(x.dtype);
  const ot = wgslType(values.dtype);
  const ct = x.dtype === 'int32' ? 'i32' : 'f32';
  const gpu = x.storage.gpu!;
  if (columnsFit(mode, p)) { gpuColumns(mode, x, p, values, indices, scale, it, ot, ct); return; }
  if (mode === 'sum' && p.rows <= 64 && p.n > 4 * CHUNK) {
    const chunks = Math.ceil(p.n / CHUNK);
    const partial = Tensor.empty([p.rows, chunks], x.dtype === 'int32' ? 'int32' : 'float32', x.device);
    const u = rowUniforms(mode, p, chunks);
    u[13] = CHUNK;
    gpu.dispatch({
      key: `reduce:sum_chunks:${it}>${ct}`,
      wgsl: () => reduceWgsl('sum', it, ct, ct, false, true),
      inputs: [x.buffer],
      outputs: [partial.buffer],
      uniforms: u,
      workgroups: p.rows * chunks,
    });
    const p2: RowPlan = { rows: p.rows, n: chunks, shape: [p.rows], strides: [[chunks], [1]], rs: [1, 0], offs: [0, 0] };
    gpuReduce('sum', partial, p2, values, null, scale);
    partial.dispose();
    return;
  }
  gpu.dispatch({
    key: `reduce:${mode}:${indices ? 'idx' : 'val'}:${it}>${ot}`,
    wgsl: () => reduceWgsl(mode, it, ot, ct, indices !== null, false),
    inputs: [x.buffer],
    outputs: indices ? [values.buffer, indices.buffer] : [values.buffer],
    uniforms: rowUniforms(mode, p, 0, scale),
    workgroups: p.rows,
  });
}

// ---- columns: rows along a strided dim ----

// A reduced dim with a stride (x.sum(0), a bias gradient, a sum over a middle dim) makes rows
// whose elements lie `rs` apart: a workgroup per row reads them one lane per element, each
// load alone in its memory segment, and leaves most lanes idle when rows are short. When the
// kept rows are themselves neighbours in memory, one invocation per row is better: at each
// step of their loops a warp reads 32 neighbouring elements. Sums of few long columns split
// them into chunks (partial sums, then a second pass over the chunks) to fill the GPU.
// On an H200 (bench/RESULTS.md, tenth session): (16384, 8, 1024).sum(1) 10.33 -> 0.23 ms,
// (16384, 1024).sum(0) 0.156 -> 0.043 ms.
const COL_MIN_ROWS = 32; // a warp's worth of neighbouring rows
const COL_THREADS = 1 << 16; // invocations a chunked sum aims for
const COL_MIN_CHUNK = 16; // elements each invocation sums at least

/** Whether the columns kernel takes this problem. Enough rows for one pass, or a sum big enough
 * to be worth a second one: below that (a small model's bias gradient, 64 columns of 256) the
 * workgroup per row is as quick and a dispatch fewer. max/min have no second pass. */
function columnsFit(mode: RMode, p: RowPlan): boolean {
  const nd = p.shape.length;
  if (!(nd > 0 && p.rs[0] !== 1 && p.n > 1 && p.strides[0][nd - 1] === 1 && p.shape[nd - 1] >= COL_MIN_ROWS)) return false;
  return mode === 'sum' ? p.rows >= 4096 || p.rows * p.n >= 1 << 20 : p.rows >= 256 && p.n <= 4096;
}

/** `it`, `ot`, `ct`: the WGSL types gpuReduce chose for input, output and accumulator. */
function gpuColumns(mode: RMode, x: Tensor, p: RowPlan, values: Tensor, indices: Tensor | null, scale: number,
  it: string, ot: string, ct: string): void {
  const gpu = x.storage.gpu!;
  const want = mode === 'sum' ? Math.min(Math.ceil(COL_THREADS / p.rows), Math.floor(p.n / COL_MIN_CHUNK)) : 1;
  const len = Math.ceil(p.n / Math.max(1, want));
  const chunks = Math.ceil(p.n / len);
  const u = rowUniforms(mode, p, chunks, scale);
  u[13] = len;
  if (chunks === 1) {
    gpu.dispatch({
      key: `reduce:col:${mode}:${indices ? 'idx' : 'val'}:${it}>${ot}`,
      wgsl: () => columnsWgsl(mode, it, ot, ct, indices !== null, false),
      inputs: [x.buffer],
      outputs: indices ? [values.buffer, indices.buffer] : [values.buffer],
      uniforms: u,
      workgroups: Math.ceil(p.rows / WG),
    });
    return;
  }
  // Partial sums laid out [chunk][row], then summed over the chunks: columns again.
  const partial = Tensor.empty([chunks, p.rows], x.dtype === 'int32' ? 'int32' : 'float32', x.device);
  gpu.dispatch({
    key: `reduce:col:sum_part:${it}>${ct}`,
    wgsl: () => columnsWgsl('sum', it, ct, ct, false, true),
    inputs: [x.buffer],
    outputs: [partial.buffer],
    uniforms: u,
    workgroups: Math.ceil((p.rows * chunks) / WG),
  });
  const rowStrides = contiguousStrides(p.shape);
  const p2: RowPlan = { rows: p.rows, n: chunks, shape: p.shape, strides: [rowStrides, p.strides[1], p.strides[1]], rs: [p.rows, 0, 0], offs: [0, p.offs[1], 0] };
  gpuReduce('sum', partial, p2, values, null, scale);
  partial.dispose();
}

/** WGSL: `better(v, a)`, whether v replaces the running max (or min) a: a NaN beats
 * everything and stays (PyTorch's reductions propagate NaN, the first one's index wins);
 * `same(v, a)` for the tree's ties. NaN is tested on the bits: a compiler may assume none. */
function pickWgsl(mode: RMode, ct: string): string {
  const nan = ct === 'f32' ? '(bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u' : 'false';
  return `fn nanv(x: ${ct}) -> bool { return ${nan}; }
fn better(v: ${ct}, a: ${ct}) -> bool {
  if (nanv(a)) { return false; }
  if (nanv(v)) { return true; }
  return v ${mode === 'max' ? '>' : '<'} a;
}
fn same(v: ${ct}, a: ${ct}) -> bool {
  let nv = nanv(v);
  let na = nanv(a);
  return (nv && na) || (!nv && !na && v == a);
}
`;
}

/** One invocation per row (or, with `partial`, per row and chunk of u.p0 elements: output
 * chunk · rows + row). Four loads per iteration, independent, so they are in flight together. */
function columnsWgsl(mode: RMode, it: string, ot: string, ct: string, withIdx: boolean, partial: boolean): string {
  const head = `${enableF16(it, ot)}${ROW_WGSL}${mode === 'sum' ? '' : pickWgsl(mode, ct)}
@group(0) @binding(1) var<storage, read> X: array<${it}>;
@group(0) @binding(2) var<storage, read_write> O: array<${ot}>;
${withIdx ? '@group(0) @binding(3) var<storage, read_write> I: array<i32>;\n' : ''}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.rows * u.k) { return; }
  let row = i % u.rows;
  let start = (i / u.rows) * u.p0;
  let end = min(u.n, start + u.p0);
  let b = bases(row);
  let rs = u.rs.x;
`;
  if (mode === 'sum') {
    const out = partial ? 'O[i] = acc;' : `O[b.y] = ${ot}(${ct === 'f32' ? 'acc * u.scale' : 'acc'});`;
    return `${head}  var acc = ${ct}(0);
  var j = start;
  for (; j + 4u <= end; j += 4u) {
${[0, 1, 2, 3].map((q) => `    let x${q} = ${ct}(X[b.x + (j + ${q}u) * rs]);\n`).join('')}    acc += (x0 + x1) + (x2 + x3);
  }
  for (; j < end; j++) { acc += ${ct}(X[b.x + j * rs]); }
  ${out}
}
`;
  }
  // max/min in index order with a strict comparison: the first occurrence wins ties.
  return `${head}  var acc = ${ct}(X[b.x]);
  var ai = 0u;
  for (var j = 1u; j < u.n; j++) {
    let v = ${ct}(X[b.x + j * rs]);
    if (better(v, acc)) { acc = v; ai = j; }
  }
  O[b.y] = ${ot}(acc);
${withIdx ? '  I[b.z] = i32(ai);\n' : ''}}
`;
}

/** `chunked`: workgroup w sums elements [c·p0, (c+1)·p0) of row w / k (c = w % k) into O[w]. */
function reduceWgsl(mode: RMode, it: string, ot: string, ct: string, withIdx: boolean, chunked: boolean): string {
  const head = `${enableF16(it, ot)}${ROW_WGSL}${mode === 'sum' ? '' : pickWgsl(mode, ct)}
@group(0) @binding(1) var<storage, read> X: array<${it}>;
@group(0) @binding(2) var<storage, read_write> O: array<${ot}>;
${withIdx ? '@group(0) @binding(3) var<storage, read_write> I: array<i32>;' : ''}
var<workgroup> sv: array<${ct}, ${WG}>;
${mode === 'sum' ? '' : `var<workgroup> si: array<u32, ${WG}>;`}
const NONE = 0xffffffffu;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
${chunked ? `  if (row >= u.rows * u.k) { return; }
  let b = bases(row / u.k);
  let start = (row % u.k) * u.p0;
  let end = min(u.n, start + u.p0);` : `  if (row >= u.rows) { return; }
  let b = bases(row);
  let start = 0u;
  let end = u.n;`}
`;
  if (mode === 'sum') {
    return `${head}  var acc = ${ct}(0);
  for (var j = start + lid; j < end; j += ${WG}u) { acc += ${ct}(X[b.x + j * u.rs.x]); }
  sv[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { sv[lid] += sv[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { O[${chunked ? 'row' : 'b.y'}] = ${ot}(${ct === 'f32' ? 'sv[0] * u.scale' : 'sv[0]'}); }
}
`;
  }
  // max/min with the index: a thread's candidates come in index order, so a strict
  // comparison keeps the first; the tree breaks ties (NaN with NaN too) towards the smaller index.
  return `${head}  var acc = ${ct}(0);
  var ai = NONE;
  for (var j = lid; j < u.n; j += ${WG}u) {
    let v = ${ct}(X[b.x + j * u.rs.x]);
    if (ai == NONE || better(v, acc)) { acc = v; ai = j; }
  }
  sv[lid] = acc;
  si[lid] = ai;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let bv = sv[lid + s];
      let bi = si[lid + s];
      let av = sv[lid];
      let aj = si[lid];
      if (bi != NONE && (aj == NONE || better(bv, av) || (same(bv, av) && bi < aj))) { sv[lid] = bv; si[lid] = bi; }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    O[b.y] = ${ot}(sv[0]);
    ${withIdx ? 'I[b.z] = i32(si[0]);' : ''}
  }
}
`;
}

// ---- Functions ----

class Sum extends Function {
  static override forward(ctx: Ctx, t: Tensor, red: number[], keepdim: boolean, isMean: boolean): Tensor {
    ctx.inShape = t.shape;
    ctx.keepShape = t.shape.map((s, i) => (red.includes(i) ? 1 : s));
    ctx.scale = isMean ? 1 / numel(red.map((d) => t.shape[d])) : 1;
    return reduceRaw('sum', t, red, keepdim, ctx.scale).values;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const g = reshape(dy, ctx.keepShape);
    const out = Tensor.empty(ctx.inShape, dy.dtype, dy.device);
    return [ctx.scale === 1 ? copyInto(out, g) : mapRaw(MAP_SPECS.mulF, [g, ctx.scale], undefined, out), null, null, null];
  }
}

/** max/min along one dim: the gradient of each value goes to the element its index names. */
class MaxDim extends Function {
  static override forward(ctx: Ctx, t: Tensor, red: number[], keepdim: boolean, isMax: boolean): Tensor[] {
    const { values, indices } = reduceRaw(isMax ? 'max' : 'min', t, red, keepdim, 1, true);
    ctx.markNonDifferentiable(indices!);
    ctx.saveForBackward(indices);
    ctx.inShape = t.shape;
    ctx.red = red;
    ctx.keepShape = t.shape.map((s, i) => (red.includes(i) ? 1 : s));
    return [values, indices!];
  }
  static override backward(ctx: Ctx, dv: Tensor): Array<Tensor | null> {
    const [idx] = ctx.savedTensors;
    return [scatterRows(reshape(dv, ctx.keepShape), reshape(idx, ctx.keepShape), ctx.red, ctx.inShape), null, null, null];
  }
}

// d amax / dx: dy shared evenly by the elements equal to their slice's result (PyTorch's
// amax rule: a NaN result equals nothing, so its slice's gradient is NaN). max()/min()
// without a dim share it among the NaNs instead (PyTorch's evenly_distribute_backward).
const TIE_SHARE: MapSpec = { name: 'tie_share', cpu: (m, g, c) => (m * g) / c, wgsl: 'a * b / c', floatOnly: true };

class AMax extends Function {
  static override forward(ctx: Ctx, t: Tensor, red: number[], keepdim: boolean, isMax: boolean, nanShare: boolean): Tensor {
    const y = reduceRaw(isMax ? 'max' : 'min', t, red, keepdim).values;
    ctx.saveForBackward(t, y);
    ctx.red = red;
    ctx.nanShare = nanShare;
    return y;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [x, y] = ctx.savedTensors;
    const keepShape = x.shape.map((s, i) => (ctx.red.includes(i) ? 1 : s));
    const yk = reshape(y, keepShape);
    const gk = reshape(dy, keepShape);
    const mask = mapRaw(ctx.nanShare ? MAP_SPECS.eqNan : MAP_SPECS.eq, [x, yk], x.dtype);
    const count = reduceRaw('sum', mask, ctx.red, true).values;
    return [mapRaw(TIE_SHARE, [mask, gk, count]), null, null, null, null];
  }
}

// ---- public functions ----

export function sum(t: Tensor, dim?: number | number[], keepdim = false): Tensor {
  checkInput('sum', t);
  const red = reduceDims('sum', t, dim);
  checkBool('sum', 'keepdim', keepdim);
  return Sum.apply(t, red, keepdim, false);
}

export function mean(t: Tensor, dim?: number | number[], keepdim = false): Tensor {
  checkInput('mean', t);
  const red = reduceDims('mean', t, dim);
  checkBool('mean', 'keepdim', keepdim);
  if (t.dtype === 'int32') throw new Error(`mean: input dtype int32 is not supported (mean needs a floating point tensor; cast with .float() first), input shape ${fmtShape(t.shape)}`);
  return Sum.apply(t, red, keepdim, true);
}

/** A dim argument for an error message (a Tensor or an object stringifies badly). */
function fmtArg(v: unknown): string {
  if (v instanceof Tensor) return `a Tensor of shape ${fmtShape(v.shape)}`;
  try { return describe(v) ?? String(v); } catch { return String(v); }
}

function checkDimArg(op: string, dim: unknown, many: boolean): void {
  if (dim === undefined || dim === null || typeof dim === 'number') return;
  if (many && Array.isArray(dim) && dim.every((d) => typeof d === 'number')) return;
  throw new Error(`${op}: dim must be ${many ? 'a number or an array of numbers' : 'a number'}, got ${fmtArg(dim)}`);
}

function amaxmin(op: string, t: Tensor, dim: unknown, keepdim: unknown, isMax: boolean, nanShare: boolean): Tensor {
  checkInput(op, t);
  checkDimArg(op, dim, true);
  const red = reduceDims(op, t, dim);
  checkBool(op, 'keepdim', keepdim);
  checkNonEmpty(op, t, red);
  return AMax.apply(t, red, keepdim, isMax, nanShare);
}
/** The largest elements over `dim` (a number or an array; all dims when omitted or []), as
 * torch.amax; NaN propagates; ties share the gradient evenly. */
export const amax = (t: Tensor, dim?: number | number[], keepdim = false): Tensor => amaxmin('amax', t, dim, keepdim, true, false);
export const amin = (t: Tensor, dim?: number | number[], keepdim = false): Tensor => amaxmin('amin', t, dim, keepdim, false, false);

type ValuesIndices = { values: Tensor; indices: Tensor };

function maxmin(op: string, t: Tensor, dim: unknown, keepdim: unknown, isMax: boolean): Tensor | ValuesIndices {
  checkInput(op, t);
  if (dim === undefined || dim === null) {
    if (keepdim !== false) throw new Error(`${op}: keepdim needs a dim (input shape ${fmtShape(t.shape)})`);
    checkSomeElement(op, t);
    return amaxmin(op, t, undefined, false, isMax, true);
  }
  checkDimArg(op, dim, false);
  const red = oneDim(op, t, dim);
  checkBool(op, 'keepdim', keepdim);
  checkNonEmpty(op, t, red);
  const [values, indices] = MaxDim.apply(t, red, keepdim, isMax) as Tensor[];
  return { values, indices };
}
/** Without a dim: the largest element, a 0-d tensor (NaN if any; ties share the gradient).
 * With one: the largest along `dim` and its int32 index (the first occurrence, the first NaN). */
export function max(t: Tensor): Tensor;
export function max(t: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(t: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices { return maxmin('max', t, dim, keepdim, true); }
export function min(t: Tensor): Tensor;
export function min(t: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(t: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices { return maxmin('min', t, dim, keepdim, false); }

/** max()/argmax() without a dim on an empty tensor: PyTorch's error, op name first. */
function checkSomeElement(op: string, t: Tensor): void {
  if (t.numel === 0) throw new Error(`${op}: expected reduction dim to be specified for an empty input (input shape ${fmtShape(t.shape)} has a zero-size dim); give the dim to reduce along`);
}

function argFn(op: string, t: Tensor, dim: unknown, keepdim: unknown, isMax: boolean): Tensor {
  checkInput(op, t);
  checkDimArg(op, dim, false);
  const whole = dim === undefined || dim === null;
  if (whole) checkSomeElement(op, t);
  const red = whole ? reduceDims(op, t, undefined) : oneDim(op, t, dim);
  checkBool(op, 'keepdim', keepdim);
  checkNonEmpty(op, t, red);
  // Without a dim the index is into the flattened tensor: every dim is reduced, and a row
  // that is not one stride is copied row-major first, so the row index is the flat index.
  const { values, indices } = reduceRaw(isMax ? 'max' : 'min', t, red, keepdim as boolean, 1, true);
  values.dispose();
  return indices!;
}
/** int32 index of the largest element along `dim` (the first one; the first NaN), or into
 * the flattened tensor when dim is omitted, as torch.argmax. */
export const argmax = (t: Tensor, dim?: number, keepdim = false): Tensor => argFn('argmax', t, dim, keepdim, true);
export const argmin = (t: Tensor, dim?: number, keepdim = false): Tensor => argFn('argmin', t, dim, keepdim, false);
