// More of torch.nn.functional's losses: klDiv, poissonNllLoss, gaussianNllLoss,
// cosineEmbeddingLoss, marginRankingLoss, hingeEmbeddingLoss, softMarginLoss,
// multiLabelSoftMarginLoss, tripletMarginLoss. Each is written with ops as PyTorch composes it
// (ATen's Loss.cpp and functional.py), so forward values, NaN/Inf answers and gradients follow
// from the ops; options come in an object, with PyTorch's names (camelCase) and defaults.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { broadcastShapes, checkOptions, describe, fmtShape, forEachOffset, shapesEqual } from '../tensor/shape.js';
import { checkBoolean } from '../tensor/check.js';
import { isFloat } from '../tensor/dtype.js';
import { mapRaw, resultDType } from './map.js';
import { MAP_SPECS } from './elementwise.js';
import { checkInput } from './rows.js';
import { maskedFill } from './mask.js';
import { clampMin, logsigmoid, softplus } from './math.js';
import { xlogy } from './math-binary.js';
import { full } from './view.js';
import { checkRegression, lossParam, reduce, reductionArg, type Reduction } from './loss.js';

type Opts = Record<string, unknown>;

/** The options object (unknown keys refused) and its reduction. */
function lossOpts(op: string, opts: unknown, keys: string[]): { r: Reduction; o: Opts } {
  const o = checkOptions(op, opts, ['reduction', ...keys]);
  return { r: reductionArg(op, o.reduction), o };
}

/** A boolean option, `dflt` when left out. */
const boolOpt = (op: string, name: string, v: unknown, dflt: boolean): boolean => (v === undefined ? dflt : checkBoolean(op, name, v));

/** A finite number option, `dflt` when left out. */
function numOpt(op: string, name: string, v: unknown, dflt: number): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`${op}: ${name} must be a finite number, got ${describe(x)}`);
  return x;
}

/** Tensors on input's device that broadcast together and promote to a float dtype. */
function checkTensors(op: string, named: Array<[string, unknown]>): void {
  const [, first] = named[0];
  checkInput(op, first, named[0][0]);
  let shape = first.shape;
  for (const [arg, t] of named.slice(1)) {
    checkInput(op, t, arg);
    if (t.device !== first.device) throw new Error(`${op}: ${arg} is on ${t.device} but ${named[0][0]} is on ${first.device}`);
    shape = broadcastShapes(op, shape, t.shape);
  }
  const ts = named.map(([, t]) => t as Tensor);
  if (!isFloat(resultDType(ts))) throw new Error(`${op}: ${named.map(([a, t]) => `${a} (${(t as Tensor).dtype}, shape ${fmtShape((t as Tensor).shape)})`).join(', ')} promote to ${resultDType(ts)}; one must be floating point`);
}

// ---- klDiv, poissonNllLoss, gaussianNllLoss ----

export type KlDivReduction = Reduction | 'batchmean';

/**
 * PyTorch's F.kl_div: target·(log target − input) of log-probabilities `input`, as
 * xlogy(target, target) − target·input (exp(target)·(target − input) with logTarget).
 * 'batchmean' divides the sum by input's first dim; 'mean' averages every element.
 */
export function klDiv(input: Tensor, target: Tensor, opts: { reduction?: KlDivReduction; logTarget?: boolean } = {}): Tensor {
  const op = 'klDiv';
  const o = checkOptions(op, opts, ['reduction', 'logTarget']);
  const batch = o.reduction === 'batchmean';
  const r = batch ? 'sum' : reductionArg(op, o.reduction);
  const logTarget = boolOpt(op, 'logTarget', o.logTarget, false);
  checkRegression(op, input, target);
  const loss = logTarget ? target.exp().mul(target.sub(input)) : xlogy(target, target).sub(target.mul(input));
  const red = reduce(loss, r);
  return batch && input.ndim > 0 ? red.div(input.shape[0]) : red;
}

/**
 * PyTorch's F.poisson_nll_loss: exp(input) − target·input (logInput, the default) or
 * input − target·log(input + eps); `full` adds Stirling's target·log(target) − target +
 * ½·log(2π·target) where target > 1.
 */
