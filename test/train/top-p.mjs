// Run by top-p.test.ts: the demo model's sampler against a reference written here. For each
// generated character, the probabilities of its context (computed here from the model's own
// logits, in float64) must put it inside the nucleus: the most likely characters whose mass
// before them is below topP. With a tiny topP the sampler must decode greedily.
import * as sg from 'scattergrad';
import { CharTokenizer, MoELanguageModel } from '../../examples/lm/model.mjs';

const backend = process.argv[2];
await sg.init({ backend, quiet: true });
const tok = new CharTokenizer('abcdefgh ijklmnop\n');
const model = new MoELanguageModel(tok.size, { context: 8, dim: 16, heads: 2, layers: 1, experts: 2, topK: 1, intermediate: 16 }, 3);

async function probsAfter(ids, temperature) {
  const x = sg.tensor(Int32Array.from(ids.slice(-8)), { shape: [1, Math.min(ids.length, 8)] });
  const { logits } = sg.noGrad(() => model.forward(x));
  const last = Array.from(await logits.narrow(1, x.shape[1] - 1, 1).reshape(-1).toArray(), (v) => v / temperature);
  const m = Math.max(...last);
  const e = last.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const problems = [];
for (const [topP, temperature] of [[1e-6, 1], [0.5, 0.8], [0.9, 1.5]]) {
  const prompt = 'abc';
  const text = await model.generate(tok, prompt, 12, { temperature, topP, seed: 7 });
  const ids = Array.from(tok.encode(prompt));
  for (const ch of text) {
    const p = await probsAfter(ids, temperature);
    const order = p.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
    const nucleus = new Set();
    let before = 0;
    // float32 on the device against float64 here: a character at the edge of the nucleus may go either way.
    for (const [v, i] of order) { if (before < topP + 1e-5) nucleus.add(i); before += v; }
    const id = tok.encode(ch)[0];
    if (!nucleus.has(id)) problems.push(`topP ${topP}: '${ch}' is outside the nucleus ${[...nucleus]}`);
    ids.push(id);
  }
}
console.log(JSON.stringify({ backend: sg.deviceInfo().backend, problems }));
await sg.destroy();
