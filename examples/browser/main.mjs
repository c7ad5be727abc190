// The page: starts scattergrad (WebGPU when the browser has it, else the CPU backend), runs
// the notebook cells, and trains the demo's MoE language model live.
//
// URL parameters (the browser test uses them to keep its run short):
//   backend=auto|webgpu|cpu   steps=N   batch=B   lr=X   sample=CHARS   (sample length)
import * as sg from 'scattergrad';
import { CharTokenizer, DEFAULT_CONFIG, MoELanguageModel, batch } from '../lm/model.mjs';
import { lossSpec, expertsSpec } from '../lm/charts.mjs';
import * as charts from './plots.mjs';
import { runChecks } from './checks.mjs';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const sampleLength = Number(params.get('sample') ?? 200);
for (const id of ['steps', 'batch', 'lr']) if (params.has(id)) $(id).value = params.get(id);

// ---- the device ----------------------------------------------------------------------

const info = await sg.init({ backend: params.get('backend') ?? 'auto', quiet: true });
const onGpu = info.backend === 'webgpu';
$('device').innerHTML = `Backend <span class="badge ${onGpu ? '' : 'cpu'}">${info.backend}</span>` +
  (onGpu ? ` · adapter <b>${escapeHtml(info.adapter)}</b>` : ' · JavaScript kernels on the main thread');
if (!onGpu && params.get('backend') !== 'cpu') {
  const why = 'gpu' in navigator ? 'the browser offers WebGPU but gave no adapter' : 'this browser has no WebGPU (navigator.gpu is missing)';
  showNotice(`No WebGPU here: ${why}, so scattergrad runs on its CPU backend. Everything on the page works, only ` +
    'slower. WebGPU is in recent Chrome, Edge and Safari (Firefox: on Windows); it needs a secure context ' +
    '(https, or http://localhost).');
}

function showNotice(text, error = false) {
  const n = $('notice');
  n.textContent = text;
  n.classList.toggle('error', error);
  n.hidden = false;
}

function escapeHtml(s) {
  return String(s).replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]);
}

// ---- notebook cells ------------------------------------------------------------------

/** Nested arrays the way a REPL prints them: integers as they are, floats to 4 decimals. */
function formatValues(v, int, depth = 0) {
  if (!Array.isArray(v)) return int ? String(v) : v.toFixed(4).replace(/^(?!-)/, ' ');
  const inner = v.map((x) => formatValues(x, int, depth + 1));
  return `[${inner.join(Array.isArray(v[0]) ? `,\n${' '.repeat(depth + 1)}` : ', ')}]`;
}

async function formatShown(value) {
  if (value instanceof sg.Tensor) {
    const text = formatValues(await value.toList(), value.dtype === 'int32');
    return [`tensor shape [${value.shape.join(', ')}] ${value.dtype} on ${value.device}${value.requiresGrad ? ', requires grad' : ''}`, text];
  }
  return ['', typeof value === 'string' ? value : JSON.stringify(value)];
}

const AsyncFunction = (async () => {}).constructor;

/** Runs one cell's code with sg, show, plot and charts in scope; returns whether it ran. */
async function runCell(cell) {
  const out = cell.querySelector('.out');
  const button = cell.querySelector('button');
  out.replaceChildren();
  button.disabled = true;
  const shown = [];
  const show = (label, value) => { shown.push(formatShown(value).then(([meta, text]) => ({ label, meta, text }))); };
  const plot = (chart) => { shown.push(Promise.resolve(typeof chart === 'string' ? { svg: chart } : { spec: chart })); };
  let error = null;
  try {
    await new AsyncFunction('sg', 'show', 'plot', 'charts', cell.querySelector('textarea').value)(sg, show, plot, charts);
  } catch (e) {
    error = e;
  }
  for (const p of shown) {
    try {
      const item = await p;
      if (item.svg) { out.insertAdjacentHTML('beforeend', item.svg); continue; }
      if (item.spec) { const div = document.createElement('div'); out.append(div); await embed(div, item.spec); continue; }
      const div = document.createElement('div');
      div.innerHTML = `<span class="label">${escapeHtml(item.label)}</span>  <span class="meta">${escapeHtml(item.meta)}</span>\n${escapeHtml(item.text)}\n`;
      out.append(div);
    } catch (e) {
      error ??= e;
    }
  }
  if (error) {
    const div = document.createElement('div');
    div.className = 'err';
    div.textContent = String(error?.stack ?? error);
    out.append(div);
  }
  button.disabled = false;
  return { id: cell.closest('section').id, ok: !error, error: error ? String(error.message ?? error) : null };
}

