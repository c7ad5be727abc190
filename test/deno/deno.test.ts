// Deno as a supported runtime: test/deno/check.mjs runs a representative subset of the
// library under Deno (the npm `deno` package's binary) on the CPU and on Deno's built-in
// WebGPU, checking each result against references it computes itself; then the same small
// training run (test/deno/train.mjs) must give the same losses under Node and Deno.
import { suite } from 'uvu';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as sg from '../../src/index.js';
import { backends, allclose } from '../helpers.js';

const test = suite('deno: the library under Deno, CPU and WebGPU; same losses as Node');
const root = fileURLToPath(new URL('../../../', import.meta.url));
const deno = join(root, 'node_modules', '.bin', 'deno');
const requireGpu = process.env.SCATTERGRAD_REQUIRE_WEBGPU === '1';

interface Report { backend: string; passed: number; failed: number; errors: string[]; losses: number[] }
const reports = new Map<string, Report>();

function runDeno(backend: 'cpu' | 'webgpu'): Report | null {
  const r = spawnSync(deno, ['run', '-A', 'test/deno/check.mjs', backend], { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw new Error(`deno: could not run ${deno}: ${r.error}`);
  const line = r.stdout.trim().split('\n').find((l) => l.startsWith('{"backend"'));
  if (!line) throw new Error(`deno (${backend}): no report line (exit ${r.status})\n${r.stdout}\n${r.stderr}`);
  const rep = JSON.parse(line) as Report;
  if (backend === 'webgpu' && rep.backend !== 'webgpu' && !requireGpu) {
    console.log('# Deno found no WebGPU adapter: its WebGPU half is skipped');
    return null;
  }
  if (rep.failed || r.status !== 0) throw new Error(`deno (${backend}): ${rep.failed} checks failed (exit ${r.status}):\n${rep.errors.join('\n')}\n${r.stderr}`);
  if (rep.passed < 27) throw new Error(`deno (${backend}): only ${rep.passed} checks ran`);
  return rep;
}

test('under Deno on the CPU: creation, elementwise, reductions, matmul, softmax, #24 ops, autograd, nn, safetensors, scatteredExperts', () => {
  const rep = runDeno('cpu')!;
  reports.set('cpu', rep);
});

test('under Deno on its WebGPU: the same checks', () => {
  const rep = runDeno('webgpu');
  if (rep) reports.set('webgpu', rep);
});

test('the same training run gives the same losses under Node and Deno', async () => {
  const { train } = await import(pathToFileURL(join(root, 'test/deno/train.mjs')).href) as { train: (s: typeof sg, d: string) => Promise<number[]> };
  for (const dev of await backends()) {
    const rep = reports.get(dev);
    if (!rep) continue;
    const node = await train(sg, dev);
    if (node.length !== 4 || !(node[3] < node[0])) throw new Error(`Node ${dev}: the loss did not fall: ${node}`);
    // The CPU backend is the same JavaScript in both runtimes; on WebGPU, Node runs Dawn and
    // Deno runs wgpu, whose shader compilers may round differently.
    allclose(rep.losses, node, dev === 'cpu' ? { rtol: 1e-7, atol: 0 } : { rtol: 2e-5, atol: 0 }, `Deno vs Node losses on ${dev}`);
  }
});

test.run();
