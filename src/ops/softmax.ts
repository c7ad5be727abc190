// softmax, logSoftmax and crossEntropy: one row kernel family. Each row takes its max,
// then sum(exp(x - max)) (so large logits never overflow), then writes what the mode asks:
//   softmax     exp(x - m) / s                       (same shape as x)
//   logsoftmax  x - m - log(s)
//   xent        m + log(s) - x[target]               (one loss per row)
//   xentgrad    (softmax(x) - onehot(target)) * g    (crossEntropy's backward, fused)
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { contiguousStrides, fmtShape } from '../tensor/shape.js';
import { isFloat, wgslType } from '../tensor/dtype.js';
import { mapRaw, type MapSpec } from './map.js';
import { MAP_SPECS } from './elementwise.js';
import { checkInput, forEachRow, oneDim, rowKernel, rowPlan, rowUniforms, storer, WG, type RowOperand, type RowPlan } from './rows.js';
import { reduceRaw } from './reduce.js';

type Mode = 'softmax' | 'logsoftmax' | 'xent' | 'xentgrad';

/**
 * Runs `mode` over the rows of x (the row dim `red`, [] for a 0-d tensor). `extra` are the
 * target (xent) or target and upstream gradient (xentgrad) as row operands; `out` is last.
 */
function rowSoftmax(mode: Mode, x: Tensor, red: number[], extra: Array<{ t: Tensor; op: RowOperand }>, out: Tensor, outOp: RowOperand, scale = 1): Tensor {
  const p = rowPlan(x.shape, red, [x, ...extra.map((e) => e.op), outOp])!; // one dim always collapses
  if (p.rows === 0 || p.n === 0) return out;
  if (x.device === 'cpu') cpuRows(mode, x, extra.map((e) => e.t), out, p, scale);
  else {
    const it = wgslType(x.dtype);
    const ot = wgslType(out.dtype);
    const gt = mode === 'xentgrad' ? wgslType(extra[1].t.dtype) : '';
    x.storage.gpu!.dispatch({
      key: `softmax:${mode}:${it}>${ot}${gt && `:${gt}`}`,
      wgsl: () => softmaxWgsl(mode, it, ot, gt),
      inputs: [x.buffer, ...extra.map((e) => e.t.buffer)],
      outputs: [out.buffer],
      uniforms: rowUniforms(mode, p, 0, scale),
      workgroups: p.rows,
    });
  }
  return out;
}

function cpuRows(mode: Mode, x: Tensor, extra: Tensor[], out: Tensor, p: RowPlan, scale: number): void {
  const xd = x.data;
  const od = out.data;
  const st = storer(out.dtype);
  const [rx] = p.rs;
  const ro = p.rs[p.rs.length - 1];
  const last = p.rs.length - 1;
  forEachRow(p, (_, b) => {
    let m = -Infinity;
    for (let j = 0; j < p.n; j++) m = Math.max(m, xd[b[0] + j * rx]);
    let s = 0;
    for (let j = 0; j < p.n; j++) s += Math.exp(xd[b[0] + j * rx] - m);
    const ls = Math.log(s);
    if (mode === 'softmax') for (let j = 0; j < p.n; j++) od[b[last] + j * ro] = st(Math.exp(xd[b[0] + j * rx] - m) / s);
    else if (mode === 'logsoftmax') for (let j = 0; j < p.n; j++) od[b[last] + j * ro] = st(xd[b[0] + j * rx] - m - ls);
    else {
      const t = extra[0].data[b[1]];
      if (mode === 'xent') {
        od[b[last]] = st(t === IGNORE ? 0 : t >= 0 && t < p.n ? m + ls - xd[b[0] + t * rx] : NaN);
        return;
      }
      const g = t === IGNORE ? 0 : extra[1].data[b[2]] * scale;
      for (let j = 0; j < p.n; j++) od[b[last] + j * ro] = st((Math.exp(xd[b[0] + j * rx] - m) / s - (j === t ? 1 : 0)) * g);
    }
  });
}