const cells = [...document.querySelectorAll('.cell')];
for (const cell of cells) cell.querySelector('button').addEventListener('click', () => runCell(cell));

async function runAllCells() {
  const results = [];
  for (const cell of cells) results.push(await runCell(cell));
  return results;
}

// ---- training ------------------------------------------------------------------------

const text = await (await fetch('../data/shakespeare.txt')).text();
const tok = new CharTokenizer(text);
const data = tok.encode(text);
const cfg = DEFAULT_CONFIG;

const train = {
  model: null, opt: null, params: null, gen: null, stepFn: null,
  step: 0, curve: [], counts: [], running: false, busy: false, sample: '', tokensPerSecond: 0,
};

function resetModel() {
  train.stepFn?.dispose();
  train.model?.dispose();
  train.opt?.dispose();
  train.model = new MoELanguageModel(tok.size, cfg, 0);
  train.params = train.model.parameters();
  train.opt = new sg.optim.AdamW(train.params, { lr: readNumber('lr', 3e-3), weightDecay: 0.01 });
  // One training step. sg.compile records its GPU work and then replays it: in a browser each
  // dispatch crosses into the GPU process, so skipping the per-op JavaScript matters most here.
  train.stepFn = sg.compile((x, y) => {
    const out = train.model.forward(x);
    const ce = sg.crossEntropy(out.logits.reshape(-1, tok.size), y);
    ce.add(out.auxLoss.mul(0.01)).add(out.zLoss.mul(1e-3)).backward();
    sg.optim.clipGradNorm(train.params, 1.0);
    train.opt.step();
    train.opt.zeroGrad();
    return { ce, layerCounts: sg.stack(out.expertCounts) };
  });
  train.gen = new sg.Generator(1);
  train.step = 0;
  train.curve = [];
  train.counts = Array.from({ length: cfg.layers }, () => new Array(cfg.experts).fill(0));
  train.sample = '';
  $('loss-chart').replaceChildren();
  $('expert-chart').replaceChildren();
  $('sample').textContent = '(train a few steps first)';
  const n = train.params.reduce((s, p) => s + p.numel, 0);
  setStatus(`${text.length.toLocaleString()} characters of Shakespeare, a vocabulary of ${tok.size}. ` +
    `Model: ${cfg.layers} blocks, ${cfg.experts} experts (top-${cfg.topK}) each, ${n.toLocaleString()} parameters. Ready.`);
}

function readNumber(id, fallback) {
  const v = Number($(id).value);
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}

function setStatus(s) { $('train-status').textContent = s; }

/** Draws a Vega-Lite spec into `el` with vega-embed (loaded by index.html), as SVG. */
async function embed(el, spec) {
  const result = await window.vegaEmbed(el, spec, { renderer: 'svg', actions: false });
  return result.view;
}

const views = {};
let drawing = null;
/** Redraws both charts; a redraw asked for while one is running waits for it (one at a time). */
async function draw() {
  if (!train.curve.length) return;
  const run = async () => {
    for (const [id, spec] of [
      ['loss-chart', lossSpec(train.curve, { title: `training loss on ${info.backend}`, vocab: tok.size, width: 520, height: 220 })],
      ['expert-chart', expertsSpec(train.counts, { width: 240, height: 180 })],
    ]) {
      views[id]?.finalize();
      views[id] = await embed($(id), spec);
    }
  };
  drawing = (drawing ?? Promise.resolve()).then(run);
  return drawing;
}

