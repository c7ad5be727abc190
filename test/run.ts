// Runs every test file with uvu in one process (so they share one WebGPU device), then
// prints the closing line CI reads: "N passed, N failed".
//   node dist/test/run.js [substring...]   runs only files whose path contains a substring
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

declare global {
  // eslint-disable-next-line no-var
  var UVU_DEFER: number, UVU_QUEUE: unknown[][], UVU_INDEX: number;
}

// SCATTERGRAD_WGSL_SNAPSHOT=FILE writes every dispatched kernel's key and WGSL to FILE
// (scripts/wgsl-snapshot.mjs compares two such files).
if (process.env.SCATTERGRAD_WGSL_SNAPSHOT) (await import('./wgsl-snapshot.js')).recordWgsl(process.env.SCATTERGRAD_WGSL_SNAPSHOT);

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files: string[] = JSON.parse(readFileSync(join(here, 'files.json'), 'utf8'))
  .filter((f: string) => filters.length === 0 || filters.some((s) => f.includes(s)));

globalThis.UVU_DEFER = 1;
globalThis.UVU_QUEUE = [];
for (const [i, f] of files.entries()) {
  globalThis.UVU_QUEUE.push([f]);
  globalThis.UVU_INDEX = i;
  await import(join(here, f));
}

// uvu prints "Total: N" and "Passed: N"; keep them to print the closing line.
let total = 0;
let passed = 0;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  const s = typeof chunk === 'string' ? chunk.replace(/\x1b\[[0-9;]*m/g, '') : '';
  const t = /Total:\s+(\d+)/.exec(s);
  const p = /Passed:\s+(\d+)/.exec(s);
  if (t) total = Number(t[1]);
  if (p) passed = Number(p[1]);
  return write(chunk, ...(rest as []));
}) as typeof process.stdout.write;

const { exec } = await import('uvu');
await exec();
process.stdout.write = write;
const sg = await import('../src/index.js');
await sg.destroy();
console.log(`${passed} passed, ${total - passed} failed`);
process.exitCode = total > 0 && passed === total ? 0 : 1;
