// The MoE MLP (forward + backward, as in bench/run.mjs) under each variant of the kernels, in
// one process, GPU time from timestamps: for tuning on a GPU machine. float16 (the tensor-core
// kernels) unless --dtype float32 (the SIMT ones).
//   node bench/tc-sweep.mjs [--lib PATH] [--dtype float16|float32] [--dense N] [--configs small,medium,granular] [--variants a,b,...] [--json FILE]
//     [--log [FILE]] [--build LABEL] [--group ID] [--commit HASH]
// --lib times another build (e.g. the previous commit's) the same way. --log appends the rows to
// bench/results.jsonl (or FILE), each marked with --build (default: the --lib path) and --group
// (an id shared by the calls of one A/B); --commit names the --lib build's commit (default: this
// checkout's, when --lib is this checkout's build).
// bench/moe-parts.mjs times each ScatteredExperts call of the MLP alone.
const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const lib = opt('--lib', '../dist/node/index.js');
const { appendLog, logArg, matmulName, moeName, runFields } = await import('./log.mjs');
const logFile = logArg(args);
const sg = await import(lib.startsWith('.') ? new URL(lib, import.meta.url).href : lib);
const toggles = (process.env.SCATTERGRAD_DAWN_TOGGLES ?? process.env.GPU_DAWN_TOGGLES ?? '').split(' ').filter(Boolean);
if (!toggles.some((t) => t.startsWith('disable-dawn-features='))) toggles.push('disable-dawn-features=timestamp_quantization');
const info = await sg.init({ backend: 'webgpu', dawnToggles: toggles });
console.log(`# ${info.adapter}; lib ${lib}`);

