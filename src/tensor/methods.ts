// The Tensor's op methods (x.add(y), x.sum(1), x.matmul(w)...), installed on its prototype
// from the ops side, as TF.js's chained ops are: tensor.ts imports no op, so the ops can
// import Tensor without a cycle. Each method is a one-liner onto the op's sg.* function;
// src/index.ts imports this file first, so every tensor has them.
import { Tensor, type Scalar, type ShapeArg } from './tensor.js';
import type { DType } from './dtype.js';
import type { DeviceKind } from '../backend/storage.js';
import { describe, fmtShape, forEachOffset, parseShapeArgs } from './shape.js';
import { runBackward, type BackwardOptions } from '../autograd/engine.js';
import * as E from '../ops/elementwise.js';
import { inplace } from '../ops/inplace.js';
import * as V from '../ops/view.js';
import * as R from '../ops/reduce.js';
import { softmax, logSoftmax } from '../ops/softmax.js';
import { topk } from '../ops/topk.js';
import * as M from '../ops/matmul.js';
import * as G from '../ops/gather.js';
// #24 masks and selection
import * as MK from '../ops/mask.js';
// #24 math
import * as MA from '../ops/math.js';
import * as MU from '../ops/math-unary.js';
import * as MB from '../ops/math-binary.js';
import * as MS from '../ops/math-special.js';
import { floorDivide } from '../ops/intdiv.js';
// #24 reductions, scans, sorting, scatter
import * as St from '../ops/stats.js';
import { cumsum } from '../ops/scan.js';
import * as Cu from '../ops/cumulative.js';
import * as Nr from '../ops/nanreduce.js';
import * as Or from '../ops/order.js';
import * as Cl from '../ops/close.js';
import { sort, argsort, type SortOptions } from '../ops/sort.js';
import * as Sc from '../ops/scatter.js';
import * as RA from '../ops/rearrange.js';
import * as D from '../ops/dims.js';
import { multinomial, type MultinomialOptions } from '../ops/sample.js';
// more accessors, new* creators and in-place ops, installed the same way
import './methods-more.js';
import './methods-ops.js'; // indexing, selection and linear algebra

type ValuesIndices = { values: Tensor; indices: Tensor };

