// logsumexp as one autograd Function, after torch.logsumexp. Composed from max, sub, exp,
// sum, log and add it cost six dispatches forward and three backward, and nn.MoE's router
// z-loss takes it every step of a host-bound training loop. Fused: one row kernel forward
// (a workgroup per row, as softmax), one map backward.
//
// Each row is shifted by its max m so exp never overflows: lse = log Σ exp(x − m) + m. As in
// PyTorch, an infinite m is replaced by 0 before the shift (∞ − ∞ would be NaN), so a row of
// all −∞ gives −∞, a row holding +∞ gives +∞, and a NaN anywhere in a row gives NaN.
// The gradient is dx = dy · exp(x − lse) (a softmax), PyTorch's formula, including its NaN
// for rows whose lse is infinite.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { contiguousStrides, fmtShape, describe } from '../tensor/shape.js';
import { isFloat, wgslType } from '../tensor/dtype.js';
import { mapRaw, type MapSpec } from './map.js';
import { copyRaw } from './elementwise.js';
import { full } from './view.js';
import { checkBool, checkInput, enableF16, forEachRow, reduceDims, ROW_WGSL, rowPlan, rowUniforms, storer, WG, WG_REDUCE_WGSL, type RowPlan } from './rows.js';

/** The reduced dims kept as size 1: the shape the result broadcasts against x with. */
const keepShapeOf = (shape: readonly number[], red: readonly number[]): number[] => shape.map((s, i) => (red.includes(i) ? 1 : s));

/** t (of x's shape less the reduced dims) as a view of the keepdim shape: stride 0 on the inserted dims. */
function asKeepdim(t: Tensor, shape: readonly number[], red: readonly number[]): Tensor {
  const strides: number[] = [];
  let j = 0;
  for (let i = 0; i < shape.length; i++) strides.push(red.includes(i) ? 0 : t.strides[j++]);
  return t.withLayout(keepShapeOf(shape, red), strides, t.offset);
}

// ---- forward ----

function lseRaw(x: Tensor, red: number[], keepdim: boolean): Tensor {
  const keepShape = keepShapeOf(x.shape, red);
  const outShape = keepdim ? keepShape : x.shape.filter((_, i) => !red.includes(i));
  if (red.some((d) => x.shape[d] === 0)) return full(outShape, -Infinity, x.dtype, x.device); // log of an empty sum
  const out = Tensor.empty(outShape, x.dtype, x.device, 'logsumexp');
  if (out.numel === 0) return out;
  // The output through the problem's dims: stride 0 along the row.
  const os = contiguousStrides(keepShape).map((s, i) => (red.includes(i) ? 0 : s));
  let src = x;
  let p = rowPlan(x.shape, red, [x, { strides: os, offset: 0 }]);
  if (!p) {
    // Several reduced dims that do not collapse into one stride: copy with them moved last.
    const perm = [...x.shape.map((_, i) => i).filter((i) => !red.includes(i)), ...red];
    const moved = x.withLayout(perm.map((d) => x.shape[d]), perm.map((d) => x.strides[d]), x.offset);
    src = copyRaw(moved);
    moved.dispose();
    const kept = perm.length - red.length;
    p = rowPlan(src.shape, red.map((_, i) => kept + i), [src, { strides: perm.map((d) => os[d]), offset: 0 }])!;
  }
  if (x.device === 'cpu') cpuRows(src, out, p);
  else {
    const it = wgslType(x.dtype);
    src.storage.gpu!.dispatch({
      key: `logsumexp:${it}`,
      wgsl: () => lseWgsl(it),
      inputs: [src.buffer],
      outputs: [out.buffer],
      uniforms: rowUniforms('logsumexp', p),
      workgroups: p.rows,
    });
  }
  if (src !== x) src.dispose();
  return out;
}

