// A small model with the demo's structure (examples/lm/model.mjs: embeddings, pre-norm
// blocks of causal attention and an MoE feed-forward, a linear head), built here from
// sg.nn so that the test bundle uses one copy of the library.
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

export interface TinyConfig { vocab: number; context: number; dim: number; heads: number; layers: number; experts: number; topK: number; intermediate: number }
export const TINY: TinyConfig = { vocab: 24, context: 8, dim: 16, heads: 2, layers: 2, experts: 4, topK: 2, intermediate: 32 };

class Block extends sg.nn.Module {
  ln1: sg.nn.LayerNorm;
  attn: sg.nn.CausalSelfAttention;
  ln2: sg.nn.LayerNorm;
  moe: sg.nn.MoE;
  constructor(c: TinyConfig, seed: number, device: 'cpu' | 'webgpu') {
    super();
    this.ln1 = new sg.nn.LayerNorm(c.dim, { device });
    this.attn = new sg.nn.CausalSelfAttention(c.dim, c.heads, { seed: seed + 1, device });
    this.ln2 = new sg.nn.LayerNorm(c.dim, { device });
    this.moe = new sg.nn.MoE({ hiddenSize: c.dim, intermediateSize: c.intermediate, numExperts: c.experts, topK: c.topK, seed: seed + 2, device });
  }
  forward(x: Tensor): { x: Tensor; aux: Tensor; z: Tensor } {
    const h = x.add(this.attn.forward(this.ln1.forward(x)));
    const { output, auxLoss, zLoss } = this.moe.forward(this.ln2.forward(h));
    return { x: h.add(output), aux: auxLoss, z: zLoss };
  }
}

export class TinyMoELM extends sg.nn.Module {
  tokEmb: sg.nn.Embedding;
  posEmb: sg.nn.Embedding;
  blocks: Block[];
  lnF: sg.nn.LayerNorm;
  head: sg.nn.Linear;
  constructor(readonly cfg: TinyConfig, readonly device: 'cpu' | 'webgpu', seed = 0) {
    super();
    this.tokEmb = new sg.nn.Embedding(cfg.vocab, cfg.dim, { seed, device });
    this.posEmb = new sg.nn.Embedding(cfg.context, cfg.dim, { seed: seed + 1, device });
    this.blocks = Array.from({ length: cfg.layers }, (_, i) => new Block(cfg, seed + 10 * (i + 1), device));
    this.lnF = new sg.nn.LayerNorm(cfg.dim, { device });
    this.head = new sg.nn.Linear(cfg.dim, cfg.vocab, { seed: seed + 2, device });
  }
  forward(ids: Tensor): Tensor {
    throw new Error(`TinyMoELM: call loss(ids, targets) (got ids of shape [${ids.shape}])`);
  }
  /** ids int32 [B, T] → loss (cross entropy on next tokens + 0.01·aux + 0.001·z). */
  loss(ids: Tensor, targets: Tensor): Tensor {
    const t = ids.shape[1];
    let x = this.tokEmb.forward(ids).add(this.posEmb.forward(sg.arange(t, { device: ids.device })).mul(0.1));
    let aux: Tensor | null = null;
    let z: Tensor | null = null;
    for (const b of this.blocks) {
      const o = b.forward(x);
      x = o.x;
      aux = aux ? aux.add(o.aux) : o.aux;
      z = z ? z.add(o.z) : o.z;
    }
    const logits = this.head.forward(this.lnF.forward(x));
    return sg.crossEntropy(logits.reshape([-1, this.cfg.vocab]), targets).add(aux!.mul(0.01)).add(z!.mul(0.001));
  }
}

/** A seeded token stream with structure to learn (a repeating pattern plus noise). */
export function tokenBatch(cfg: TinyConfig, batch: number, step: number, device: 'cpu' | 'webgpu'): { ids: Tensor; targets: Tensor } {
  const g = new sg.Generator(step);
  const n = batch * (cfg.context + 1);
  const stream = Int32Array.from({ length: n }, (_, i) => (g.next() < 0.8 ? (i * 7) % cfg.vocab : Math.floor(g.next() * cfg.vocab)));
  const ids = new Int32Array(batch * cfg.context);
  const tg = new Int32Array(batch * cfg.context);
  for (let b = 0; b < batch; b++) {
    ids.set(stream.subarray(b * (cfg.context + 1), b * (cfg.context + 1) + cfg.context), b * cfg.context);
    tg.set(stream.subarray(b * (cfg.context + 1) + 1, (b + 1) * (cfg.context + 1)), b * cfg.context);
  }
  return { ids: sg.tensor(ids, { shape: [batch, cfg.context], device }), targets: sg.tensor(tg, { device }) };
}
