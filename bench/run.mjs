// `npm run bench [-- --quick] [-- --json FILE] [-- --log [FILE]] [-- --only SUBSTR[|SUBSTR...]] [-- --no-tfjs] [-- --wall]`
// Times scattergrad against TensorFlow.js (WebGPU backend) in one process on the same Dawn
// adapter and prints one table, last: median time per workload and backend, GFLOP/s, and the
// ratio against every peer measured in the same run (peer time / this time: > 1 is faster).
// Batches of runs are sized to take >= 25 ms each and the median of several is kept, after
// warm-up. Two times are taken per row where the adapter allows:
// - GPU time from timestamp queries: sg.gpuTime (Σ over the batch's compute passes) for
//   scattergrad, tf.time()'s kernelMs (Σ over its per-kernel passes) for TF.js. Both count only
//   time the GPU spent executing, not the gaps where it waited for JS to record more work.
// - wall time around the batch, from an idle GPU until its work has finished.
// A workload's rows all use GPU time when every measured row there has it, else all use wall
// time, so that the ratios compare like with like; the `timing` column says which. `--wall`
// takes wall time only (and skips TF.js's second, timed series).
// `--json FILE` writes this run's table as one JSON object; `--log` appends its measured rows,
// with date, commit, device, driver and toggles, to bench/results.jsonl (or to FILE), the log
// that bench/summarize.mjs turns into bench/RESULTS.md.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execSync, spawnSync } from 'node:child_process';
import * as sg from '../dist/node/index.js';
import { demoStep } from './demo-step.mjs';
import { benchAttention, benchConv2d } from './nn-ops.mjs';
import { appendLog, deviceOf, dtypeOf, knobConfig, logArg } from './log.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (n) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };
const quick = args.includes('--quick');
const jsonFile = opt('--json');
const logFile = logArg(args);
const only = opt('--only');
const listing = args.includes('--list');
const childOut = opt('--child');
const exact = opt('--exact');
// TF.js has no float16 matmul, so a float16 workload's process does not start it: with TF.js's
// (idle) device beside ours, the small f16 MoE measured 2.2 ms on the H100 instead of 0.53.
const f16Only = exact !== undefined && / f16 /.test(exact);
const wantTf = !args.includes('--no-tfjs') && !listing && !f16Only;
const wallOnly = args.includes('--wall');
const progress = (s) => process.stderr.write(`\r\x1b[K# ${s}`);

