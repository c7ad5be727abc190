// The demo: trains a small decoder-only language model whose feed-forward layers are
// mixtures of experts (ScatterMoE's MLP through sg.scatteredExperts) on 200 KB of
// Shakespeare, on WebGPU when there is an adapter and on the CPU otherwise.
//
//   npm run demo -- [--steps N] [--out DIR] [--backend auto|webgpu|cpu] [--seed S]
//   (without --backend: SCATTERGRAD_BACKEND, else auto)
//
// It shows a progress bar, then writes to --out: loss.svg (the loss curve), experts.svg
// (tokens routed to each expert), model.safetensors (a checkpoint loadable in PyTorch),
// sample.txt (generated text) and summary.json.
import * as sg from '../dist/node/index.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CharTokenizer, DEFAULT_CONFIG, MoELanguageModel, batch } from './lm/model.mjs';
import { lossSpec, expertsSpec, toSvg } from './lm/charts.mjs';

const USAGE = 'usage: npm run demo -- [--steps N] [--out DIR] [--backend auto|webgpu|cpu] [--seed S] [--batch B] [--sample CHARS]';

function parseArgs(argv) {
  const o = { steps: 150, out: 'out/demo', backend: undefined, seed: 0, batch: 8, sample: 200 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const num = () => {
      const v = Number(value);
      if (!Number.isInteger(v) || v < (flag === '--seed' ? 0 : 1)) throw new Error(`demo: ${flag} needs a ${flag === '--seed' ? 'non-negative' : 'positive'} integer, got ${value}`);
      i++;
      return v;
    };
    if (flag === '--steps') o.steps = num();
    else if (flag === '--seed') o.seed = num();
    else if (flag === '--batch') o.batch = num();
    else if (flag === '--sample') o.sample = num();
    else if (flag === '--out') { if (!value) throw new Error('demo: --out needs a directory'); o.out = value; i++; }
    else if (flag === '--backend') {
      if (!['auto', 'webgpu', 'cpu'].includes(value)) throw new Error(`demo: --backend must be auto, webgpu or cpu, got ${value}`);
      o.backend = value; i++;
    } else if (flag === '--help' || flag === '-h') { console.log(USAGE); process.exit(0); }
    else throw new Error(`demo: unknown argument ${flag}\n${USAGE}`);
  }
  return o;
}

/**
 * One progress line. The first step compiles every GPU pipeline (seconds to a minute on a
 * software adapter), so the ETA is measured from the end of step 1, not from the start.
 */
function progressBar(step, total, loss, tokPerSec, firstStepDone) {
  const width = 24;
  const filled = Math.round((step / total) * width);
  const eta = step > 1 ? ((total - step) * (performance.now() - firstStepDone)) / 1000 / (step - 1) : null;
  const line = `  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] step ${String(step).padStart(String(total).length)}/${total}` +
    `  loss ${loss.toFixed(3)}  ${step > 1 ? `${Math.round(tokPerSec)} tok/s  ETA ${Math.ceil(eta)}s` : 'estimating speed…'} `;
  status(line);
}

/** Rewrites the progress line in a terminal; prints it as its own line in a log. */
function status(line) {
  if (process.stdout.isTTY) process.stdout.write(`\r${line.padEnd(78)}`);
  else console.log(line.trimEnd());
}

const opts = parseArgs(process.argv.slice(2));
const here = dirname(fileURLToPath(import.meta.url));
const text = readFileSync(join(here, 'data', 'shakespeare.txt'), 'utf8');
const info = await sg.init({ backend: opts.backend });
console.log(`scattergrad demo: MoE language model on ${info.backend}${info.adapter ? ` (${info.adapter})` : ''}`);

const tok = new CharTokenizer(text);
const data = tok.encode(text);
const cfg = DEFAULT_CONFIG;
const model = new MoELanguageModel(tok.size, cfg, opts.seed);
const params = model.parameters();
const nParams = params.reduce((n, p) => n + p.numel, 0);
console.log(`  ${text.length} characters, vocabulary ${tok.size}; ${cfg.layers} layers, ${cfg.experts} experts (top-${cfg.topK}) per layer, ${nParams} parameters`);

const opt = new sg.optim.AdamW(params, { lr: 3e-3, weightDecay: 0.01 });
const schedule = sg.optim.cosineWithWarmup(opt, { warmupSteps: Math.min(20, Math.floor(opts.steps / 10)), totalSteps: opts.steps, minLr: 3e-4 });
const gen = new sg.Generator(opts.seed + 1);
const tokensPerStep = opts.batch * cfg.context;
const curve = [];
const counts = cfg.layers ? Array.from({ length: cfg.layers }, () => new Array(cfg.experts).fill(0)) : [];
const readEvery = 10;
let memAfterWarmup = null;
const started = performance.now();
let firstStepDone = started;
let lastTime = started;
let lastStep = 0;
const pending = []; // this stretch's losses, read back together so that steps don't wait on readbacks
status(info.backend === 'webgpu' ? '  step 1: compiling kernels… (the first step builds every GPU pipeline)' : '  step 1…');

