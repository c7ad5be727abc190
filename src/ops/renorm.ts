// v / v.sum(dim, keepdim) as one autograd Function: how a mixture of experts renormalizes its
// top-k gates. Written out it is a sum and a division forward and, backward, the division's
// two gradients, the sum's and their total (six dispatches); here each direction is one row
// kernel. Backward needs only v: with s = Σ v along the row and y = v / s,
//   dv = (dy − Σ dy·y) / s.
// The specials are the formula's: a NaN in a row gives NaN there, a row of zeros 0/0 = NaN
// (and a mixed-sign row summing to 0, ±Inf).
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { contiguousStrides } from '../tensor/shape.js';
import { wgslType } from '../tensor/dtype.js';
import { forEachRow, rowKernel, rowPlan, rowUniforms, storer, WG } from './rows.js';

/** Runs forward (dy null: out = v / Σv) or backward (out = dv) over the rows along `red`. */
function renormRaw(v: Tensor, dy: Tensor | null, red: number[]): Tensor {
  const out = Tensor.empty(v.shape, v.dtype, v.device, 'renormalize');
  const ops = [v, ...(dy ? [dy] : []), { strides: contiguousStrides(out.shape), offset: 0 }];
  const p = rowPlan(v.shape, red, ops)!; // one dim always collapses
  if (p.rows === 0 || p.n === 0) return out;
  if (v.device === 'cpu') {
    const [vd, od, st] = [v.data, out.data, storer(out.dtype)];
    const gd = dy?.data;
    const ro = p.rs[p.rs.length - 1];
    forEachRow(p, (_, b) => {
      const at = (j: number): number => vd[b[0] + j * p.rs[0]];
      let s = 0;
      for (let j = 0; j < p.n; j++) s += at(j);
      const bo = b[b.length - 1];
      if (!gd) { for (let j = 0; j < p.n; j++) od[bo + j * ro] = st(at(j) / s); return; }
      const g = (j: number): number => gd[b[1] + j * p.rs[1]];
      let dot = 0;
      for (let j = 0; j < p.n; j++) dot += g(j) * (at(j) / s);
      for (let j = 0; j < p.n; j++) od[bo + j * ro] = st((g(j) - dot) / s);
    });
    return out;
  }
  const [vt, gt, ot] = [wgslType(v.dtype), dy ? wgslType(dy.dtype) : '', wgslType(out.dtype)];
  v.storage.gpu!.dispatch({
    key: `renorm:${dy ? 'bwd' : 'fwd'}:${vt}${gt && `,${gt}`}>${ot}`,
    wgsl: () => renormWgsl(vt, gt, ot),
    inputs: dy ? [v.buffer, dy.buffer] : [v.buffer],
    outputs: [out.buffer],
    uniforms: rowUniforms('renormalize', p),
    workgroups: p.rows,
  });
  return out;
}

/** One workgroup per row: s = Σ v, then y = v / s, or dy's dot with y and dv. */
function renormWgsl(vt: string, gt: string, ot: string): string {
  const bwd = gt !== '';
  const v = 'f32(V[b.x + j * u.rs.x])';
  const g = 'f32(G[b.y + j * u.rs.y])';
  const [bo, ro] = bwd ? ['b.z', 'u.rs.z'] : ['b.y', 'u.rs.y'];
  const tail = bwd
    ? `var dot = 0.0;
  for (var j = lid; j < u.n; j += ${WG}u) { dot += ${g} * (${v} / s); }
  dot = wgReduce(dot, lid, false);
  for (var j = lid; j < u.n; j += ${WG}u) { O[${bo} + j * ${ro}] = ${ot}((${g} - dot) / s); }`
    : `for (var j = lid; j < u.n; j += ${WG}u) { O[${bo} + j * ${ro}] = ${ot}(${v} / s); }`;
  const binds = `@group(0) @binding(1) var<storage, read> V: array<${vt}>;
${bwd ? `@group(0) @binding(2) var<storage, read> G: array<${gt}>;\n` : ''}@group(0) @binding(${bwd ? 3 : 2}) var<storage, read_write> O: array<${ot}>;
`;
  return rowKernel([vt, gt, ot], binds, `  var s = 0.0;
  for (var j = lid; j < u.n; j += ${WG}u) { s += ${v}; }
  s = wgReduce(s, lid, false);
  ${tail}
`);
}

class Renormalize extends Function {
  static override forward(ctx: Ctx, v: Tensor, red: number[]): Tensor {
    ctx.saveForBackward(v);
    ctx.red = red;
    return renormRaw(v, null, red);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [v] = ctx.savedTensors;
    return [renormRaw(v, dy, ctx.red), null];
  }
}

/** v / v.sum(dim, true) for a float tensor v (the caller checks it), one kernel each way. */
export function renormalizeRows(v: Tensor, dim: number): Tensor {
  const d = dim < 0 ? dim + v.ndim : dim;
  return Renormalize.apply(v, v.ndim === 0 ? [] : [d]);
}
