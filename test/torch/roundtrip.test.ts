// The PyTorch round trip of #25: the demo model's checkpoint, written here, loads into the
// plain-PyTorch copy (examples/torch/model.py) and gives the same logits on a fixed batch,
// on the CPU and on WebGPU; then PyTorch continues training (examples/torch/continue.py),
// writes safetensors, and scattergrad loads that and gives PyTorch's logits. Needs `python3`
// (from PATH) with torch; skipped without it unless SCATTERGRAD_REQUIRE_TORCH=1 (CI sets it).
import { suite } from 'uvu';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backends } from '../helpers.js';

const test = suite('torch: the demo checkpoint round-trips through PyTorch');
const root = fileURLToPath(new URL('../../../', import.meta.url));
const RTOL = 1e-4;
const ATOL = 1e-5;

function run(cmd: string, args: string[], input?: string): string {
  // No __pycache__ left in examples/torch by the imports; the python3 that has torch first on PATH.
  const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PATH: `${pythonDir}${process.env.PATH ?? ''}` };
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 180_000, env, input });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.error ?? ''}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// Debian's python3-torch lives in /usr/bin/python3, which a pyenv or venv python3 may shadow.
let pythonDir = '';

/** The first python3 (on PATH, then /usr/bin's) that imports torch, else null (or an error when torch is required). */
function findTorch(): string | null {
  let r: SpawnSyncReturns<string> | null = null;
  for (const py of ['python3', '/usr/bin/python3']) {
    r = spawnSync(py, ['-c', 'import sys, torch; print(torch.__version__, sys.executable)'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) continue;
    if (py.startsWith('/')) pythonDir = '/usr/bin:';
    return r.stdout.trim().split('\n').at(-1) ?? '';
  }
  const why = r?.error ? 'no python3 on PATH' : `python3 cannot import torch: ${r?.stderr.trim().split('\n').at(-1)}`;
  if (process.env.SCATTERGRAD_REQUIRE_TORCH === '1') throw new Error(`SCATTERGRAD_REQUIRE_TORCH=1 but ${why} (apt-get install python3-torch)`);
  console.log(`# skipping the PyTorch round trip: ${why} (set SCATTERGRAD_REQUIRE_TORCH=1 to make this an error)`);
  return null;
}

test('bench/torch-anchor.py times the demo model and the MoE MLP in PyTorch (CPU, --quick)', () => {
  const py = findTorch();
  if (py === null) return;
  const dir = mkdtempSync(join(tmpdir(), 'sg-anchor-'));
  try {
    run(process.execPath, ['bench/demo-init.mjs', join(dir, 'init.safetensors')]);
    const out = run('python3', ['bench/torch-anchor.py', '--out', dir, '--quick', '--init', join(dir, 'init.safetensors')]);
    const rows = readFileSync(join(dir, 'anchor.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const eager = rows.find((r) => r.peer === 'PyTorch eager' && r.workload === 'demo model training step (batch 8x32)');
    if (!eager || !((eager.wallMs as number) > 0)) throw new Error(`no eager demo row:\n${out}`);
    if (!rows.some((r) => r.peer === 'PyTorch loop' && String(r.workload).startsWith('MoE small f32 fwd+bwd'))) throw new Error(`no MoE loop row:\n${out}`);
    for (const r of rows) {
      for (const k of ['date', 'commit', 'device', 'driver', 'toggles', 'tool', 'workload', 'config', 'dtype', 'peer', 'ms', 'timing']) {
        if (!(k in r)) throw new Error(`row without ${k}: ${JSON.stringify(r)}`);
      }
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(String(r.date)) || !((r.ms as number) > 0)) throw new Error(`bad row ${JSON.stringify(r)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

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

/** Runs docs/pytorch.md's sh and python blocks, on `ckpt` instead of the demo's checkpoint. */
function docsBlocks(ckpt: string, out: string): void {
  const doc = readFileSync(join(root, 'docs', 'pytorch.md'), 'utf8');
  const blocks = [...doc.matchAll(/```(sh|python)\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]
    .replaceAll('out/demo/model-torch.safetensors', out).replaceAll('out/demo/model.safetensors', ckpt)]);
  if (blocks.length !== 3) throw new Error(`docs/pytorch.md: expected 3 sh/python blocks, found ${blocks.length}`);
  for (const [lang, code] of blocks) {
    const stdout = lang === 'sh' ? run('bash', ['-euc', code]) : run('python3', ['-'], code);
    if (code.includes('model.py') && !/\d+ parameters/.test(stdout)) throw new Error(`docs/pytorch.md: no parameter count from model.py:\n${stdout}`);
    if (lang === 'python' && !stdout.includes('torch.Size([1, 8, 11])')) throw new Error(`docs/pytorch.md: the python block printed\n${stdout}`);
    if (code.includes('continue.py') && !stdout.includes(`wrote ${out}`)) throw new Error(`docs/pytorch.md: continue.py printed\n${stdout}`);
  }
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
    docsBlocks(ours, join(dir, 'docs-torch.safetensors'));
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

// ScatterMoE's GLUMLP gates with the second half of the experts' output (h, gates =
// chunk(2); act(gates) * h); examples/torch's MoE does the same, so a checkpoint moves.
const GLU_PY = `
import json, sys, torch
sys.path.insert(0, "examples/torch")
from model import MoE, load_file
t = load_file(sys.argv[1] + "/glu.safetensors")
m = MoE(8, 6, 4, 2, glu=True, bias=True)
m.load_state_dict({k: v for k, v in t.items() if k != "x"})
with torch.no_grad():
    y = m(t["x"])[0]
json.dump({"shape": list(y.shape), "values": y.reshape(-1).tolist()}, open(sys.argv[1] + "/glu-torch.json", "w"))
`;

test('nn.MoE({ glu: true }) gives the output of the PyTorch copy of the layer (GLUMLP gating)', async () => {
  const torch = findTorch();
  if (torch === null) return;
  const dir = mkdtempSync(join(tmpdir(), 'sg-glu-'));
  try {
    const devs = await backends();
    for (const dev of ['cpu', ...devs.filter((d) => d !== 'cpu')]) run(process.execPath, ['test/torch/roundtrip.mjs', 'glu', dev, dir]);
    run('python3', ['-', dir], GLU_PY);
    const want = read(join(dir, 'glu-torch.json'));
    for (const dev of devs) close(read(join(dir, `glu-sg-${dev}.json`)), want, `MoE glu on ${dev} vs PyTorch`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
