// LayerNorm and RMSNorm over the last dim: parameters and argument checks here, the fused
// forward and backward in ops/norm.ts.
import type { Tensor } from '../tensor/tensor.js';
import { layerNorm, rmsNorm } from '../ops/norm.js';
import { Module } from './module.js';
import { checkModuleOptions, checkSize, constParam, type ParamOptions } from './init.js';
import { checkLastDim } from './linear.js';

export interface LayerNormOptions extends ParamOptions {
  eps?: number;
  /** Learnable per-feature scale (ones) and shift (zeros); default true. */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, whether there is a shift; default true. */
  bias?: boolean;
}

/** (x − mean) / √(var + eps) · weight + bias, with the biased variance as in PyTorch. */
export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly eps: number;

  constructor(readonly normalizedShape: number, opts: LayerNormOptions = {}) {
    super();
    opts = checkModuleOptions('LayerNorm', opts, { eps: 'nonnegative', elementwiseAffine: 'boolean', bias: 'boolean' });
    checkSize('LayerNorm', 'normalizedShape', normalizedShape);
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? constParam(this.constructor.name, [normalizedShape], 1, opts) : null;
    this.bias = affine && (opts.bias ?? true) ? constParam(this.constructor.name, [normalizedShape], 0, opts) : null;
  }

  forward(x: Tensor): Tensor {
    checkLastDim('LayerNorm', x, this.normalizedShape);
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

export interface RMSNormOptions extends ParamOptions {
  /** Default: the machine epsilon of the type the input computes in (float32's, float64's
   * for float64), PyTorch's choice when eps is None. */
  eps?: number;
  elementwiseAffine?: boolean;
}

/** x / √(mean(x²) + eps) · weight. */
export class RMSNorm extends Module {
  weight: Tensor | null;
  /** null: rmsNorm's default, by the input's dtype. */
  readonly eps: number | null;

  constructor(readonly normalizedShape: number, opts: RMSNormOptions = {}) {
    super();
    opts = checkModuleOptions('RMSNorm', opts, { eps: 'nonnegative', elementwiseAffine: 'boolean' });
    checkSize('RMSNorm', 'normalizedShape', normalizedShape);
    this.eps = opts.eps ?? null;
    this.weight = (opts.elementwiseAffine ?? true) ? constParam(this.constructor.name, [normalizedShape], 1, opts) : null;
  }

  forward(x: Tensor): Tensor {
    checkLastDim('RMSNorm', x, this.normalizedShape);
    return rmsNorm(x, this.weight, this.eps);
  }
}
