// The examples' charts (examples/lm/charts.mjs): Vega-Lite specs, rendered to SVG by vega as
// the demo does. Checks what the hand-drawn charts got wrong: every step is drawn, the
// uniform-guess baseline is ln(vocab), ticks are round numbers, the expert axis starts at
// zero, and the rotated y title clears the tick labels.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'scattergrad') return dir;
    if (dirname(dir) === dir) throw new Error('charts test: cannot find the repository root');
  }
}

type Spec = Record<string, unknown>;
interface Charts {
  lossSpec(curve: Array<[number, number]>, opts?: Record<string, unknown>): Spec;
  expertsSpec(counts: number[][], opts?: Record<string, unknown>): Spec;
  barsSpec(values: number[], opts?: Record<string, unknown>): Spec;
  routingSpec(probs: ArrayLike<number>, choices: ArrayLike<number>, T: number, E: number): Spec;
  movingAverage(values: number[], half: number): number[];
  toSvg(spec: Spec): Promise<string>;
}
// Loaded at run time from the examples folder, as the demo loads it (not bundled into the test).
const charts = (): Promise<Charts> => import(pathToFileURL(join(repoRoot(), 'examples/lm/charts.mjs')).href);

/** A noisy decaying loss, 150 steps, from a fixed linear congruential generator. */
function curve(n = 150): Array<[number, number]> {
  let g = 7;
  return Array.from({ length: n }, (_, i) => {
    g = (g * 16807) % 2147483647;
    return [i + 1, 2 + 2.2 * Math.exp(-i / 30) + 0.3 * (g / 2147483647 - 0.5)];
  });
}

/** The tick labels of the axis whose aria-label starts with `which` ('X-axis' or 'Y-axis'). */
function axis(svg: string, which: string): { labels: string[]; title: string; titleX: number; labelX: number } {
  const start = svg.indexOf(`aria-label="${which}`);
  assert.ok(start >= 0, `no ${which} in the SVG`);
  const part = svg.slice(start, svg.indexOf('role-axis-title', start) + 400);
  const labelsPart = part.slice(part.indexOf('role-axis-label'), part.indexOf('role-axis-title'));
  const labels = [...labelsPart.matchAll(/translate\((-?[\d.]+),[^)]*\)"[^>]*>([^<]*)<\/text>/g)];
  const title = /role-axis-title[^]*?translate\((-?[\d.]+),[^>]*>([^<]*)<\/text>/.exec(part)!;
  return { labels: labels.map((m) => m[2]), title: title[2], titleX: Number(title[1]), labelX: Number(labels[0]?.[1]) };
}

const test = suite('examples: charts (Vega-Lite)');

test('the moving average is centered: no lag, and no pull at the ends', async () => {
  const { movingAverage } = await charts();
  assert.equal(movingAverage([1, 1, 1, 4, 4, 4], 1), [1, 1, 2, 3, 4, 4]);
  assert.equal(movingAverage([5], 3), [5]);
  // Narrowed symmetrically at the ends: a straight line stays the same line, ends included.
  assert.equal(movingAverage([0, 3, 6, 9, 12], 5), [0, 3, 6, 9, 12]);
});

test('loss: every step, the ln(vocab) baseline, round ticks, titles clear of the labels', async () => {
  const { lossSpec, toSvg } = await charts();
  const c = curve();
  const spec = lossSpec(c, { title: 'MoE language model', vocab: 65 }) as { data: { values: Array<{ step: number; loss: number }> }; layer: unknown[] };
  assert.is(spec.data.values.length, 150, 'every step is in the data');
  assert.equal(spec.data.values.map((v) => v.loss), c.map((p) => p[1]));
  const svg = await toSvg(spec);
  assert.match(svg, /uniform guess: ln 65 = 4\.17/); // ln 65 = 4.1744
  assert.match(svg, /MoE language model/);
  const x = axis(svg, 'X-axis');
  assert.is(x.title, 'training step');
  assert.ok(x.labels.length >= 5, `too few x ticks: ${x.labels}`);
  for (const l of x.labels) assert.ok(/^\d+$/.test(l) && Number(l) % 10 === 0, `x tick ${l} is not a round step`);
  const y = axis(svg, 'Y-axis');
  assert.ok(y.labels.length >= 4, `too few y ticks: ${y.labels}`);
  for (const l of y.labels) assert.ok(Math.abs(Number(l) * 10 - Math.round(Number(l) * 10)) < 1e-9, `y tick ${l} is not a round number`);
  // Labels end at labelX; the rotated title is centered at titleX, 12px tall: it must not reach
  // the widest label (about 0.6 em a character).
  const widest = Math.max(...y.labels.map((l) => l.length)) * 12 * 0.6;
  assert.ok(y.titleX + 6 < y.labelX - widest, `y title at ${y.titleX} overlaps labels ending at ${y.labelX} (${widest}px wide)`);
});

test('experts: one panel per layer, zero-based axis, each bar labelled with its count', async () => {
  const { expertsSpec, toSvg } = await charts();
  const counts = [[3210, 2890, 3302, 2998], [4100, 2000, 2800, 3500]];
  const svg = await toSvg(expertsSpec(counts));
  assert.match(svg, /layer 0/);
  assert.match(svg, /layer 1/);
  const y = axis(svg, 'Y-axis');
  assert.is(y.title, 'tokens routed');
  assert.is(y.labels[0], '0', `the count axis should start at zero: ${y.labels}`);
  assert.ok(y.labels.length >= 3);
  const marks = svg.slice(svg.indexOf('mark-text role-mark'));
  for (const v of counts.flat()) assert.match(marks, new RegExp(`>${v.toLocaleString('en-US')}</text>`), `no label for ${v}`);
});

test('routing: one cell per (token, expert), exactly the chosen ones outlined', async () => {
  const { routingSpec } = await charts();
  // 3 tokens, 3 experts, top-2: token 0 chose 2 and 0, token 1 chose 1 and 0, token 2 chose 2 and 1.
  const probs = [0.3, 0.1, 0.6, 0.35, 0.5, 0.15, 0.1, 0.3, 0.6];
  const spec = routingSpec(probs, Int32Array.from([2, 0, 1, 0, 2, 1]), 3, 3) as { data: { values: Array<{ token: number; expert: string; p: number; chosen: boolean }> } };
  const v = spec.data.values;
  assert.is(v.length, 9);
  assert.equal(v.filter((c) => c.chosen).map((c) => `${c.token}:${c.expert}`).sort(),
    ['0:expert 0', '0:expert 2', '1:expert 0', '1:expert 1', '2:expert 1', '2:expert 2']);
  assert.equal(v.map((c) => c.p), probs);
});

test.run();