function softmaxWgsl(mode: Mode, it: string, ot: string, gt: string): string {
  const xent = mode === 'xent' || mode === 'xentgrad';
  let binds = `@group(0) @binding(1) var<storage, read> X: array<${it}>;\n`;
  if (xent) binds += '@group(0) @binding(2) var<storage, read> T: array<i32>;\n';
  if (mode === 'xentgrad') binds += `@group(0) @binding(3) var<storage, read> G: array<${gt}>;\n`;
  const ob = mode === 'softmax' || mode === 'logsoftmax' ? 2 : mode === 'xent' ? 3 : 4;
  binds += `@group(0) @binding(${ob}) var<storage, read_write> O: array<${ot}>;\n`;
  // the output's row start: bases(row) component of the last operand
  const bo = ['', '', 'b.y', 'b.z', 'b.w'][ob];
  const ro = ['', '', 'u.rs.y', 'u.rs.z', 'u.rs.w'][ob];
  const x = 'f32(X[b.x + j * u.rs.x])';
  let tail = '';
  if (mode === 'softmax') tail = `for (var j = lid; j < u.n; j += ${WG}u) { O[${bo} + j * ${ro}] = ${ot}(exp(${x} - m) / s); }`;
  else if (mode === 'logsoftmax') tail = `let ls = log(s);\n  for (var j = lid; j < u.n; j += ${WG}u) { O[${bo} + j * ${ro}] = ${ot}(${x} - m - ls); }`;
  else if (mode === 'xent') {
    // An out-of-range target cannot be reported from the GPU without a readback: it gives NaN.
    tail = `if (lid == 0u) {
    let t = T[b.y];
    var l = bitcast<f32>(0x7fc00000u | u.p0); // NaN, built at run time (p0 is 0): no NaN constants in WGSL
    if (t == ${IGNORE}) { l = 0.0; }
    if (t >= 0 && u32(t) < u.n) { l = m + log(s) - f32(X[b.x + u32(t) * u.rs.x]); }
    O[${bo}] = ${ot}(l);
  }`;
  } else {
    tail = `let t = T[b.y];
  let g = select(f32(G[b.z]) * u.scale, 0.0, t == ${IGNORE});
  for (var j = lid; j < u.n; j += ${WG}u) { O[${bo} + j * ${ro}] = ${ot}((exp(${x} - m) / s - select(0.0, 1.0, i32(j) == t)) * g); }`;
  }
  return rowKernel([it, ot, gt], binds, `  var m = -0x1.fffffep+127f; // the lowest f32: WGSL has no infinity constant
  for (var j = lid; j < u.n; j += ${WG}u) { m = max(m, ${x}); }
  m = wgReduce(m, lid, true);
  var s = 0.0;
  for (var j = lid; j < u.n; j += ${WG}u) { s += exp(${x} - m); }
  s = wgReduce(s, lid, false);
  ${tail}
`);
}

const contig = (t: Tensor): RowOperand => ({ strides: contiguousStrides(t.shape), offset: 0 });

/**
 * Softmax's backward as one row kernel (a product, a sum and a map were three dispatches):
 * along each row s = Σ dy·y, dx = y·(dy − s) for softmax; s = Σ dy, dx = dy − exp(y)·s for
 * logSoftmax; y is the forward's output.
 */
function softmaxGradRaw(y: Tensor, dy: Tensor, red: number[], log: boolean): Tensor {
  const out = Tensor.empty(y.shape, y.dtype, y.device, 'softmax');
  const p = rowPlan(y.shape, red, [y, dy, contig(out)])!; // one dim always collapses
  if (p.rows === 0 || p.n === 0) return out;
  if (y.device === 'cpu') {
    const [yd, gd, od, st] = [y.data, dy.data, out.data, storer(out.dtype)];
    const [ry, rg, ro] = p.rs;
    forEachRow(p, (_, b) => {
      let s = 0;
      for (let j = 0; j < p.n; j++) s += log ? gd[b[1] + j * rg] : gd[b[1] + j * rg] * yd[b[0] + j * ry];
      for (let j = 0; j < p.n; j++) {
        const [yj, gj] = [yd[b[0] + j * ry], gd[b[1] + j * rg]];
        od[b[2] + j * ro] = st(log ? gj - Math.exp(yj) * s : yj * (gj - s));
      }
    });
    return out;
  }
  const [yt, gt, ot] = [wgslType(y.dtype), wgslType(dy.dtype), wgslType(out.dtype)];
  y.storage.gpu!.dispatch({
    key: `softmax:grad:${log ? 'log' : 'plain'}:${yt},${gt}>${ot}`,
    wgsl: () => softmaxGradWgsl(log, yt, gt, ot),
    inputs: [y.buffer, dy.buffer],
    outputs: [out.buffer],
    uniforms: rowUniforms('softmax', p),
    workgroups: p.rows,
  });
  return out;
}

function softmaxGradWgsl(log: boolean, yt: string, gt: string, ot: string): string {
  const [y, g] = ['f32(Y[b.x + j * u.rs.x])', 'f32(G[b.y + j * u.rs.y])'];
  const binds = `@group(0) @binding(1) var<storage, read> Y: array<${yt}>;
@group(0) @binding(2) var<storage, read> G: array<${gt}>;
@group(0) @binding(3) var<storage, read_write> O: array<${ot}>;
`;
  return rowKernel([yt, gt, ot], binds, `  var s = 0.0;
  for (var j = lid; j < u.n; j += ${WG}u) { s += ${log ? g : `${g} * ${y}`}; }
  s = wgReduce(s, lid, false);
  for (var j = lid; j < u.n; j += ${WG}u) { O[b.z + j * u.rs.z] = ${ot}(${log ? `${g} - exp(${y}) * s` : `${y} * (${g} - s)`}); }
`);
}