const CFG = { tiny: { T: 256, d: 64, h: 128, E: 8, k: 2 }, small: { T: 2048, d: 256, h: 512, E: 8, k: 2 }, medium: { T: 8192, d: 1024, h: 2048, E: 8, k: 2 }, granular: { T: 16384, d: 1024, h: 512, E: 64, k: 8 } };
const configs = opt('--configs', 'small,medium,granular').split(',').filter(Boolean);
const variants = opt('--variants', 'default').split(',');
const dtype = opt('--dtype', 'float16');
const ENV = { SCATTERGRAD_MATMUL_EXACT: undefined, SCATTERGRAD_MATMUL_UNROLL: undefined, SCATTERGRAD_MOE_UNROLL: undefined, SCATTERGRAD_MATMUL_MAP: undefined, SCATTERGRAD_MOE_MAP: undefined, SCATTERGRAD_MOE_SHARED: undefined, SCATTERGRAD_MOE_TILE: undefined, SCATTERGRAD_MATMUL_TILE: undefined, SCATTERGRAD_MOE_TC: undefined, SCATTERGRAD_MATMUL_TC: undefined, SCATTERGRAD_MOE_TC_TILE: undefined, SCATTERGRAD_MOE_TC_BDIRECT: undefined, SCATTERGRAD_TC_KNOCKOUT: undefined, SCATTERGRAD_MOE_TC_PAD: undefined, SCATTERGRAD_TC_DEPTH: undefined, SCATTERGRAD_MOE_TC_XTY_TILE: undefined, SCATTERGRAD_MOE_TILE_GROUP: undefined, SCATTERGRAD_MOE_SIMT_TILE_GROUP: undefined, SCATTERGRAD_MATMUL_TILE_GROUP: undefined };
// A variant joins parts with '+': default, simt, bdirect, a tile (big, mid, SGMxSGNxFMxFNxTK),
// ko-PART (SCATTERGRAD_TC_KNOCKOUT), padN (SCATTERGRAD_MOE_TC_PAD), dN (SCATTERGRAD_TC_DEPTH: loads N
// steps ahead), xty=TILE (SCATTERGRAD_MOE_TC_XTY_TILE), simt=TILE (SCATTERGRAD_MOE_TILE: the
// f32 MoE kernels' TMxTNxBK:RMxRN), flat|split (SCATTERGRAD_MOE_SHARED: their shared tiles'
// layout), mm=TILE (SCATTERGRAD_MATMUL_TILE: the f32 dense kernel's), checked
// (SCATTERGRAD_MATMUL_EXACT=off: bounds checks even on whole tiles), mmuN / moeuN (the dense /
// MoE SIMT K loop unrolled by N: 1 or 2), mmbX / moebX (their invocations in X x 32/X blocks
// per 32), mmgN / moegN / moesgN (SCATTERGRAD_MATMUL_TILE_GROUP / SCATTERGRAD_MOE_TILE_GROUP /
// SCATTERGRAD_MOE_SIMT_TILE_GROUP: tiles in groups of N tile rows).
const envOf = (v) => Object.assign({}, ...v.split('+').map((p) => {
  if (p === 'default') return {};
  if (p === 'checked') return { SCATTERGRAD_MATMUL_EXACT: 'off' };
  if (/^mmu\d$/.test(p)) return { SCATTERGRAD_MATMUL_UNROLL: p.slice(3) };
  if (/^moeu\d$/.test(p)) return { SCATTERGRAD_MOE_UNROLL: p.slice(4) };
  if (/^mmb\d+$/.test(p)) return { SCATTERGRAD_MATMUL_MAP: p.slice(3) };
  if (/^moeb\d+$/.test(p)) return { SCATTERGRAD_MOE_MAP: p.slice(4) };
  if (/^mmg\d+$/.test(p)) return { SCATTERGRAD_MATMUL_TILE_GROUP: p.slice(3) };
  if (/^moeg\d+$/.test(p)) return { SCATTERGRAD_MOE_TILE_GROUP: p.slice(4) };
  if (/^moesg\d+$/.test(p)) return { SCATTERGRAD_MOE_SIMT_TILE_GROUP: p.slice(5) };
  if (p === 'flat' || p === 'split') return { SCATTERGRAD_MOE_SHARED: p };
  if (p === 'simt') return { SCATTERGRAD_MOE_TC: 'off', SCATTERGRAD_MATMUL_TC: 'off' };
  if (p === 'bdirect') return { SCATTERGRAD_MOE_TC_BDIRECT: '1' };
  if (p.startsWith('ko-')) return { SCATTERGRAD_TC_KNOCKOUT: p.slice(3) };
  if (p.startsWith('pad')) return { SCATTERGRAD_MOE_TC_PAD: p.slice(3) };
  if (p.startsWith('xty=')) return { SCATTERGRAD_MOE_TC_XTY_TILE: p.slice(4) };
  if (p.startsWith('simt=')) return { SCATTERGRAD_MOE_TILE: p.slice(5) };
  if (p.startsWith('mm=')) return { SCATTERGRAD_MATMUL_TILE: p.slice(3) };
  if (/^d\d$/.test(p)) return { SCATTERGRAD_TC_DEPTH: p.slice(1) };
  return { SCATTERGRAD_MOE_TC_TILE: p };
}));
const setEnv = (vars) => { for (const [k, v] of Object.entries({ ...ENV, ...vars })) { if (v === undefined) delete process.env[k]; else process.env[k] = v; } };
// SCATTERGRAD_MOE_TC_XTY_TILE -> moeTcXtyTile: the tuning knob of each variable (docs/tuning.md).
const knobOf = (name) => name.replace(/^SCATTERGRAD_/, '').toLowerCase().replace(/_(\w)/g, (_, c) => c.toUpperCase());
// Runs fn under a variant: through sg.withTuning where the build has it (it reads the
// environment once, at init); builds from before it (--lib) read the environment at each use.
const under = (vars, fn) => {
  if (!sg.withTuning) { setEnv(vars); return fn(); }
  return sg.withTuning(Object.fromEntries(Object.entries(vars).map(([k, v]) => [knobOf(k), v])), fn);
};

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
let source = 'timestamps';
/** Median GPU ms of `fn` over batches of >= 25 ms, after half a second of it (clocks ramp). */
async function time(fn) {
  const batch = async (reps) => { const r = await sg.gpuTime(() => { for (let i = 0; i < reps; i++) fn(); }); source = r.source; return r.ms / reps; };
  await batch(1);
  const t0 = performance.now();
  let one = 0;
  while (performance.now() - t0 < 500) one = await batch(1);
  const reps = Math.max(1, Math.ceil(25 / Math.max(one, 0.01)));
  const ms = [];
  for (let s = 0; s < 7; s++) ms.push(await batch(reps));
  return median(ms);
}

