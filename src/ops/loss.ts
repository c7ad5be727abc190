// The losses: crossEntropy (class indices or class probabilities, (N, C, d...) logits, label
// smoothing, ignoreIndex, class weights), nllLoss, binaryCrossEntropy and
// binaryCrossEntropyWithLogits, and the regression losses (mseLoss, l1Loss, smoothL1Loss,
// huberLoss), with PyTorch's formulas and reductions. The common case,
// crossEntropy of [N, C] logits against class indices with no option, is the fused row
// kernel of softmax.ts; the rest are written with ops, so their gradients come from autograd,
// except binaryCrossEntropy, whose gradient PyTorch defines apart from its clamped log.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { checkOptions, describe, fmtShape, forEachOffset, shapesEqual, broadcastShapes } from '../tensor/shape.js';
import { isFloat } from '../tensor/dtype.js';
import { mapRaw, resultDType, type MapSpec } from './map.js';
import { MAP_SPECS, WGSL_NAN, sumToShape } from './elementwise.js';
import { checkInput } from './rows.js';
import { crossEntropyRows, logSoftmax } from './softmax.js';
import { gather, indexSelect } from './gather.js';
import { logsigmoid } from './math.js';

export type Reduction = 'mean' | 'sum' | 'none';

export function reductionArg(op: string, v: unknown): Reduction {
  const r = v ?? 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got ${describe(r)}`);
  return r;
}

export function reduce(loss: Tensor, r: Reduction): Tensor {
  return r === 'none' ? loss : r === 'sum' ? loss.sum() : loss.mean();
}

function floatArg(op: string, arg: string, t: unknown, like: Tensor): asserts t is Tensor {
  checkInput(op, t, arg);
  if (!isFloat(t.dtype)) throw new Error(`${op}: ${arg} must be a floating point tensor, got dtype ${t.dtype} (shape ${fmtShape(t.shape)})`);
  if (t.device !== like.device) throw new Error(`${op}: ${arg} is on ${t.device} but input is on ${like.device}`);
}

/** A class-weight vector of C floats. */
function weightArg(op: string, w: unknown, C: number, like: Tensor): Tensor | null {
  if (w === undefined || w === null) return null;
  floatArg(op, 'weight', w, like);
  if (w.ndim !== 1 || w.shape[0] !== C) throw new Error(`${op}: weight must have shape [${C}] (one per class), got ${fmtShape(w.shape)}`);
  return w;
}

/** The class-index target's expected shape: input's without the class dim. */
function checkIndexTarget(op: string, input: Tensor, target: Tensor, cdim: number, ignoreIndex: number): void {
  const want = input.shape.filter((_, i) => i !== cdim);
  if (!shapesEqual(target.shape, want)) {
    throw new Error(`${op}: target of shape ${fmtShape(target.shape)} does not match input (logits) of shape ${fmtShape(input.shape)} (expected target shape ${fmtShape(want)} of class indices${op === 'crossEntropy' ? ` or ${fmtShape(input.shape)} of class probabilities` : ''})`);
  }
  // Out-of-range indices are found on the CPU; on WebGPU that would need a readback.
  if (target.device !== 'cpu') return;
  const C = input.shape[cdim];
  let bad: [number, number] | null = null;
  forEachOffset(target.shape, target.strides, target.offset, (off, i) => {
    const v = target.data[off];
    if (!bad && v !== ignoreIndex && (v < 0 || v >= C)) bad = [v, i];
  });
  if (bad) throw new Error(`${op}: target value ${bad[0]} at index ${bad[1]} is out of range for ${C} classes (input shape ${fmtShape(input.shape)})`);
}

function ignoreArg(op: string, v: unknown): number {
  if (v === undefined) return -100;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${op}: ignoreIndex must be an integer, got ${describe(v)}`);
  return v;
}

/** weight [C] shaped to broadcast against input along the class dim 1. */
function classShaped(w: Tensor, input: Tensor, cdim: number): Tensor {
  return input.ndim <= 1 ? w : w.reshape(input.shape.map((s, i) => (i === cdim ? s : 1)));
}

