// Mixture-of-experts layers on ScatteredExperts, after ScatterMoE's ParallelExperts and MLP
// (scattermoe/mlp.py). Parameter names follow ScatterMoE's — `experts.weight`,
// `output_experts.weight`, each (E, out, in) — so a checkpoint loads into its MLP.
//
//   x (T, H) ─router─ softmax ─ top-k ─ flattenSortCount
//            └ experts (grouped out) ─ act ─ output_experts (grouped in, gates) ─ (T, H)
import { Tensor, checkAllocation } from '../tensor/tensor.js';
import { runtime } from '../backend/runtime.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { tidy } from '../tensor/scope.js';
import { Function, type Ctx } from '../autograd/function.js';
import { mapRaw, type MapSpec } from '../ops/map.js';
import { MAP_SPECS } from '../ops/elementwise.js';
import { gatedActivation } from '../ops/glu.js';
import { renormalizeRows } from '../ops/renorm.js';
import { reduceRaw } from '../ops/reduce.js';
import { logsumexp } from '../ops/logsumexp.js';
import { scatteredExperts } from '../moe/index.js';
import { flattenSortCountWithCounts } from '../moe/routing.js';
import { Module } from './module.js';
import { Linear, checkLastDim } from './linear.js';
import { checkModuleOptions, checkSize, childSeed, constParam, normalParam, type ParamOptions } from './init.js';

export interface ParallelExpertsOptions extends ParamOptions {
  bias?: boolean;
}

export interface ParallelExpertsForwardOptions {
  gates?: Tensor | null;
  groupedIn?: boolean;
  groupedOut?: boolean;
}

/** E independent Linear layers applied to routed rows; weight (E, out, in), bias (E, out). */
export class ParallelExperts extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(readonly numExperts: number, readonly inFeatures: number, readonly outFeatures: number, opts: ParallelExpertsOptions = {}) {
    super();
    opts = checkModuleOptions('ParallelExperts', opts, { bias: 'boolean' });
    checkSize('ParallelExperts', 'numExperts', numExperts);
    checkSize('ParallelExperts', 'inFeatures', inFeatures);
    checkSize('ParallelExperts', 'outFeatures', outFeatures);
    // ScatterMoE's reset_parameters: N(0, 0.02²) weights, zero biases.
    this.weight = normalParam('ParallelExperts', [numExperts, outFeatures, inFeatures], 0.02, opts, 0);
    this.bias = opts.bias ? constParam('ParallelExperts', [numExperts, outFeatures], 0, opts) : null;
  }

  /** scatteredExperts with this module's weights; the arguments are as documented there. */
  forward(x: Tensor, k: number, sortedExpertIdxs: Tensor, sortedScatteredIdxs: Tensor, expertOffsets: Tensor,
    opts: ParallelExpertsForwardOptions = {}): Tensor {
    // The (E, in, out) view scatteredExperts wants, without a copy: its kernels read strides.
    return scatteredExperts(x, this.weight.permute([0, 2, 1]), k, sortedExpertIdxs, sortedScatteredIdxs, expertOffsets, {
      gates: opts.gates, groupedIn: opts.groupedIn, groupedOut: opts.groupedOut, biases: this.bias,
    });
  }
}

export type Activation = 'gelu' | 'silu' | 'relu';

export interface MoEOptions extends ParamOptions {
  hiddenSize: number;
  intermediateSize: number;
  numExperts: number;
  topK: number;
  /** ScatterMoE's GLUMLP: the experts make 2·intermediate features, first half·act(second). */
  glu?: boolean;
  /** Default 'silu' with glu (ScatterMoE's GLUMLP), else 'gelu'. */
  activation?: Activation;
  /** Rescale each token's top-k probabilities to sum to 1 (default true). */
  renormalize?: boolean;
  /** Per-expert biases in both expert layers (default false). */
  bias?: boolean;
}

const MOE_OPTIONS = {
  hiddenSize: 'positive', intermediateSize: 'positive', numExperts: 'positive', topK: 'positive',
  glu: 'boolean', activation: 'string', renormalize: 'boolean', bias: 'boolean',
} as const;

export interface MoEOutput {
  /** Same shape as the input. */
  output: Tensor;
  /** Switch Transformer's load-balancing loss E·Σ_e f_e·P_e: 1 when balanced. */
  auxLoss: Tensor;
  /** ST-MoE's router z-loss, mean over tokens of logsumexp(router logits)². */
  zLoss: Tensor;
  /** int32 [E]: how many of the T·k routed slots each expert took (not differentiable). */
  expertCounts: Tensor;
}

const ACTIVATIONS: Record<Activation, (t: Tensor) => Tensor> = {
  gelu: (t) => t.gelu(),
  silu: (t) => t.silu(),
  relu: (t) => t.relu(),
};

export class MoE extends Module {
  router: Linear;
  experts: ParallelExperts;
  // snake_case on purpose: ScatterMoE's MLP names this parameter output_experts.weight.
  output_experts: ParallelExperts;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numExperts: number;
  readonly topK: number;
  readonly glu: boolean;
  readonly activation: Activation;
  readonly renormalize: boolean;

