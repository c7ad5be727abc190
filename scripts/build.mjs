// Builds dist/: the Node entry, the browser entry (no Node imports; `webgpu` stays an
// external that only the Node path ever imports), and with --tests the test suite, whose
// files share one copy of the library through code splitting.
import { build } from 'esbuild';
import { readdirSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// --tests [--out DIR] [--only SUBSTR[|SUBSTR...]]: DIR defaults to dist/test; SUBSTR limits which test
// files are bundled (lets several people build and run parts of the suite side by side).
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const tests = args.includes('--tests');
const outdir = opt('--out') ?? 'dist/test';
const only = opt('--only');
const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning' };

await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/node/index.js', platform: 'node', external: ['webgpu'], define: { __SCATTERGRAD_NODE__: 'true' } });
const browser = await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/browser/index.js', platform: 'browser', external: ['webgpu'], define: { __SCATTERGRAD_NODE__: 'false' }, metafile: true });
// The browser bundle must import nothing: a Node built-in or the `webgpu` package left in it
// would break every page and bundler that loads it.
const leftover = browser.metafile.outputs['dist/browser/index.js'].imports.map((i) => i.path);
if (leftover.length) throw new Error(`build: dist/browser/index.js still imports ${leftover.join(', ')}`);

if (tests) {
  const files = [];
  const walk = (dir) => {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.test.ts') && (!only || only.split('|').some((o) => p.includes(o)))) files.push(p);
    }
  };
  walk('test');
  await build({
    ...common, entryPoints: ['test/run.ts', ...files], outdir, outbase: 'test', splitting: true,
    // playwright-core (the browser test's driver) and esbuild (the package test bundles with
    // it) stay package imports, not bundled.
    platform: 'node', external: ['webgpu', 'playwright-core', 'esbuild'], define: { __SCATTERGRAD_NODE__: 'true' },
  });
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, 'files.json'), JSON.stringify(files.map((f) => f.replace(/^test\//, '').replace(/\.ts$/, '.js'))));
}
