// The demo: a small mixture-of-experts classifier trained with scattergrad.
//
//   node examples/moe-classifier.mjs [--steps N] [--backend auto|webgpu|cpu] [--seed S] [--out DIR]
//
// Points on three interleaved spirals are embedded, passed through one MoE layer built the
// ScatterMoE way (router -> softmax -> top-k -> flattenSortCount -> scatteredExperts with
// grouped output -> GELU -> scatteredExperts with grouped input and gates), and classified.
// It prints a progress bar, the per-expert token counts, and writes the loss curve as SVG.
import * as sg from '../dist/node/index.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lossSpec, toSvg } from './lm/charts.mjs';

function parseArgs(argv) {
  const opts = { steps: 300, backend: undefined, seed: 0, out: 'out/moe-classifier' };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--steps') { opts.steps = Number(v); i++; }
    else if (k === '--backend') {
      if (!['auto', 'webgpu', 'cpu'].includes(v)) throw new Error(`moe-classifier: --backend must be auto, webgpu or cpu, got ${v}`);
      opts.backend = v; i++;
    }
    else if (k === '--seed') { opts.seed = Number(v); i++; }
    else if (k === '--out') { opts.out = v; i++; }
    else if (k === '--help' || k === '-h') {
      console.log('usage: node examples/moe-classifier.mjs [--steps N] [--backend auto|webgpu|cpu] [--seed S] [--out DIR]');
      process.exit(0);
    } else throw new Error(`demo: unknown argument ${k} (try --help)`);
  }
  if (!Number.isInteger(opts.steps) || opts.steps < 1) throw new Error(`demo: --steps must be a positive integer, got ${opts.steps}`);
  return opts;
}

function spirals(n, gen) {
  const x = [];
  const y = [];
  for (let i = 0; i < n; i++) {
    const cls = i % 3;
    const r = 0.1 + (Math.floor(i / 3) / (n / 3));
    const a = cls * (2 * Math.PI / 3) + r * 4 + 0.15 * gen.normal();
    x.push(r * Math.cos(a), r * Math.sin(a));
    y.push(cls);
  }
  return { x, y };
}

