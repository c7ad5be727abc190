// Linear and Embedding: the two modules that hold a plain weight matrix.
import { Tensor } from '../tensor/tensor.js';
import { fmtShape, describe } from '../tensor/shape.js';
import { Module } from './module.js';
import { checkModuleOptions, checkSize, normalParam, uniformParam, type ParamOptions } from './init.js';

export interface LinearOptions extends ParamOptions {
  bias?: boolean;
}

/** y = x·Wᵀ + b over the last dim of x; weight (out, in) as in PyTorch. */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    opts = checkModuleOptions('Linear', opts, { bias: 'boolean' });
    checkSize('Linear', 'inFeatures', inFeatures);
    checkSize('Linear', 'outFeatures', outFeatures);
    // PyTorch's kaiming_uniform_(a=√5) works out to U(±1/√in) for the weight, and the bias
    // uses the same bound.
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = uniformParam('Linear', [outFeatures, inFeatures], bound, opts, 0);
    this.bias = (opts.bias ?? true) ? uniformParam('Linear', [outFeatures], bound, opts, 1) : null;
  }

  forward(x: Tensor): Tensor {
    checkLastDim('Linear', x, this.inFeatures);
    const y = x.matmul(this.weight.transpose(0, 1));
    return this.bias ? y.add(this.bias) : y;
  }
}

/** A lookup table: row i of weight (num, dim) for each int32 index. N(0, 1) init as in PyTorch. */
export class Embedding extends Module {
  weight: Tensor;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: ParamOptions = {}) {
    super();
    opts = checkModuleOptions('Embedding', opts);
    checkSize('Embedding', 'numEmbeddings', numEmbeddings);
    checkSize('Embedding', 'embeddingDim', embeddingDim);
    this.weight = normalParam('Embedding', [numEmbeddings, embeddingDim], 1, opts, 0);
  }

  /** indices: int32 of any shape → (...indices.shape, embeddingDim). */
  forward(indices: Tensor): Tensor {
    if (!(indices instanceof Tensor)) throw new Error('Embedding: indices must be a Tensor');
    if (indices.dtype !== 'int32') throw new Error(`Embedding: indices must be int32, got ${indices.dtype} (shape ${fmtShape(indices.shape)})`);
    const rows = this.weight.indexSelect(0, indices.reshape([-1]));
    return rows.reshape([...indices.shape, this.embeddingDim]);
  }
}

/** Throws naming the module when x's last dim is not `size`. */
export function checkLastDim(module: string, x: unknown, size: number): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${module}: input must be a Tensor, got ${describe(x)}`);
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== size) {
    throw new Error(`${module}: expected input with last dim ${size}, got shape ${fmtShape(x.shape)}`);
  }
}