// One training step. sg.compile records its GPU work on the first calls and then replays it,
// without the JavaScript of every op (the same numbers: docs/guide.md, "Compiled steps").
const trainStep = sg.compile((x, y) => {
  const out = model.forward(x);
  const ce = sg.crossEntropy(out.logits.reshape(-1, tok.size), y);
  // Load balancing keeps every expert in use; the z-loss keeps router logits small.
  ce.add(out.auxLoss.mul(0.01)).add(out.zLoss.mul(1e-3)).backward();
  sg.optim.clipGradNorm(params, 1.0);
  opt.step();
  opt.zeroGrad();
  return { ce, layerCounts: sg.stack(out.expertCounts) };
});

for (let step = 1; step <= opts.steps; step++) {
  const { x, y } = batch(data, opts.batch, cfg.context, gen);
  const { ce, layerCounts } = trainStep(x, y);
  x.dispose();
  y.dispose();
  schedule.step();
  pending.push([step, ce]);
  if (step % readEvery === 0 || step === 1 || step === opts.steps) {
    const losses = await Promise.all(pending.map(([, t]) => t.item()));
    pending.forEach(([s, t], i) => { curve.push([s, losses[i]]); t.dispose(); });
    pending.length = 0;
    const c = await layerCounts.toArray();
    c.forEach((v, i) => { counts[Math.floor(i / cfg.experts)][i % cfg.experts] += v; });
    const now = performance.now();
    if (step === 1) firstStepDone = now;
    const tps = ((step - lastStep) * tokensPerStep) / ((now - lastTime) / 1000 || 1);
    lastTime = now;
    lastStep = step;
    progressBar(step, opts.steps, losses.at(-1), tps, firstStepDone);
  }
  layerCounts.dispose();
  if (step === Math.min(20, opts.steps)) memAfterWarmup = sg.memory();
}
if (process.stdout.isTTY) process.stdout.write('\n');
const seconds = (performance.now() - started) / 1000;
const memEnd = sg.memory();

mkdirSync(opts.out, { recursive: true });
writeFileSync(join(opts.out, 'loss.svg'), await toSvg(lossSpec(curve, { title: `MoE language model on ${info.backend}: training loss`, vocab: tok.size })));
writeFileSync(join(opts.out, 'experts.svg'), await toSvg(expertsSpec(counts, { title: 'tokens routed to each expert (sampled every 10 steps)' })));
await sg.saveSafetensors(join(opts.out, 'model.safetensors'), model.stateDict(), {
  format: 'pt', vocab: JSON.stringify(tok.chars), config: JSON.stringify(model.cfg),
});
const sample = await model.generate(tok, 'ROMEO:\n', opts.sample, { seed: opts.seed });
writeFileSync(join(opts.out, 'sample.txt'), `ROMEO:\n${sample}\n`);

const first = curve[0][1];
const last = curve[curve.length - 1][1];
const flat = memAfterWarmup && memAfterWarmup.liveTensors === memEnd.liveTensors && memAfterWarmup.bytesInUse === memEnd.bytesInUse;
writeFileSync(join(opts.out, 'summary.json'), JSON.stringify({
  backend: info.backend, adapter: info.adapter, steps: opts.steps, seconds, firstLoss: first, lastLoss: last,
  expertCounts: counts, memoryAfterWarmup: memAfterWarmup, memoryAtEnd: memEnd, curve,
}, null, 2));

console.log(`\nloss ${first.toFixed(3)} -> ${last.toFixed(3)} in ${opts.steps} steps (${seconds.toFixed(1)} s)`);
console.log('tokens routed to each expert (sampled every 10 steps):');
counts.forEach((row, l) => console.log(`  layer ${l}: ${row.map((v, e) => `e${e} ${v}`).join('  ')}`));
if (info.backend === 'webgpu') console.log(`sg.compile replayed ${trainStep.stats.replays} of ${trainStep.stats.calls} steps${trainStep.stats.reason ? ` (${trainStep.stats.reason})` : ''}`);
console.log(`memory after warm-up ${flat ? 'stayed flat' : 'CHANGED'}: ${memEnd.liveTensors} live tensors, ${(memEnd.bytesInUse / 1024).toFixed(0)} KiB in use`);
console.log(`\nsample:\nROMEO:\n${sample}\n`);
console.log(`wrote ${['loss.svg', 'experts.svg', 'model.safetensors', 'sample.txt', 'summary.json'].map((f) => join(opts.out, f)).join(', ')}`);
trainStep.dispose();
model.dispose();
opt.dispose();
await sg.destroy();
