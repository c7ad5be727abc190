// The PyTorch round trip of #25: the demo model's checkpoint, written here, loads into the
// plain-PyTorch copy (examples/torch/model.py) and gives the same logits on a fixed batch,
// on the CPU and on WebGPU; then PyTorch continues training (examples/torch/continue.py),
// writes safetensors, and scattergrad loads that and gives PyTorch's logits. Needs `python3`
// (from PATH) with torch; skipped without it unless SCATTERGRAD_REQUIRE_TORCH=1 (CI sets it).
import { suite } from 'uvu';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backends } from '../helpers.js';

const test = suite('torch: the demo checkpoint round-trips through PyTorch');
const root = fileURLToPath(new URL('../../../', import.meta.url));
const RTOL = 1e-4;
const ATOL = 1e-5;

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 180_000 });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.error ?? ''}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The python3 on PATH when it imports torch, else null (or an error when torch is required). */
function findTorch(): string | null {
  const r = spawnSync('python3', ['-c', 'import sys, torch; print(torch.__version__, sys.executable)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status === 0) return r.stdout.trim().split('\n').at(-1) ?? '';
  const why = r.error ? 'no python3 on PATH' : `python3 cannot import torch: ${r.stderr.trim().split('\n').at(-1)}`;
  if (process.env.SCATTERGRAD_REQUIRE_TORCH === '1') throw new Error(`SCATTERGRAD_REQUIRE_TORCH=1 but ${why} (apt-get install python3-torch)`);
  console.log(`# skipping the PyTorch round trip: ${why} (set SCATTERGRAD_REQUIRE_TORCH=1 to make this an error)`);
  return null;
}

interface Logits { backend?: string; shape: number[]; values: number[] }
const read = (path: string): Logits => JSON.parse(readFileSync(path, 'utf8')) as Logits;

/** Throws naming the worst element unless |got − want| ≤ ATOL + RTOL·|want| everywhere. */
function close(got: Logits, want: Logits, what: string): void {
  if (got.shape.join() !== want.shape.join()) throw new Error(`${what}: shape ${got.shape} vs ${want.shape}`);
  let worst = -1;
  let excess = 0;
  got.values.forEach((g, i) => {
    const e = Math.abs(g - want.values[i]) - (ATOL + RTOL * Math.abs(want.values[i]));
    if (!(e <= excess)) { excess = e; worst = i; }
  });
  if (worst >= 0) throw new Error(`${what}: logits differ at ${worst}: ${got.values[worst]} vs ${want.values[worst]}`);
}

const maxDiff = (a: Logits, b: Logits): number => Math.max(...a.values.map((v, i) => Math.abs(v - b.values[i])));

test('scattergrad -> PyTorch -> scattergrad: the same logits both ways', async () => {
  const torch = findTorch();
  if (torch === null) return;
  console.log(`# PyTorch ${torch}`);
  const devs = await backends();
  const dir = mkdtempSync(join(tmpdir(), 'sg-torch-'));
  try {
    run(process.execPath, ['test/torch/roundtrip.mjs', 'save', dir]);
    const theirs = join(dir, 'torch.safetensors');
    const ours = join(dir, 'sg.safetensors');
    for (const dev of devs) run(process.execPath, ['test/torch/roundtrip.mjs', 'logits', dev, ours, join(dir, `sg-${dev}.json`)]);
    run('python3', ['test/torch/torch_side.py', dir]);
    for (const dev of devs) run(process.execPath, ['test/torch/roundtrip.mjs', 'logits', dev, theirs, join(dir, `back-${dev}.json`)]);

    const torchBefore = read(join(dir, 'torch-logits.json'));
    const torchAfter = read(join(dir, 'torch-logits2.json'));
    // Training in PyTorch must have moved the logits, or the way back would prove nothing.
    if (!(maxDiff(torchBefore, torchAfter) > 1e-2)) throw new Error(`PyTorch's training changed the logits by only ${maxDiff(torchBefore, torchAfter)}`);
    for (const dev of devs) {
      const sgBefore = read(join(dir, `sg-${dev}.json`));
      const sgAfter = read(join(dir, `back-${dev}.json`));
      if (sgBefore.backend !== dev || sgAfter.backend !== dev) throw new Error(`ran on ${sgBefore.backend}/${sgAfter.backend}, not ${dev}`);
      close(torchBefore, sgBefore, `PyTorch on scattergrad's checkpoint vs scattergrad on ${dev}`);
      close(sgAfter, torchAfter, `scattergrad on ${dev} on PyTorch's checkpoint vs PyTorch`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
