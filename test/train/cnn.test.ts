// The convolution row used the way the example uses it: a small CNN (conv2d → relu →
// maxPool2d → conv2d → relu → flatten → linear) trained briefly with crossEntropy and AdamW
// on a subset of the 8×8 digits shipped in examples/data/digits. The loss must fall and the
// held-out accuracy must beat chance (10%) by a wide margin, on each backend.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { backends } from '../helpers.js';

const test = suite('train: cnn');
// dist/<suite>/train/cnn.test.js → the repository root
const root = fileURLToPath(new URL('../../../', import.meta.url));

function loadDigits(): { pixels: Float32Array; labels: Int32Array; n: number } {
  const lines = readFileSync(`${root}examples/data/digits/digits.csv`, 'utf8').trim().split('\n');
  assert.is(lines[0].split(',').length, 65, 'header p0..p63,label');
  const rows = lines.slice(1);
  const pixels = new Float32Array(rows.length * 64);
  const labels = new Int32Array(rows.length);
  rows.forEach((line, i) => {
    const v = line.split(',').map(Number);
    for (let j = 0; j < 64; j++) pixels[i * 64 + j] = v[j] / 16;
    labels[i] = v[64];
  });
  return { pixels, labels, n: rows.length };
}

class SmallCNN extends sg.nn.Module {
  conv1: InstanceType<typeof sg.nn.Conv2d>;
  conv2: InstanceType<typeof sg.nn.Conv2d>;
  fc: InstanceType<typeof sg.nn.Linear>;
  constructor(device: 'cpu' | 'webgpu') {
    super();
    this.conv1 = new sg.nn.Conv2d(1, 8, 3, { padding: 1, seed: 1, device });
    this.conv2 = new sg.nn.Conv2d(8, 16, 3, { padding: 1, seed: 2, device });
    this.fc = new sg.nn.Linear(16 * 4 * 4, 10, { seed: 3, device });
  }
  forward(x: Tensor): Tensor {
    const h = sg.maxPool2d(this.conv1.forward(x).relu(), 2) as Tensor;
    return this.fc.forward(this.conv2.forward(h).relu().flatten(1));
  }
}

test('the digits data is all there: 1797 rows, every digit about 180 times', () => {
  const { labels, n } = loadDigits();
  assert.is(n, 1797);
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]++;
  assert.ok(counts.every((c) => c >= 170 && c <= 190), `label counts ${counts}`);
});

test('a small CNN learns the digits: the loss falls and test accuracy beats chance', async () => {
  const data = loadDigits();
  // every 3rd image trains, every 7th (of the rest) tests: fixed, class-balanced enough
  const trainIdx: number[] = [], testIdx: number[] = [];
  for (let i = 0; i < data.n; i++) (i % 3 === 0 ? trainIdx : i % 7 === 1 ? testIdx : []).push(i);
  const nTrain = 480, B = 48;
  const take = (idx: number[], dev: 'cpu' | 'webgpu'): { x: Tensor; y: Tensor; labels: Int32Array } => {
    const x = new Float32Array(idx.length * 64);
    const labels = Int32Array.from(idx, (r) => data.labels[r]);
    idx.forEach((r, i) => x.set(data.pixels.subarray(r * 64, r * 64 + 64), i * 64));
    return { x: sg.tensor(x, { shape: [idx.length, 1, 8, 8], device: dev }), y: sg.tensor(labels, { device: dev }), labels };
  };
  for (const dev of await backends()) {
    const tr = take(trainIdx.slice(0, nTrain), dev);
    const te = take(testIdx, dev);
    const model = new SmallCNN(dev);
    const opt = new sg.optim.AdamW(model.parameters(), { lr: 5e-3 });
    const losses: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      for (let b = 0; b < nTrain; b += B) {
        const loss = sg.tidy(() => {
          const l = sg.crossEntropy(model.forward(tr.x.narrow(0, b, B)), tr.y.narrow(0, b, B));
          l.backward();
          opt.step();
          opt.zeroGrad();
          return l;
        });
        losses.push(await loss.item());
        loss.dispose();
      }
    }
    const pred = sg.tidy(() => sg.noGrad(() => model.forward(te.x).argmax(-1)));
    const p = await pred.toArray();
    pred.dispose();
    const acc = Array.from(p).filter((v, i) => v === te.labels[i]).length / te.labels.length;
    const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    console.log(`# ${dev}: loss ${first.toFixed(3)} -> ${last.toFixed(3)}, test accuracy ${(acc * 100).toFixed(1)}% on ${te.labels.length} images`);
    assert.ok(first > 2, `${dev}: the first losses ${first} are near ln 10 (an untrained model)`);
    assert.ok(last < 0.5 * first, `${dev}: loss fell from ${first} to ${last}`);
    assert.ok(acc > 0.6, `${dev}: test accuracy ${acc} beats chance (0.1) by a margin`);
    model.dispose();
    for (const t of [tr.x, tr.y, te.x, te.y]) t.dispose();
  }
});

test.run();