const rows = [];
// --dense N: an (N, N)·(N, N) matmul under each variant first.
const dense = Number(opt('--dense', 0));
if (dense) {
  const a = sg.randn([dense, dense], { seed: 11, dtype });
  const b = sg.randn([dense, dense], { seed: 12, dtype });
  for (const v of variants) {
    let ms = null;
    try { ms = await under(envOf(v), () => time(() => { sg.tidy(() => { a.matmul(b); }); })); } catch (e) { console.log(`dense ${v} failed: ${String(e.message ?? e).split('\n')[0].slice(0, 100)}`); }
    if (ms) console.log(`dense${dense} ${dtype} ${v.padEnd(22)} ${ms.toFixed(3).padStart(8)} ms ${(2 * dense ** 3 / ms / 1e9).toFixed(1).padStart(6)} TFLOP/s`);
    rows.push({ config: `dense${dense}`, dtype, variant: v, ms, tflops: ms ? 2 * dense ** 3 / ms / 1e9 : null, timing: source });
  }
  a.dispose(); b.dispose();
}
for (const name of configs) {
  const { T, d, h, E, k } = CFG[name];
  const flops = 12 * T * k * d * h;
  const probs = sg.randn([T, E], { seed: 7, device: 'cpu' }).softmax(-1);
  const { values: gv, indices: gi } = probs.topk(k, -1);
  const x = sg.randn([T, d], { seed: 1, dtype }).requiresGrad_();
  const W1 = sg.randn([E, d, h], { seed: 2, dtype }).mul(1 / Math.sqrt(d)).detach().requiresGrad_();
  const W2 = sg.randn([E, h, d], { seed: 3, dtype }).mul(1 / Math.sqrt(h)).detach().requiresGrad_();
  const g = sg.tensor(await gv.toArray(), { shape: [T, k], dtype }).requiresGrad_();
  const ei = sg.tensor(Int32Array.from(await gi.toArray()), { shape: [T, k], dtype: 'int32' });
  const dy = sg.randn([T, d], { seed: 4, dtype });
  const { sortedExpertIdxs: sei, sortedScatteredIdxs: ssi, expertOffsets: off } = sg.flattenSortCount(ei, E);
  const leaves = [x, W1, W2, g];
  const L1 = (xx, ww) => sg.scatteredExperts(xx, ww, k, sei, ssi, off, { groupedOut: true });
  const L2 = (xx, ww, gg) => sg.scatteredExperts(xx, ww, 1, sei, ssi, off, { groupedIn: true, gates: gg });
  const clear = () => { for (const l of leaves) { l.grad?.dispose(); l.grad = null; } };
  const step = () => { sg.tidy(() => L2(L1(x, W1).gelu(), W2, g).backward(dy)); clear(); };
  for (const v of variants) {
    let ms = null;
    let note = '';
    try { ms = await under(envOf(v), () => time(step)); } catch (e) { note = String(e.message ?? e).split('\n')[0].slice(0, 100); }
    rows.push({ config: name, dtype, variant: v, ms, tflops: ms ? flops / ms / 1e9 : null, note, timing: source });
    console.log(`${name.padEnd(9)} ${dtype} ${v.padEnd(22)} ${ms ? ms.toFixed(3).padStart(8) + ' ms ' + (flops / ms / 1e9).toFixed(1).padStart(6) + ' TFLOP/s' : 'failed: ' + note}`);
  }
  [probs, gv, gi, x, W1, W2, g, ei, dy, sei, ssi, off].forEach((t) => t.dispose());
}
const out = opt('--json');
if (out) (await import('node:fs')).writeFileSync(out, JSON.stringify({ adapter: info.adapter, lib, rows }, null, 1));
if (logFile) {
  const run = runFields({ adapter: info.adapter, toggles, tool: 'bench/tc-sweep.mjs', commit: opt('--commit'), build: opt('--build') ?? lib, group: opt('--group'), ownBuild: lib === '../dist/node/index.js' });
  appendLog(rows.filter((r) => r.ms).map((r) => ({
    ...run, workload: r.config.startsWith('dense') ? matmulName(r.config.slice(5), dtype) : moeName(r.config, dtype), config: r.variant, dtype,
    ms: r.ms, timing: r.timing === 'timestamps' ? 'timestamps' : 'wall', gflops: r.tflops ? r.tflops * 1000 : undefined,
  })), logFile);
}
await sg.destroy();