/** nll of log-probabilities: the per-element losses and the weights that normalize 'mean'. */
function nllParts(logp: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number, cdim: number): { losses: Tensor; w: Tensor; valid: Tensor } {
  const valid = target.ne(ignoreIndex);
  // Ignored entries gather class 0 (any in-range index) and weigh 0.
  const safe = target.where(valid, 0);
  const picked = gather(logp, cdim, safe.unsqueeze(cdim)).squeeze(cdim);
  let w = valid.cast(logp.dtype);
  if (weight) w = w.mul(indexSelect(weight, 0, safe.reshape(-1)).reshape(target.shape));
  // where, not only the 0 weight: an ignored entry's gradient is 0 even when 'mean' divides by a 0 total (PyTorch's).
  return { losses: picked.mul(w).neg().where(valid, 0), w, valid };
}

function finishNll(p: { losses: Tensor; w: Tensor }, r: Reduction): Tensor {
  if (r === 'none') return p.losses;
  const s = p.losses.sum();
  return r === 'sum' ? s : s.div(p.w.sum());
}

/**
 * The negative log likelihood of log-probabilities `input` (N, C, d...) or (C) at int32
 * class indices `target` (N, d...) or (): -weight[t]·input[t], entries equal to ignoreIndex
 * (default -100) left out; 'mean' divides by the summed weights of the entries kept.
 */
export function nllLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction; ignoreIndex?: number; weight?: Tensor | null } = {}): Tensor {
  const op = 'nllLoss';
  checkInput(op, input);
  checkInput(op, target, 'target');
  const o = checkOptions(op, opts, ['reduction', 'ignoreIndex', 'weight']);
  const r = reductionArg(op, o.reduction);
  const ignoreIndex = ignoreArg(op, o.ignoreIndex);
  if (!isFloat(input.dtype)) throw new Error(`${op}: input must be a floating point tensor, got dtype ${input.dtype} (shape ${fmtShape(input.shape)})`);
  if (input.ndim === 0) throw new Error(`${op}: input must have shape [N, C, ...] or [C], got a 0-d tensor`);
  if (target.dtype !== 'int32') throw new Error(`${op}: target must be an int32 tensor of class indices, got dtype ${target.dtype} (shape ${fmtShape(target.shape)})`);
  if (target.device !== input.device) throw new Error(`${op}: input is on ${input.device} but target is on ${target.device}`);
  const cdim = input.ndim === 1 ? 0 : 1;
  const weight = weightArg(op, o.weight, input.shape[cdim], input);
  checkIndexTarget(op, input, target, cdim, ignoreIndex);
  return finishNll(nllParts(input, target, weight, ignoreIndex, cdim), r);
}

export interface CrossEntropyOptions { reduction?: Reduction; labelSmoothing?: number; ignoreIndex?: number; weight?: Tensor | null }

