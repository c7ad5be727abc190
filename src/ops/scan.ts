// cumsum along one dim: a row problem (rows.ts). The CPU sums a row in float64 and rounds
// each prefix, as PyTorch's CPU kernel does; the GPU gives each row a workgroup whose threads
// sum consecutive chunks, scan the chunk totals in workgroup memory, then write their
// chunk's prefixes, so any row length works in one dispatch. The gradient is the same scan
// run from the end of the row.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { wgslType } from '../tensor/dtype.js';
import { contiguousStrides } from '../tensor/shape.js';
import { checkInput, enableF16, forEachRow, oneDim, ROW_WGSL, rowPlan, rowUniforms, storer, WG } from './rows.js';
import { copyRaw } from './elementwise.js';

/** Inclusive prefix sums along `red` (one dim, or none for a 0-d tensor), from the end of
 * the row when `reverse`. Not recorded. */
function cumsumRaw(t: Tensor, red: number[], reverse: boolean): Tensor {
  const out = Tensor.empty(t.shape, t.dtype, t.device, 'cumsum');
  if (out.numel === 0) return out;
  const p = rowPlan(t.shape, red, [t, { strides: contiguousStrides(t.shape), offset: 0 }])!; // one dim always collapses
  if (t.device === 'cpu') {
    const xd = t.data;
    const od = out.data;
    const st = storer(t.dtype);
    const int = t.dtype === 'int32';
    forEachRow(p, (_, b) => {
      let acc = 0;
      for (let q = 0; q < p.n; q++) {
        const j = reverse ? p.n - 1 - q : q;
        acc = int ? (acc + xd[b[0] + j * p.rs[0]]) | 0 : acc + xd[b[0] + j * p.rs[0]];
        od[b[1] + j * p.rs[1]] = st(acc);
      }
    });
    return out;
  }
  const it = wgslType(t.dtype);
  t.storage.gpu!.dispatch({
    key: `cumsum:${it}:${reverse ? 'rev' : 'fwd'}`,
    wgsl: () => scanWgsl(it, t.dtype === 'int32' ? 'i32' : 'f32', reverse),
    inputs: [t.buffer],
    outputs: [out.buffer],
    uniforms: rowUniforms('cumsum', p),
    workgroups: p.rows,
  });
  return out;
}

function scanWgsl(it: string, ct: string, reverse: boolean): string {
  const pos = reverse ? 'u.n - 1u - q' : 'q';
  return `${enableF16(it)}${ROW_WGSL}
@group(0) @binding(1) var<storage, read> X: array<${it}>;
@group(0) @binding(2) var<storage, read_write> O: array<${it}>;
var<workgroup> tot: array<${ct}, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.rows) { return; }
  let b = bases(row);
  let chunk = (u.n + ${WG - 1}u) / ${WG}u;
  let start = min(u.n, lid * chunk);
  let end = min(u.n, start + chunk);
  var acc = ${ct}(0);
  for (var q = start; q < end; q++) { acc += ${ct}(X[b.x + (${pos}) * u.rs.x]); }
  tot[lid] = acc;
  workgroupBarrier();
  // Hillis-Steele inclusive scan of the chunk totals.
  for (var s = 1u; s < ${WG}u; s <<= 1u) {
    let add = select(${ct}(0), tot[max(lid, s) - s], lid >= s);
    workgroupBarrier();
    tot[lid] += add;
    workgroupBarrier();
  }
  acc = select(${ct}(0), tot[max(lid, 1u) - 1u], lid > 0u);
  for (var q = start; q < end; q++) {
    let j = ${pos};
    acc += ${ct}(X[b.x + j * u.rs.x]);
    O[b.y + j * u.rs.y] = ${it}(acc);
  }
}
`;
}

class CumSum extends Function {
  static override forward(ctx: Ctx, t: Tensor, red: number[], reverse: boolean): Tensor {
    ctx.red = red;
    ctx.reverse = reverse;
    return cumsumRaw(t, red, reverse);
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    return [CumSum.apply(g, ctx.red, !ctx.reverse), null, null];
  }
}

/** Inclusive cumulative sum along `dim`; int32 stays int32 (PyTorch gives int64) and wraps. */
export function cumsum(t: Tensor, dim: number): Tensor {
  checkInput('cumsum', t);
  const red = oneDim('cumsum', t, dim);
  if (t.dtype !== 'bool') return CumSum.apply(t, red, false);
  // A bool running sum counts the true elements, in int32 (PyTorch's int64), as sum does.
  const ints = copyRaw(t, 'int32');
  try { return CumSum.apply(ints, red, false) as Tensor; } finally { ints.dispose(); }
}

/** The running sum from the end of the row along `dim` (recorded): cumprod's and others' backward. */
export function reverseCumsum(t: Tensor, dim: number): Tensor {
  checkInput('cumsum', t);
  return CumSum.apply(t, oneDim('cumsum', t, dim), true);
}
