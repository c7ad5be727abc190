// Dense matmul timed and spot-checked per forced kernel, for tuning runs.
//
//   node bench/tune.mjs --sweep [--cases f32:1024,f32:4096,f16:1024] [--tiles auto,big,...] [--layouts nn,tn,nt]
//       Every tile kind on every case, in one table. A case is dtype:N (N³) or dtype:MxNxK;
//       the default cases are the ones above, the default tiles every name that
//       SCATTERGRAD_MATMUL_TILE takes (`reg`, the CPU-adapter kernel, only on CPU adapters
//       unless named). Each row runs in a process of its own: within one long-lived process
//       the same 4096³ kernel took 3.7 ms or 15-19 ms from one measurement to the next on an
//       H100, which would make rows incomparable.
//   node bench/tune.mjs N|MxNxK [float32|float16] [nn|tn|nt]
//       One product, the kernel picked by SCATTERGRAD_MATMUL_TILE=<name or TMxTNxBK:RMxRN>,
//       SCATTERGRAD_MATMUL_SIMPLE=1 or SCATTERGRAD_NO_SUBGROUP_MATRIX=1.
//
// Each row: median ms per product as wall time around batches of >= 30 ms ended by a GPU
// sync, and as GPU time from timestamps where sg.gpuTime and the adapter have them; GFLOP/s
// (from the GPU time where there is one); the worst |error| / Σ|a·b| of 256 sampled outputs
// against a float64 product of the inputs. `auto` is the choice scattergrad makes by itself;
// the fastest row of each case is starred.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as sg from '../dist/node/index.js';

const args = process.argv.slice(2);
const opt = (n) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };
const toggles = (process.env.SCATTERGRAD_DAWN_TOGGLES ?? process.env.GPU_DAWN_TOGGLES ?? '').split(' ').filter(Boolean);
// Dawn rounds timestamps to a 65.5 µs grid unless told not to; a 1024³ product is shorter than that.
{
  const i = toggles.findIndex((t) => t.startsWith('disable-dawn-features='));
  if (i < 0) toggles.push('disable-dawn-features=timestamp_quantization');
  else if (!toggles[i].includes('timestamp_quantization')) toggles[i] += ',timestamp_quantization';
}
const info = await sg.init({ backend: 'webgpu', dawnToggles: toggles });
const cpuAdapter = /llvmpipe|lavapipe|swiftshader|software/i.test(info.adapter ?? '');
const hasF16 = info.features.includes('shader-f16');
const probe = sg.zeros([1]);
const sync = async () => { sg.flush(); await probe.toArray(); };
const useTs = typeof sg.gpuTime === 'function' && info.features.includes('timestamp-query');
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];

/** 'N' or 'MxNxK' -> [M, N, K]. */
const dims = (s) => { const d = String(s).split('x').map(Number); return d.length === 3 ? d : [d[0], d[0], d[0]]; };
const label = (s) => { const [M, N, K] = dims(s); return M === N && N === K ? `${M}³` : `${M}x${N}x${K}`; };

/** { ms, gpuMs, err } for a (M, K) · b (K, N) (stored transposed for layout t), under the kernel env now set. */
async function measure(size, dtype, lay) {
  const [M, N, K] = dims(size);
  const as = sg.randn(lay[0] === 't' ? [K, M] : [M, K], { seed: 1, dtype });
  const bs = sg.randn(lay[1] === 't' ? [N, K] : [K, N], { seed: 2, dtype });
  const a = lay[0] === 't' ? as.T : as;
  const b = lay[1] === 't' ? bs.T : bs;
  try {
    for (let i = 0; i < 3; i++) { a.matmul(b).dispose(); await sync(); }
    let t0 = performance.now();
    a.matmul(b).dispose(); await sync();
    const reps = Math.max(1, Math.ceil(30 / (performance.now() - t0)));
    const ts = [];
    const gs = [];
    for (let s = 0; s < 7; s++) {
      t0 = performance.now();
      if (useTs) {
        const r = await sg.gpuTime(() => { for (let i = 0; i < reps; i++) a.matmul(b).dispose(); });
        if (r.source === 'timestamps') gs.push(r.ms / reps);
      } else {
        for (let i = 0; i < reps; i++) a.matmul(b).dispose();
      }
      await sync();
      ts.push((performance.now() - t0) / reps);
    }
    const y = await a.matmul(b).toArray();
    const A = await as.toArray();
    const B = await bs.toArray();
    let err = 0;
    for (let s = 0; s < 256; s++) {
      const i = (s * 7919) % M; const j = (s * 104729) % N;
      let acc = 0; let mag = 0;
      for (let k = 0; k < K; k++) {
        const av = lay[0] === 't' ? A[k * M + i] : A[i * K + k];
        const bv = lay[1] === 't' ? B[j * K + k] : B[k * N + j];
        acc += av * bv; mag += Math.abs(av * bv);
      }
      err = Math.max(err, Math.abs(y[i * N + j] - acc) / (mag + 1e-30));
    }
    return { ms: median(ts), gpuMs: gs.length ? median(gs) : null, err };
  } finally {
    [as, bs, a, b].forEach((t) => t.dispose());
  }
}