/**
 * Cross entropy of logits `input` (N, C, d...) or (C) — the class dim is 1 (0 for 1-D) —
 * against int32 class indices `target` (N, d...) or (), or against class probabilities of
 * input's shape (float). Options as PyTorch's: reduction ('mean'), labelSmoothing (0),
 * ignoreIndex (-100, index targets only), weight (one per class).
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  checkInput(op, input, 'logits');
  checkInput(op, target, 'target');
  const o = checkOptions(op, opts, ['reduction', 'labelSmoothing', 'ignoreIndex', 'weight']);
  const r = reductionArg(op, o.reduction);
  const ignoreIndex = ignoreArg(op, o.ignoreIndex);
  const ls = o.labelSmoothing ?? 0;
  if (typeof ls !== 'number' || !(ls >= 0 && ls <= 1)) throw new Error(`${op}: labelSmoothing must be a number from 0 to 1, got ${describe(ls)}`);
  if (!isFloat(input.dtype)) throw new Error(`${op}: logits must be a floating point tensor, got dtype ${input.dtype} (shape ${fmtShape(input.shape)})`);
  if (input.device !== target.device) throw new Error(`${op}: logits are on ${input.device} but target is on ${target.device}`);
  if (input.ndim === 0) throw new Error(`${op}: logits must have shape [N, C, ...] or [C], got a 0-d tensor`);
  const cdim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[cdim];
  if (C === 0) throw new Error(`${op}: logits have no classes (shape ${fmtShape(input.shape)})`);
  const weight = weightArg(op, o.weight, C, input);
  const probs = isFloat(target.dtype) && shapesEqual(target.shape, input.shape);
  if (!probs && target.dtype !== 'int32') {
    const want = input.shape.filter((_, i) => i !== cdim);
    throw new Error(`${op}: target must be int32 class indices of shape ${fmtShape(want)} or float32 class probabilities of shape ${fmtShape(input.shape)}, got dtype ${target.dtype} shape ${fmtShape(target.shape)}`);
  }
  if (probs) return probTargetLoss(input, target, weight, ls, r, cdim);
  checkIndexTarget(op, input, target, cdim, ignoreIndex);
  // The fused row kernel: [N, C] or [C], no option that changes the formula (it skips the
  // default ignoreIndex, -100, itself).
  if (input.ndim <= 2 && !weight && ls === 0 && ignoreIndex === -100) {
    return crossEntropyRows(input, target, r);
  }
  const logp = logSoftmax(input, cdim);
  const parts = nllParts(logp, target, weight, ignoreIndex, cdim);
  const nll = finishNll(parts, r);
  if (ls === 0) return nll;
  // PyTorch's label smoothing: (1 - ε)·nll + ε/C · (-Σ_c weight_c·logp_c), ignored entries 0,
  // 'mean' normalized as nll is.
  const lw = weight ? logp.mul(classShaped(weight, logp, cdim)) : logp;
  let smooth = lw.sum(cdim).neg().where(parts.valid, 0);
  if (r === 'sum') smooth = smooth.sum();
  else if (r === 'mean') smooth = smooth.sum().div(weight ? parts.w.sum() : parts.valid.cast(logp.dtype).sum());
  return nll.mul(1 - ls).add(smooth.mul(ls / C));
}

/** Class-probability targets: -Σ_c weight_c·target_c·logp_c; 'mean' divides by N·d... . */
function probTargetLoss(input: Tensor, target: Tensor, weight: Tensor | null, ls: number, r: Reduction, cdim: number): Tensor {
  const C = input.shape[cdim];
  let logp = logSoftmax(input, cdim);
  if (weight) logp = logp.mul(classShaped(weight, logp, cdim));
  const t = ls > 0 ? target.mul(1 - ls).add(ls / C) : target;
  const prod = logp.mul(t);
  if (r === 'none') return prod.sum(cdim).neg();
  if (r === 'sum') return prod.sum().neg();
  return prod.sum().neg().div(input.numel / C);
}

// ---- binary cross entropy ----

// log clamped at -100, as PyTorch's (so p = 0 or 1 gives a finite loss); NaN stays NaN.
const WGSL_CLOG = `fn clog_(x: f32) -> f32 { if (isnan_(x)) { return x; } if (x <= 0.0) { return -100.0; } return max(log(x), -100.0); }`;
const clog = (x: number): number => (x !== x ? x : x <= 0 ? -100 : Math.max(Math.log(x), -100));
const B = {
  bce: { name: 'bce', cpu: (p, y) => -(y * clog(p) + (1 - y) * clog(1 - p)), wgsl: '-(b * clog_(a) + (1.0 - b) * clog_(1.0 - a))', floatOnly: true, helpers: WGSL_NAN + WGSL_CLOG },
  // PyTorch's gradients: g·(p - y)/max(p·(1 - p), 1e-12) for p, g·(log(1 - p) - log(p)) for y
  bceGradP: { name: 'bce_grad_p', cpu: (p, y, g) => (g * (p - y)) / Math.max((1 - p) * p, 1e-12), wgsl: 'c * (a - b) / max((1.0 - a) * a, 1e-12)', floatOnly: true },
  bceGradY: { name: 'bce_grad_y', cpu: (p, _y, g) => g * (Math.log(1 - p) - Math.log(p)), wgsl: 'c * (log(1.0 - a) - log(a))', floatOnly: true },
} satisfies Record<string, MapSpec>;

class BCE extends Function {
  static override forward(ctx: Ctx, p: Tensor, y: Tensor): Tensor {
    ctx.saveForBackward(p, y);
    return mapRaw(B.bce, [p, y]);
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [p, y] = ctx.savedTensors;
    return [ctx.needsInputGrad[0] ? mapRaw(B.bceGradP, [p, y, g]) : null, ctx.needsInputGrad[1] ? mapRaw(B.bceGradY, [p, y, g]) : null];
  }
}

function sameShape(op: string, input: Tensor, target: Tensor): void {
  if (!shapesEqual(input.shape, target.shape)) throw new Error(`${op}: target of shape ${fmtShape(target.shape)} must have input's shape ${fmtShape(input.shape)}`);
}

function broadcastArg(op: string, arg: string, w: unknown, input: Tensor): Tensor | null {
  if (w === undefined || w === null) return null;
  floatArg(op, arg, w, input);
  const s = broadcastShapes(op, input.shape, w.shape);
  if (!shapesEqual(s, input.shape)) throw new Error(`${op}: ${arg} of shape ${fmtShape(w.shape)} does not broadcast to input's shape ${fmtShape(input.shape)}`);
  return w;
}