declare module './tensor.js' {
  interface Tensor {
    /** A copy on another device (not recorded by autograd). */
    to(device: DeviceKind): Promise<Tensor>;
    /** backward(), backward(grad), backward(grad, { retainGraph }) or backward({ retainGraph }). */
    backward(grad?: Tensor | BackwardOptions, opts?: BackwardOptions): void;
    onesLike(): Tensor;
    zerosOf(shape: readonly number[], dtype: DType): Tensor;
    // elementwise
    add(o: Tensor | Scalar, alpha?: number): Tensor;
    sub(o: Tensor | Scalar, alpha?: number): Tensor;
    mul(o: Tensor | Scalar): Tensor;
    div(o: Tensor | Scalar, roundingMode?: 'trunc' | 'floor' | null | { roundingMode?: 'trunc' | 'floor' | null }): Tensor;
    pow(o: Tensor | Scalar): Tensor;
    maximum(o: Tensor): Tensor;
    minimum(o: Tensor): Tensor;
    eq(o: Tensor | Scalar): Tensor;
    ne(o: Tensor | Scalar): Tensor;
    lt(o: Tensor | Scalar): Tensor;
    le(o: Tensor | Scalar): Tensor;
    gt(o: Tensor | Scalar): Tensor;
    ge(o: Tensor | Scalar): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    relu(): Tensor;
    gelu(approximate?: 'none' | 'tanh'): Tensor;
    silu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    where(cond: Tensor, other: Tensor | Scalar): Tensor;
    cast(dtype: DType): Tensor;
    float(): Tensor;
    half(): Tensor;
    int(): Tensor;
    // in place (refused on tensors that require grad unless inside noGrad)
    copy_(src: Tensor | Scalar): this;
    add_(o: Tensor | Scalar, alpha?: number): this;
    sub_(o: Tensor | Scalar, alpha?: number): this;
    mul_(o: Tensor | Scalar): this;
    fill_(value: Scalar | Tensor): this;
    zero_(): this;
    // views and copies
    view(...shape: ShapeArg[]): Tensor;
    reshape(...shape: ShapeArg[]): Tensor;
    permute(...dims: ShapeArg[]): Tensor;
    transpose(d0: number, d1: number): Tensor;
    readonly T: Tensor;
    unsqueeze(dim: number): Tensor;
    squeeze(dim?: number): Tensor;
    expand(...shape: ShapeArg[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    slice(dim: number, start?: number, end?: number, step?: number): Tensor;
    chunk(chunks: number, dim?: number): Tensor[];
    split(sizes: number | number[], dim?: number): Tensor[];
    contiguous(): Tensor;
    clone(): Tensor;
    // reductions
    sum(dim?: number | number[], keepdim?: boolean): Tensor;
    mean(dim?: number | number[], keepdim?: boolean): Tensor;
    max(): Tensor;
    max(dim: number, keepdim?: boolean): ValuesIndices;
    min(): Tensor;
    min(dim: number, keepdim?: boolean): ValuesIndices;
    amax(dim?: number | number[], keepdim?: boolean): Tensor;
    amin(dim?: number | number[], keepdim?: boolean): Tensor;
    argmax(dim?: number, keepdim?: boolean): Tensor;
    argmin(dim?: number, keepdim?: boolean): Tensor;
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    topk(k: number, dim?: number, largest?: boolean, sorted?: boolean): ValuesIndices;
    // matmul and indexing
    matmul(o: Tensor): Tensor;
    bmm(o: Tensor): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    indexAdd(dim: number, index: Tensor, source: Tensor, alpha?: number): Tensor;
    // #24 masks and selection
    bool(): Tensor;
    maskedFill(mask: Tensor, value: Scalar | Tensor): Tensor;
    any(dim?: number | number[], keepdim?: boolean): Tensor;
    all(dim?: number | number[], keepdim?: boolean): Tensor;
    isnan(): Tensor;
    isinf(): Tensor;
    isfinite(): Tensor;
    logicalNot(): Tensor;
    logicalAnd(other: Tensor): Tensor;
    logicalOr(other: Tensor): Tensor;
    logicalXor(other: Tensor): Tensor;
    tril(diagonal?: number): Tensor;
    triu(diagonal?: number): Tensor;
    select(dim: number, index: number): Tensor;
    // #24 math
    clamp(min?: Tensor | Scalar | null, max?: Tensor | Scalar | null): Tensor;
    clip(min?: Tensor | Scalar | null, max?: Tensor | Scalar | null): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    erf(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    round(decimals?: number | { decimals?: number }): Tensor;
    trunc(): Tensor;
    floorDivide(o: Tensor | Scalar): Tensor;
    remainder(o: Tensor | Scalar): Tensor;
    fmod(o: Tensor | Scalar): Tensor;
    // more unary and binary math (math-unary.ts, math-binary.ts)
    sign(): Tensor;
    square(): Tensor;
    reciprocal(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    log2(): Tensor;
    log10(): Tensor;
    exp2(): Tensor;
    sinh(): Tensor;
    cosh(): Tensor;
    tan(): Tensor;
    asin(): Tensor;
    acos(): Tensor;
    atan(): Tensor;
    asinh(): Tensor;
    acosh(): Tensor;
    atanh(): Tensor;
    frac(): Tensor;
    relu6(): Tensor;
    hardsigmoid(): Tensor;
    hardswish(): Tensor;
    mish(): Tensor;
    selu(): Tensor;
    softsign(): Tensor;
    hardtanh(minVal?: number, maxVal?: number): Tensor;
    celu(alpha?: number): Tensor;
    atan2(other: Tensor): Tensor;
    hypot(other: Tensor): Tensor;
    xlogy(other: Tensor | Scalar): Tensor;
    logaddexp(other: Tensor): Tensor;
    fmax(other: Tensor): Tensor;
    fmin(other: Tensor): Tensor;
    lerp(end: Tensor, weight: Tensor | Scalar): Tensor;
    clampMin(min: Tensor | Scalar): Tensor;
    clampMax(max: Tensor | Scalar): Tensor;
    signbit(): Tensor;
    sgn(): Tensor;
    positive(): Tensor;
    deg2rad(): Tensor;
    rad2deg(): Tensor;
    hardshrink(lambd?: number): Tensor;
    erfc(): Tensor;
    erfinv(): Tensor;
    lgamma(): Tensor;
    digamma(): Tensor;
    logit(eps?: number | null): Tensor;
    sinc(): Tensor;
    copysign(other: Tensor | Scalar): Tensor;
    ldexp(other: Tensor): Tensor;
    logaddexp2(other: Tensor): Tensor;
    heaviside(values: Tensor): Tensor;
    trueDivide(other: Tensor | Scalar): Tensor;
    addcmul(tensor1: Tensor, tensor2: Tensor, opts?: number | { value?: number }): Tensor;
    addcdiv(tensor1: Tensor, tensor2: Tensor, opts?: number | { value?: number }): Tensor;
    // #24 reductions, scans, sorting, scatter
    var(dim?: number | number[] | null | St.VarOptions, opts?: St.VarOptions): Tensor;
    std(dim?: number | number[] | null | St.VarOptions, opts?: St.VarOptions): Tensor;
    prod(dim?: number | null, keepdim?: boolean): Tensor;
    cumsum(dim: number): Tensor;
    cumprod(dim: number): Tensor;
    cummax(dim: number): ValuesIndices;
    cummin(dim: number): ValuesIndices;
    logcumsumexp(dim: number): Tensor;
    diff(n?: number, dim?: number, prepend?: Tensor | null, append?: Tensor | null): Tensor;
    nansum(dim?: number | number[] | null, keepdim?: boolean): Tensor;
    nanmean(dim?: number | number[] | null, keepdim?: boolean): Tensor;
    nanToNum(nan?: number, posinf?: number | null, neginf?: number | null): Tensor;
    countNonzero(dim?: number | number[] | null): Tensor;
    median(): Tensor;
    median(dim: number, keepdim?: boolean): ValuesIndices;
    nanmedian(): Tensor;
    nanmedian(dim: number, keepdim?: boolean): ValuesIndices;
    kthvalue(k: number, dim?: number, keepdim?: boolean): ValuesIndices;
    quantile(q: number | Tensor, dim?: number | null, keepdim?: boolean, interpolation?: Or.QuantileInterpolation): Tensor;
    nanquantile(q: number | Tensor, dim?: number | null, keepdim?: boolean, interpolation?: Or.QuantileInterpolation): Tensor;
    isclose(other: Tensor, rtol?: number, atol?: number, equalNan?: boolean): Tensor;
    allclose(other: Tensor, rtol?: number, atol?: number, equalNan?: boolean): Promise<boolean>;
    equal(other: Tensor): Promise<boolean>;
    sort(dim?: number | SortOptions, descending?: boolean): ValuesIndices;
    argsort(dim?: number, descending?: boolean): Tensor;
    scatter(dim: number, index: Tensor, src: Tensor | number): Tensor;
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    scatterReduce(dim: number, index: Tensor, src: Tensor, reduce: Sc.ReduceMode, opts?: { includeSelf?: boolean }): Tensor;
    // #24 shaping, creation and misc
    repeat(...sizes: ShapeArg[]): Tensor;
    repeatInterleave(repeats: number | number[] | Tensor, dim?: number, opts?: { outputSize?: number }): Tensor;
    flip(...dims: ShapeArg[]): Tensor;
    roll(shifts: number | number[], dims?: number | number[]): Tensor;
    multinomial(numSamples: number, replacement?: boolean, opts?: MultinomialOptions): Tensor;
    movedim(source: number | number[], destination: number | number[]): Tensor;
    moveaxis(source: number | number[], destination: number | number[]): Tensor;
    swapaxes(axis0: number, axis1: number): Tensor;
    swapdims(dim0: number, dim1: number): Tensor;
    unflatten(dim: number, sizes: number[]): Tensor;
    unbind(dim?: number): Tensor[];
    tile(...dims: ShapeArg[]): Tensor;
    /** The last two dims transposed (a view), as PyTorch's .mT. */
    readonly mT: Tensor;
  }
}

/**
 * Writes `src` (a tensor of any dtype, cast, or a number) into t, in place; `op` names the
 * method in errors. A CPU source is uploaded into a GPU tensor, as PyTorch's copy_ crosses
 * devices; the other way needs a readback, which only the async `to()` can do.
 */
function assign<T extends Tensor>(op: string, t: T, src: Tensor | Scalar): T {
  let up: Tensor | null = null;
  if (src instanceof Tensor && src.device !== t.device) {
    src.assertAlive(op);
    if (src.device !== 'cpu') throw new Error(`${op}: cannot copy a ${src.device} tensor into a ${t.device} tensor synchronously; use await src.to('${t.device}') first`);
    const values = new Float64Array(src.numel);
    forEachOffset(src.shape, src.strides, src.offset, (off, i) => { values[i] = src.data[off]; });
    up = V.fromArray(values, src.shape, src.dtype === 'float64' ? 'float32' : src.dtype, t.device);
  }
  try {
    inplace(op, t, up ?? src, (_a, b) => (b instanceof Tensor ? E.copyRaw(b, t.dtype) : V.full(t.shape, b, t.dtype, t.device)), { assign: true });
  } finally {
    up?.dispose();
  }
  return t;
}

const methods: ThisType<Tensor> & Record<string, (...args: never[]) => unknown> = {
  async to(device: DeviceKind): Promise<Tensor> {
    this.assertAlive('to');
    if (device !== 'cpu' && device !== 'webgpu') throw new Error(`to: device must be 'cpu' or 'webgpu', got ${describe(device)}`);
    if (device === this.device) return V.contiguous(this).detach();
    const data = await this.toArray();
    return V.fromArray(data, this.shape, this.dtype, device);
  },
  backward(grad?: Tensor | BackwardOptions, opts?: BackwardOptions): void {
    if (grad !== undefined && grad !== null && !(grad instanceof Tensor) && typeof grad === 'object' && !Array.isArray(grad) && opts === undefined) {
      runBackward(this, undefined, grad as BackwardOptions);
    } else runBackward(this, grad as Tensor | undefined, opts);
  },
  onesLike(): Tensor { return V.full(this.shape, 1, this.dtype, this.device); },
  zerosOf(shape: readonly number[], dtype: DType): Tensor { return V.full(shape, 0, dtype, this.device); },

  add(o: Tensor | Scalar, alpha?: number): Tensor { return E.add(this, o, alpha); },
  sub(o: Tensor | Scalar, alpha?: number): Tensor { return E.sub(this, o, alpha); },
  mul(o: Tensor | Scalar): Tensor { return E.mul(this, o); },
  div(o: Tensor | Scalar, roundingMode?: 'trunc' | 'floor' | null | { roundingMode?: 'trunc' | 'floor' | null }): Tensor { return E.div(this, o, roundingMode); },
  pow(o: Tensor | Scalar): Tensor { return E.pow(this, o); },
  maximum(o: Tensor): Tensor { return E.maximum(this, o); },
  minimum(o: Tensor): Tensor { return E.minimum(this, o); },
  eq(o: Tensor | Scalar): Tensor { return E.eq(this, o); },
  ne(o: Tensor | Scalar): Tensor { return E.ne(this, o); },
  lt(o: Tensor | Scalar): Tensor { return E.lt(this, o); },
  le(o: Tensor | Scalar): Tensor { return E.le(this, o); },
  gt(o: Tensor | Scalar): Tensor { return E.gt(this, o); },
  ge(o: Tensor | Scalar): Tensor { return E.ge(this, o); },
  neg(): Tensor { return E.neg(this); },
  exp(): Tensor { return E.exp(this); },
  log(): Tensor { return E.log(this); },
  sqrt(): Tensor { return E.sqrt(this); },
  rsqrt(): Tensor { return E.rsqrt(this); },
  abs(): Tensor { return E.abs(this); },
  relu(): Tensor { return E.relu(this); },
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return E.gelu(this, approximate); },
  silu(): Tensor { return E.silu(this); },
  sigmoid(): Tensor { return E.sigmoid(this); },
  tanh(): Tensor { return E.tanh(this); },
  where(cond: Tensor, other: Tensor | Scalar): Tensor { return E.where(cond, this, other); },
  cast(dtype: DType): Tensor { return E.cast(this, dtype); },
  float(): Tensor { return E.cast(this, 'float32'); },
  half(): Tensor { return E.cast(this, 'float16'); },
  int(): Tensor { return E.cast(this, 'int32'); },

  copy_(src: Tensor | Scalar): Tensor { return assign('copy_', this, src); },
  add_(o: Tensor | Scalar, alpha = 1): Tensor { return inplace('add_', this, o, (a, b) => E.add(a, b, alpha), { alpha }); },
  sub_(o: Tensor | Scalar, alpha = 1): Tensor { return inplace('sub_', this, o, (a, b) => E.sub(a, b, alpha), { alpha }); },
  mul_(o: Tensor | Scalar): Tensor { return inplace('mul_', this, o, (a, b) => E.mul(a, b)); },
  fill_(value: Scalar | Tensor): Tensor {
    // As PyTorch: a number, or a 0-d tensor holding one.
    if (typeof value !== 'number' && !(value instanceof Tensor && value.ndim === 0)) throw new Error(`fill_: value must be a number or a 0-d tensor, got ${describe(value)}`);
    return assign('fill_', this, value);
  },
  zero_(): Tensor { return assign('zero_', this, 0); },

  view(...shape: ShapeArg[]): Tensor { return V.view(this, parseShapeArgs('view', shape)); },
  reshape(...shape: ShapeArg[]): Tensor { return V.reshape(this, parseShapeArgs('reshape', shape)); },
  permute(...dims: ShapeArg[]): Tensor { return V.permute(this, parseShapeArgs('permute', dims)); },
  transpose(d0: number, d1: number): Tensor { return V.transpose(this, d0, d1); },
  unsqueeze(dim: number): Tensor { return V.unsqueeze(this, dim); },
  squeeze(dim?: number): Tensor { return V.squeeze(this, dim); },
  expand(...shape: ShapeArg[]): Tensor { return V.expand(this, parseShapeArgs('expand', shape)); },
  flatten(startDim = 0, endDim = -1): Tensor { return V.flatten(this, startDim, endDim); },
  narrow(dim: number, start: number, length: number): Tensor { return V.narrow(this, dim, start, length); },
  slice(dim: number, start?: number, end?: number, step?: number): Tensor { return V.slice(this, dim, start, end, step); },
  chunk(chunks: number, dim = 0): Tensor[] { return V.chunk(this, chunks, dim); },
  split(sizes: number | number[], dim = 0): Tensor[] { return V.split(this, sizes, dim); },
  contiguous(): Tensor { return V.contiguous(this); },
  clone(): Tensor { return V.clone(this); },

  sum(dim?: number | number[], keepdim = false): Tensor { return R.sum(this, dim, keepdim); },
  mean(dim?: number | number[], keepdim = false): Tensor { return R.mean(this, dim, keepdim); },
  max(dim?: number, keepdim = false): Tensor | ValuesIndices { return dim === undefined ? R.max(this) : R.max(this, dim, keepdim); },
  min(dim?: number, keepdim = false): Tensor | ValuesIndices { return dim === undefined ? R.min(this) : R.min(this, dim, keepdim); },
  amax(dim?: number | number[], keepdim = false): Tensor { return R.amax(this, dim, keepdim); },
  amin(dim?: number | number[], keepdim = false): Tensor { return R.amin(this, dim, keepdim); },
  argmax(dim?: number, keepdim = false): Tensor { return R.argmax(this, dim, keepdim); },
  argmin(dim?: number, keepdim = false): Tensor { return R.argmin(this, dim, keepdim); },
  softmax(dim: number): Tensor { return softmax(this, dim); },
  logSoftmax(dim: number): Tensor { return logSoftmax(this, dim); },
  topk(k: number, dim = -1, largest = true, sorted = true): ValuesIndices { return topk(this, k, dim, largest, sorted); },

  matmul(o: Tensor): Tensor { return M.matmul(this, o); },
  bmm(o: Tensor): Tensor { return M.bmm(this, o); },
  gather(dim: number, index: Tensor): Tensor { return G.gather(this, dim, index); },
  indexSelect(dim: number, index: Tensor): Tensor { return G.indexSelect(this, dim, index); },
  indexAdd(dim: number, index: Tensor, source: Tensor, alpha = 1): Tensor { return G.indexAdd(this, dim, index, source, alpha); },
  // #24 masks and selection
  bool(): Tensor { return E.cast(this, 'bool'); },
  maskedFill(mask: Tensor, value: Scalar | Tensor): Tensor { return MK.maskedFill(this, mask, value); },
  any(dim?: number | number[], keepdim = false): Tensor { return MK.any(this, dim, keepdim); },
  all(dim?: number | number[], keepdim = false): Tensor { return MK.all(this, dim, keepdim); },
  isnan(): Tensor { return MK.isnan(this); },
  isinf(): Tensor { return MK.isinf(this); },
  isfinite(): Tensor { return MK.isfinite(this); },
  logicalNot(): Tensor { return MK.logicalNot(this); },
  logicalAnd(other: Tensor): Tensor { return MK.logicalAnd(this, other); },
  logicalOr(other: Tensor): Tensor { return MK.logicalOr(this, other); },
  logicalXor(other: Tensor): Tensor { return MK.logicalXor(this, other); },
  tril(diagonal = 0): Tensor { return MK.tril(this, diagonal); },
  triu(diagonal = 0): Tensor { return MK.triu(this, diagonal); },
  select(dim: number, index: number): Tensor { return MK.select(this, dim, index); },
  // #24 math
  clamp(min?: Tensor | Scalar | null, max?: Tensor | Scalar | null): Tensor { return MA.clamp(this, min, max); },
  clip(min?: Tensor | Scalar | null, max?: Tensor | Scalar | null): Tensor { return MA.clip(this, min, max); },
  sin(): Tensor { return MA.sin(this); },
  cos(): Tensor { return MA.cos(this); },
  erf(): Tensor { return MA.erfFn(this); },
  floor(): Tensor { return MA.floor(this); },
  ceil(): Tensor { return MA.ceil(this); },
  round(decimals: number | { decimals?: number } = 0): Tensor { return MA.round(this, decimals); },
  trunc(): Tensor { return MA.trunc(this); },
  floorDivide(o: Tensor | Scalar): Tensor { return floorDivide(this, o); },
  remainder(o: Tensor | Scalar): Tensor { return MA.remainder(this, o); },
  fmod(o: Tensor | Scalar): Tensor { return MA.fmod(this, o); },
  sign(): Tensor { return MU.sign(this); },
  square(): Tensor { return MU.square(this); },
  reciprocal(): Tensor { return MU.reciprocal(this); },
  log1p(): Tensor { return MU.log1p(this); },
  expm1(): Tensor { return MU.expm1(this); },
  log2(): Tensor { return MU.log2(this); },
  log10(): Tensor { return MU.log10(this); },
  exp2(): Tensor { return MU.exp2(this); },
  sinh(): Tensor { return MU.sinh(this); },
  cosh(): Tensor { return MU.cosh(this); },
  tan(): Tensor { return MU.tan(this); },
  asin(): Tensor { return MU.asin(this); },
  acos(): Tensor { return MU.acos(this); },
  atan(): Tensor { return MU.atan(this); },
  asinh(): Tensor { return MU.asinh(this); },
  acosh(): Tensor { return MU.acosh(this); },
  atanh(): Tensor { return MU.atanh(this); },
  frac(): Tensor { return MU.frac(this); },
  relu6(): Tensor { return MU.relu6(this); },
  hardsigmoid(): Tensor { return MU.hardsigmoid(this); },
  hardswish(): Tensor { return MU.hardswish(this); },
  mish(): Tensor { return MU.mish(this); },
  selu(): Tensor { return MU.selu(this); },
  softsign(): Tensor { return MU.softsign(this); },
  hardtanh(minVal = -1, maxVal = 1): Tensor { return MU.hardtanh(this, minVal, maxVal); },
  celu(alpha = 1): Tensor { return MU.celu(this, alpha); },
  atan2(other: Tensor): Tensor { return MB.atan2(this, other); },
  hypot(other: Tensor): Tensor { return MB.hypot(this, other); },
  logaddexp(other: Tensor): Tensor { return MB.logaddexp(this, other); },
  fmax(other: Tensor): Tensor { return MB.fmax(this, other); },
  fmin(other: Tensor): Tensor { return MB.fmin(this, other); },
  xlogy(other: Tensor | Scalar): Tensor { return MB.xlogy(this, other as Tensor | number); },
  lerp(end: Tensor, weight: Tensor | Scalar): Tensor { return MB.lerp(this, end, weight as Tensor | number); },
  clampMin(min: Tensor | Scalar): Tensor { return MA.clampMin(this, min as Tensor | number); },
  clampMax(max: Tensor | Scalar): Tensor { return MA.clampMax(this, max as Tensor | number); },
  signbit(): Tensor { return MU.signbit(this); },
  sgn(): Tensor { return MU.sgn(this); },
  positive(): Tensor { return MU.positive(this); },
  deg2rad(): Tensor { return MU.deg2rad(this); },
  rad2deg(): Tensor { return MU.rad2deg(this); },
  hardshrink(lambd = 0.5): Tensor { return MU.hardshrink(this, lambd); },
  erfc(): Tensor { return MS.erfc(this); },
  erfinv(): Tensor { return MS.erfinv(this); },
  lgamma(): Tensor { return MS.lgamma(this); },
  digamma(): Tensor { return MS.digamma(this); },
  logit(eps: number | null = null): Tensor { return MS.logit(this, eps); },
  sinc(): Tensor { return MS.sinc(this); },
  copysign(other: Tensor | Scalar): Tensor { return MB.copysign(this, other as Tensor | number); },
  ldexp(other: Tensor): Tensor { return MB.ldexp(this, other); },
  logaddexp2(other: Tensor): Tensor { return MB.logaddexp2(this, other); },
  heaviside(values: Tensor): Tensor { return MB.heaviside(this, values); },
  trueDivide(other: Tensor | Scalar): Tensor { return MB.trueDivide(this, other as Tensor | number); },
  addcmul(tensor1: Tensor, tensor2: Tensor, opts?: number | { value?: number }): Tensor { return MB.addcmul(this, tensor1, tensor2, opts); },
  addcdiv(tensor1: Tensor, tensor2: Tensor, opts?: number | { value?: number }): Tensor { return MB.addcdiv(this, tensor1, tensor2, opts); },
  // #24 reductions, scans, sorting, scatter
  var(dim?: number | number[] | null | St.VarOptions, opts?: St.VarOptions): Tensor { return St.variance(this, dim, opts); },
  std(dim?: number | number[] | null | St.VarOptions, opts?: St.VarOptions): Tensor { return St.std(this, dim, opts); },
  prod(dim?: number | null, keepdim = false): Tensor { return St.prod(this, dim, keepdim); },
  cumsum(dim: number): Tensor { return cumsum(this, dim); },
  cumprod(dim: number): Tensor { return Cu.cumprod(this, dim); },
  cummax(dim: number): ValuesIndices { return Cu.cummax(this, dim); },
  cummin(dim: number): ValuesIndices { return Cu.cummin(this, dim); },
  logcumsumexp(dim: number): Tensor { return Cu.logcumsumexp(this, dim); },
  diff(n = 1, dim = -1, prepend?: Tensor | null, append?: Tensor | null): Tensor { return Cu.diff(this, n, dim, prepend, append); },
  nansum(dim?: number | number[] | null, keepdim = false): Tensor { return Nr.nansum(this, dim, keepdim); },
  nanmean(dim?: number | number[] | null, keepdim = false): Tensor { return Nr.nanmean(this, dim, keepdim); },
  nanToNum(nan = 0, posinf?: number | null, neginf?: number | null): Tensor { return Nr.nanToNum(this, nan, posinf, neginf); },
  countNonzero(dim?: number | number[] | null): Tensor { return Nr.countNonzero(this, dim); },
  median(dim?: number | null, keepdim = false): Tensor | ValuesIndices { return Or.medianOp('median', this, dim, keepdim, false); },
  nanmedian(dim?: number | null, keepdim = false): Tensor | ValuesIndices { return Or.medianOp('nanmedian', this, dim, keepdim, true); },
  kthvalue(k: number, dim = -1, keepdim = false): ValuesIndices { return Or.kthvalue(this, k, dim, keepdim); },
  quantile(q: number | Tensor, dim?: number | null, keepdim = false, interpolation: Or.QuantileInterpolation = 'linear'): Tensor { return Or.quantile(this, q, dim, keepdim, interpolation); },
  nanquantile(q: number | Tensor, dim?: number | null, keepdim = false, interpolation: Or.QuantileInterpolation = 'linear'): Tensor { return Or.nanquantile(this, q, dim, keepdim, interpolation); },
  isclose(other: Tensor, rtol = 1e-5, atol = 1e-8, equalNan = false): Tensor { return Cl.isclose(this, other, rtol, atol, equalNan); },
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8, equalNan = false): Promise<boolean> { return Cl.allclose(this, other, rtol, atol, equalNan); },
  equal(other: Tensor): Promise<boolean> { return Cl.equal(this, other); },
  sort(dim?: number | SortOptions, descending?: boolean): ValuesIndices { return sort(this, dim, descending); },
  argsort(dim = -1, descending = false): Tensor { return argsort(this, dim, descending); },
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor { return Sc.scatter(this, dim, index, src); },
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return Sc.scatterAdd(this, dim, index, src); },
  scatterReduce(dim: number, index: Tensor, src: Tensor, reduce: Sc.ReduceMode, opts?: { includeSelf?: boolean }): Tensor { return Sc.scatterReduce(this, dim, index, src, reduce, opts); },
  // #24 shaping, creation and misc
  repeat(...sizes: ShapeArg[]): Tensor { return RA.repeat(this, parseShapeArgs('repeat', sizes)); },
  repeatInterleave(repeats: number | number[] | Tensor, dim?: number, opts?: { outputSize?: number }): Tensor { return RA.repeatInterleave(this, repeats, dim, opts); },
  flip(...dims: ShapeArg[]): Tensor { return RA.flip(this, parseShapeArgs('flip', dims)); },
  roll(shifts: number | number[], dims?: number | number[]): Tensor { return RA.roll(this, shifts, dims); },
  multinomial(numSamples: number, replacement = false, opts?: MultinomialOptions): Tensor { return multinomial(this, numSamples, replacement, opts); },
  movedim(source: number | number[], destination: number | number[]): Tensor { return D.movedim(this, source, destination); },
  moveaxis(source: number | number[], destination: number | number[]): Tensor { return D.moveaxis(this, source, destination); },
  swapaxes(axis0: number, axis1: number): Tensor { return D.swapaxes(this, axis0, axis1); },
  swapdims(dim0: number, dim1: number): Tensor { return D.swapdims(this, dim0, dim1); },
  unflatten(dim: number, sizes: number[]): Tensor { return D.unflatten(this, dim, sizes); },
  unbind(dim = 0): Tensor[] { return D.unbind(this, dim); },
  tile(...dims: ShapeArg[]): Tensor { return D.tile(this, parseShapeArgs('tile', dims)); },
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true });
}
// PyTorch's .T: all dims reversed (a view; 0-d and 1-d come back as they are, 2-D transposed).
Object.defineProperty(Tensor.prototype, 'T', { get(this: Tensor): Tensor { return V.permute(this, this.shape.map((_, i) => this.ndim - 1 - i)); }, configurable: true });
// PyTorch's .mT: the last two dims transposed; 1 dim is an error there too, 0 dims a view.
Object.defineProperty(Tensor.prototype, 'mT', {
  get(this: Tensor): Tensor {
    if (this.ndim === 0) return V.permute(this, []);
    if (this.ndim < 2) throw new Error(`mT: the tensor must have at least 2 dims, got shape ${fmtShape(this.shape)}`);
    return V.transpose(this, -2, -1);
  },
  configurable: true,
});
