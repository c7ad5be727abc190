// One dense matmul timed and spot-checked, for tuning runs:
//   node bench/tune.mjs N [float32|float16] [nn|tn|nt]
// with SCATTERGRAD_MATMUL_TILE=TMxTNxBK:RMxRN, SCATTERGRAD_MATMUL_SIMPLE=1 or
// SCATTERGRAD_NO_SUBGROUP_MATRIX=1 picking the kernel. Prints ms, TFLOP/s and the worst
// relative error of 256 sampled outputs against a float64 product of the same inputs.
import * as sg from '../dist/node/index.js';

const toggles = (process.env.GPU_DAWN_TOGGLES ?? '').split(' ').filter(Boolean);
await sg.init({ backend: 'webgpu', dawnToggles: toggles });
const n = +(process.argv[2] ?? 1024);
const dtype = process.argv[3] ?? 'float32';
const lay = process.argv[4] ?? 'nn';
const as = sg.randn([n, n], { seed: 1, dtype });
const bs = sg.randn([n, n], { seed: 2, dtype });
const a = lay[0] === 't' ? as.T : as;
const b = lay[1] === 't' ? bs.T : bs;
const probe = sg.zeros([1]);
const sync = async () => { sg.flush(); await probe.toArray(); };
for (let i = 0; i < 3; i++) { a.matmul(b).dispose(); await sync(); }
let t0 = performance.now();
a.matmul(b).dispose(); await sync();
const reps = Math.max(1, Math.ceil(30 / (performance.now() - t0)));
const ts = [];
for (let s = 0; s < 7; s++) {
  t0 = performance.now();
  for (let r = 0; r < reps; r++) a.matmul(b).dispose();
  await sync();
  ts.push((performance.now() - t0) / reps);
}
ts.sort((x, y) => x - y);
const ms = ts[3];
const y = await a.matmul(b).toArray();
const A = await as.toArray();
const B = await bs.toArray();
let worst = 0;
for (let s = 0; s < 256; s++) {
  const i = (s * 7919) % n; const j = (s * 104729) % n;
  let acc = 0; let mag = 0;
  for (let k = 0; k < n; k++) {
    const av = lay[0] === 't' ? A[k * n + i] : A[i * n + k];
    const bv = lay[1] === 't' ? B[j * n + k] : B[k * n + j];
    acc += av * bv; mag += Math.abs(av * bv);
  }
  worst = Math.max(worst, Math.abs(y[i * n + j] - acc) / (mag + 1e-30));
}
const cfg = process.env.SCATTERGRAD_MATMUL_SIMPLE === '1' ? 'simple' : process.env.SCATTERGRAD_MATMUL_TILE ?? (process.env.SCATTERGRAD_NO_SUBGROUP_MATRIX === '1' ? 'default, no subgroup matrix' : 'default');
console.log(`${n}³ ${dtype} ${lay} [${cfg}]: ${ms.toFixed(3)} ms, ${(2 * n ** 3 / ms / 1e9).toFixed(2)} TFLOP/s, worst error / Σ|a·b| ${worst.toExponential(1)}`);
await sg.destroy();
process.exit(0);