export function poissonNllLoss(input: Tensor, target: Tensor, opts: { logInput?: boolean; full?: boolean; eps?: number; reduction?: Reduction } = {}): Tensor {
  const op = 'poissonNllLoss';
  const { r, o } = lossOpts(op, opts, ['logInput', 'full', 'eps']);
  const logInput = boolOpt(op, 'logInput', o.logInput, true);
  const isFull = boolOpt(op, 'full', o.full, false);
  const eps = numOpt(op, 'eps', o.eps, 1e-8);
  checkRegression(op, input, target);
  let loss = logInput ? input.exp().sub(target.mul(input)) : input.sub(target.mul(input.add(eps).log()));
  if (isFull) {
    const stirling = target.mul(target.log()).sub(target).add(target.mul(2 * Math.PI).log().mul(0.5));
    loss = loss.add(maskedFill(stirling, target.le(1), 0));
  }
  return reduce(loss, r);
}

/** var clamped to eps in the forward only: PyTorch clamps a clone under no_grad, so the gradient passes unchanged. */
class ClampKeepGrad extends Function {
  static override forward(_ctx: Ctx, v: Tensor, eps: number): Tensor {
    return clampMin(v, eps);
  }
  static override backward(_ctx: Ctx, g: Tensor): Array<Tensor | null> {
    return [mapRaw(MAP_SPECS.copy, [g]), null];
  }
}

/** var's shape as F.gaussian_nll_loss accepts it: input's, input's without its last dim (unsqueezed), or one dim differing. */
function gaussianVar(op: string, input: Tensor, v: Tensor): Tensor {
  if (shapesEqual(v.shape, input.shape)) return v;
  if (shapesEqual(v.shape, input.shape.slice(0, -1)) && input.ndim > 0) return v.unsqueeze(-1);
  if (v.ndim === input.ndim && input.shape.filter((s, i) => s !== v.shape[i]).length === 1) {
    const d = input.shape.findIndex((s, i) => s !== v.shape[i]);
    if (v.shape[d] === 1) return v;
  }
  throw new Error(`${op}: var of shape ${fmtShape(v.shape)} is of incorrect size for input of shape ${fmtShape(input.shape)} (expected input's shape, input's shape without its last dim, or input's shape with one dim of size 1)`);
}

/**
 * PyTorch's F.gaussian_nll_loss: ½·(log(max(var, eps)) + (input − target)²/max(var, eps)),
 * plus ½·log(2π) with `full`. var is a tensor (see gaussianVar) or a number; a negative var
 * throws (on the CPU only for a tensor: WebGPU would need a readback). The clamp does not
 * stop var's gradient, as PyTorch's no_grad clamp of a clone.
 */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor | number, opts: { full?: boolean; eps?: number; reduction?: Reduction } = {}): Tensor {
  const op = 'gaussianNllLoss';
  const { r, o } = lossOpts(op, opts, ['full', 'eps']);
  const isFull = boolOpt(op, 'full', o.full, false);
  const eps = numOpt(op, 'eps', o.eps, 1e-6);
  checkRegression(op, input, target);
  let v: Tensor;
  if (typeof variance === 'number') {
    if (!(variance >= 0)) throw new Error(`${op}: var has a negative entry, got ${variance}`);
    v = full(input.shape, variance, input.dtype, input.device);
  } else {
    checkInput(op, variance, 'var');
    if (variance.device !== input.device) throw new Error(`${op}: var is on ${variance.device} but input is on ${input.device}`);
    if (!isFloat(variance.dtype)) throw new Error(`${op}: var must be a floating point tensor, got dtype ${variance.dtype} (shape ${fmtShape(variance.shape)})`);
    if (variance.device === 'cpu') {
      let bad: [number, number] | null = null;
      forEachOffset(variance.shape, variance.strides, variance.offset, (off, i) => { if (!bad && variance.data[off] < 0) bad = [variance.data[off], i]; });
      if (bad) throw new Error(`${op}: var has a negative entry, got ${bad[0]} at index ${bad[1]} (shape ${fmtShape(variance.shape)})`);
    }
    v = gaussianVar(op, input, variance);
  }
  const vc: Tensor = ClampKeepGrad.apply(v, eps);
  const d = input.sub(target);
  let loss = vc.log().add(d.mul(d).div(vc)).mul(0.5);
  if (isFull) loss = loss.add(0.5 * Math.log(2 * Math.PI));
  return reduce(loss, r);
}