async function runTraining() {
  const steps = Math.max(1, Math.floor(readNumber('steps', 200)));
  const batchSize = Math.max(1, Math.floor(readNumber('batch', 16)));
  const end = train.step + steps;
  train.running = true;
  train.busy = true;
  updateButtons();
  const first = train.step === 0;
  // The very first step builds every GPU pipeline; speed and ETA are measured after it.
  setStatus(first && onGpu ? 'step 1: compiling kernels… (the first step builds every GPU pipeline; later steps are much faster)' : `step ${train.step + 1}…`);
  await new Promise((r) => setTimeout(r, 0)); // paint the status before the step blocks
  let t0 = null;
  let s0 = train.step;
  let lastDraw = 0;
  while (train.running && train.step < end) {
    train.opt.lr = readNumber('lr', train.opt.lr);
    const { x, y } = batch(data, batchSize, cfg.context, train.gen);
    const { ce, layerCounts } = train.stepFn(x, y);
    x.dispose();
    y.dispose();
    const [loss, counts] = await Promise.all([ce.item(), layerCounts.toArray()]);
    ce.dispose();
    layerCounts.dispose();
    train.step++;
    train.curve.push([train.step, loss]);
    counts.forEach((v, i) => { train.counts[Math.floor(i / cfg.experts)][i % cfg.experts] += v; });
    const now = performance.now();
    if (t0 === null) { t0 = now; s0 = train.step; } // speed counts from the end of this run's first step
    else if (now - t0 > 500) train.tokensPerSecond = ((train.step - s0) * batchSize * cfg.context) / ((now - t0) / 1000);
    const stepsPerSecond = train.tokensPerSecond / (batchSize * cfg.context);
    // Redrawing is not free: at most once a second while training, and always at the end.
    if (now - lastDraw > 1000 || train.step === end || !train.running) { lastDraw = now; draw(); }
    setStatus(`step ${train.step} of ${end} · loss ${loss.toFixed(3)} · lr ${train.opt.lr} · ` +
      (train.tokensPerSecond ? `${Math.round(train.tokensPerSecond).toLocaleString()} tokens/s · about ${Math.ceil((end - train.step) / stepsPerSecond)} s to go` : 'measuring speed…'));
    await new Promise((r) => setTimeout(r, 0)); // let the page repaint and the Stop button work
  }
  train.running = false;
  await draw();
  const last = train.curve.at(-1)?.[1];
  const summary = `${train.step} steps · loss ${last?.toFixed(3)}`;
  setStatus(`${summary} · writing a sample: 0 of ${sampleLength} characters…`);
  updateButtons();
  $('sample').textContent = 'ROMEO:\n';
  let lastPaint = 0;
  const sample = await train.model.generate(tok, 'ROMEO:\n', sampleLength, {
    seed: train.step,
    onToken: async (i, n, ch) => {
      $('sample').textContent += ch;
      setStatus(`${summary} · writing a sample: ${i} of ${n} characters…`);
      if (performance.now() - lastPaint > 100) { lastPaint = performance.now(); await new Promise((r) => setTimeout(r, 0)); }
    },
  });
  train.sample = `ROMEO:\n${sample}`;
  $('sample').textContent = train.sample;
  setStatus(`${summary} · stopped; Start goes on from here`);
  train.busy = false;
  updateButtons();
}

function updateButtons() {
  $('start').textContent = train.running ? 'Stop' : 'Start';
  $('start').classList.toggle('primary', !train.running);
  $('start').disabled = !train.running && train.busy;
  $('reset').disabled = train.busy;
}

$('start').addEventListener('click', () => {
  if (train.running) train.running = false;
  else if (!train.busy) runTraining().catch((e) => { showNotice(`Training failed: ${e.message}`, true); train.running = train.busy = false; updateButtons(); });
});
$('reset').addEventListener('click', () => { if (!train.busy) resetModel(); });

// ---- self-test -----------------------------------------------------------------------

async function showChecks(device = info.backend) {
  const results = await runChecks(sg, device);
  $('checks').innerHTML = results.map((r) =>
    `<tr><td class="${r.ok ? 'ok' : 'fail'}">${r.ok ? 'pass' : 'FAIL'}</td><td>${escapeHtml(r.name)}</td><td>${r.ok ? '' : escapeHtml(r.detail)}</td></tr>`).join('');
  return results;
}
$('run-checks').addEventListener('click', () => showChecks());

// ---- start ---------------------------------------------------------------------------

resetModel();
$('run-checks').disabled = false;
updateButtons();
const cellResults = await runAllCells();

// What the browser test drives; handy from the console too.
window.sgPage = { sg, info, train, cellResults, runAllCells, runChecks: (device) => showChecks(device), ready: true };
