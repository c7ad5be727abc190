// The MoE's memory-bound ops through the library (T=16384, k=8, d=1024; --small: T=256), in
// float32 and float16: the gates' combine and gradient bmms, a sum over k ((T, k, d).sum(1)),
// a column sum ((T, d).sum(0)), x.mul(2) and gelu over T·k·d elements. Each timed as
// sg.gpuTime of one call, of a batch of 20 (per call), of 10 calls whose outputs are kept, and
// wall time per call over 20. `LIB=path node bench/mem-ops.mjs` times another build.
const sg = await import(process.env.LIB ?? '../dist/node/index.js');
console.log(`# lib ${process.env.LIB ?? '../dist/node/index.js'}`);
const toggles = (process.env.SCATTERGRAD_DAWN_TOGGLES ?? process.env.GPU_DAWN_TOGGLES ?? '').split(' ').filter(Boolean);
if (!toggles.some((t) => t.startsWith('disable-dawn-features='))) toggles.push('disable-dawn-features=timestamp_quantization');
await sg.init({ backend: 'webgpu', dawnToggles: toggles });
const small = process.argv.includes('--small');
const T = small ? 256 : 16384, k = 8, d = 1024;
const probe = sg.zeros([1]);
const sync = async () => { sg.flush(); await probe.toArray(); };
for (const dtype of ['float32', 'float16']) {
const g = sg.rand([T, k], { seed: 4, dtype });
const yk = sg.randn([T, k, d], { seed: 10, dtype });
const dy = sg.randn([T, d], { seed: 6, dtype });
const big = sg.randn([T * k * d], { seed: 11, dtype });
const ops = {
  combine: () => sg.bmm(g.reshape([T, 1, k]), yk),
  dgates: () => sg.bmm(yk, dy.reshape([T, d, 1])),
  sumK: () => yk.sum(1),
  colsum: () => dy.sum(0),
  mul2: () => big.mul(2),
  gelu: () => big.gelu(),
};
for (const [name, fn] of Object.entries(ops)) {
  for (let i = 0; i < 3; i++) sg.tidy(() => { fn(); });
  await sync();
  const t0 = performance.now();
  while (performance.now() - t0 < 300) await sg.gpuTime(() => { for (let r = 0; r < 5; r++) sg.tidy(() => { fn(); }); });
  const one = []; const batch = []; const wall = [];
  for (let s = 0; s < 5; s++) one.push((await sg.gpuTime(() => sg.tidy(() => { fn(); }))).ms);
  for (let s = 0; s < 5; s++) batch.push((await sg.gpuTime(() => { for (let r = 0; r < 20; r++) sg.tidy(() => { fn(); }); })).ms / 20);
  // Results kept alive (no reuse of one output buffer) in a batch.
  const keep = [];
  const kept = (await sg.gpuTime(() => { for (let r = 0; r < 10; r++) keep.push(fn()); })).ms / 10;
  keep.forEach((t) => t.dispose());
  for (let s = 0; s < 5; s++) { await sync(); const w0 = performance.now(); for (let r = 0; r < 20; r++) sg.tidy(() => { fn(); }); await sync(); wall.push((performance.now() - w0) / 20); }
  const med = (a) => a.sort((x, y) => x - y)[2].toFixed(3);
  console.log(`${dtype} ${name.padEnd(8)} gpuTime one ${med(one)}  batch ${med(batch)}  kept ${kept.toFixed(3)}  wall ${med(wall)} ms`);
}
[g, yk, dy, big].forEach((t) => t.dispose());
}
await sg.destroy();
process.exit(0);