/**
 * -weight·(y·log(p) + (1 - y)·log(1 - p)) of probabilities `input` against `target` (same
 * shape), each log clamped at -100 as PyTorch's. On the CPU an input or target outside [0, 1]
 * throws, as PyTorch's.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: { reduction?: Reduction; weight?: Tensor | null } = {}): Tensor {
  const op = 'binaryCrossEntropy';
  checkInput(op, input);
  const o = checkOptions(op, opts, ['reduction', 'weight']);
  const r = reductionArg(op, o.reduction);
  if (!isFloat(input.dtype)) throw new Error(`${op}: input must be a floating point tensor, got dtype ${input.dtype} (shape ${fmtShape(input.shape)})`);
  floatArg(op, 'target', target, input);
  sameShape(op, input, target);
  const weight = broadcastArg(op, 'weight', o.weight, input);
  if (input.device === 'cpu') {
    for (const [arg, t] of [['input', input], ['target', target]] as const) {
      let bad: [number, number] | null = null;
      forEachOffset(t.shape, t.strides, t.offset, (off, i) => { const v = t.data[off]; if (!bad && !(v >= 0 && v <= 1)) bad = [v, i]; });
      if (bad) throw new Error(`${op}: all elements of ${arg} should be between 0 and 1, got ${bad[0]} at index ${bad[1]} (shape ${fmtShape(t.shape)})`);
    }
  }
  let loss = BCE.apply(input, target);
  if (weight) loss = loss.mul(weight);
  return reduce(loss, r);
}

/**
 * binaryCrossEntropy of sigmoid(input), computed stably from the logits:
 * (1 - y)·x - lw·logsigmoid(x) with lw = (posWeight - 1)·y + 1, times weight.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: { reduction?: Reduction; weight?: Tensor | null; posWeight?: Tensor | null } = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  checkInput(op, input);
  const o = checkOptions(op, opts, ['reduction', 'weight', 'posWeight']);
  const r = reductionArg(op, o.reduction);
  if (!isFloat(input.dtype)) throw new Error(`${op}: input must be a floating point tensor, got dtype ${input.dtype} (shape ${fmtShape(input.shape)})`);
  floatArg(op, 'target', target, input);
  sameShape(op, input, target);
  const weight = broadcastArg(op, 'weight', o.weight, input);
  const posWeight = broadcastArg(op, 'posWeight', o.posWeight, input);
  const ls = logsigmoid(input);
  const lw = posWeight ? posWeight.sub(1).mul(target).add(1) : null;
  let loss = target.neg().add(1).mul(input).sub(lw ? lw.mul(ls) : ls);
  if (weight) loss = loss.mul(weight);
  return reduce(loss, r);
}

// ---- regression losses ----

export interface RegressionLossOptions { reduction?: Reduction }

/** Two tensors that broadcast together (PyTorch broadcasts them, warning where the shapes
 * differ) and promote to a float dtype, as PyTorch's, which has no integer kernel. */
export function checkRegression(op: string, input: Tensor, target: Tensor): void {
  checkInput(op, input);
  checkInput(op, target, 'target');
  if (target.device !== input.device) throw new Error(`${op}: target is on ${target.device} but input is on ${input.device}`);
  broadcastShapes(op, input.shape, target.shape);
  const dt = resultDType([input, target]);
  if (!isFloat(dt)) throw new Error(`${op}: input (${input.dtype}, shape ${fmtShape(input.shape)}) and target (${target.dtype}) promote to ${dt}; one must be floating point`);
}

/** input - target, after checkRegression. */
function regressionDiff(op: string, input: Tensor, target: Tensor): Tensor {
  checkRegression(op, input, target);
  return input.sub(target);
}

function regressionOpts(op: string, opts: unknown, ...extra: string[]): { r: Reduction; o: Record<string, unknown> } {
  const o = checkOptions(op, opts, ['reduction', ...extra]);
  return { r: reductionArg(op, o.reduction), o };
}

/** (input - target)², reduced ('mean' by default): PyTorch's F.mse_loss. */
export function mseLoss(input: Tensor, target: Tensor, opts: RegressionLossOptions = {}): Tensor {
  const { r } = regressionOpts('mseLoss', opts);
  const d = regressionDiff('mseLoss', input, target);
  return reduce(d.mul(d), r);
}

