// topk along one dim, and scatterRows, its backward (also max/min's): the gradient of each
// selected value goes back to the element its index names, zeros elsewhere.
//
// Made for MoE routing: k is small (<= 8) and rows are at most a few hundred long, so the
// GPU kernel is one thread per row that makes k passes, each picking the best element
// after the previous pick in the order (value, then lower index first). No scratch memory,
// ties resolved the same way as the CPU kernel's stable sort.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { contiguousStrides, describe, fmtShape } from '../tensor/shape.js';
import { wgslType } from '../tensor/dtype.js';
import { checkBool, checkInput, enableF16, forEachRow, oneDim, ROW_WGSL, rowPlan, rowUniforms, storer, WG, type RowPlan } from './rows.js';

const THREADS = 64;

/** The k largest (or smallest) along `red` (one dim, or none for a 0-d tensor), sorted. Not recorded. */
function topkRaw(x: Tensor, k: number, red: number[], largest: boolean): { values: Tensor; indices: Tensor } {
  const shape = x.shape.map((s, i) => (red.includes(i) ? k : s));
  const values = Tensor.empty(shape, x.dtype, x.device, 'topk');
  const indices = Tensor.empty(shape, 'int32', x.device);
  if (values.numel === 0) return { values, indices };
  const os = { strides: contiguousStrides(shape), offset: 0 };
  const p = rowPlan(x.shape, red, [x, os, os])!; // one dim always collapses
  if (x.device === 'cpu') cpuTopk(x, p, k, largest, values, indices);
  else {
    const it = wgslType(x.dtype);
    x.storage.gpu!.dispatch({
      key: `topk:${largest ? 'largest' : 'smallest'}:${it}`,
      wgsl: () => topkWgsl(it, x.dtype === 'int32' ? 'i32' : 'f32', largest),
      inputs: [x.buffer],
      outputs: [values.buffer, indices.buffer],
      uniforms: rowUniforms('topk', p, k),
      workgroups: Math.ceil(p.rows / THREADS),
    });
  }
  return { values, indices };
}

/**
 * NaN ranks above +Inf (PyTorch's order: first for largest, last for smallest) and -0 equals
 * 0. Without this a NaN made the sort comparator inconsistent and the GPU kernel (whose
 * comparisons are all false on NaN) pick garbage.
 */
function totalOrder(a: number, b: number): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return +an - +bn;
  return a === b ? 0 : a < b ? -1 : 1;
}

function cpuTopk(x: Tensor, p: RowPlan, k: number, largest: boolean, values: Tensor, indices: Tensor): void {
  const xd = x.data;
  const vd = values.data;
  const id = indices.data;
  const st = storer(values.dtype);
  const sign = largest ? 1 : -1;
  forEachRow(p, (_, b) => {
    const at = (j: number): number => xd[b[0] + j * p.rs[0]];
    const order = Array.from({ length: p.n }, (_, j) => j);
    order.sort((i, j) => sign * totalOrder(at(j), at(i)) || i - j);
    for (let q = 0; q < k; q++) {
      vd[b[1] + q * p.rs[1]] = st(at(order[q]));
      id[b[2] + q * p.rs[2]] = order[q];
    }
  });
}