/** The ETA counts from the end of step 1, which compiles the kernels and is much slower. */
function progress(step, total, loss, firstStepDone) {
  const width = 28;
  const done = Math.round((step / total) * width);
  const rate = (step - 1) / ((performance.now() - firstStepDone) / 1000);
  const speed = step > 1 ? `${rate.toFixed(1)} steps/s  ETA ${((total - step) / rate).toFixed(0)}s` : 'estimating speed…';
  const bar = '#'.repeat(done) + '-'.repeat(width - done);
  const line = `  [${bar}] step ${String(step).padStart(String(total).length)}/${total}  loss ${loss.toFixed(4)}  ${speed}`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line.padEnd(78)}`);
  else if (step === 1 || step === total || step % Math.max(1, Math.floor(total / 10)) === 0) console.log(line);
}

const opts = parseArgs(process.argv.slice(2));
const info = await sg.init({ backend: opts.backend });
console.log(`scattergrad demo: MoE classifier on ${info.backend}${info.adapter ? ` (${info.adapter})` : ''}`);

const N = 384, D = 32, H = 64, E = 4, K = 2, C = 3;
const gen = new sg.Generator(opts.seed);
const data = spirals(N, gen);
const x = sg.tensor(data.x, { shape: [N, 2] });
const y = sg.tensor(new Int32Array(data.y));
let seed = opts.seed * 100;
const param = (shape, scale) => sg.randn(shape, { seed: seed++ }).mul(scale).requiresGrad_();
const params = {
  inW: param([2, D], 1.0), inB: param([D], 0.1),
  router: param([D, E], 0.5),
  w1: param([E, D, H], 1 / Math.sqrt(D)), w2: param([E, H, D], 1 / Math.sqrt(H)),
  outW: param([D, C], 1 / Math.sqrt(D)), outB: param([C], 0.0),
};

/** One forward pass; returns the loss and the expert offsets (for the token counts). */
function forward() {
  const h = x.matmul(params.inW).add(params.inB).tanh();
  const probs = h.matmul(params.router).softmax(-1);
  const { values, indices } = probs.topk(K, -1);
  const gates = values.div(values.sum(-1, true)); // renormalized top-k weights
  const { sortedExpertIdxs, sortedScatteredIdxs, expertOffsets } = sg.noGrad(() => sg.flattenSortCount(indices, E));
  const hidden = sg.scatteredExperts(h, params.w1, K, sortedExpertIdxs, sortedScatteredIdxs, expertOffsets, { groupedOut: true }).gelu();
  const moe = sg.scatteredExperts(hidden, params.w2, 1, sortedExpertIdxs, sortedScatteredIdxs, expertOffsets, { groupedIn: true, gates });
  const logits = h.add(moe).matmul(params.outW).add(params.outB);
  return { loss: sg.crossEntropy(logits, y), logits, expertOffsets };
}

// SGD with momentum, written with in-place ops under noGrad.
const lr = 0.3, momentum = 0.9;
const velocity = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, sg.zerosLike(p)]));
const curve = [];
const pending = [];
let firstStepDone = performance.now();
if (info.backend === 'webgpu') console.log('  step 1: compiling kernels…');
for (let step = 1; step <= opts.steps; step++) {
  const loss = sg.tidy(() => {
    const { loss } = forward();
    loss.backward();
    sg.noGrad(() => {
      for (const [k, p] of Object.entries(params)) {
        velocity[k].mul_(momentum).add_(p.grad);
        p.sub_(velocity[k], lr);
        p.grad.dispose();
        p.grad = null;
      }
    });
    return loss;
  });
  pending.push([step, loss]);
  // Every step's loss goes on the chart; they are read back ten at a time so that steps don't wait.
  if (step === 1 || step % 10 === 0 || step === opts.steps) {
    const values = await Promise.all(pending.map(([, t]) => t.item()));
    pending.forEach(([s, t], i) => { curve.push([s, values[i]]); t.dispose(); });
    pending.length = 0;
    if (step === 1) firstStepDone = performance.now();
    progress(step, opts.steps, values.at(-1), firstStepDone);
  }
}
if (process.stdout.isTTY) process.stdout.write('\n');

const { pred, offsets } = sg.tidy(() => sg.noGrad(() => {
  const { logits, expertOffsets } = forward();
  return { pred: logits.argmax(-1), offsets: expertOffsets };
}));
const p = await pred.toArray();
const o = await offsets.toArray();
const accuracy = p.reduce((acc, v, i) => acc + (v === data.y[i] ? 1 : 0), 0) / N;
const counts = Array.from(o, (v, i) => v - (i ? o[i - 1] : 0));

mkdirSync(opts.out, { recursive: true });
writeFileSync(join(opts.out, 'loss.svg'), await toSvg(lossSpec(curve, { title: `MoE classifier on ${info.backend}: training loss`, vocab: 3, yTitle: 'cross-entropy (nats)' })));
writeFileSync(join(opts.out, 'loss.json'), JSON.stringify(curve));
const first = curve[0][1], last = curve[curve.length - 1][1];
console.log(`loss ${first.toFixed(4)} -> ${last.toFixed(4)}; training accuracy ${(accuracy * 100).toFixed(1)}%`);
console.log(`tokens per expert (top-${K} of ${E}): ${counts.map((c, e) => `expert ${e}: ${c}`).join(', ')}`);
console.log(`loss curve: ${join(opts.out, 'loss.svg')}`);
const m = sg.memory();
console.log(`memory: ${m.liveTensors} live tensors, ${(m.bytesInUse / 1024).toFixed(0)} KiB in use, ${m.pipelines} pipelines`);
await sg.destroy();
