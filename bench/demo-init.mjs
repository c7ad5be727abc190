// Writes the demo model's initial weights (examples/lm at seed 0, vocabulary 62: the model
// bench/demo-step.mjs trains) as a checkpoint that bench/torch-anchor.py --init loads, so
// that PyTorch times the same model: `node bench/demo-init.mjs OUT.safetensors`.
import * as sg from '../dist/node/index.js';
import { MoELanguageModel, DEFAULT_CONFIG } from '../examples/lm/model.mjs';

const out = process.argv[2];
if (!out) throw new Error('usage: node bench/demo-init.mjs OUT.safetensors');
await sg.init({ backend: 'cpu' });
const model = new MoELanguageModel(62, DEFAULT_CONFIG, 0);
await sg.saveSafetensors(out, model.stateDict(), { format: 'pt', config: JSON.stringify(model.cfg) });
model.dispose();
await sg.destroy();