  constructor(opts: MoEOptions) {
    super();
    if (opts === undefined || opts === null) throw new Error('MoE: expected options { hiddenSize, intermediateSize, numExperts, topK, ... }');
    opts = checkModuleOptions('MoE', opts, MOE_OPTIONS);
    const { hiddenSize, intermediateSize, numExperts, topK } = opts;
    checkSize('MoE', 'hiddenSize', hiddenSize);
    checkSize('MoE', 'intermediateSize', intermediateSize);
    checkSize('MoE', 'numExperts', numExperts);
    checkSize('MoE', 'topK', topK);
    if (topK > numExperts) throw new Error(`MoE: topK ${topK} exceeds numExperts ${numExperts}`);
    this.hiddenSize = hiddenSize;
    this.intermediateSize = intermediateSize;
    this.numExperts = numExperts;
    this.topK = topK;
    this.glu = opts.glu ?? false;
    this.activation = opts.activation ?? (this.glu ? 'silu' : 'gelu');
    if (!Object.prototype.hasOwnProperty.call(ACTIVATIONS, this.activation)) throw new Error(`MoE: activation must be 'gelu', 'silu' or 'relu', got ${describe(this.activation)}`);
    this.renormalize = opts.renormalize ?? true;
    const child = (i: number): ParamOptions => ({ device: opts.device, dtype: opts.dtype, seed: childSeed(opts.seed, i) });
    this.router = new Linear(hiddenSize, numExperts, { ...child(0), bias: false });
    const expertsOut = this.glu ? 2 * intermediateSize : intermediateSize;
    // The expert weights are the largest tensors: a size past the device's limit fails here, by name.
    checkAllocation('MoE', [numExperts, expertsOut, hiddenSize], opts.dtype ?? 'float32', opts.device ?? runtime.defaultDevice);
    this.experts = new ParallelExperts(numExperts, hiddenSize, expertsOut, { ...child(1), bias: opts.bias });
    this.output_experts = new ParallelExperts(numExperts, intermediateSize, hiddenSize, { ...child(2), bias: opts.bias });
  }

  /** x (..., hiddenSize) → { output (..., hiddenSize), auxLoss, zLoss, expertCounts }. */
  forward(x: Tensor): MoEOutput {
    checkLastDim('MoE', x, this.hiddenSize);
    if (x.numel === 0) throw new Error(`MoE: input has no tokens (shape ${fmtShape(x.shape)})`);
    const e = this.numExperts;
    const k = this.topK;
    return tidy(() => {
      const h = x.reshape([-1, this.hiddenSize]);
      const tokens = h.shape[0];
      const logits = this.router.forward(h);
      const probs = logits.softmax(-1);
      const top = probs.topk(k, -1);
      const gates = this.renormalize ? renormalizeRows(top.values, -1) : top.values;
      // The sort's scan also writes the counts and E·f_e (f_e = count_e / (T·k), the fraction
      // of routed slots expert e took) in probs' dtype, so neither costs a dispatch.
      const route = flattenSortCountWithCounts(top.indices, e, { scale: e / (tokens * k), dtype: probs.dtype });
      const { sortedExpertIdxs: sei, sortedScatteredIdxs: sse, expertOffsets: offsets, expertCounts } = route;

      // Grouped order between the two layers: each expert's rows are contiguous and the
      // activation is elementwise, so nothing is scattered back until the gated sum.
      const inner = this.experts.forward(h, k, sei, sse, offsets, { groupedOut: true });
      // GLU: first half·act(second half) as one fused op, one dispatch each way.
      const hidden = this.glu ? gatedActivation(inner, this.activation) : ACTIVATIONS[this.activation](inner);
      const y = this.output_experts.forward(hidden, k, sei, sse, offsets, { groupedIn: true, gates });

      // Switch Transformer's E·Σ_e f_e·P_e as one dot product, P = probs.mean(0). f_e is a
      // routing decision (a constant here); P_e carries the gradient to the router.
      const auxLoss = probs.mean(0).matmul(route.scaledCounts!);
      const zLoss = MeanSquare.apply(logsumexp(logits, -1));
      return { output: y.reshape([...x.shape]), auxLoss, zLoss, expertCounts };
    });
  }
}

// d mean(x²) / dx = x · dy · (2/n); 2/n comes in as the number operand c.
const MEAN_SQUARE_GRAD: MapSpec = { name: 'mean_square_grad', cpu: (x, g, c) => x * g * c, wgsl: 'a * b * c', floatOnly: true };

/** mean(x²) over every element (the z-loss's mean over tokens of lse²). As x.mul(x).mean()
 * its backward took four dispatches (mean's, two products and their sum); here one. */
class MeanSquare extends Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return reduceRaw('sum', mapRaw(MAP_SPECS.mulF, [x, x]), x.shape.map((_, i) => i), false, 1 / x.numel).values;
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [x] = ctx.savedTensors;
    return [mapRaw(MEAN_SQUARE_GRAD, [x, dy, 2 / x.numel], x.dtype)];
  }
}
