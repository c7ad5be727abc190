// Run by roundtrip.test.ts, the scattergrad side of the PyTorch round trip (in its own process
// because the demo's model imports the built package):
//   save DIR              on the CPU: a small demo model, a few AdamW steps, DIR/sg.safetensors
//                         and the fixed batch DIR/batch.json
//   logits DEV FILE OUT   the model rebuilt from FILE's config metadata (another seed, so
//                         every weight must come from the file), its logits on the batch -> OUT
//   glu DEV DIR           an nn.MoE with glu: true, see below
import * as sg from 'scattergrad';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MoELanguageModel } from '../../examples/lm/model.mjs';

const [cmd, a, b, c] = process.argv.slice(2);
const CFG = { context: 8, dim: 16, heads: 2, layers: 2, experts: 4, topK: 2, intermediate: 24 };
const VOCAB = 11;

if (cmd === 'save') {
  await sg.init({ backend: 'cpu', quiet: true });
  const model = new MoELanguageModel(VOCAB, CFG, 5);
  const opt = new sg.optim.AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0.01 });
  const gen = new sg.Generator(11);
  const ids = (n) => Int32Array.from({ length: n }, () => Math.floor(gen.next() * VOCAB));
  // A few steps, so that norms, biases and experts all move away from their initial values.
  for (let step = 0; step < 4; step++) {
    sg.tidy(() => {
      const out = model.forward(sg.tensor(ids(4 * CFG.context), { shape: [4, CFG.context] }));
      const ce = sg.crossEntropy(out.logits.reshape(-1, VOCAB), sg.tensor(ids(4 * CFG.context)));
      ce.add(out.auxLoss.mul(0.01)).add(out.zLoss.mul(1e-3)).backward();
      opt.step();
      opt.zeroGrad();
    });
  }
  await sg.saveSafetensors(join(a, 'sg.safetensors'), model.stateDict(), {
    format: 'pt', config: JSON.stringify(model.cfg), vocab: JSON.stringify('abcdefghij\n'.split('')),
  });
  writeFileSync(join(a, 'batch.json'), JSON.stringify({ shape: [3, CFG.context], ids: Array.from(ids(3 * CFG.context)) }));
} else if (cmd === 'logits') {
  const info = await sg.init({ backend: a, quiet: true });
  const { tensors, metadata } = await sg.loadSafetensors(b, { device: 'cpu' });
  const cfg = JSON.parse(metadata.config);
  const model = new MoELanguageModel(cfg.vocabSize, cfg, 1234);
  model.loadStateDict(tensors);
  const batch = JSON.parse(readFileSync(join(dirname(b), 'batch.json'), 'utf8'));
  const { logits } = sg.noGrad(() => model.forward(sg.tensor(Int32Array.from(batch.ids), { shape: batch.shape })));
  writeFileSync(c, JSON.stringify({ backend: info.backend, shape: logits.shape, values: Array.from(await logits.toArray()) }));
} else if (cmd === 'glu') {
  // glu DEV DIR: an nn.MoE({ glu: true }) with biases, its weights and input -> DIR/glu.safetensors
  // (written on the CPU pass), its output on DEV -> DIR/glu-sg-DEV.json.
  const info = await sg.init({ backend: a, quiet: true });
  const moe = new sg.nn.MoE({ hiddenSize: 8, intermediateSize: 6, numExperts: 4, topK: 2, glu: true, bias: true, seed: 3 });
  // ScatterMoE's init makes tiny activations; scaled up, silu is off its linear part.
  sg.noGrad(() => { moe.experts.weight.mul_(20); moe.experts.bias.add_(0.3); moe.output_experts.weight.mul_(5); });
  const x = sg.randn([2, 5, 8], { seed: 4 });
  if (a === 'cpu') await sg.saveSafetensors(join(b, 'glu.safetensors'), { ...moe.stateDict(), x }, { format: 'pt' });
  const { output } = sg.noGrad(() => moe.forward(x));
  writeFileSync(join(b, `glu-sg-${a}.json`), JSON.stringify({ backend: info.backend, shape: output.shape, values: Array.from(await output.toArray()) }));
} else throw new Error(`roundtrip.mjs: unknown command ${cmd}`);
await sg.destroy();
