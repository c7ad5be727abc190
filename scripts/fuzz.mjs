// Long differential fuzz runs outside the test runner:
//   npm run fuzz -- --cases 10000 --seed 1
// Builds test/fuzz/gen.ts (the generator CI's fuzz test uses), runs the cases on WebGPU and
// the CPU backend, prints a progress line, then every failure with its shrunk reproduction.
// Exit status 1 when anything failed.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : dflt; };
const cases = opt('--cases', 1000);
const seed = opt('--seed', 1);
const maxFailures = opt('--max-failures', 20);
if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- [--cases N] [--seed S] [--max-failures F]');
  process.exit(2);
}

const outfile = resolve('dist/fuzz/gen.js');
mkdirSync('dist/fuzz', { recursive: true });
await build({
  entryPoints: ['test/fuzz/gen.ts'], outfile, bundle: true, format: 'esm', platform: 'node', target: 'es2022',
  external: ['webgpu'], define: { __SCATTERGRAD_NODE__: 'true' }, logLevel: 'warning', sourcemap: true,
});
const gen = await import(pathToFileURL(outfile).href);
const info = await gen.initBackends();
console.log(`fuzz: ${cases} cases from seed ${seed} on ${info.adapter}${info.f16 ? ' (float16 on)' : ''}`);

const t0 = Date.now();
const tty = process.stderr.isTTY;
let lastPrint = 0;
const res = await gen.fuzz({
  cases, seed, maxFailures,
  onCase(i, failures, rejected) {
    const now = Date.now();
    if (now - lastPrint < (tty ? 200 : 10_000) && i !== cases) return;
    lastPrint = now;
    const rate = i / ((now - t0) / 1000);
    const eta = Math.round((cases - i) / Math.max(rate, 1e-9));
    const line = `fuzz: ${i}/${cases} cases, ${failures} failed, ${rejected} rejected by both, ${rate.toFixed(1)}/s, ETA ${eta}s`;
    if (tty) process.stderr.write(`\r${line}   `); else console.error(line);
  },
});
if (tty) process.stderr.write('\n');
for (const r of res.reports) console.log(`\n${r}`);
const rej = [...res.rejected.entries()].sort((a, b) => b[1] - a[1]);
if (rej.length) {
  console.log('\nrejected by both backends (same error), by message:');
  for (const [m, n] of rej.slice(0, 15)) console.log(`  ${String(n).padStart(5)}  ${m}`);
}
console.log(`\nfuzz: ${res.ran} cases in ${((Date.now() - t0) / 1000).toFixed(1)}s, ${res.reports.length} failed`);
await gen.done();
process.exitCode = res.reports.length ? 1 : 0;
