// BatchNorm1d and BatchNorm2d: torch's _BatchNorm as a composite of mean, var and elementwise
// ops, so both backends and autograd come for free. The running statistics are buffers,
// updated in place under noGrad so that autograd never sees them.
import { Tensor } from '../tensor/tensor.js';
import { full } from '../tensor/create.js';
import { isFloat } from '../tensor/dtype.js';
import { tidy } from '../tensor/scope.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Module } from './module.js';
import { checkModuleOptions, checkSize, constParam, type ParamOptions } from './init.js';
import { keepNames } from './container.js';

export interface BatchNormOptions extends ParamOptions {
  /** Added to the variance before the square root; default 1e-5. */
  eps?: number;
  /** Weight of the newest batch in the running statistics (default 0.1); null: the
   * cumulative average over every batch so far. */
  momentum?: number | null;
  /** A learnable per-channel scale (ones) and shift (zeros); default true. */
  affine?: boolean;
  /** Keep running statistics for eval (default true); false: batch statistics always. */
  trackRunningStats?: boolean;
}

/** Takes momentum out of the options (it may be null, which checkModuleOptions has no kind for). */
function splitMomentum(name: string, opts: unknown): [unknown, number | null] {
  if (opts === null || typeof opts !== 'object' || !('momentum' in opts)) return [opts, 0.1];
  const { momentum, ...rest } = opts as BatchNormOptions;
  if (momentum === undefined) return [rest, 0.1];
  if (momentum !== null && !(typeof momentum === 'number' && Number.isFinite(momentum))) {
    throw new Error(`${name}: option momentum must be a finite number or null, got ${describe(momentum)}`);
  }
  return [rest, momentum];
}

/** y = (x − mean) / √(var + eps) · weight + bias per channel (dim 1), with the biased variance
 * of the batch in training and the running statistics in eval. */
abstract class BatchNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  // Set by registerBuffer (declare: no class field that would predefine them).
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  /** int32 (torch: int64). */
  declare num_batches_tracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(readonly numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    const name = this.constructor.name;
    const [rest, momentum] = splitMomentum(name, opts);
    const o = checkModuleOptions<BatchNormOptions>(name, rest, { eps: 'nonnegative', affine: 'boolean', trackRunningStats: 'boolean' });
    checkSize(name, 'numFeatures', numFeatures);
    this.eps = o.eps ?? 1e-5;
    this.momentum = momentum;
    this.affine = o.affine ?? true;
    this.trackRunningStats = o.trackRunningStats ?? true;
    this.weight = this.affine ? constParam(name, [numFeatures], 1, o) : null;
    this.bias = this.affine ? constParam(name, [numFeatures], 0, o) : null;
    const track = this.trackRunningStats;
    const make = (value: number, dtype = o.dtype): Tensor | null => (track ? noGrad(() => full([numFeatures], value, { device: o.device, dtype })) : null);
    this.registerBuffer('running_mean', make(0));
    this.registerBuffer('running_var', make(1));
    this.registerBuffer('num_batches_tracked', track ? full([], 0, { device: o.device, dtype: 'int32' }) : null);
  }

  /** The input ranks this class takes, for the error message. */
  protected abstract checkRank(x: Tensor): void;

  private checkInput(x: unknown, batchStats: boolean): asserts x is Tensor {
    const name = this.constructor.name;
    if (!(x instanceof Tensor)) throw new Error(`${name}: input must be a Tensor, got ${describe(x)}`);
    x.assertAlive(name);
    this.checkRank(x);
    if (!isFloat(x.dtype)) throw new Error(`${name}: input must be a floating-point tensor, got ${x.dtype}`);
    if (x.shape[1] !== this.numFeatures) throw new Error(`${name}: expected input with ${this.numFeatures} channels in dim 1, got shape ${fmtShape(x.shape)}`);
    const own = this.weight ?? this.running_mean;
    if (own && own.device !== x.device) throw new Error(`${name}: input is on ${x.device} but the module is on ${own.device}`);
    if (batchStats && x.numel / this.numFeatures === 1) {
      throw new Error(`${name}: Expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}`);
    }
  }

  forward(x: Tensor): Tensor {
    // torch's bn_training: batch statistics in training, or always without running ones.
    const batchStats = this.training || this.running_mean === null || this.running_var === null;
    this.checkInput(x, batchStats);
    const c = this.numFeatures;
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const perChannel = [1, c, ...dims.slice(1).map(() => 1)];
    return tidy(() => {
      let mean: Tensor, variance: Tensor;
      if (batchStats) {
        mean = x.mean(dims, true);
        variance = x.var(dims, { correction: 0, keepdim: true });
        if (this.training && this.trackRunningStats) this.updateRunningStats(mean, variance, x.numel / c);
      } else {
        mean = this.running_mean!.reshape(perChannel);
        variance = this.running_var!.reshape(perChannel);
      }
      const y = x.sub(mean).mul(variance.add(this.eps).rsqrt());
      return this.weight && this.bias ? y.mul(this.weight.reshape(perChannel)).add(this.bias.reshape(perChannel)) : y;
    });
  }

  /** running ← (1 − m)·running + m·batch, the variance unbiased; with momentum null, m is
   * 1 / num_batches_tracked, read on the device (no sync). */
  private updateRunningStats(mean: Tensor, variance: Tensor, n: number): void {
    const rm = this.running_mean, rv = this.running_var, count = this.num_batches_tracked;
    if (!rm || !rv || !count) return;
    noGrad(() => {
      const c = this.numFeatures;
      const bm = mean.detach().reshape([c]);
      const bv = variance.detach().reshape([c]).mul(n / (n - 1));
      count.add_(1);
      const m = this.momentum;
      if (m === null) {
        rm.add_(bm.sub(rm).div(count));
        rv.add_(bv.sub(rv).div(count));
      } else {
        rm.mul_(1 - m).add_(bm, m);
        rv.mul_(1 - m).add_(bv, m);
      }
    });
  }
}

/** Batch normalization over (N, C) or (N, C, L): statistics per channel C. */
export class BatchNorm1d extends BatchNorm {
  protected checkRank(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`BatchNorm1d: expected 2D or 3D input (got ${x.ndim}D input of shape ${fmtShape(x.shape)})`);
  }
}

/** Batch normalization over (N, C, H, W): statistics per channel C. */
export class BatchNorm2d extends BatchNorm {
  protected checkRank(x: Tensor): void {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expected 4D input (got ${x.ndim}D input of shape ${fmtShape(x.shape)})`);
  }
}

keepNames({ BatchNorm1d, BatchNorm2d });