// ---- embedding and ranking losses ----

/** where(target == 1, pos, 0) + where(target == −1, neg, 0), as PyTorch's embedding losses pick. */
const byTarget = (target: Tensor, pos: Tensor, neg: Tensor, ne = false): Tensor =>
  ne ? pos.where(target.ne(1), 0).add(neg.where(target.ne(-1), 0)) : pos.where(target.eq(1), 0).add(neg.where(target.eq(-1), 0));

/**
 * PyTorch's F.cosine_embedding_loss: 1 − cos(x1, x2) where target is 1, max(0, cos − margin)
 * where it is −1 (0 elsewhere); cos along dim 1 of (N, D) inputs with a (N) target, or of (D)
 * inputs with a 0-d target, with 1e-12 added to each squared norm.
 */
export function cosineEmbeddingLoss(input1: Tensor, input2: Tensor, target: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  const op = 'cosineEmbeddingLoss';
  const { r, o } = lossOpts(op, opts, ['margin']);
  const margin = numOpt(op, 'margin', o.margin, 0);
  checkTensors(op, [['input1', input1], ['input2', input2]]);
  checkInput(op, target, 'target');
  if (target.device !== input1.device) throw new Error(`${op}: target is on ${target.device} but input1 is on ${input1.device}`);
  const td = target.ndim;
  if (td > 1) throw new Error(`${op}: target must be 0-d or 1-d (one target per pair), got shape ${fmtShape(target.shape)}`);
  if (input1.ndim !== td + 1 || input2.ndim !== td + 1) throw new Error(`${op}: a ${td}-d target expects ${td + 1}-d inputs, got input1 ${fmtShape(input1.shape)} and input2 ${fmtShape(input2.shape)}`);
  broadcastShapes(op, broadcastShapes(op, input1.shape, input2.shape).slice(0, td), target.shape);
  const prod = input1.mul(input2).sum(td);
  const m1 = input1.mul(input1).sum(td).add(1e-12);
  const m2 = input2.mul(input2).sum(td).add(1e-12);
  const cos = prod.div(m1.mul(m2).sqrt());
  return reduce(byTarget(target, cos.neg().add(1), clampMin(cos.sub(margin), 0)), r);
}

/** PyTorch's F.margin_ranking_loss: max(0, −target·(input1 − input2) + margin); all three of the same number of dims. */
export function marginRankingLoss(input1: Tensor, input2: Tensor, target: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  const op = 'marginRankingLoss';
  const { r, o } = lossOpts(op, opts, ['margin']);
  const margin = numOpt(op, 'margin', o.margin, 0);
  checkInput(op, input1, 'input1');
  checkInput(op, input2, 'input2');
  checkInput(op, target, 'target');
  if (input1.ndim !== input2.ndim || input1.ndim !== target.ndim) {
    throw new Error(`${op}: input1, input2 and target must have the same number of dims, got ${fmtShape(input1.shape)}, ${fmtShape(input2.shape)} and ${fmtShape(target.shape)}`);
  }
  checkTensors(op, [['input1', input1], ['input2', input2], ['target', target]]);
  return reduce(clampMin(target.neg().mul(input1.sub(input2)).add(margin), 0), r);
}

/** PyTorch's F.hinge_embedding_loss: input where target is not −1, plus max(0, margin − input) where it is not 1. */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  const op = 'hingeEmbeddingLoss';
  const { r, o } = lossOpts(op, opts, ['margin']);
  const margin = numOpt(op, 'margin', o.margin, 1);
  checkTensors(op, [['input', input], ['target', target]]);
  return reduce(byTarget(target, clampMin(input.neg().add(margin), 0), input, true), r);
}

