// sort and argsort along one dim: stable, NaN largest (first when descending), -0 equal to 0,
// as PyTorch's stable sort.
//
// The CPU sorts each row's positions with a comparator on (value, position). The GPU turns
// each element into a 32-bit key whose unsigned order is that order (flipped for
// descending), pads each row to a power of two, and runs a bitonic sort on (key, position)
// pairs in global memory, one dispatch per merge step: any row length works, and with the
// position as the tie-break every pair is distinct, so the bitonic network is stable.
// The gradient of the values goes back through the indices (a permutation scatter).
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { wgslType } from '../tensor/dtype.js';
import { checkOptions, contiguousStrides, describe } from '../tensor/shape.js';
import { checkBool, checkInput, enableF16, forEachRow, oneDim, ROW_WGSL, rowPlan, rowUniforms, storer } from './rows.js';
import { scatterPermutation } from './scatter.js';
import { bitonicSort } from './bitonic.js';

const WG = 256;

/** -1, 0, 1 in ascending order: NaN above +Inf, -0 equal to 0 (then the position decides). */
function order(a: number, b: number): number {
  const an = a !== a;
  const bn = b !== b;
  if (an || bn) return +an - +bn;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Values and int32 indices sorted along `red` (one dim, or none for a 0-d tensor). Not recorded. */
function sortRaw(x: Tensor, red: number[], descending: boolean): { values: Tensor; indices: Tensor } {
  const values = Tensor.empty(x.shape, x.dtype, x.device, 'sort');
  const indices = Tensor.empty(x.shape, 'int32', x.device, 'sort');
  if (x.numel === 0) return { values, indices };
  const os = { strides: contiguousStrides(x.shape), offset: 0 };
  const p = rowPlan(x.shape, red, [x, os, os])!; // one dim always collapses
  if (x.device === 'cpu') {
    const xd = x.data;
    const vd = values.data;
    const id = indices.data;
    const st = storer(x.dtype);
    const sign = descending ? -1 : 1;
    forEachRow(p, (_, b) => {
      const at = (j: number): number => xd[b[0] + j * p.rs[0]];
      const perm = Array.from({ length: p.n }, (_, j) => j);
      perm.sort((i, j) => sign * order(at(i), at(j)) || i - j);
      perm.forEach((j, q) => {
        vd[b[1] + q * p.rs[1]] = st(at(j));
        id[b[2] + q * p.rs[2]] = j;
      });
    });
    return { values, indices };
  }
  gpuSort(x, p.n, p.rows, rowUniforms('sort', p), values, indices, descending);
  return { values, indices };
}

function gpuSort(x: Tensor, n: number, rows: number, u: number[], values: Tensor, indices: Tensor, descending: boolean): void {
  const gpu = x.storage.gpu!;
  const it = wgslType(x.dtype);
  let P = 1;
  while (P < n) P *= 2;
  // Scratch: each row's keys and positions, padded to P with (max key, max position).
  const keys = Tensor.empty([rows, P], 'int32', x.device, 'sort');
  const pos = Tensor.empty([rows, P], 'int32', x.device, 'sort');
  const uk = [...u];
  uk[13] = P;
  gpu.dispatch({
    key: `sort:keys:${it}:${descending ? 'desc' : 'asc'}`,
    wgsl: () => keysWgsl(it, descending),
    inputs: [x.buffer],
    outputs: [keys.buffer, pos.buffer],
    uniforms: uk,
    workgroups: Math.ceil((rows * P) / WG),
  });
  bitonicSort(keys, pos, rows, P);
  gpu.dispatch({
    key: `sort:out:${it}`,
    wgsl: () => outWgsl(it),
    inputs: [x.buffer, pos.buffer],
    outputs: [values.buffer, indices.buffer],
    uniforms: uk,
    workgroups: Math.ceil((rows * n) / WG),
  });
  keys.dispose();
  pos.dispose();
}

const LINEAR = `let i = gid.x + gid.y * nwg.x * ${WG}u;`;

/** Keys whose unsigned order is the sort order: sign-flipped floats (NaN canonical and
 * largest, -0 as 0, tested on the bits since WGSL may assume no NaN), offset ints. */
function keysWgsl(it: string, descending: boolean): string {
  const key = it === 'i32' ? 'bitcast<u32>(X[at]) ^ 0x80000000u' : 'fkey(f32(X[at]))';
  return `${enableF16(it)}${ROW_WGSL}
@group(0) @binding(1) var<storage, read> X: array<${it}>;
@group(0) @binding(2) var<storage, read_write> K: array<u32>;
@group(0) @binding(3) var<storage, read_write> Q: array<u32>;
fn fkey(v: f32) -> u32 {
  var b = bitcast<u32>(v);
  if ((b & 0x7fffffffu) > 0x7f800000u) { return 0xffffffffu; }
  if ((b & 0x7fffffffu) == 0u) { b = 0u; }
  return select(b ^ 0x80000000u, ~b, (b >> 31u) == 1u);
}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${LINEAR}
  let P = u.p0;
  if (i >= u.rows * P) { return; }
  let row = i / P;
  let j = i % P;
  if (j >= u.n) { K[i] = 0xffffffffu; Q[i] = 0xffffffffu; return; }
  let at = bases(row).x + j * u.rs.x;
  K[i] = ${descending ? `~(${key})` : key};
  Q[i] = j;
}
`;
}

function outWgsl(it: string): string {
  return `${enableF16(it)}${ROW_WGSL}
@group(0) @binding(1) var<storage, read> X: array<${it}>;
@group(0) @binding(2) var<storage, read> Q: array<u32>;
@group(0) @binding(3) var<storage, read_write> V: array<${it}>;
@group(0) @binding(4) var<storage, read_write> I: array<i32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${LINEAR}
  if (i >= u.rows * u.n) { return; }
  let row = i / u.n;
  let q = i % u.n;
  let b = bases(row);
  let j = Q[row * u.p0 + q];
  V[b.y + q * u.rs.y] = X[b.x + j * u.rs.x];
  I[b.z + q * u.rs.z] = i32(j);
}
`;
}

class Sort extends Function {
  static override forward(ctx: Ctx, x: Tensor, red: number[], descending: boolean): Tensor[] {
    const { values, indices } = sortRaw(x, red, descending);
    ctx.markNonDifferentiable(indices);
    ctx.saveForBackward(indices);
    ctx.inShape = x.shape;
    ctx.red = red;
    return [values, indices];
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [idx] = ctx.savedTensors;
    // A 0-d tensor has nothing to permute.
    if (ctx.red.length === 0) return [g, null, null];
    return [scatterPermutation(g, ctx.red[0], idx, ctx.inShape), null, null];
  }
}

export interface SortOptions { dim?: number; descending?: boolean; stable?: boolean }

/**
 * Sorted values along `dim` (default -1) and the int32 positions they came from. Always
 * stable: equal values keep their order (`stable: false` is accepted, as PyTorch allows).
 * NaN sorts as the largest value. Also sort({ dim, descending, stable }).
 */
export function sort(t: Tensor, dim?: number | SortOptions, descending?: boolean): { values: Tensor; indices: Tensor } {
  checkInput('sort', t);
  let d: unknown = dim ?? -1;
  let desc: unknown = descending ?? false;
  if (dim !== null && typeof dim === 'object') {
    if (descending !== undefined) throw new Error(`sort: pass descending inside the options object, got a second argument ${describe(descending)}`);
    const o = checkOptions('sort', dim, ['dim', 'descending', 'stable']);
    d = o.dim ?? -1;
    desc = o.descending ?? false;
    if (o.stable !== undefined) checkBool('sort', 'stable', o.stable);
  }
  const red = oneDim('sort', t, d);
  checkBool('sort', 'descending', desc);
  const [values, indices] = Sort.apply(t, red, desc) as Tensor[];
  return { values, indices };
}

/** The int32 positions that sort `t` along `dim` (default -1), stable. */
export function argsort(t: Tensor, dim = -1, descending = false): Tensor {
  checkInput('argsort', t);
  const red = oneDim('argsort', t, dim);
  checkBool('argsort', 'descending', descending);
  const { values, indices } = sortRaw(t, red, descending);
  values.dispose();
  return indices;
}
