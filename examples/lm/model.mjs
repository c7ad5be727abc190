// A tiny decoder-only language model with mixture-of-experts feed-forward layers, built
// from scattergrad's nn modules. Shared by the Node demo and the browser page: it imports
// the package by name, which Node resolves to dist/node (the package refers to itself
// through its `exports` map) and the page's import map resolves to dist/browser.
import * as sg from 'scattergrad';

export const DEFAULT_CONFIG = {
  context: 32, dim: 64, heads: 4, layers: 2, experts: 4, topK: 2, intermediate: 128,
};

/** Characters <-> ids. The vocabulary is the sorted set of characters in the text. */
export class CharTokenizer {
  constructor(text) {
    this.chars = [...new Set(text)].sort();
    this.ids = new Map(this.chars.map((c, i) => [c, i]));
  }
  get size() { return this.chars.length; }
  encode(s) { return Int32Array.from(s, (c) => this.ids.get(c) ?? 0); }
  decode(ids) { return Array.from(ids, (i) => this.chars[i]).join(''); }
}

/** Pre-norm transformer block: x + attn(ln(x)), then x + moe(ln(x)). */
class Block extends sg.nn.Module {
  constructor(cfg, seed) {
    super();
    this.ln1 = new sg.nn.LayerNorm(cfg.dim);
    this.attn = new sg.nn.CausalSelfAttention(cfg.dim, cfg.heads, { seed: seed + 1 });
    this.ln2 = new sg.nn.LayerNorm(cfg.dim);
    this.moe = new sg.nn.MoE({
      hiddenSize: cfg.dim, intermediateSize: cfg.intermediate, numExperts: cfg.experts, topK: cfg.topK, seed: seed + 2,
    });
  }

  forward(x) {
    const h = x.add(this.attn.forward(this.ln1.forward(x)));
    const { output, auxLoss, zLoss, expertCounts } = this.moe.forward(this.ln2.forward(h));
    return { x: h.add(output), auxLoss, zLoss, expertCounts };
  }
}

export class MoELanguageModel extends sg.nn.Module {
  constructor(vocabSize, cfg = DEFAULT_CONFIG, seed = 0) {
    super();
    this.cfg = { ...cfg, vocabSize };
    this.tokEmb = new sg.nn.Embedding(vocabSize, cfg.dim, { seed });
    this.posEmb = new sg.nn.Embedding(cfg.context, cfg.dim, { seed: seed + 1 });
    this.blocks = Array.from({ length: cfg.layers }, (_, i) => new Block(cfg, seed + 10 * (i + 1)));
    this.lnF = new sg.nn.LayerNorm(cfg.dim);
    this.head = new sg.nn.Linear(cfg.dim, vocabSize, { seed: seed + 2 });
  }

  /** ids int32 [B, T] -> { logits [B, T, V], auxLoss, zLoss, expertCounts: Tensor[] per layer }. */
  forward(ids) {
    const [, t] = ids.shape;
    const pos = sg.arange(t, { device: ids.device });
    let x = this.tokEmb.forward(ids).add(this.posEmb.forward(pos).mul(0.1));
    let auxLoss = null;
    let zLoss = null;
    const expertCounts = [];
    for (const block of this.blocks) {
      const out = block.forward(x);
      x = out.x;
      auxLoss = auxLoss ? auxLoss.add(out.auxLoss) : out.auxLoss;
      zLoss = zLoss ? zLoss.add(out.zLoss) : out.zLoss;
      expertCounts.push(out.expertCounts);
    }
    const logits = this.head.forward(this.lnF.forward(x));
    return { logits, auxLoss: auxLoss.div(this.blocks.length), zLoss: zLoss.div(this.blocks.length), expertCounts };
  }

  /**
   * Samples `n` characters after `prompt`: temperature, then top-p (nucleus) sampling: keep the
   * most likely characters until their probabilities reach `topP`, and draw among them.
   */
  async generate(tokenizer, prompt, n, { temperature = 0.8, topP = 0.9, seed = 0, onToken } = {}) {
    const generator = new sg.Generator(seed);
    const ids = Array.from(tokenizer.encode(prompt));
    for (let i = 0; i < n; i++) {
      const ctx = ids.slice(-this.cfg.context);
      const next = sg.tidy(() => sg.noGrad(() => {
        const x = sg.tensor(Int32Array.from(ctx), { shape: [1, ctx.length] });
        const { logits } = this.forward(x);
        const probs = logits.narrow(1, ctx.length - 1, 1).reshape(-1).div(temperature).softmax(-1);
        const { values, indices } = probs.sort(-1, true);
        // A character stays while the mass before it is below topP, so the first always does.
        const kept = values.maskedFill(values.cumsum(-1).sub(values).ge(topP), 0);
        return indices.gather(0, sg.multinomial(kept, 1, false, { generator }));
      }));
      ids.push(await next.item());
      next.dispose();
      await onToken?.(i + 1, n, tokenizer.decode([ids.at(-1)])); // progress, for a caller that shows it
    }
    return tokenizer.decode(ids.slice(-n));
  }
}

/** Random windows of the encoded text: inputs [B, T] and next-character targets [B, T]. */
export function batch(data, batchSize, context, gen) {
  const x = new Int32Array(batchSize * context);
  const y = new Int32Array(batchSize * context);
  for (let b = 0; b < batchSize; b++) {
    const start = Math.floor(gen.next() * (data.length - context - 1));
    x.set(data.subarray(start, start + context), b * context);
    y.set(data.subarray(start + 1, start + context + 1), b * context);
  }
  return {
    x: sg.tensor(x, { shape: [batchSize, context] }),
    y: sg.tensor(y, { shape: [batchSize * context] }),
  };
}
