// Builds dist/: the Node entry, the browser entry (no Node imports; `webgpu` stays an
// external that only the Node path ever imports), and with --tests the test suite, whose
// files share one copy of the library through code splitting.
import { build } from 'esbuild';
import { readdirSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const tests = process.argv.includes('--tests');
const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning' };

await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/node/index.js', platform: 'node', external: ['webgpu'] });
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/browser/index.js', platform: 'browser', external: ['webgpu'] });

if (tests) {
  const files = [];
  const walk = (dir) => {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.test.ts')) files.push(p);
    }
  };
  walk('test');
  await build({
    ...common, entryPoints: ['test/run.ts', ...files], outdir: 'dist/test', outbase: 'test', splitting: true,
    platform: 'node', external: ['webgpu', 'uvu', 'uvu/*'],
  });
  mkdirSync('dist/test', { recursive: true });
  writeFileSync('dist/test/files.json', JSON.stringify(files.map((f) => f.replace(/^test\//, '').replace(/\.ts$/, '.js'))));
}
