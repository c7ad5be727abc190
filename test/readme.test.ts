// The README's quick start is examples/quickstart.mjs, word for word, and it runs: a new
// user who pastes it gets a falling loss, the output the README shows, and a process that exits.
import { suite } from 'uvu';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const test = suite('readme');
const root = fileURLToPath(new URL('../../', import.meta.url));

test('the quick start in the README is examples/quickstart.mjs', () => {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const section = readme.split('## Quick start')[1] ?? '';
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README has no ```ts block under "## Quick start"');
  const file = readFileSync(`${root}examples/quickstart.mjs`, 'utf8');
  if (block.trim() !== file.trim()) throw new Error('README quick start and examples/quickstart.mjs differ; keep them identical');
  if (block.trim().split('\n').length > 18) throw new Error('the quick start should stay short');
});

test('the quick start runs, its loss falls, and the process exits by itself', () => {
  // The timeout only catches a hang (Dawn keeping Node alive); it is not a speed check.
  const r = spawnSync(process.execPath, [`${root}examples/quickstart.mjs`], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  if (r.error || r.status !== 0) throw new Error(`quickstart failed: status ${r.status} ${r.error ?? ''}\n${r.stderr}`);
  const losses = [...r.stdout.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
  if (losses.length !== 5) throw new Error(`expected 5 loss lines, got:\n${r.stdout}`);
  if (!(losses[4] < losses[0] / 3)) throw new Error(`loss did not fall: ${losses.join(' -> ')}`);
  // The expected output the README shows: the same steps, losses within float32 noise of the
  // backend (the README's figures are from WebGPU; the CPU may differ in the last digit).
  const section = readFileSync(`${root}README.md`, 'utf8').split('## Quick start')[1] ?? '';
  const shown = /```text\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const lines = (s: string): Array<[number, number]> => [...s.matchAll(/step (\d+): loss (\d+\.\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  const want = lines(shown);
  const got = lines(r.stdout);
  if (want.length !== got.length || want.some(([s, l], i) => got[i][0] !== s || Math.abs(got[i][1] - l) > 0.002)) {
    throw new Error(`the README's quick start output differs from the run:\nREADME:\n${shown}\nrun:\n${r.stdout}`);
  }
});

test('the README mixture-of-experts example is examples/moe-op.mjs, and it routes as docs/design.md says', () => {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const section = readme.split('## Mixture of experts')[1] ?? '';
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  const file = readFileSync(`${root}examples/moe-op.mjs`, 'utf8');
  if (!block || block.trim() !== file.trim()) throw new Error('README MoE example and examples/moe-op.mjs differ');
  const r = spawnSync(process.execPath, [`${root}examples/moe-op.mjs`], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  if (r.error || r.status !== 0) throw new Error(`moe-op failed: ${r.status} ${r.stderr}`);
  const line = (name: string): string => (r.stdout.split('\n').find((l) => l.startsWith(name)) ?? '').replace(/\s+/g, '');
  if (!line('sortedExpertIdxs').endsWith('[0,0,1,2,2,2]')) throw new Error(r.stdout);
  if (!line('sortedScatteredIdxs').endsWith('[1,4,3,0,2,5]')) throw new Error(r.stdout);
  if (!line('expertOffsets').endsWith('[2,3,6]')) throw new Error(r.stdout);
  // The routing lines the README shows under the example are the ones it prints.
  const shown = /```text\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  for (const l of shown.trim().split('\n')) {
    const name = l.split(/\s/)[0];
    if (line(name) !== l.replace(/\s+/g, '')) throw new Error(`README shows "${l}" but the example prints "${line(name)}"`);
  }
});

test.run();
