// The demo's top-p sampler (examples/lm/model.mjs: sort, cumsum, maskedFill, multinomial)
// draws only from the nucleus, on every backend; it runs in its own process because the
// example imports the built package (test/train/top-p.mjs).
import { suite } from 'uvu';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backends } from '../helpers.js';

const test = suite('train: the demo model samples from the top-p nucleus');
const root = fileURLToPath(new URL('../../../', import.meta.url));

test('every sampled character lies in its nucleus; a tiny topP decodes greedily', async () => {
  for (const dev of await backends()) {
    const r = spawnSync(process.execPath, ['test/train/top-p.mjs', dev], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`top-p.mjs on ${dev} failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { backend: string; problems: string[] };
    if (out.backend !== dev) throw new Error(`ran on ${out.backend}, not ${dev}`);
    if (out.problems.length) throw new Error(`${dev}: ${out.problems.join('; ')}`);
  }
});

test.run();