function cpuRows(x: Tensor, out: Tensor, p: RowPlan): void {
  const xd = x.data;
  const od = out.data;
  const st = storer(out.dtype);
  const [rx] = p.rs;
  forEachRow(p, (_, b) => {
    let m = -Infinity;
    for (let j = 0; j < p.n; j++) {
      const v = xd[b[0] + j * rx];
      if (v > m || v !== v) m = v;
      if (m !== m) break;
    }
    if (Math.abs(m) === Infinity) m = 0;
    let s = 0;
    for (let j = 0; j < p.n; j++) s += Math.exp(xd[b[0] + j * rx] - m);
    od[b[1]] = st(Math.log(s) + m);
  });
}

// Sums accumulate in f32 for every input dtype. WGSL has no infinity literals and leaves
// log(0) and log(∞) to the implementation, so the −∞ (all-−∞ row) and +∞ results are made
// from bits at run time (u.p0 is 0) and chosen explicitly.
function lseWgsl(t: string): string {
  const x = 'f32(X[b.x + j * u.rs.x])';
  return `${enableF16(t)}${ROW_WGSL}
@group(0) @binding(1) var<storage, read> X: array<${t}>;
@group(0) @binding(2) var<storage, read_write> O: array<${t}>;
${WG_REDUCE_WGSL}
const BIG = 0x1.fffffep+127f; // the largest finite f32
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.rows) { return; }
  let b = bases(row);
  var m = -BIG;
  for (var j = lid; j < u.n; j += ${WG}u) { m = max(m, ${x}); }
  m = wgReduce(m, lid, true);
  if (abs(m) > BIG) { m = 0.0; }
  var s = 0.0;
  for (var j = lid; j < u.n; j += ${WG}u) { s += exp(${x} - m); }
  s = wgReduce(s, lid, false);
  if (lid == 0u) {
    var r = log(s) + m;
    if (s == 0.0) { r = bitcast<f32>(0xff800000u | u.p0); }
    if (s > BIG) { r = bitcast<f32>(0x7f800000u | u.p0); }
    O[b.y] = ${t}(r);
  }
}
`;
}

// ---- backward ----

const LSE_GRAD: MapSpec = { name: 'logsumexp_grad', cpu: (x, l, g) => g * Math.exp(x - l), wgsl: 'c * exp(a - b)', floatOnly: true };

class LogSumExp extends Function {
  static override forward(ctx: Ctx, x: Tensor, red: number[], keepdim: boolean): Tensor {
    const y = lseRaw(x, red, keepdim);
    ctx.saveForBackward(x, y);
    ctx.red = red;
    ctx.keepdim = keepdim;
    return y;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [x, y] = ctx.savedTensors;
    const red: number[] = ctx.red;
    // y and dy broadcast along the reduced dims, read through stride-0 views (no copies).
    const yk = ctx.keepdim ? y : asKeepdim(y, x.shape, red);
    const gk = ctx.keepdim ? dy : asKeepdim(dy, x.shape, red);
    const dx = mapRaw(LSE_GRAD, [x, yk, gk], x.dtype);
    if (yk !== y) yk.dispose();
    if (gk !== dy) gk.dispose();
    return [dx, null, null];
  }
}

/**
 * log Σ exp(x) over `dim` (a number, or a non-empty array of dims), without overflow for large
 * x, as torch.logsumexp: the reduced dims are removed unless keepdim. Floating point only;
 * float16 sums in float32.
 */
export function logsumexp(x: Tensor, dim: number | number[], keepdim = false): Tensor {
  const op = 'logsumexp';
  checkInput(op, x);
  if (dim === undefined || dim === null || (Array.isArray(dim) && dim.length === 0)) {
    throw new Error(`${op}: dim must be a number or a non-empty array of numbers, got ${describe(dim)} (input shape ${fmtShape(x.shape)})`);
  }
  let red: number[];
  try {
    red = reduceDims(op, x, dim);
  } catch (e) {
    throw new Error(`${(e as Error).message} (input shape ${fmtShape(x.shape)})`);
  }
  checkBool(op, 'keepdim', keepdim);
  // As PyTorch, an int32 or bool input is computed in (and gives) float32.
  if (!isFloat(x.dtype)) {
    const f = copyRaw(x, 'float32');
    try { return LogSumExp.apply(f, red, keepdim) as Tensor; } finally { f.dispose(); }
  }
  return LogSumExp.apply(x, red, keepdim);
}
