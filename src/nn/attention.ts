// Causal multi-head self-attention from the engine's ops (no fused kernel): one Linear
// makes q, k and v, heads are views, scores are a batched matmul, and the causal mask is a
// precomputed additive tensor.
import { Tensor, checkAllocation } from '../tensor/tensor.js';
import { fmtShape, describe } from '../tensor/shape.js';
import { tensor } from '../tensor/create.js';
import { keep, tidy } from '../tensor/scope.js';
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

// Added to the scores above the diagonal. A large finite value rather than -Infinity keeps
// the arithmetic free of inf − inf, and exp() of it is exactly 0 after the max shift.
const MASKED = -1e9;

export class CausalSelfAttention extends Module {
  qkv: Linear;
  proj: Linear;
  attnDropout: Dropout;
  residDropout: Dropout;
  readonly headDim: number;
  // Not a parameter (no grad): grown on demand, reused across steps, freed by dispose().
  private mask: Tensor | null = null;

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
    const mask = this.causalMask(t, x);
    return tidy(() => {
      // (B, T, 3C) → three (B, H, T, D) views.
      const [q, k, v] = this.qkv.forward(x).split(c, 2).map((z) => z.reshape([b, t, h, d]).transpose(1, 2));
      const scores = q.matmul(k.transpose(2, 3)).mul(1 / Math.sqrt(d)).add(mask);
      const att = this.attnDropout.forward(scores.softmax(-1));
      const y = att.matmul(v).transpose(1, 2).reshape([b, t, c]);
      return this.residDropout.forward(this.proj.forward(y));
    });
  }

  /** The (T, T) additive mask: 0 on and below the diagonal, MASKED above. */
  private causalMask(t: number, like: Tensor): Tensor {
    const m = this.mask;
    if (m && m.shape[0] === t && m.device === like.device && m.dtype === like.dtype) return m;
    m?.dispose();
    const data = new Float64Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) data[i * t + j] = MASKED;
    this.mask = keep(tensor(data, { shape: [t, t], device: like.device, dtype: like.dtype }));
    return this.mask;
  }
}
