// Reductions over any set of dims (sum, mean, amax/amin, max/min/argmax/argmin with indices).
//
// Each is a per-row problem (rows.ts): the kept dims enumerate rows, the reduced dim(s) run
// along a row. Each tensor a kernel touches (input, outputs, targets,
// indices) is read or written through its own strides, so a transposed or sliced input needs
// no copy; only when the reduced dims do not collapse into one stride is the input copied
// with those dims moved last. On the GPU a row is one workgroup (a strided loop, then a
// tree reduction in workgroup memory), so any row length and any number of rows work; sums
// and max/min along a strided dim whose rows are neighbours in memory take one invocation
// per row instead (columns; the kernels are in reduce-wgsl.ts).
import { Tensor } from '../tensor/tensor.js';
import { isFloat } from '../tensor/dtype.js';
import { Function, type Ctx } from '../autograd/function.js';
import { contiguousStrides, fmtShape, numel, describe } from '../tensor/shape.js';
import { mapRaw, type MapSpec } from './map.js';
import { checkBool, checkInput, forEachRow, oneDim, reduceDims, rowPlan, storer, type RowPlan } from './rows.js';
import { gpuReduce, type RMode } from './reduce-wgsl.js';
import { MAP_SPECS, copyInto, copyRaw } from './elementwise.js';
import { scatterRows } from './topk.js';


function checkNonEmpty(op: string, t: Tensor, red: number[]): void {
  const d = red.find((i) => t.shape[i] === 0);
  if (d !== undefined) {
    throw new Error(`${op}: expected reduction dim ${d} to have non-zero size, got input shape ${fmtShape(t.shape)} (a zero-size dim has nothing to take the ${op} of)`);
  }
}

// ---- the reduction kernel ----


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

// ---- Functions ----

class Sum extends Function {
  static override forward(ctx: Ctx, t: Tensor, red: number[], keepdim: boolean, isMean: boolean): Tensor {
    ctx.inShape = t.shape;
    ctx.keepShape = t.shape.map((s, i) => (red.includes(i) ? 1 : s));
    ctx.scale = isMean ? 1 / numel(red.map((d) => t.shape[d])) : 1;
    return reduceRaw('sum', t, red, keepdim, ctx.scale).values;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const g = dy.reshape(ctx.keepShape);
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
    return [scatterRows(dv.reshape(ctx.keepShape), idx.reshape(ctx.keepShape), ctx.red, ctx.inShape), null, null, null];
  }
}

// d amax / dx: dy shared evenly by the elements equal to their slice's result (PyTorch's
// amax rule, mask · g / count: a NaN result equals nothing, so its slice's gradient is NaN).
// max()/min() without a dim share it among the NaNs instead and leave the other elements 0
// even for a NaN or infinite g (PyTorch's evenly_distribute_backward, on the CPU).
const TIE_SHARE: MapSpec = { name: 'tie_share', cpu: (m, g, c) => (m * g) / c, wgsl: 'a * b / c', floatOnly: true };
const EVEN_SHARE: MapSpec = { name: 'even_share', cpu: (m, g, c) => (m === 0 ? 0 : g / c), wgsl: 'select(b / c, 0.0, a == 0.0)', floatOnly: true };

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
    const yk = y.reshape(keepShape);
    const gk = dy.reshape(keepShape);
    const mask = mapRaw(ctx.nanShare ? MAP_SPECS.eqNan : MAP_SPECS.eq, [x, yk], x.dtype);
    const count = reduceRaw('sum', mask, ctx.red, true).values;
    return [mapRaw(ctx.nanShare ? EVEN_SHARE : TIE_SHARE, [mask, gk, count]), null, null, null, null];
  }
}

// ---- public functions ----

export function sum(t: Tensor, dim?: number | number[], keepdim = false): Tensor {
  checkInput('sum', t);
  const red = reduceDims('sum', t, dim);
  checkBool('sum', 'keepdim', keepdim);
  if (t.dtype !== 'bool') return Sum.apply(t, red, keepdim, false);
  // A bool sum counts the true elements, in int32 (PyTorch's int64); bools have no gradient.
  const ints = copyRaw(t, 'int32');
  try { return Sum.apply(ints, red, keepdim, false); } finally { ints.dispose(); }
}

export function mean(t: Tensor, dim?: number | number[], keepdim = false): Tensor {
  checkInput('mean', t);
  const red = reduceDims('mean', t, dim);
  checkBool('mean', 'keepdim', keepdim);
  if (!isFloat(t.dtype)) throw new Error(`mean: input dtype ${t.dtype} is not supported (mean needs a floating point tensor; cast with .float() first), input shape ${fmtShape(t.shape)}`);
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
  if (t.dtype === 'bool') throw new Error(`${op}: a bool input is not supported, as in PyTorch (cast with .int() first), input shape ${fmtShape(t.shape)}`);
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
