// Jupyter display: the mime bundles Symbol.for('Jupyter.display') returns for tensors and
// modules, the autograd graph's SVG and text, and the Vega-Lite loss chart; checked against
// values written here, on both backends.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import { Linear } from '../../src/nn/index.js';
import { backends, throwsWith } from '../helpers.js';

const test = suite('display: Jupyter mime bundles');
const DISPLAY = Symbol.for('Jupyter.display');
type Bundle = Record<string, unknown>;
const show = async (x: unknown): Promise<Bundle> => (x as { [DISPLAY](): Bundle | Promise<Bundle> })[DISPLAY]();

test('a tensor shows shape, dtype, device and its values (async readback) on each backend', async () => {
  for (const dev of await backends()) {
    const t = sg.tensor([[1, 2.5, -3], [4, 5, 6]], { device: dev });
    const b = await show(t);
    assert.is(b['text/plain'], `Tensor shape [2, 3] · float32 · ${dev}\n[[1.0000, 2.5000, -3.0000],\n [4.0000, 5.0000, 6.0000]]`);
    const html = b['text/html'] as string;
    assert.ok(html.includes('<b>Tensor</b> shape [2, 3] · float32 · ' + dev), html);
    assert.ok(html.includes('[[1.0000, 2.5000, -3.0000]'), html);
    const i = sg.tensor([7, -1], { dtype: 'int32', device: dev });
    assert.is((await show(i))['text/plain'], `Tensor shape [2] · int32 · ${dev}\n[7, -1]`);
    t.dispose(); i.dispose();
  }
});

test('long dimensions are summarized, NaN and infinities spelled out, scalars bare', async () => {
  const t = sg.arange(10, { device: 'cpu' });
  assert.is((await show(t))['text/plain'], 'Tensor shape [10] · int32 · cpu\n[0, 1, 2, …, 7, 8, 9]');
  const f = sg.tensor([1, NaN, Infinity, -Infinity], { device: 'cpu' });
  assert.is((await show(f))['text/plain'], 'Tensor shape [4] · float32 · cpu\n[1.0000, nan, inf, -inf]');
  const tiny = sg.tensor([1e-6, 2], { device: 'cpu' });
  assert.ok(((await show(tiny))['text/plain'] as string).endsWith('[1.0000e-6, 2.0000e+0]'));
  assert.is((await show(sg.tensor(3, { device: 'cpu' })))['text/plain'], 'Tensor shape [] · float32 · cpu\n3.0000');
  const b = sg.tensor([1, 0], { device: 'cpu' }).gt(0.5);
  assert.is((await show(b))['text/plain'], 'Tensor shape [2] · bool · cpu\n[true, false]');
  const e = sg.zeros([0, 3], { device: 'cpu' });
  assert.is((await show(e))['text/plain'], 'Tensor shape [0, 3] · float32 · cpu\n[]');
});

test('autograd state and disposal show in the summary', async () => {
  const x = sg.tensor([1, 2], { requiresGrad: true, device: 'cpu' });
  const y = x.mul(2);
  const s = (await show(y))['text/plain'] as string;
  assert.ok(s.startsWith('Tensor shape [2] · float32 · cpu · requiresGrad · gradFn Mul\n[2.0000, 4.0000]'), s);
  y.dispose();
  assert.is((await show(y))['text/plain'], 'Tensor shape [2] · float32 · cpu · requiresGrad · disposed\n(disposed: no values)');
});

test('a module shows its parameter table with counts and the total', async () => {
  for (const dev of await backends()) {
    const m = new Linear(3, 2, { device: dev, seed: 1 });
    const b = await show(m);
    const plain = b['text/plain'] as string;
    const lines = plain.split('\n');
    assert.is(lines[0], 'Linear: 2 parameter tensors, 8 parameters');
    assert.ok(/^ {2}weight +\[2, 3\] +float32 +6$/.test(lines[1]), lines[1]);
    assert.ok(/^ {2}bias +\[2\] +float32 +2$/.test(lines[2]), lines[2]);
    const html = b['text/html'] as string;
    assert.ok(html.includes(`<td style="padding:2px 10px;text-align:left"><code>weight</code></td><td style="padding:2px 10px;text-align:left">[2, 3]</td><td style="padding:2px 10px;text-align:left">float32</td><td style="padding:2px 10px;text-align:left">${dev}</td>`), html);
    assert.ok(html.includes('<b>8</b>'), html);
    m.dispose();
  }
});

