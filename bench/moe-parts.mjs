// Where the MoE MLP's time goes: each ScatteredExperts call alone, forward and with one
// gradient at a time, and the two bmms of the gates alone.
//   node bench/moe-parts.mjs [small|medium|granular] [float32|float16] [--lib PATH]
//        [--routing spread|runs] [--log [FILE]] [--build LABEL] [--group ID] [--commit HASH]
// --lib: another build, e.g. the previous commit's (relative paths from bench/). GPU time from
// timestamps where the adapter has them (sg.gpuTime), else wall time. --log appends every row
// to bench/results.jsonl (or FILE), marked as bench/step-host.mjs marks its rows.
// --routing runs gives each expert's slot-j tokens as one run of consecutive tokens, so its
// gathered rows are nearly those of a dense product: the gather's cost is the difference to
// the default, where an expert's tokens are spread over the batch.
import { appendLog, knobConfig, logArg, runFields } from './log.mjs';
const args = process.argv.slice(2);
const logFile = logArg(args);
const flags = ['--lib', '--log', '--build', '--group', '--commit', '--routing'];
const arg = (n) => { const i = args.indexOf(n); return i >= 0 && !args[i + 1]?.startsWith('--') ? args[i + 1] : undefined; };
const positional = args.filter((a, i) => !a.startsWith('--') && !flags.includes(args[i - 1]));
const lib = arg('--lib') ?? '../dist/node/index.js';
const sg = await import(lib.startsWith('.') ? new URL(lib, import.meta.url).href : lib);
const toggles = (process.env.SCATTERGRAD_DAWN_TOGGLES ?? process.env.GPU_DAWN_TOGGLES ?? '').split(' ').filter(Boolean);
if (!toggles.some((t) => t.startsWith('disable-dawn-features='))) toggles.push('disable-dawn-features=timestamp_quantization');
const info = await sg.init({ backend: 'webgpu', dawnToggles: toggles });
const CFG = { small: { T: 2048, d: 256, h: 512, E: 8, k: 2 }, medium: { T: 8192, d: 1024, h: 2048, E: 8, k: 2 }, granular: { T: 16384, d: 1024, h: 512, E: 64, k: 8 } };
const cfg = positional[0] ?? 'medium';
if (!CFG[cfg]) throw new Error(`moe-parts: unknown config ${cfg}; one of ${Object.keys(CFG).join(', ')}`);
const { T, d, h, E, k } = CFG[cfg];
const dtype = positional[1] ?? 'float32';
const logged = [];
const probe = sg.zeros([1]);
const sync = async () => { sg.flush(); await probe.toArray(); };
async function time(name, fn, flops) {
  for (let i = 0; i < 2; i++) { sg.tidy(fn); await sync(); }
  // Half a second of the same work first: the GPU's clocks follow the load, and a row timed
  // straight after a light one read up to 4x slow on the H200.
  const t0 = performance.now();
  while (performance.now() - t0 < 500) await sg.gpuTime(() => { for (let r = 0; r < 5; r++) sg.tidy(fn); });
  const ts = [];
  let timing;
  for (let s = 0; s < 5; s++) {
    const r = await sg.gpuTime(() => { for (let i = 0; i < 5; i++) sg.tidy(fn); });
    ts.push(r.ms / 5);
    timing = r.source;
  }
  ts.sort((a, b) => a - b);
  console.log(`${name.padEnd(34)} ${ts[2].toFixed(2).padStart(7)} ms ${flops ? (flops / ts[2] / 1e9).toFixed(1) + ' TFLOP/s' : ''}`);
  logged.push({ name, ms: ts[2], timing, gflops: flops ? flops / ts[2] / 1e6 : undefined });
}
const idx = new Int32Array(T * k);
const routing = arg('--routing') ?? 'spread';
if (!['spread', 'runs'].includes(routing)) throw new Error(`moe-parts: --routing is spread or runs, not ${routing}`);
for (let t = 0; t < T; t++) {
  for (let j = 0; j < k; j++) {
    idx[t * k + j] = routing === 'runs' ? (Math.floor((t * E) / T) + j) % E : (t * 7 + j * Math.ceil(E / k) + (t >> 3)) % E;
  }
}
const ch = sg.tensor(idx, { shape: [T, k], dtype: 'int32' });
const { sortedExpertIdxs: sei, sortedScatteredIdxs: ssi, expertOffsets: off } = sg.flattenSortCount(ch, E);
const x = sg.randn([T, d], { seed: 1, dtype });
const W1 = sg.randn([E, d, h], { seed: 2, dtype }).mul(0.03);
const W2 = sg.randn([E, h, d], { seed: 3, dtype }).mul(0.03);
const g = sg.rand([T, k], { seed: 4, dtype });
const hh = sg.randn([T * k, h], { seed: 5, dtype });
const dy = sg.randn([T, d], { seed: 6, dtype });
const dh = sg.randn([T * k, h], { seed: 7, dtype });
const F = 2 * T * k * d * h;
const L1 = (xx, ww) => sg.scatteredExperts(xx, ww, k, sei, ssi, off, { groupedOut: true });
const L2 = (xx, ww, gg) => sg.scatteredExperts(xx, ww, 1, sei, ssi, off, { groupedIn: true, gates: gg });
const req = (t) => t.detach().requiresGrad_();
const full = () => {
  const xs = req(x), w1 = req(W1), w2 = req(W2), gg = req(g);
  L2(L1(xs, w1).gelu(), w2, gg).backward(dy);
};
await time('full step (warm-up)', full, 6 * F);
const A = sg.randn([T * k, d], { seed: 8, dtype });
const B = sg.randn([d, h], { seed: 9, dtype });
await time('dense matmul (n,d)x(d,h)', () => { A.matmul(B); }, F);
await time('dense matmul (n,d)T x (n,h)', () => { A.transpose(0, 1).matmul(hh); }, F);
await time('L1 fwd (x gathered)', () => { L1(x, W1); }, F);
await time('L2 fwd (grouped in, gates)', () => { L2(hh, W2, g); }, F);
await time('L1 fwd+dX (W1T, scattered out+sum)', () => { L1(req(x), W1).backward(dh); }, 2 * F);
await time('L1 fwd+dW (x gathered)', () => { L1(x, req(W1)).backward(dh); }, 2 * F);
await time('L2 fwd+dX (W2T, g gathered)', () => { L2(req(hh), W2, g).backward(dy); }, 2 * F);
await time('L2 fwd+dW (g gathered)', () => { L2(hh, req(W2), g).backward(dy); }, 2 * F);
await time('L2 fwd+dgates', () => { L2(hh, W2, req(g)).backward(dy); }, F);
await time('gelu fwd+bwd (n, h)', () => { const a = req(hh); a.gelu().backward(dh); }, 0);
// L2's gates: out = (T,1,k)·(T,k,d) in its forward, dgates = (T,k,d)·(T,d,1) in its backward.
const yk = sg.randn([T, k, d], { seed: 10, dtype });
await time('gates combine bmm (T,1,k)x(T,k,d)', () => { sg.bmm(g.reshape([T, 1, k]), yk); }, 0);
await time('dgates bmm (T,k,d)x(T,d,1)', () => { sg.bmm(yk, dy.reshape([T, d, 1])); }, 0);
await time('L1 fwd again', () => { L1(x, W1); }, F);
await time('full step', full, 6 * F);
if (logFile) {
  const run = runFields({ adapter: info.adapter, toggles, tool: 'bench/moe-parts.mjs', commit: arg('--commit'), build: arg('--build'), group: arg('--group'), ownBuild: !arg('--lib') });
  appendLog(logged.map((r) => ({
    ...run, workload: `moe-parts ${cfg}${routing === 'runs' ? ' runs' : ''} ${dtype === 'float16' ? 'f16' : 'f32'}: ${r.name}`, config: knobConfig(), dtype, ms: r.ms, timing: r.timing, gflops: r.gflops,
    note: 'median of 5 batches of 5 runs',
  })), logFile);
}
await sg.destroy();
