// The first minute with the examples: every example takes --backend and honours
// SCATTERGRAD_BACKEND; a bad value is one clear error; a machine with no Vulkan driver gets
// scattergrad's one line only; progress says the first step compiles kernels and estimates
// the time left from the later steps. The examples run as a user runs them (node
// examples/x.mjs, importing the built package), on the CPU backend to keep this short.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository: the nearest folder up from this (built) file with scattergrad's package.json. */
function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'scattergrad') return dir;
    if (dirname(dir) === dir) throw new Error('examples test: cannot find the repository root');
  }
}
const root = repoRoot();
const test = suite('examples: the first minute');

function run(args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, args, {
    cwd: root, encoding: 'utf8', timeout: 180_000, input,
    env: { ...process.env, SCATTERGRAD_BACKEND: '', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Prints the backend init() picks with no options, from a script importing the package by name. */
const probe = ['--input-type=module', '-e', "import * as sg from 'scattergrad'; const i = await sg.init({ quiet: true }); console.log(i.backend); await sg.destroy();"];

test('init() with no backend takes SCATTERGRAD_BACKEND; a bad value names the variable', () => {
  const cpu = run(probe, { SCATTERGRAD_BACKEND: 'cpu' });
  assert.is(cpu.code, 0, cpu.err);
  assert.is(cpu.out.trim(), 'cpu');
  const bad = run(probe, { SCATTERGRAD_BACKEND: 'gpu' });
  assert.is.not(bad.code, 0);
  assert.match(bad.err, /init: SCATTERGRAD_BACKEND must be auto, webgpu or cpu, got "?gpu"?/);
});

test('quickstart and moe-op honour SCATTERGRAD_BACKEND', () => {
  for (const ex of ['quickstart', 'moe-op']) {
    // With the variable at cpu, no WebGPU adapter is created: Dawn's warnings never appear.
    const r = run([`examples/${ex}.mjs`], { SCATTERGRAD_BACKEND: 'cpu' });
    assert.is(r.code, 0, `${ex}: ${r.err}`);
    assert.is(r.err, '', `${ex} printed to stderr on the CPU backend: ${r.err}`);
  }
});

test('with no Vulkan driver, quickstart prints scattergrad\'s one line and runs on the CPU', () => {
  if (process.platform !== 'linux') return;
  const r = run(['examples/quickstart.mjs'], { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '' });
  assert.is(r.code, 0, r.err);
  const lines = r.err.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.err}`);
  assert.match(lines[0], /^scattergrad: no Vulkan driver is installed/);
  assert.match(r.out, /step 100: loss/);
  // A second init() (a notebook re-running its first cell) does not repeat it.
  const twice = run(['--input-type=module', '-e', "import * as sg from 'scattergrad'; await sg.init(); await sg.init(); console.log((await sg.init()).backend);"],
    { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '' });
  assert.is(twice.out.trim(), 'cpu');
  assert.is(twice.err.split('\n').filter(Boolean).length, 1, `the notice repeated:\n${twice.err}`);
});

test('demo, moe-classifier and cnn-digits take --backend, which wins over the variable', () => {
  const out = mkdtempSync(join(tmpdir(), 'sg-examples-'));
  try {
    const demo = run(['examples/demo.mjs', '--backend', 'cpu', '--steps', '3', '--batch', '1', '--sample', '8', '--out', out], { SCATTERGRAD_BACKEND: 'webgpu' });
    assert.is(demo.code, 0, demo.err);
    assert.match(demo.out, /MoE language model on cpu/);
    // The first progress line has no ETA (step 1 includes the start-up); the later ones do.
    const progress = demo.out.split('\n').filter((l) => /step +\d+\/3/.test(l));
    assert.match(progress[0], /step 1\/3 .*estimating speed…/);
    assert.match(progress.at(-1)!, /step 3\/3 .*tok\/s {2}ETA 0s/);
    assert.match(readFileSync(join(out, 'loss.svg'), 'utf8'), /^<svg[^]*uniform guess: ln \d+ = \d\.\d\d[^]*<\/svg>\s*$/);
    assert.match(readFileSync(join(out, 'experts.svg'), 'utf8'), /^<svg[^]*layer 1[^]*<\/svg>\s*$/);

    const cls = run(['examples/moe-classifier.mjs', '--backend', 'cpu', '--steps', '3', '--out', out]);
    assert.is(cls.code, 0, cls.err);
    assert.match(cls.out, /MoE classifier on cpu/);
    assert.match(readFileSync(join(out, 'loss.svg'), 'utf8'), /uniform guess: ln 3 = 1\.10/);

    for (const [ex, extra] of [['demo', []], ['moe-classifier', []], ['cnn-digits', ['--epochs', '1']]] as const) {
      const bad = run([`examples/${ex}.mjs`, '--backend', 'gpu', ...extra]);
      assert.is.not(bad.code, 0, `${ex} accepted --backend gpu`);
      assert.match(bad.err, new RegExp(`${ex}: --backend must be auto, webgpu or cpu, got gpu`));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