// ---- one process per workload ----
// A workload's rows (scattergrad and its peers) share one process, but every workload gets a
// fresh one: on the H100 a kernel was seen to run 3-5x slower after other workloads had run
// in the same process (f32 4096³: 3.7 ms alone, 18 ms after the 1024³ rows; f16 4096³: 1.9 ms
// alone, 10 ms after two seconds of f32 products), cause not found. --one-process turns this off.
if (!childOut && !listing && !args.includes('--one-process')) {
  const self = fileURLToPath(import.meta.url);
  // Children print their rows to a temporary file; only this process writes --json and --log.
  const pass = args.filter((a, i) => a !== '--json' && args[i - 1] !== '--json' && a !== '--log' && !(args[i - 1] === '--log' && !a.startsWith('--')));
  const tmp = join(tmpdir(), `scattergrad-bench-${process.pid}.json`);
  const child = (extra) => {
    const r = spawnSync(process.execPath, [self, ...pass, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`bench child ${extra.join(' ')} exited with ${r.status}`);
    return r.stdout.toString();
  };
  const names = child(['--list']).split('\n').filter(Boolean);
  const all = [];
  let meta = null;
  for (const name of names) {
    child(['--exact', name, '--child', tmp]);
    const got = JSON.parse(readFileSync(tmp, 'utf8'));
    meta ??= got.meta;
    all.push(...got.rows);
  }
  rmSync(tmp, { force: true });
  if (!meta) { console.log('no workload matched'); process.exit(0); }
  printTable(meta, all);
  process.exit(0);
}

// ---- devices ----

const toggles = (process.env.SCATTERGRAD_DAWN_TOGGLES ?? process.env.GPU_DAWN_TOGGLES ?? '').split(' ').filter(Boolean);
// Dawn truncates timestamps to a 65.5 µs grid by default; a pass of small kernels lasts about
// that long, so the bench (both peers share these toggles) asks for full resolution.
{
  const i = toggles.findIndex((t) => t.startsWith('disable-dawn-features='));
  if (i < 0) toggles.push('disable-dawn-features=timestamp_quantization');
  else if (!toggles[i].includes('timestamp_quantization')) toggles[i] += ',timestamp_quantization';
}
const info = await sg.init({ backend: 'webgpu', dawnToggles: toggles });
const lavapipe = /llvmpipe|lavapipe|swiftshader/i.test(info.adapter ?? '');
const sgHasTs = !wallOnly && info.features.includes('timestamp-query');
const hasF16 = info.features.includes('shader-f16');
// BENCH_COMMIT names the tree where the checkout's .git is stale (the GPU machine's copy).
let commit = process.env.BENCH_COMMIT ?? 'unknown';
if (!process.env.BENCH_COMMIT) try { commit = execSync('git rev-parse --short HEAD', { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { /* not a checkout */ }
let dirty = '';
if (!process.env.BENCH_COMMIT) try { dirty = execSync('git status --porcelain --untracked-files=no', { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() ? '+dirty' : ''; } catch { /* idem */ }

async function loadTf() {
  if (!wantTf) return { tf: null, why: f16Only ? 'n/a (TF.js has no float16 matmul)' : 'skipped (--no-tfjs)' };
  const bundle = join(root, 'dist/bench/tfjs.js');
  const entry = join(root, 'bench/tfjs-entry.mjs');
  // Bundle where esbuild and the packages exist (here); elsewhere use the bundle carried along.
  try {
    const { build } = await import('esbuild');
    if (existsSync(join(root, 'node_modules/@tensorflow/tfjs-core'))) {
      mkdirSync(dirname(bundle), { recursive: true });
      // TF.js's CommonJS parts require Node built-ins ('util'); give the ESM bundle a require.
      const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" };
      await build({ entryPoints: [entry], outfile: bundle, bundle: true, format: 'esm', platform: 'node', target: 'es2022', minify: true, banner, logLevel: 'error' });
    }
  } catch { /* no esbuild: rely on a carried bundle */ }
  if (!existsSync(bundle)) return { tf: null, why: 'n/a (TF.js not installed)' };
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  globalThis.navigator ??= {};
  if (!globalThis.navigator.gpu) Object.defineProperty(globalThis.navigator, 'gpu', { value: create(toggles), configurable: true });
  const { tf } = await import(bundle);
  try {
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  } catch { /* flag absent in this version */ }
  const ok = await tf.setBackend('webgpu').catch((e) => { console.error(e); return false; });
  if (!ok) return { tf: null, why: 'n/a (TF.js WebGPU backend failed to start)' };
  await tf.ready();
  // tf.time() fills kernelMs from timestamp queries only when TF.js's device has the feature
  // (it asks for it whenever the adapter has it); otherwise it warns and reports 0.
  return { tf, why: '', hasTs: !wallOnly && tf.backend().supportTimestampQuery === true };
}
const { tf, why: tfWhy, hasTs: tfHasTs = false } = await loadTf();

// ---- timing ----

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const probe = sg.zeros([1]);
const sgSync = async () => { sg.flush(); await probe.toArray(); };
const tfSync = async () => { const b = tf.backend(); if (b.commandEncoder) { b.endComputePassEncoder(); b.submitQueue(); } await b.queue.onSubmittedWorkDone(); };

/**
 * Median ms per run over several batches after warm-up. `batch(reps)` runs reps runs and
 * resolves to { wallMs, gpuMs } for the whole batch (gpuMs null without timestamps).
 * Returns { wallMs, gpuMs } per run (gpuMs null unless every batch had it) and the plan
 * { reps, n } used, which a second series over the same, already warm, work can reuse.
 */
async function timeIt(batch, { samples = quick ? 5 : 9, budgetMs = quick ? 1500 : 2500, plan = null } = {}) {
  let reps, n;
  if (plan) ({ reps, n } = plan);
  else {
    for (let i = 0; i < 2; i++) await batch(1);
    // An idle GPU sits at low clocks (345 MHz on the H100 between runs, 1980 MHz under load)
    // and takes a while to ramp: run the work itself for half a second first. (CPU adapters
    // have nothing to ramp.)
    const t0 = performance.now();
    while (!lavapipe && performance.now() - t0 < 500) await batch(1);
    const one = Math.max((await batch(1)).wallMs, 0.01);
    reps = Math.max(1, Math.min(200, Math.ceil(25 / one)));
    n = Math.max(3, Math.min(samples, Math.floor(budgetMs / (one * reps))));
  }
  const wall = [];
  const gpu = [];
  for (let s = 0; s < n; s++) {
    const r = await batch(reps);
    wall.push(r.wallMs / reps);
    if (r.gpuMs != null) gpu.push(r.gpuMs / reps);
  }
  return { wallMs: median(wall), gpuMs: gpu.length === n ? median(gpu) : null, plan: { reps, n } };
}

/** scattergrad: one sg.gpuTime region per batch gives both times. */
const timeSg = (fn) => timeIt(async (reps) => {
  const r = await sg.gpuTime(() => { for (let i = 0; i < reps; i++) fn(); }, { timestamps: sgHasTs });
  return { wallMs: r.wallMs, gpuMs: r.source === 'timestamps' ? r.ms : null };
});

/** TF.js: wall time as its users run it; then, where it has timestamps, tf.time()'s kernelMs in a
 * separate series, because timing makes TF.js submit and read back after every kernel. */
async function timeTf(fn) {
  const wallBatch = async (reps) => {
    await tfSync();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    await tfSync();
    return { wallMs: performance.now() - t0, gpuMs: null };
  };
  const gpuBatch = async (reps) => {
    await tfSync();
    const t0 = performance.now();
    const r = await tf.time(() => { for (let i = 0; i < reps; i++) fn(); });
    await tfSync();
    return { wallMs: performance.now() - t0, gpuMs: r.kernelMs };
  };
  const { wallMs, plan } = await timeIt(wallBatch);
  // The wall series compiled and warmed every kernel; only GPU time is kept from this one.
  const gpuMs = tfHasTs ? (await timeIt(gpuBatch, { plan })).gpuMs : null;
  return { wallMs, gpuMs };
}

const rows = [];
/** `t` is { wallMs, gpuMs } from timeSg/timeTf, or null when the row was not measured. */
function row(workload, backend, t, flops, note = '') {
  rows.push({ workload, backend, ms: null, timing: null, wallMs: t?.wallMs ?? null, gpuMs: t?.gpuMs ?? null, gflops: null, flops, note });
}

const listed = [];
/** Whether to run workload `name` (with --list: record it and run nothing). */
// --only takes one substring, or several separated by '|'.
const wanted = (name) => !only || only.split('|').some((o) => name.includes(o));
const sel = (name) => {
  if (listing) { if (wanted(name)) listed.push(name); return false; }
  return exact ? name === exact : wanted(name);
};

// ---- dense matmul ----

async function benchMatmul(n, dtype) {
  const name = `matmul ${dtype === 'float16' ? 'f16' : 'f32'} ${n}³`;
  if (!sel(name)) return;
  progress(`${name} scattergrad`);
  const flops = 2 * n ** 3;
  const a = sg.randn([n, n], { seed: 1, dtype });
  const b = sg.randn([n, n], { seed: 2, dtype });
  try {
    row(name, 'scattergrad', await timeSg(() => a.matmul(b).dispose()), flops);
  } catch (e) {
    row(name, 'scattergrad', null, flops, `failed: ${String(e.message ?? e).split('\n')[0].slice(0, 80)}`);
  }
  a.dispose(); b.dispose();
  if (!tf) row(name, 'tfjs', null, flops, tfWhy);
  else if (dtype === 'float16') row(name, 'tfjs', null, flops, 'n/a (TF.js has no float16 matmul)');
  else {
    progress(`${name} tfjs`);
    const ta = tf.randomNormal([n, n]);
    const tb = tf.randomNormal([n, n]);
    row(name, 'tfjs', await timeTf(() => tf.matMul(ta, tb).dispose()), flops);
    ta.dispose(); tb.dispose();
  }
}

// ---- MoE MLP forward + backward ----

const MOE = {
  small: { T: 2048, d: 256, h: 512, E: 8, k: 2 },
  medium: { T: 8192, d: 1024, h: 2048, E: 8, k: 2 },
  granular: { T: 16384, d: 1024, h: 512, E: 64, k: 8 },
};
// lavapipe runs on the CPU: the same shapes scaled down (T/8, d/4, h/4; granular keeps E and k).
const MOE_LAVAPIPE = {
  small: { T: 256, d: 64, h: 128, E: 8, k: 2 },
  medium: { T: 1024, d: 256, h: 512, E: 8, k: 2 },
  granular: { T: 2048, d: 256, h: 128, E: 64, k: 8 },
};

/** Routing on the CPU from seeded logits: top-k of softmax, as the reference does. */
function route(T, E, k, seed) {
  const logits = sg.randn([T, E], { seed, device: 'cpu' });
  return logits;
}

// glu: ScatterMoE's GLUMLP instead of its MLP: layer 1 makes 2h features and silu(second
// half) · first half feeds layer 2, fused (sg.gatedActivation); 18·T·k·d·h useful FLOPs.
async function benchMoe(cfgName, dtype = 'float32', glu = false) {
  const f16 = dtype === 'float16';
  const c = (lavapipe ? MOE_LAVAPIPE : MOE)[cfgName];
  const { T, d, h, E, k } = c;
  const name = `MoE ${cfgName}${glu ? ' GLU' : ''} ${f16 ? 'f16' : 'f32'} fwd+bwd${lavapipe ? ` (scaled: T${T} d${d} h${h} E${E} k${k})` : ''}`;
  // The step as written, and replayed through sg.compile (a row of its own).
  const plain = sel(name);
  const compiledToo = sel(`${name}, compiled`);
  if (!plain && !compiledToo) return;
  const flops = (glu ? 18 : 12) * T * k * d * h;
  const scale1 = 1 / Math.sqrt(d);
  const scale2 = 1 / Math.sqrt(h);
  // Shared inputs (same numbers for every backend): routing from seeded logits on the CPU.
  const logitsCpu = route(T, E, k, 7);
  const probs = logitsCpu.softmax(-1);
  const { values: gv, indices: gi } = probs.topk(k, -1);
  const gates = await gv.toArray();
  const idx = await gi.toArray();
  [logitsCpu, probs, gv, gi].forEach((t) => t.dispose());

  if (typeof sg.scatteredExperts !== 'function' || typeof sg.flattenSortCount !== 'function') {
    row(name, 'scattergrad', null, flops, 'n/a (not built: sg.scatteredExperts is not exported yet)');
  } else {
    progress(`${name} scattergrad`);
    try {
      const x = sg.randn([T, d], { seed: 1, dtype }).requiresGrad_();
      const W1 = sg.randn([E, d, glu ? 2 * h : h], { seed: 2, dtype }).mul(scale1).detach().requiresGrad_();
      const W2 = sg.randn([E, h, d], { seed: 3, dtype }).mul(scale2).detach().requiresGrad_();
      const g = sg.tensor(gates, { shape: [T, k], dtype }).requiresGrad_();
      const ei = sg.tensor(Int32Array.from(idx), { shape: [T, k], dtype: 'int32' });
      const dy = sg.randn([T, d], { seed: 4, dtype });
      const { sortedExpertIdxs: sei, sortedScatteredIdxs: ssi, expertOffsets: off } = sg.flattenSortCount(ei, E);
      const leaves = [x, W1, W2, g];
      // The MLP exactly as BENCHMARKS.md (and ScatterMoE) writes it: layer 2 takes k = 1 and gates (T, k).
      const step = () => {
        sg.tidy(() => {
          const inner = sg.scatteredExperts(x, W1, k, sei, ssi, off, { groupedOut: true });
          const hh = glu ? sg.gatedActivation(inner, 'silu') : inner.gelu();
          const y = sg.scatteredExperts(hh, W2, 1, sei, ssi, off, { groupedIn: true, gates: g });
          y.backward(dy);
        });
        for (const l of leaves) { l.grad?.dispose(); l.grad = null; }
      };
      if (plain) row(name, 'scattergrad', await timeSg(step), flops);
      // The same step replayed by sg.compile: what is left of the wall time is the GPU's.
      if (compiledToo) {
        progress(`${name}, compiled`);
        const compiled = sg.compile(step);
        const t = await timeSg(compiled);
        row(`${name}, compiled`, 'scattergrad', t, flops, compiled.stats.mode);
        compiled.dispose();
      }
      [x, W1, W2, g, ei, dy, sei, ssi, off].forEach((t) => t.dispose());
    } catch (e) {
      row(name, 'scattergrad', null, flops, `failed: ${String(e.message ?? e).split('\n')[0].slice(0, 80)}`);
    }
  }

  if (f16 || glu || !plain) return; // TF.js has no float16 matmul, and the GLU rows compare with ScatterMoE: scattergrad only
  if (!tf) { row(name, 'tfjs loop', null, flops, tfWhy); row(name, 'tfjs dense', null, flops, tfWhy); return; }
  // TF.js as its users would write it. Per-expert token lists come from the routing (host side,
  // outside the timing, like ScatterMoE's sort).
  const perE = Array.from({ length: E }, () => ({ tok: [], pos: [] }));
  for (let t = 0; t < T; t++) for (let j = 0; j < k; j++) { perE[idx[t * k + j]].tok.push(t); perE[idx[t * k + j]].pos.push(t * k + j); }
  const x = tf.variable(tf.randomNormal([T, d], 0, 1, 'float32', 1));
  const W1 = tf.variable(tf.mul(tf.randomNormal([E, d, h], 0, 1, 'float32', 2), scale1));
  const W2 = tf.variable(tf.mul(tf.randomNormal([E, h, d], 0, 1, 'float32', 3), scale2));
  const G = tf.variable(tf.tensor2d(Array.from(gates), [T, k]));
  const dy = tf.randomNormal([T, d], 0, 1, 'float32', 4);
  const toks = perE.map((p) => tf.tensor1d(p.tok, 'int32'));
  const poss = perE.map((p) => tf.tensor1d(p.pos, 'int32'));
  const allTok = tf.concat(toks.filter((_, e) => perE[e].tok.length));
  const gelu = (v) => tf.mul(tf.mul(v, 0.5), tf.add(1, tf.erf(tf.mul(v, Math.SQRT1_2))));
  const vars = [x, W1, W2, G];
  const loop = () => {
    const { grads, value } = tf.variableGrads(() => {
      const gflat = tf.reshape(G, [T * k]);
      const outs = [];
      for (let e = 0; e < E; e++) {
        if (!perE[e].tok.length) continue;
        const xe = tf.gather(x, toks[e]);
        const w1 = tf.reshape(tf.slice(W1, [e, 0, 0], [1, d, h]), [d, h]);
        const w2 = tf.reshape(tf.slice(W2, [e, 0, 0], [1, h, d]), [h, d]);
        const ye = tf.matMul(gelu(tf.matMul(xe, w1)), w2);
        outs.push(tf.mul(ye, tf.expandDims(tf.gather(gflat, poss[e]), 1)));
      }
      const y = tf.unsortedSegmentSum(tf.concat(outs), allTok, T);
      return tf.sum(tf.mul(y, dy));
    }, vars);
    value.dispose();
    Object.values(grads).forEach((t) => t.dispose());
  };
  progress(`${name} tfjs loop`);
  try {
    row(name, 'tfjs loop', await timeTf(() => tf.tidy(loop)), flops, 'gather + per-expert matMul + unsortedSegmentSum');
  } catch (e) {
    row(name, 'tfjs loop', null, flops, `failed: ${String(e.message ?? e).slice(0, 80)}`);
  }
  // Dense: every expert on every token, outputs weighted by a (T, E) gate matrix that is zero
  // off the chosen experts. Does E/k times the useful FLOPs; GFLOP/s counts the useful ones.
  const denseBytes = E * T * h * 4;
  if (denseBytes > 1.5 * 2 ** 30) {
    row(name, 'tfjs dense', null, flops, `n/a (E·T·h activations ${(denseBytes / 2 ** 30).toFixed(1)} GiB)`);
  } else {
    const gm = new Float32Array(T * E);
    for (let t = 0; t < T; t++) for (let j = 0; j < k; j++) gm[t * E + idx[t * k + j]] += gates[t * k + j];
    const Gd = tf.variable(tf.tensor2d(gm, [T, E]));
    const dense = () => {
      const { grads, value } = tf.variableGrads(() => {
        const H = gelu(tf.matMul(tf.broadcastTo(tf.expandDims(x, 0), [E, T, d]), W1)); // (E, T, h)
        const Y = tf.matMul(H, W2); // (E, T, d)
        const y = tf.sum(tf.mul(Y, tf.expandDims(tf.transpose(Gd), 2)), 0);
        return tf.sum(tf.mul(y, dy));
      }, [x, W1, W2, Gd]);
      value.dispose();
      Object.values(grads).forEach((t) => t.dispose());
    };
    progress(`${name} tfjs dense`);
    try {
      row(name, 'tfjs dense', await timeTf(() => tf.tidy(dense)), flops, `all ${E} experts on every token (${E / k}x the FLOPs)`);
    } catch (e) {
      row(name, 'tfjs dense', null, flops, `failed: ${String(e.message ?? e).slice(0, 80)}`);
    }
    Gd.dispose();
  }
  [x, W1, W2, G, dy, allTok, ...toks, ...poss].forEach((t) => t.dispose());
}

// ---- run ----

const t0 = performance.now();
const sizes = quick || lavapipe ? (quick ? [256, 512] : [512, 1024]) : [1024, 4096];
/** One AdamW step of the demo's MoE language model (examples/lm), batch 8 x 32 tokens, as
 * written (each op's JavaScript runs every step) and through sg.compile (replayed). */
async function benchTrainStep() {
  const name = 'demo model training step (batch 8x32)';
  if (!sel(name)) return;
  for (const compiled of [false, true]) {
    progress(`${name}${compiled ? ', compiled' : ''}`);
    const d = await demoStep(sg);
    const step = compiled ? d.compiledStep() : d.step;
    for (let i = 0; i < 4; i++) step();
    await sgSync();
    const d0 = sg.memory().dispatches;
    step();
    const perStep = sg.memory().dispatches - d0;
    const t = await timeSg(step);
    // Host time: what recording a step costs the JS thread (ops, autograd, dispatch, submit),
    // the part no GPU can hide. Steps are not awaited one by one, as in a training loop.
    const hostSteps = 20;
    await sgSync();
    let host = 0;
    for (let i = 0; i < hostSteps; i++) {
      const h0 = performance.now();
      step();
      host += performance.now() - h0;
    }
    await sgSync();
    const mode = compiled ? `, ${step.stats.mode}` : '';
    row(compiled ? `${name}, compiled` : name, 'scattergrad', t, null, `${(1000 / t.wallMs).toFixed(1)} steps/s (wall), host ${(host / hostSteps).toFixed(2)} ms/step, ${perStep} dispatches per step${mode}`);
    if (compiled) step.dispose();
    d.dispose();
  }
}

for (const n of sizes) await benchMatmul(n, 'float32');
if (hasF16) for (const n of sizes) await benchMatmul(n, 'float16');
for (const c of quick ? ['small', 'granular'] : ['small', 'medium', 'granular']) await benchMoe(c);
if (hasF16 && !lavapipe) for (const c of ['small', 'medium', 'granular']) await benchMoe(c, 'float16');
for (const c of lavapipe ? ['small'] : ['medium', 'granular']) await benchMoe(c, hasF16 && !lavapipe ? 'float16' : 'float32', true);
const nnCtx = { sg, tf, tfWhy, timeSg, timeTf, row, sel, progress, lavapipe };
await benchAttention(nnCtx);
await benchConv2d(nnCtx);
await benchTrainStep();
if (listing) { console.log(listed.join('\n')); await sg.destroy(); process.exit(0); }
progress(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

const meta = {
  date: new Date().toISOString(), commit: commit + dirty, adapter: info.adapter, features: info.features, toggles, quick, lavapipe, config: knobConfig(),
  timestamps: { scattergrad: sgHasTs, tfjs: tfHasTs }, timingNote: `scattergrad ${sgHasTs ? 'sg.gpuTime' : wallOnly ? 'off: --wall' : 'n/a: no timestamp-query'}; TF.js ${!tf ? 'n/a' : tfHasTs ? 'tf.time kernelMs' : wallOnly ? 'off: --wall' : 'n/a: no timestamp-query'}`,
};
if (childOut) writeFileSync(childOut, JSON.stringify({ meta, rows }));
else printTable(meta, rows);
await sg.destroy();
process.exit(0);

// ---- the table ----

/** Prints the table (and writes --json): one timing per workload, shared by its rows, so that
 * every ratio compares like with like. */
function printTable(meta, rows) {
  for (const r of rows) {
    const measured = rows.filter((p) => p.workload === r.workload && p.wallMs != null);
    const gpu = measured.length > 0 && measured.every((p) => p.gpuMs != null);
    if (r.wallMs == null) continue;
    r.timing = gpu ? 'gpu' : 'wall';
    r.ms = gpu ? r.gpuMs : r.wallMs;
    r.gflops = r.flops ? r.flops / (r.ms * 1e6) : null;
  }
  const fmtMs = (ms) => (ms == null ? '—' : ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0));
  const fmtG = (g) => (g == null ? '—' : g >= 1000 ? `${(g / 1000).toFixed(2)} T` : g.toFixed(1));
  const lines = [];
  lines.push(`scattergrad bench — ${meta.date.slice(0, 10)} — commit ${meta.commit} — ${meta.adapter}${meta.lavapipe ? ' (lavapipe: CPU, scaled-down MoE configs)' : ''}${meta.quick ? ' — --quick' : ''}`);
  lines.push(`features: ${meta.features.filter((f) => /f16|subgroup|timestamp/.test(f)).join(' ') || 'none of interest'}`);
  lines.push(`timing: gpu = GPU timestamps (${meta.timingNote}), used where every backend of a workload has them; wall = batch + GPU sync`);
  lines.push('');
  lines.push('| workload | backend | median ms | timing | GFLOP/s | vs peers (peer ms / this ms) | note |');
  lines.push('|---|---|---:|---|---:|---|---|');
  for (const r of rows) {
    const peers = rows.filter((p) => p.workload === r.workload && p !== r && p.ms != null && r.ms != null);
    r.vs = Object.fromEntries(peers.map((p) => [p.backend, p.ms / r.ms]));
    const vs = peers.map((p) => `${(p.ms / r.ms).toFixed(2)}x ${p.backend}`);
    lines.push(`| ${r.workload} | ${r.backend} | ${fmtMs(r.ms)} | ${r.timing ?? '—'} | ${fmtG(r.gflops)} | ${vs.join(', ') || '—'} | ${r.note} |`);
  }
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ ...meta, rows }, null, 2));
  if (logFile) appendLog(logRows(meta, rows), logFile);
  console.log(lines.join('\n'));
  if (logFile) console.log(`appended ${rows.filter((r) => r.ms != null).length} rows to ${logFile}`);
}

/** The measured rows as lines of the measurement log (see bench/log.mjs). */
function logRows(meta, rows) {
  const { device, driver } = deviceOf(meta.adapter);
  const [hash, dirtyMark] = meta.commit.split('+');
  return rows.filter((r) => r.ms != null).map((r) => ({
    date: meta.date, commit: hash === 'unknown' ? null : hash, device, driver, toggles: meta.toggles, tool: 'bench/run.mjs',
    workload: r.workload, config: meta.config, dtype: dtypeOf(r.workload), peer: r.backend === 'scattergrad' ? undefined : r.backend,
    ms: r.ms, timing: r.timing === 'gpu' ? 'timestamps' : 'wall', wallMs: r.wallMs, gflops: r.gflops ?? undefined,
    note: r.note || undefined, dirty: dirtyMark === 'dirty' || undefined, commitFrom: process.env.BENCH_COMMIT ? 'BENCH_COMMIT' : undefined,
    quick: meta.quick || undefined,
  }));
}
