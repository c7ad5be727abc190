// The reduction kernels on WebGPU: a workgroup per row (a strided loop, then a tree in
// workgroup memory), partial sums for a few long rows, and one invocation per row for rows
// along a strided dim (columns). max/min test NaN on the bits, since WGSL may assume none.
import { Tensor } from '../tensor/tensor.js';
import { wgslType } from '../tensor/dtype.js';
import { contiguousStrides } from '../tensor/shape.js';
import { enableF16, ROW_WGSL, rowUniforms, WG, type RowPlan } from './rows.js';

export type RMode = 'sum' | 'max' | 'min';

// A few long rows (a global sum, a loss mean) would leave all but a few workgroups idle:
// such sums first reduce chunks of CHUNK elements into partial sums, then the partials.
const CHUNK = 2048;

export function gpuReduce(mode: RMode, x: Tensor, p: RowPlan, values: Tensor, indices: Tensor | null, scale: number): void {
  const it = wgslType(x.dtype);
  const ot = wgslType(values.dtype);
  const ct = it === 'i32' ? 'i32' : 'f32'; // int32 and bool
  const gpu = x.storage.gpu!;
  if (columnsFit(mode, p)) { gpuColumns(mode, x, p, values, indices, scale, it, ot, ct); return; }
  if (mode === 'sum' && p.rows <= 64 && p.n > 4 * CHUNK) {
    const chunks = Math.ceil(p.n / CHUNK);
    const partial = Tensor.empty([p.rows, chunks], ct === 'i32' ? 'int32' : 'float32', x.device);
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
// them into chunks (partial sums, then a second pass over the chunks) to fill the GPU; on a
// real GPU that made the MoE's sums over a middle dim tens of times faster.
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
  const partial = Tensor.empty([chunks, p.rows], ct === 'i32' ? 'int32' : 'float32', x.device);
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