/** |input - target|, reduced: PyTorch's F.l1_loss (its gradient is 0 where they are equal). */
export function l1Loss(input: Tensor, target: Tensor, opts: RegressionLossOptions = {}): Tensor {
  const { r } = regressionOpts('l1Loss', opts);
  return reduce(regressionDiff('l1Loss', input, target).abs(), r);
}

/** A number option of a regression loss: `beta` >= 0, `delta` > 0. */
export function lossParam(op: string, name: string, v: unknown, dflt: number, positive: boolean): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || (positive && x === 0)) {
    throw new Error(`${op}: ${name} must be a finite number ${positive ? '> 0' : '>= 0'}, got ${describe(x)}`);
  }
  return x;
}

// Huber and smooth L1 of d = input - target, with `c` the delta (beta): one map each way, as
// PyTorch's kernels, so NaN and ±Inf give its answers (a d of NaN has a NaN gradient, an
// infinite one ±delta). The NaN is tested on the bits: the gradient's selects could become a
// clamp, and a GPU's min/max may drop a NaN.
const H: Record<string, MapSpec> = {
  huber: { name: 'huber', cpu: (d, c) => (Math.abs(d) < c ? 0.5 * d * d : c * (Math.abs(d) - 0.5 * c)), wgsl: 'select(b * (abs(a) - 0.5 * b), 0.5 * a * a, abs(a) < b)', floatOnly: true },
  smoothL1: { name: 'smooth_l1', cpu: (d, c) => (Math.abs(d) < c ? (0.5 * d * d) / c : Math.abs(d) - 0.5 * c), wgsl: 'select(abs(a) - 0.5 * b, 0.5 * a * a / b, abs(a) < b)', floatOnly: true },
  huberGrad: { name: 'huber_grad', cpu: (d, g, c) => g * (d < -c ? -c : d > c ? c : d), wgsl: 'select(b * select(select(a, c, a > c), -c, a < -c), a, nan_(a))', floatOnly: true, helpers: WGSL_NAN },
  smoothL1Grad: { name: 'smooth_l1_grad', cpu: (d, g, c) => g * (d < -c ? -1 : d > c ? 1 : d / c), wgsl: 'select(b * select(select(a / c, 1.0, a > c), -1.0, a < -c), a, nan_(a))', floatOnly: true, helpers: WGSL_NAN },
};

class Huber extends Function {
  static override forward(ctx: Ctx, input: Tensor, target: Tensor, c: number, smooth: boolean): Tensor {
    const d = mapRaw(MAP_SPECS.sub, [input, target]);
    ctx.saveForBackward(d);
    ctx.c = c;
    ctx.smooth = smooth;
    ctx.shapes = [input.shape, target.shape];
    return mapRaw(smooth ? H.smoothL1 : H.huber, [d, c]);
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [d] = ctx.savedTensors;
    const gd = mapRaw(ctx.smooth ? H.smoothL1Grad : H.huberGrad, [d, g, ctx.c]);
    const gt = ctx.needsInputGrad[1] ? sumToShape(mapRaw(MAP_SPECS.neg, [gd]), ctx.shapes[1]) : null;
    return [ctx.needsInputGrad[0] ? sumToShape(gd, ctx.shapes[0]) : null, gt, null, null];
  }
}

/** PyTorch's F.smooth_l1_loss: 0.5·d²/beta where |d| < beta, else |d| - 0.5·beta (beta 0: l1Loss). */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: RegressionLossOptions & { beta?: number } = {}): Tensor {
  const op = 'smoothL1Loss';
  const { r, o } = regressionOpts(op, opts, 'beta');
  const beta = lossParam(op, 'beta', o.beta, 1, false);
  checkRegression(op, input, target);
  return reduce(beta === 0 ? input.sub(target).abs() : Huber.apply(input, target, beta, true), r);
}

/** PyTorch's F.huber_loss: 0.5·d² where |d| < delta, else delta·(|d| - 0.5·delta). */
export function huberLoss(input: Tensor, target: Tensor, opts: RegressionLossOptions & { delta?: number } = {}): Tensor {
  const op = 'huberLoss';
  const { r, o } = regressionOpts(op, opts, 'delta');
  const delta = lossParam(op, 'delta', o.delta, 1, true);
  checkRegression(op, input, target);
  return reduce(Huber.apply(input, target, delta, false), r);
}