function topkWgsl(it: string, ct: string, largest: boolean): string {
  const better = largest ? '>' : '<';
  const worse = largest ? '<' : '>';
  return `${enableF16(it)}${ROW_WGSL}
@group(0) @binding(1) var<storage, read> X: array<${it}>;
@group(0) @binding(2) var<storage, read_write> V: array<${it}>;
@group(0) @binding(3) var<storage, read_write> I: array<i32>;
${ct === 'i32' ? 'fn key(v: i32) -> i32 { return v; }' : `// Floats compared as ordered integers: a total order with NaN above +Inf and -0 == 0
// (comparisons on NaN are all false and would pick garbage).
fn key(v: f32) -> i32 {
  let bits = bitcast<i32>(v);
  if ((bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u) { return 0x7fffffff; }
  if (v == 0.0) { return 0; }
  return select(bits, bits ^ 0x7fffffff, bits < 0);
}`}
@compute @workgroup_size(${THREADS})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * ${THREADS}u;
  if (row >= u.rows) { return; }
  let b = bases(row);
  var pv = 0;
  var pj = -1;
  for (var q = 0u; q < u.k; q++) {
    var bv = 0;
    var bj = -1;
    for (var j = 0u; j < u.n; j++) {
      let v = key(${ct}(X[b.x + j * u.rs.x]));
      let ij = i32(j);
      let after = pj < 0 || v ${worse} pv || (v == pv && ij > pj);
      if (after && (bj < 0 || v ${better} bv)) { bv = v; bj = ij; }
    }
    V[b.y + q * u.rs.y] = X[b.x + u32(bj) * u.rs.x];
    I[b.z + q * u.rs.z] = bj;
    pv = bv;
    pj = bj;
  }
}
`;
}

/**
 * A tensor of `shape` that is zero except along `red` (one dim, or none), where
 * `src[.., q, ..]` lands at position `idx[.., q, ..]`. Not recorded.
 */
export function scatterRows(src: Tensor, idx: Tensor, red: number[], shape: number[]): Tensor {
  const out = Tensor.empty(shape, src.dtype, src.device);
  if (out.numel === 0) return out;
  const k = red.length ? src.shape[red[0]] : 1;
  const p = rowPlan(shape, red, [src, idx, out])!;
  if (src.device === 'cpu') {
    const sd = src.data;
    const xd = idx.data;
    const od = out.data;
    const st = storer(out.dtype);
    forEachRow(p, (_, b) => {
      for (let j = 0; j < p.n; j++) od[b[2] + j * p.rs[2]] = 0;
      for (let q = 0; q < k; q++) {
        const o = b[2] + xd[b[1] + q * p.rs[1]] * p.rs[2];
        od[o] = st(od[o] + sd[b[0] + q * p.rs[0]]);
      }
    });
    return out;
  }
  const s = wgslType(src.dtype);
  src.storage.gpu!.dispatch({
    key: `scatter_rows:${s}`,
    wgsl: () => scatterWgsl(s),
    inputs: [src.buffer, idx.buffer],
    outputs: [out.buffer],
    uniforms: rowUniforms('scatter_rows', p, k),
    workgroups: p.rows,
  });
  return out;
}

// Each output element looks for itself among the row's k indices: every element is written
// exactly once, so no zero fill and no write races.
function scatterWgsl(t: string): string {
  return `${enableF16(t)}${ROW_WGSL}
@group(0) @binding(1) var<storage, read> S: array<${t}>;
@group(0) @binding(2) var<storage, read> IX: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<${t}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.rows) { return; }
  let b = bases(row);
  for (var j = lid; j < u.n; j += ${WG}u) {
    var acc = 0.0;
    for (var q = 0u; q < u.k; q++) {
      if (IX[b.y + q * u.rs.y] == i32(j)) { acc += f32(S[b.x + q * u.rs.x]); }
    }
    O[b.z + j * u.rs.z] = ${t}(acc);
  }
}
`;
}

class TopK extends Function {
  static override forward(ctx: Ctx, x: Tensor, k: number, red: number[], largest: boolean): Tensor[] {
    const { values, indices } = topkRaw(x, k, red, largest);
    ctx.markNonDifferentiable(indices);
    ctx.saveForBackward(indices);
    ctx.inShape = x.shape;
    ctx.red = red;
    return [values, indices];
  }
  static override backward(ctx: Ctx, dv: Tensor): Array<Tensor | null> {
    const [idx] = ctx.savedTensors;
    return [scatterRows(dv, idx, ctx.red, ctx.inShape), null, null, null];
  }
}

/**
 * The k largest (or smallest) elements along `dim` and their int32 indices, always sorted
 * (best first, lower index first among equals); `sorted: false` is accepted and gives the
 * same order, which PyTorch allows.
 */
export function topk(t: Tensor, k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
  checkInput('topk', t);
  if (t.dtype === 'bool') throw new Error(`topk: a bool input is not supported, as in PyTorch (cast with .int() first), input shape ${fmtShape(t.shape)}`);
  const red = oneDim('topk', t, dim);
  checkBool('topk', 'largest', largest);
  checkBool('topk', 'sorted', sorted);
  const n = red.length ? t.shape[red[0]] : 1;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > n || (red.length === 0 && k !== 1)) {
    throw new Error(`topk: k (${describe(k)}) must be an integer from ${red.length ? 0 : 1} to ${n}, the size of dim ${dim} (input shape ${fmtShape(t.shape)})`);
  }
  const [values, indices] = TopK.apply(t, k, red, largest) as Tensor[];
  return { values, indices };
}
