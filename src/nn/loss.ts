// Loss modules, after torch.nn: each holds torch's constructor options (camelCase, in one
// object) and calls the sg functional loss with them. The options are checked when the module
// is made; an error from forward starts with the class name.
//
// The options live in `options`, not in own Tensor properties: a `weight` tensor stays the
// caller's (module.dispose() leaves it alone) and is never taken for a parameter.
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions, describe } from '../tensor/shape.js';
import { checkFinite, checkInt, checkTensor } from '../tensor/check.js';
import {
  crossEntropy, nllLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, mseLoss, l1Loss, smoothL1Loss, huberLoss, reductionArg, lossParam, type Reduction,
} from '../ops/loss.js';
import {
  klDiv, poissonNllLoss, gaussianNllLoss, cosineEmbeddingLoss, marginRankingLoss, hingeEmbeddingLoss, softMarginLoss, multiLabelSoftMarginLoss, tripletMarginLoss, type KlDivReduction,
} from '../ops/loss-extra.js';
import { Module } from './module.js';
import { keepNames, named } from './container.js';

type Kind = 'reduction' | 'klReduction' | 'tensor' | 'boolean' | 'number' | 'int' | 'probability' | 'nonnegative' | 'positive';

/** Checks `opts` against `spec` (key → kind), naming the module; returns a copy. */
function lossOptions<T extends object>(module: string, opts: unknown, spec: Record<string, Kind>): T {
  const o = checkOptions(module, opts, Object.keys(spec));
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const kind = spec[k];
    if (kind === 'reduction') reductionArg(module, v);
    else if (kind === 'klReduction') { if (v !== 'batchmean') reductionArg(module, v); }
    else if (kind === 'tensor') { if (v !== null) checkTensor(module, v, k); }
    else if (kind === 'boolean') { if (typeof v !== 'boolean') throw new Error(`${module}: ${k} must be a boolean, got ${describe(v)}`); }
    else if (kind === 'int') checkInt(module, k, v);
    else if (kind === 'number') checkFinite(module, k, v);
    else if (kind === 'probability') { if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${module}: ${k} must be a number from 0 to 1, got ${describe(v)}`); }
    else lossParam(module, k, v, 0, kind === 'positive');
  }
  return { ...o } as T;
}

/** A loss of (input, target) calling `fn` with the module's options. */
abstract class PairLoss<O extends object> extends Module {
  readonly options: O;
  protected abstract fn(input: Tensor, target: Tensor, opts: O): Tensor;

  constructor(opts: unknown, spec: Record<string, Kind>) {
    super();
    this.options = lossOptions<O>(new.target.name, opts, spec);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return named(this.constructor.name, () => this.fn(input, target, this.options));
  }
}

const RED = { reduction: 'reduction' } as const;
type Red = { reduction?: Reduction };

export class MSELoss extends PairLoss<Red> {
  constructor(opts: Red = {}) { super(opts, RED); }
  protected fn(i: Tensor, t: Tensor, o: Red): Tensor { return mseLoss(i, t, o); }
}

export class L1Loss extends PairLoss<Red> {
  constructor(opts: Red = {}) { super(opts, RED); }
  protected fn(i: Tensor, t: Tensor, o: Red): Tensor { return l1Loss(i, t, o); }
}

type SmoothL1Options = Red & { beta?: number };
export class SmoothL1Loss extends PairLoss<SmoothL1Options> {
  constructor(opts: SmoothL1Options = {}) { super(opts, { ...RED, beta: 'nonnegative' }); }
  protected fn(i: Tensor, t: Tensor, o: SmoothL1Options): Tensor { return smoothL1Loss(i, t, o); }
}

type HuberOptions = Red & { delta?: number };
export class HuberLoss extends PairLoss<HuberOptions> {
  constructor(opts: HuberOptions = {}) { super(opts, { ...RED, delta: 'positive' }); }
  protected fn(i: Tensor, t: Tensor, o: HuberOptions): Tensor { return huberLoss(i, t, o); }
}

type CrossEntropyLossOptions = Red & { weight?: Tensor | null; ignoreIndex?: number; labelSmoothing?: number };
/** Logits (N, C, d...) or (C) against int32 class indices or class probabilities. */
export class CrossEntropyLoss extends PairLoss<CrossEntropyLossOptions> {
  constructor(opts: CrossEntropyLossOptions = {}) { super(opts, { ...RED, weight: 'tensor', ignoreIndex: 'int', labelSmoothing: 'probability' }); }
  protected fn(i: Tensor, t: Tensor, o: CrossEntropyLossOptions): Tensor { return crossEntropy(i, t, o); }
}

type NLLLossOptions = Red & { weight?: Tensor | null; ignoreIndex?: number };
export class NLLLoss extends PairLoss<NLLLossOptions> {
  constructor(opts: NLLLossOptions = {}) { super(opts, { ...RED, weight: 'tensor', ignoreIndex: 'int' }); }
  protected fn(i: Tensor, t: Tensor, o: NLLLossOptions): Tensor { return nllLoss(i, t, o); }
}

type BCELossOptions = Red & { weight?: Tensor | null };
export class BCELoss extends PairLoss<BCELossOptions> {
  constructor(opts: BCELossOptions = {}) { super(opts, { ...RED, weight: 'tensor' }); }
  protected fn(i: Tensor, t: Tensor, o: BCELossOptions): Tensor { return binaryCrossEntropy(i, t, o); }
}

type BCEWithLogitsLossOptions = Red & { weight?: Tensor | null; posWeight?: Tensor | null };
export class BCEWithLogitsLoss extends PairLoss<BCEWithLogitsLossOptions> {
  constructor(opts: BCEWithLogitsLossOptions = {}) { super(opts, { ...RED, weight: 'tensor', posWeight: 'tensor' }); }
  protected fn(i: Tensor, t: Tensor, o: BCEWithLogitsLossOptions): Tensor { return binaryCrossEntropyWithLogits(i, t, o); }
}

type KLDivLossOptions = { reduction?: KlDivReduction; logTarget?: boolean };
/** input: log-probabilities. reduction 'mean' averages every element (torch warns and does the
 * same); 'batchmean' is the KL divergence proper. */
export class KLDivLoss extends PairLoss<KLDivLossOptions> {
  constructor(opts: KLDivLossOptions = {}) { super(opts, { reduction: 'klReduction', logTarget: 'boolean' }); }
  protected fn(i: Tensor, t: Tensor, o: KLDivLossOptions): Tensor { return klDiv(i, t, o); }
}

type PoissonNLLLossOptions = Red & { logInput?: boolean; full?: boolean; eps?: number };
export class PoissonNLLLoss extends PairLoss<PoissonNLLLossOptions> {
  constructor(opts: PoissonNLLLossOptions = {}) { super(opts, { ...RED, logInput: 'boolean', full: 'boolean', eps: 'nonnegative' }); }
  protected fn(i: Tensor, t: Tensor, o: PoissonNLLLossOptions): Tensor { return poissonNllLoss(i, t, o); }
}

type HingeEmbeddingLossOptions = Red & { margin?: number };
export class HingeEmbeddingLoss extends PairLoss<HingeEmbeddingLossOptions> {
  constructor(opts: HingeEmbeddingLossOptions = {}) { super(opts, { ...RED, margin: 'number' }); }
  protected fn(i: Tensor, t: Tensor, o: HingeEmbeddingLossOptions): Tensor { return hingeEmbeddingLoss(i, t, o); }
}

export class SoftMarginLoss extends PairLoss<Red> {
  constructor(opts: Red = {}) { super(opts, RED); }
  protected fn(i: Tensor, t: Tensor, o: Red): Tensor { return softMarginLoss(i, t, o); }
}

type MultiLabelSoftMarginLossOptions = Red & { weight?: Tensor | null };
export class MultiLabelSoftMarginLoss extends PairLoss<MultiLabelSoftMarginLossOptions> {
  constructor(opts: MultiLabelSoftMarginLossOptions = {}) { super(opts, { ...RED, weight: 'tensor' }); }
  protected fn(i: Tensor, t: Tensor, o: MultiLabelSoftMarginLossOptions): Tensor { return multiLabelSoftMarginLoss(i, t, o); }
}

/** A loss of three tensors calling `fn` with the module's options. */
abstract class TripleLoss<O extends object> extends Module {
  readonly options: O;
  protected abstract fn(a: Tensor, b: Tensor, c: Tensor, opts: O): Tensor;

  constructor(opts: unknown, spec: Record<string, Kind>) {
    super();
    this.options = lossOptions<O>(new.target.name, opts, spec);
  }

  forward(a: Tensor, b: Tensor, c: Tensor): Tensor {
    return named(this.constructor.name, () => this.fn(a, b, c, this.options));
  }
}

type GaussianNLLLossOptions = Red & { full?: boolean; eps?: number };
/** forward(input, target, var): var a tensor or a number. */
export class GaussianNLLLoss extends Module {
  readonly options: GaussianNLLLossOptions;
  constructor(opts: GaussianNLLLossOptions = {}) {
    super();
    this.options = lossOptions('GaussianNLLLoss', opts, { ...RED, full: 'boolean', eps: 'nonnegative' });
  }
  forward(input: Tensor, target: Tensor, variance: Tensor | number): Tensor {
    return named('GaussianNLLLoss', () => gaussianNllLoss(input, target, variance, this.options));
  }
}

type MarginOptions = Red & { margin?: number };
/** forward(input1, input2, target): target ±1 says which pairs should be similar. */
export class CosineEmbeddingLoss extends TripleLoss<MarginOptions> {
  constructor(opts: MarginOptions = {}) { super(opts, { ...RED, margin: 'number' }); }
  protected fn(a: Tensor, b: Tensor, t: Tensor, o: MarginOptions): Tensor { return cosineEmbeddingLoss(a, b, t, o); }
}

/** forward(input1, input2, target): target ±1 says which input should rank higher. */
export class MarginRankingLoss extends TripleLoss<MarginOptions> {
  constructor(opts: MarginOptions = {}) { super(opts, { ...RED, margin: 'number' }); }
  protected fn(a: Tensor, b: Tensor, t: Tensor, o: MarginOptions): Tensor { return marginRankingLoss(a, b, t, o); }
}

type TripletMarginLossOptions = Red & { margin?: number; p?: number; eps?: number; swap?: boolean };
/** forward(anchor, positive, negative). */
export class TripletMarginLoss extends TripleLoss<TripletMarginLossOptions> {
  constructor(opts: TripletMarginLossOptions = {}) { super(opts, { ...RED, margin: 'number', p: 'number', eps: 'nonnegative', swap: 'boolean' }); }
  protected fn(a: Tensor, p: Tensor, n: Tensor, o: TripletMarginLossOptions): Tensor { return tripletMarginLoss(a, p, n, o); }
}


keepNames({
  MSELoss, L1Loss, SmoothL1Loss, HuberLoss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss, PoissonNLLLoss, GaussianNLLLoss,
  HingeEmbeddingLoss, SoftMarginLoss, MultiLabelSoftMarginLoss, CosineEmbeddingLoss, MarginRankingLoss, TripletMarginLoss,
});
