// Causal multi-head self-attention: one Linear makes q, k and v, heads are views, and the
// fused scaledDotProductAttention (isCausal) does the rest without a T×T matrix.
import { Tensor, checkAllocation } from '../tensor/tensor.js';
import { fmtShape, describe } from '../tensor/shape.js';
import { tidy } from '../tensor/scope.js';
import { scaledDotProductAttention } from '../ops/attention.js';
import { Module } from './module.js';
import { Linear } from './linear.js';
import { Dropout } from './dropout.js';
import { runtime } from '../backend/runtime.js';
import { checkModuleOptions, checkSize, childSeed, type ParamOptions } from './init.js';

export interface CausalSelfAttentionOptions extends ParamOptions {
  /** Dropout on the attention weights and on the output (default 0). */
  dropout?: number;
  /** Biases in the qkv and output projections (default true). */
  bias?: boolean;
}

export class CausalSelfAttention extends Module {
  qkv: Linear;
  proj: Linear;
  attnDropout: Dropout;
  residDropout: Dropout;
  readonly headDim: number;
  // The attention weights' dropout runs inside the fused kernel, seeded per call.
  private readonly attnSeed: number | undefined;
  private attnCalls = 0;

  constructor(readonly dim: number, readonly nHeads: number, opts: CausalSelfAttentionOptions = {}) {
    super();
    opts = checkModuleOptions('CausalSelfAttention', opts, { dropout: 'probability', bias: 'boolean' });
    checkSize('CausalSelfAttention', 'dim', dim);
    checkSize('CausalSelfAttention', 'nHeads', nHeads);
    if (dim % nHeads !== 0) throw new Error(`CausalSelfAttention: dim ${dim} is not divisible by nHeads ${nHeads}`);
    this.headDim = dim / nHeads;
    // The qkv weight is the largest tensor: a size past the device's limit fails here, by name.
    checkAllocation('CausalSelfAttention', [3 * dim, dim], opts.dtype ?? 'float32', opts.device ?? runtime.defaultDevice);
    const p = opts.dropout ?? 0;
    const child = (i: number): ParamOptions => ({ device: opts.device, dtype: opts.dtype, seed: childSeed(opts.seed, i) });
    this.qkv = new Linear(dim, 3 * dim, { ...child(0), bias: opts.bias });
    this.proj = new Linear(dim, dim, { ...child(1), bias: opts.bias });
    this.attnDropout = new Dropout(p, { seed: childSeed(opts.seed, 2) });
    this.attnSeed = childSeed(opts.seed, 2);
    this.residDropout = new Dropout(p, { seed: childSeed(opts.seed, 3) });
  }

  /** x (B, T, dim) → (B, T, dim); position t attends to positions ≤ t. */
  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor) || x.ndim !== 3 || x.shape[2] !== this.dim) {
      throw new Error(`CausalSelfAttention: expected input (B, T, ${this.dim}), got ${x instanceof Tensor ? `shape ${fmtShape(x.shape)}` : describe(x)}`);
    }
    const [b, t, c] = x.shape;
    const h = this.nHeads;
    const d = this.headDim;
    const drop = this.attnDropout.training ? this.attnDropout.p : 0;
    const seed = drop > 0 && this.attnSeed !== undefined ? childSeed(this.attnSeed, this.attnCalls++) : undefined;
    return tidy(() => {
      // (B, T, 3C) → three (B, H, T, D) views.
      const [q, k, v] = this.qkv.forward(x).split(c, 2).map((z) => z.reshape([b, t, h, d]).transpose(1, 2));
      const att = scaledDotProductAttention(q, k, v, { isCausal: true, dropoutP: drop, seed });
      const y = att.transpose(1, 2).reshape([b, t, c]);
      return this.residDropout.forward(this.proj.forward(y));
    });
  }
}