class Softmax extends Function {
  static override forward(ctx: Ctx, x: Tensor, red: number[], log: boolean): Tensor {
    const y = Tensor.empty(x.shape, x.dtype, x.device, 'softmax');
    rowSoftmax(log ? 'logsoftmax' : 'softmax', x, red, [], y, contig(y));
    ctx.saveForBackward(y);
    ctx.red = red;
    ctx.log = log;
    return y;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [y] = ctx.savedTensors;
    return [softmaxGradRaw(y, dy, ctx.red, ctx.log), null, null];
  }
}

function softmaxFn(op: string, t: Tensor, dim: number, log: boolean): Tensor {
  checkInput(op, t);
  const red = oneDim(op, t, dim);
  if (!isFloat(t.dtype)) throw new Error(`${op}: input dtype ${t.dtype} is not supported (needs a floating point tensor; cast with .float() first), input shape ${fmtShape(t.shape)}`);
  return Softmax.apply(t, red, log);
}

export const softmax = (t: Tensor, dim: number): Tensor => softmaxFn('softmax', t, dim, false);
export const logSoftmax = (t: Tensor, dim: number): Tensor => softmaxFn('logSoftmax', t, dim, true);

// ---- crossEntropy ----

/** logits [N, C] (or [C]) and target [N] (or []) as row operands over the problem [N, C]. */
function xentOperands(logits: Tensor, target: Tensor): { x: RowOperand; shape: number[]; t: RowOperand } {
  if (logits.ndim === 1) {
    return { shape: [1, logits.shape[0]], x: { strides: [0, logits.strides[0]], offset: logits.offset }, t: { strides: [0, 0], offset: target.offset } };
  }
  return { shape: logits.shape, x: logits, t: { strides: [target.strides[0], 0], offset: target.offset } };
}

/** Per-row losses, shaped like target. */
function xentRaw(logits: Tensor, target: Tensor): Tensor {
  const o = xentOperands(logits, target);
  const out = Tensor.empty(target.shape, logits.dtype, logits.device);
  const view = logits.withLayout(o.shape, o.x.strides, o.x.offset);
  rowSoftmax('xent', view, [1], [{ t: target, op: o.t }], out, { strides: [1, 0], offset: 0 });
  view.dispose();
  return out;
}

/** d loss / d logits for per-row upstream gradients g (shaped like target, or 0-d shared by all rows). */
function xentGradRaw(logits: Tensor, target: Tensor, g: Tensor, scale: number): Tensor {
  const o = xentOperands(logits, target);
  const gs = g.ndim === 0 ? [0, 0] : [g.strides[0], 0];
  const out = Tensor.empty(logits.shape, logits.dtype, logits.device);
  const view = logits.withLayout(o.shape, o.x.strides, o.x.offset);
  rowSoftmax('xentgrad', view, [1], [{ t: target, op: o.t }, { t: g, op: { strides: gs, offset: g.offset } }], out,
    { strides: contiguousStrides(o.shape), offset: 0 }, scale);
  view.dispose();
  return out;
}

/** PyTorch's default ignore_index: rows with this target add nothing and are not counted. */
const IGNORE = -100;
const NOT_IGNORED: MapSpec = { name: 'not_ignored', cpu: (t) => (t === IGNORE ? 0 : 1), wgsl: `select(1.0, 0.0, a == ${IGNORE})`, floatOnly: true };

class CrossEntropy extends Function {
  static override forward(ctx: Ctx, logits: Tensor, target: Tensor, reduction: 'mean' | 'sum' | 'none'): Tensor {
    ctx.reduction = reduction;
    const losses = xentRaw(logits, target);
    const all = losses.shape.map((_, i) => i);
    // 'mean' divides by the number of targets that are not ignored, counted where they live.
    const count = reduction === 'mean' ? reduceRaw('sum', mapRaw(NOT_IGNORED, [target], 'float32'), all, false).values : null;
    ctx.saveForBackward(logits, target, ...(count ? [count] : []));
    if (reduction === 'none') return losses;
    const total = reduceRaw('sum', losses, all, false).values;
    return count ? mapRaw(MAP_SPECS.div, [total, count], logits.dtype) : total;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [logits, target, count] = ctx.savedTensors;
    const g = count ? mapRaw(MAP_SPECS.div, [dy, count], dy.dtype) : dy;
    return [xentGradRaw(logits, target, g, 1), null, null];
  }
}

/**
 * The fused cross entropy of `logits` [N, C] (or [C]) against in-range int32 class indices
 * `target` [N] (or 0-d): one row kernel forward and one backward. loss.ts's crossEntropy
 * checks the arguments and takes this path when no option needs the general one.
 */
export function crossEntropyRows(logits: Tensor, target: Tensor, reduction: 'mean' | 'sum' | 'none'): Tensor {
  return CrossEntropy.apply(logits, target, reduction);
}