test('the autograd graph: boxes, edges, depths, names, and an SVG with one rect per box', async () => {
  for (const dev of await backends()) {
    const lin = new Linear(3, 2, { device: dev, seed: 1 });
    const x = sg.ones([4, 3], { device: dev });
    const loss = lin.forward(x).relu().sum();
    const g = sg.graph(loss, { names: lin });
    const labels = g.nodes.map((n) => n.label);
    assert.is(labels[0], 'output');
    assert.ok(labels.includes('weight') && labels.includes('bias'), labels.join());
    assert.ok(labels.includes('Matmul') && labels.includes('Relu') && labels.includes('Sum'), labels.join());
    assert.is(labels.filter((l) => l === 'leaf').length, 0, 'x needs no grad, so it is no box');
    // Every edge goes from a deeper box to a shallower one (inputs above consumers).
    for (const [f, t] of g.edges) assert.ok(g.nodes[f].depth > g.nodes[t].depth, `${labels[f]} -> ${labels[t]}`);
    const out = g.nodes[0];
    assert.equal(out.shape, []);
    assert.is(out.depth, 0);
    const svg = (await show(g))['image/svg+xml'] as string;
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), svg.slice(0, 80));
    assert.is(svg.match(/<rect /g)?.length, g.nodes.length);
    assert.is(svg.match(/<line /g)?.length, g.edges.length);
    assert.ok(svg.includes('>weight</text>') && svg.includes('>[2, 3]</text>'));
    // backward() keeps the graph's structure; the method form gives the same graph.
    loss.backward();
    assert.is(loss.graph().nodes.length, g.nodes.length);
    assert.ok(((await show(g))['text/plain'] as string).startsWith(`autograd graph: ${g.nodes.length} nodes\n`));
    lin.dispose(); x.dispose(); loss.dispose();
  }
});

test('a shared input is one box with two edges; a tensor without a graph is one box', () => {
  const a = sg.tensor([1, 2], { requiresGrad: true });
  const y = a.mul(a).add(a).sum();
  const g = y.graph();
  assert.is(g.nodes.filter((n) => n.kind === 'leaf').length, 1);
  const leaf = g.nodes.find((n) => n.kind === 'leaf')!;
  assert.is(g.edges.filter(([f]) => f === leaf.id).length, 3, 'mul(a, a) and add(., a)');
  const lone = sg.graph(sg.tensor([1]));
  assert.is(lone.nodes.length, 1);
  assert.is(lone.edges.length, 0);
  throwsWith(() => sg.graph(3 as never), /^graph: t must be a Tensor/);
  throwsWith(() => sg.graph(y, { names: {} as never }), /^graph: opts.names must be a module or \[name, tensor\] pairs/);
  throwsWith(() => sg.graph(y, { names: [['a', 3]] as never }), /^graph: opts.names must be/);
  throwsWith(() => sg.graph(y, null as never), /^graph: opts must be an object/);
});

test('lossChart: a Vega-Lite spec with steps, a moving average and the baseline', async () => {
  const c = sg.display.lossChart([4, 2, 3, 1], { smooth: 2, baseline: Math.log(4), baselineLabel: 'uniform guess' });
  const b = await show(c);
  const spec = b['application/vnd.vegalite.v5+json'] as { data: { values: Array<{ step: number; loss: number; smoothed: number }> }; layer: unknown[]; $schema: string };
  assert.is(spec.$schema, 'https://vega.github.io/schema/vega-lite/v5.json');
  assert.equal(spec.data.values.map((v) => v.step), [1, 2, 3, 4]);
  assert.equal(spec.data.values.map((v) => v.smoothed), [4, 3, 2.5, 2]);
  assert.is(spec.layer.length, 3);
  assert.ok(JSON.stringify(spec).includes('"uniform guess"'));
  assert.is(b['text/plain'], 'loss chart: 4 steps, last loss 1.0000');
  throwsWith(() => sg.display.lossChart('x' as never), /^lossChart: losses must be an array of numbers/);
  throwsWith(() => sg.display.vegaLite(null as never), /^vegaLite: spec must be/);
  throwsWith(() => sg.display.lossChart([1], { smooth: 1.5 }), /^lossChart: opts.smooth must be an integer >= 0, got 1.5/);
  throwsWith(() => sg.display.lossChart([1], { baseline: NaN }), /^lossChart: opts.baseline must be a finite number/);
  throwsWith(() => sg.display.lossChart([1], null as never), /^lossChart: opts must be an object/);
});

test.run();