/**
 * PyTorch's F.soft_margin_loss: log(1 + exp(−target·input)), computed as softplus (so it stays
 * finite where −target·input > 88, where PyTorch's overflows to Inf).
 */
export function softMarginLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const op = 'softMarginLoss';
  const { r } = lossOpts(op, opts, []);
  checkRegression(op, input, target);
  if (target.requiresGrad && isGradEnabled()) throw new Error(`${op}: target requires grad, but the loss is not differentiable with respect to target (as PyTorch); pass target.detach()`);
  return reduce(softplus(input.mul(target).neg()), r);
}

/**
 * PyTorch's F.multilabel_soft_margin_loss: −(t·logsigmoid(x) + (1 − t)·logsigmoid(−x)), times
 * weight, averaged over the last (class) dim; reduced over the rest.
 */
export function multiLabelSoftMarginLoss(input: Tensor, target: Tensor, opts: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  const op = 'multiLabelSoftMarginLoss';
  const { r, o } = lossOpts(op, opts, ['weight']);
  checkRegression(op, input, target);
  if (input.ndim === 0) throw new Error(`${op}: input must have a class dim (shape [N, C] or [C]), got a 0-d tensor`);
  const weight = o.weight ?? null;
  if (weight !== null) checkTensors(op, [['input', input], ['weight', weight]]);
  let loss = target.mul(logsigmoid(input)).add(target.neg().add(1).mul(logsigmoid(input.neg()))).neg();
  if (weight) loss = loss.mul(weight as Tensor);
  const C = input.shape[input.ndim - 1];
  return reduce(loss.sum(input.ndim - 1).div(C), r);
}

/** ‖x1 − x2 + eps‖_p along the last dim, as PyTorch's pairwise_distance. */
function pairwiseDistance(x1: Tensor, x2: Tensor, p: number, eps: number): Tensor {
  const d = x1.sub(x2).add(eps);
  if (p === 2) return d.mul(d).sum(-1).sqrt();
  if (p === 1) return d.abs().sum(-1);
  if (p === Infinity) return d.abs().amax(-1);
  return d.abs().pow(p).sum(-1).pow(1 / p);
}

/**
 * PyTorch's F.triplet_margin_loss: max(0, margin + d(anchor, positive) − d(anchor, negative)),
 * d the p-norm distance of x1 − x2 + eps along the last dim; `swap` takes the smaller of
 * d(anchor, negative) and d(positive, negative).
 */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, opts: { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: Reduction } = {}): Tensor {
  const op = 'tripletMarginLoss';
  const { r, o } = lossOpts(op, opts, ['margin', 'p', 'eps', 'swap']);
  const margin = lossParam(op, 'margin', o.margin, 1, true);
  const p = o.p ?? 2;
  if (typeof p !== 'number' || !(p > 0)) throw new Error(`${op}: p must be a number > 0 (Infinity for the max norm), got ${describe(p)}`);
  const eps = numOpt(op, 'eps', o.eps, 1e-6);
  const swap = boolOpt(op, 'swap', o.swap, false);
  checkTensors(op, [['anchor', anchor], ['positive', positive], ['negative', negative]]);
  if (anchor.ndim !== positive.ndim || positive.ndim !== negative.ndim) {
    throw new Error(`${op}: anchor, positive and negative must have the same number of dims, got ${fmtShape(anchor.shape)}, ${fmtShape(positive.shape)} and ${fmtShape(negative.shape)}`);
  }
  if (anchor.ndim === 0) throw new Error(`${op}: inputs must have at least 1 dim (the one distances run along), got 0-d tensors`);
  const dPos = pairwiseDistance(anchor, positive, p, eps);
  let dNeg = pairwiseDistance(anchor, negative, p, eps);
  if (swap) dNeg = dNeg.minimum(pairwiseDistance(positive, negative, p, eps));
  return reduce(clampMin(dPos.add(margin).sub(dNeg), 0), r);
}
