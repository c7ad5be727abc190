// Causal multi-head self-attention: one Linear makes q, k and v, heads are views, and the
// fused scaledDotProductAttention (isCausal) does the rest without a T×T matrix.
import { Tensor, checkAllocation } from '../tensor/tensor.js';
import { fmtShape, describe } from '../tensor/shape.js';
import { tidy } from '../tensor/scope.js';
import { scaledDotProductAttention } from '../ops/attention.js';
import { gradOfPieces } from '../ops/view.js';
import { Function, type Ctx } from '../autograd/function.js';
import type { DType } from '../tensor/dtype.js';
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
    const drop = this.attnDropout.training ? this.attnDropout.p : 0;
    const seed = drop > 0 && this.attnSeed !== undefined ? childSeed(this.attnSeed, this.attnCalls++) : undefined;
    return tidy(() => {
      // (B, T, 3C) → three (B, H, T, D) views.
      const [q, k, v] = SplitHeads.apply(this.qkv.forward(x), h);
      const att = scaledDotProductAttention(q, k, v, { isCausal: true, dropoutP: drop, seed });
      const y = att.transpose(1, 2).reshape([b, t, c]);
      return this.residDropout.forward(this.proj.forward(y));
    });
  }
}

/** x's channels [start, start + H·D) of each (B, T) row as (B, H, T, D): what
 * `narrow(2, start, H·D).view(B, T, H, D).transpose(1, 2)` gives, as a layout. */
function headsLayout(x: Tensor, start: number, h: number, d: number): Tensor {
  const [b, t] = x.shape;
  const [s0, s1, s2] = x.strides;
  return x.withLayout([b, h, t, d], [s0, d * s2, s1, s2], x.offset + start * s2);
}

/**
 * (B, T, 3C) → q, k, v as (B, H, T, D) views, as `split(C, 2)` then `reshape(B, T, H, D)
 * .transpose(1, 2)` per piece. The gain is in backward: there each piece's reshape would copy
 * its head-major gradient once to make it viewable and split would copy it again into the
 * (B, T, 3C) gradient; here each is copied once, straight to its place.
 */
class SplitHeads extends Function {
  static override forward(ctx: Ctx, qkv: Tensor, h: number): Tensor[] {
    const c = qkv.shape[2] / 3;
    ctx.args = [qkv.shape, qkv.dtype, h];
    ctx.materializeGrads = false;
    return [0, 1, 2].map((i) => headsLayout(qkv, i * c, h, c / h));
  }
  static override backward(ctx: Ctx, ...dys: Array<Tensor | null>): Array<Tensor | null> {
    const [shape, dtype, h] = ctx.args as [number[], DType, number];
    const c = shape[2] / 3;
    return [gradOfPieces(shape, dtype, dys, (g, i) => headsLayout(g, i * c, h, c / h), 'CausalSelfAttention'), null];
  }
}
