// Differential fuzzing in CI: random op chains on WebGPU vs the CPU backend (test/fuzz/gen.ts).
// SCATTERGRAD_FUZZ_CASES / SCATTERGRAD_FUZZ_SEED change the run; `npm run fuzz` does long ones.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import { backends } from '../helpers.js';
import { checkCase, drawCase, fuzz, describe, type FuzzCase } from './gen.js';
import { REGRESSIONS } from './regressions.js';

const test = suite('fuzz');
const CASES = Number(process.env.SCATTERGRAD_FUZZ_CASES ?? 1000);
const SEED = Number(process.env.SCATTERGRAD_FUZZ_SEED ?? 1);

test('the generator is deterministic and draws valid chains', async () => {
  await backends();
  const a = drawCase(42, { f16: true });
  const b = drawCase(42, { f16: true });
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`drawCase(42) differs between calls:\n${describe(a)}\n${describe(b)}`);
  if (a.ops.length === 0) throw new Error('drew no ops');
});

test('cases found by earlier fuzz runs stay fixed', async () => {
  if (!(await backends()).includes('webgpu')) return;
  for (const [name, c] of Object.entries(REGRESSIONS) as Array<[string, FuzzCase]>) {
    const v = await checkCase(c);
    if (!v.ok) throw new Error(`regression ${name}: ${v.failure.message}\n  ${describe(c)}`);
    if (v.rejected) throw new Error(`regression ${name} was rejected: ${v.rejected}`);
  }
});

test(`${CASES} random op chains agree on WebGPU and the CPU (seed ${SEED})`, async () => {
  if (!(await backends()).includes('webgpu')) return;
  const t0 = Date.now();
  const r = await fuzz({ cases: CASES, seed: SEED, maxFailures: 3 });
  const rejected = [...r.rejected.values()].reduce((a, b) => a + b, 0);
  console.log(`# fuzz: ${r.ran} cases in ${((Date.now() - t0) / 1000).toFixed(1)}s, ${rejected} rejected by both backends, live tensors ${sg.memory().liveTensors}`);
  if (r.reports.length) throw new Error(`${r.reports.length} fuzz failures:\n\n${r.reports.join('\n\n')}`);
  // A generator that mostly draws invalid chains would test nothing.
  if (rejected > r.ran * 0.1) throw new Error(`${rejected}/${r.ran} cases were rejected by both backends: ${[...r.rejected.keys()].slice(0, 5).join('; ')}`);
});

test.run();
