// Writes docs/tuning.md from the tuning table (src/backend/tuning.ts); --check only says
// whether the file is up to date (exit 1 if not). test/backend/tuning.test.ts checks it too.
//   node scripts/gen-tuning-doc.mjs [--check]
import { build } from 'esbuild';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const out = await build({ entryPoints: [`${root}src/backend/tuning-doc.ts`], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'warning' });
const { tuningDoc } = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
const doc = tuningDoc();
const file = `${root}docs/tuning.md`;
if (process.argv.includes('--check')) {
  const same = existsSync(file) && readFileSync(file, 'utf8') === doc;
  console.log(same ? 'docs/tuning.md is up to date' : 'docs/tuning.md differs from the tuning table: run node scripts/gen-tuning-doc.mjs');
  process.exit(same ? 0 : 1);
}
mkdirSync(`${root}docs`, { recursive: true });
writeFileSync(file, doc);
console.log('wrote docs/tuning.md');
