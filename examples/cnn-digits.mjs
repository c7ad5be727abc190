// A small CNN on the 8×8 handwritten digits (examples/data/digits, 1797 images):
// conv2d → relu → maxPool2d → conv2d → relu → flatten → linear, trained with crossEntropy
// and AdamW on a fixed 1437 / 360 train / test split.
//
//   node scripts/build.mjs && node examples/cnn-digits.mjs [--backend auto|webgpu|cpu] [--epochs N] [--seed S]
//
// It prints one line per epoch (mean training loss, test accuracy, time) and the final test
// accuracy.
import * as sg from '../dist/node/index.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function parseArgs(argv) {
  const opts = { epochs: 12, backend: undefined, seed: 0, batch: 64, lr: 3e-3 };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--epochs') { opts.epochs = Number(v); i++; }
    else if (k === '--backend') {
      if (!['auto', 'webgpu', 'cpu'].includes(v)) throw new Error(`cnn-digits: --backend must be auto, webgpu or cpu, got ${v}`);
      opts.backend = v; i++;
    }
    else if (k === '--seed') { opts.seed = Number(v); i++; }
    else if (k === '--help' || k === '-h') {
      console.log('usage: node examples/cnn-digits.mjs [--backend auto|webgpu|cpu] [--epochs N] [--seed S]');
      process.exit(0);
    } else throw new Error(`cnn-digits: unknown argument ${k} (try --help)`);
  }
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new Error(`cnn-digits: --epochs must be a positive integer, got ${opts.epochs}`);
  return opts;
}

/** The CSV (header p0..p63,label): pixels 0..16 scaled to [0, 1], labels 0..9. */
function loadDigits() {
  const path = fileURLToPath(new URL('./data/digits/digits.csv', import.meta.url));
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  const pixels = new Float32Array(lines.length * 64);
  const labels = new Int32Array(lines.length);
  lines.forEach((line, i) => {
    const v = line.split(',').map(Number);
    for (let j = 0; j < 64; j++) pixels[i * 64 + j] = v[j] / 16;
    labels[i] = v[64];
  });
  return { pixels, labels, n: lines.length };
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
function permutation(n, gen) {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(gen.next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

class DigitsCNN extends sg.nn.Module {
  constructor(seed, device) {
    super();
    this.conv1 = new sg.nn.Conv2d(1, 16, 3, { padding: 1, seed: seed + 1, device });   // 16×8×8
    this.conv2 = new sg.nn.Conv2d(16, 32, 3, { padding: 1, seed: seed + 2, device });  // 32×4×4
    this.fc = new sg.nn.Linear(32 * 4 * 4, 10, { seed: seed + 3, device });
  }

  forward(x) {
    const h = sg.maxPool2d(this.conv1.forward(x).relu(), 2);
    return this.fc.forward(this.conv2.forward(h).relu().flatten(1));
  }
}

const opts = parseArgs(process.argv.slice(2));
const info = await sg.init({ backend: opts.backend });
const device = info.backend;
console.log(`scattergrad example: CNN on the 8x8 digits, ${device}${info.adapter ? ` (${info.adapter})` : ''}`);

const data = loadDigits();
const order = permutation(data.n, new sg.Generator(opts.seed));
const nTrain = 1437;
const split = (idx) => {
  const x = new Float32Array(idx.length * 64);
  const y = new Int32Array(idx.length);
  idx.forEach((r, i) => { x.set(data.pixels.subarray(r * 64, r * 64 + 64), i * 64); y[i] = data.labels[r]; });
  return { x: sg.tensor(x, { shape: [idx.length, 1, 8, 8], device }), y: sg.tensor(y, { device }), n: idx.length, labels: y };
};
const train = split(order.subarray(0, nTrain));
const test = split(order.subarray(nTrain));
console.log(`data: ${data.n} images, ${train.n} train / ${test.n} test`);

const model = new DigitsCNN(opts.seed * 10, device);
const opt = new sg.optim.AdamW(model.parameters(), { lr: opts.lr });
const shuffle = new sg.Generator(opts.seed + 1);

async function testAccuracy() {
  model.eval();
  const pred = sg.tidy(() => sg.noGrad(() => model.forward(test.x).argmax(-1)));
  const p = await pred.toArray();
  pred.dispose();
  model.train();
  return p.reduce((acc, v, i) => acc + (v === test.labels[i] ? 1 : 0), 0) / test.n;
}

const started = performance.now();
let accuracy = 0;
for (let epoch = 1; epoch <= opts.epochs; epoch++) {
  const perm = permutation(train.n, shuffle);
  const losses = [];
  for (let b = 0; b < train.n; b += opts.batch) {
    const idx = sg.tensor(perm.subarray(b, Math.min(b + opts.batch, train.n)), { device });
    losses.push(sg.tidy(() => {
      const loss = sg.crossEntropy(model.forward(train.x.indexSelect(0, idx)), train.y.indexSelect(0, idx));
      loss.backward();
      opt.step();
      opt.zeroGrad();
      return loss;
    }));
    idx.dispose();
  }
  // One readback per epoch: the losses stay on the device until here.
  const mean = sg.tidy(() => sg.stack(losses).mean());
  const loss = await mean.item();
  mean.dispose();
  losses.forEach((l) => l.dispose());
  accuracy = await testAccuracy();
  const secs = (performance.now() - started) / 1000;
  console.log(`  epoch ${String(epoch).padStart(String(opts.epochs).length)}/${opts.epochs}  train loss ${loss.toFixed(4)}  test accuracy ${(accuracy * 100).toFixed(1)}%  ${secs.toFixed(1)}s`);
}
const secs = (performance.now() - started) / 1000;
console.log(`final test accuracy ${(accuracy * 100).toFixed(1)}% (${Math.round(accuracy * test.n)}/${test.n}) after ${opts.epochs} epochs in ${secs.toFixed(1)}s on ${device}`);
model.dispose();
train.x.dispose(); train.y.dispose(); test.x.dispose(); test.y.dispose();
await sg.destroy();