const fmt = (ms) => (ms == null ? '—' : ms < 1 ? ms.toFixed(3) : ms.toFixed(2));

if (args.includes('--child')) {
  // One row of a sweep: `--child N dtype layout`, the tile from the environment; prints JSON.
  const [n, dtype, lay] = args.filter((a) => a !== '--child');
  console.log(`@@${JSON.stringify(await measure(n, dtype, lay))}`);
} else if (args.includes('--sweep')) {
  const cases = (opt('--cases') ?? 'f32:1024,f32:4096,f16:1024').split(',').map((c) => {
    const [d, n] = c.split(':');
    return { dtype: d === 'f16' ? 'float16' : 'float32', n };
  });
  const tiles = (opt('--tiles') ?? ['auto', 'big', 'wide', 'tall', 'mid', 'small', ...(cpuAdapter ? ['reg'] : []), 'simple', 'sgmat'].join(',')).split(',');
  const layouts = (opt('--layouts') ?? 'nn').split(',');
  console.log(`matmul tile sweep — ${info.adapter} — features: ${info.features.filter((f) => /f16|subgroup|timestamp/.test(f)).join(' ')}`);
  console.log('');
  console.log(`| case | tile | ms (wall) | ms (gpu) | GFLOP/s | error / Σ|a·b| |`);
  console.log('|---|---|---:|---:|---:|---:|');
  for (const { dtype, n } of cases) {
    if (dtype === 'float16' && !hasF16) { console.log(`| f16 ${label(n)} | — | — | — | — | adapter lacks shader-f16 |`); continue; }
    for (const lay of layouts) {
      const rows = [];
      for (const t of tiles) {
        // sgmat applies to float16 only; elsewhere it is the automatic choice again.
        if (t === 'sgmat' && dtype !== 'float16') continue;
        const env = { ...process.env };
        if (t === 'auto') delete env.SCATTERGRAD_MATMUL_TILE;
        else env.SCATTERGRAD_MATMUL_TILE = t;
        try {
          const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(n), dtype, lay], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
          rows.push({ t, ...JSON.parse(out.split('@@')[1]) });
        } catch (e) {
          const msg = String(e.stderr || e.message || e).split('\n').find((l) => /^\w*Error: /.test(l)) ?? String(e.message ?? e);
          rows.push({ t, fail: msg.slice(0, 100) });
        }
      }
      const best = Math.min(...rows.filter((r) => !r.fail).map((r) => r.gpuMs ?? r.ms));
      for (const r of rows) {
        const name = `${dtype === 'float16' ? 'f16' : 'f32'} ${label(n)} ${lay}`;
        if (r.fail) { console.log(`| ${name} | ${r.t} | — | — | — | failed: ${r.fail} |`); continue; }
        const t = r.gpuMs ?? r.ms;
        console.log(`| ${name} | ${r.t}${t === best ? ' *' : ''} | ${fmt(r.ms)} | ${fmt(r.gpuMs)} | ${(2 * dims(n).reduce((x, y) => x * y) / t / 1e6).toFixed(0)} | ${r.err.toExponential(1)} |`);
      }
    }
  }
} else {
  const n = args[0] ?? '1024';
  const dtype = args[1] ?? 'float32';
  const lay = args[2] ?? 'nn';
  const { ms, gpuMs, err } = await measure(n, dtype, lay);
  const cfg = process.env.SCATTERGRAD_MATMUL_SIMPLE === '1' ? 'simple' : process.env.SCATTERGRAD_MATMUL_TILE ?? (process.env.SCATTERGRAD_NO_SUBGROUP_MATRIX === '1' ? 'default, no subgroup matrix' : 'default');
  const t = gpuMs ?? ms;
  console.log(`${label(n)} ${dtype} ${lay} [${cfg}]: ${fmt(ms)} ms${gpuMs != null ? ` (gpu ${fmt(gpuMs)} ms)` : ''}, ${(2 * dims(n).reduce((x, y) => x * y) / t / 1e9).toFixed(2)} TFLOP/s, worst error / Σ|a·b| ${err.toExponential(1)}`);
}
await sg.destroy();
process.exit(0);
