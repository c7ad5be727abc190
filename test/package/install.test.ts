// The package as a user gets it: `npm pack` (which runs `prepare`, the build), installed from
// the tarball into a fresh project outside the repository, then a strict TypeScript consumer
// is type-checked against the shipped types and run in Node (without and with the optional
// `webgpu` package) and in Deno, and bundled for the browser with no Node built-in left in;
// and installed from git, as `npm install git+https://...` does.
import { suite } from 'uvu';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, symlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const test = suite('package: pack, install, type-check, run in Node and Deno, bundle');
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
const requireGpu = process.env.SCATTERGRAD_REQUIRE_WEBGPU === '1';

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 180_000, env: { ...process.env, ...env } });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.error ?? ''}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const CONSUMER = `import * as sg from 'scattergrad';

// One small forward and backward, on the CPU and on the default backend.
async function run(backend: 'cpu' | 'auto'): Promise<{ backend: string; y: number; grad: number[] }> {
  const info: sg.DeviceInfo = await sg.init({ backend, quiet: true });
  const x: sg.Tensor = sg.tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const y = x.matmul(x).sum();
  y.backward();
  const grad = x.grad;
  if (!grad) throw new Error('no gradient');
  return { backend: info.backend, y: await y.item(), grad: Array.from(await grad.toArray()) };
}

const results = [await run('cpu'), await run('auto')];
console.log(JSON.stringify(results));
await sg.destroy();
`;

// y = sum(X X) and dy/dX = 1 Xᵀ + Xᵀ 1, computed here by hand for X = [[1, 2], [3, 4]].
const X = [[1, 2], [3, 4]];
const expectY = [0, 1].flatMap((i) => [0, 1].map((j) => X[i][0] * X[0][j] + X[i][1] * X[1][j])).reduce((a, b) => a + b);
const expectGrad = [0, 1].flatMap((i) => [0, 1].map((j) => X[j][0] + X[j][1] + X[0][i] + X[1][i]));

function check(stdout: string, where: string, gpuBackend: string | null): void {
  const line = stdout.trim().split('\n').find((l) => l.startsWith('['));
  if (!line) throw new Error(`${where}: no result line in\n${stdout}`);
  const res = JSON.parse(line) as Array<{ backend: string; y: number; grad: number[] }>;
  if (res[0].backend !== 'cpu') throw new Error(`${where}: first run was not on the CPU: ${line}`);
  if (gpuBackend && res[1].backend !== gpuBackend) throw new Error(`${where}: expected the default backend ${gpuBackend}: ${line}`);
  for (const r of res) {
    if (r.y !== expectY || r.grad.join() !== expectGrad.join()) throw new Error(`${where}: expected y ${expectY} and grad ${expectGrad}, got ${line}`);
  }
}

let dir = '';
let tarball = '';

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scattergrad-consumer-'));
  sh('npm', ['pack', '--pack-destination', dir, '--silent'], root);
  tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')) ?? 'missing.tgz');
});
test.after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

test('the tarball holds the built library, its types and the license, and no tests or sources', () => {
  const files = sh('tar', ['-tzf', tarball], dir).stdout.split('\n').filter(Boolean);
  for (const want of ['package/LICENSE', 'package/README.md', 'package/dist/node/index.js', 'package/dist/browser/index.js', 'package/dist/types/index.d.ts']) {
    if (!files.includes(want)) throw new Error(`tarball lacks ${want}`);
  }
  const extra = files.filter((f) => /^package\/(dist\/(test|fuzz)|src|test|bench)\//.test(f));
  if (extra.length) throw new Error(`tarball ships ${extra.length} files it should not, e.g. ${extra.slice(0, 3).join(', ')}`);
});

test('installed into a fresh project: strict type-check, Node without and with webgpu, Deno, a browser bundle', async () => {
  const app = join(dir, 'app');
  sh('mkdir', ['-p', app], dir);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(join(app, 'consumer.ts'), CONSUMER);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, outDir: 'out', types: [] },
    files: ['consumer.ts'],
  }));
  // The package has no dependencies, so the install needs no network.
  sh('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], app);
  sh(bin('tsc'), ['-p', '.'], app);

  // Without the optional peer dependency Node runs on the CPU, and init() says how to get it.
  check(sh(process.execPath, ['out/consumer.js'], app).stdout, 'node without webgpu', 'cpu');
  const hint = sh(process.execPath, ['-e', "const sg = await import('scattergrad'); await sg.init(); await sg.destroy();", '--input-type=module'], app);
  if (!/npm install webgpu/.test(hint.stderr)) throw new Error(`init() did not say how to get webgpu: ${hint.stderr}`);

  // The repository's copy stands in for `npm install webgpu` (Dawn is 130 MB).
  symlinkSync(join(root, 'node_modules', 'webgpu'), join(app, 'node_modules', 'webgpu'), 'dir');
  check(sh(process.execPath, ['out/consumer.js'], app).stdout, 'node with webgpu', requireGpu ? 'webgpu' : null);

  // Deno runs the TypeScript as is, on its own WebGPU.
  check(sh(bin('deno'), ['run', '-A', 'consumer.ts'], app).stdout, 'deno', requireGpu ? 'webgpu' : null);

  // A browser bundle resolves the browser build and keeps no import of Node or of webgpu.
  const out = await build({ entryPoints: [join(app, 'consumer.ts')], bundle: true, platform: 'browser', format: 'esm', target: 'es2022', write: false, metafile: true, logLevel: 'silent' });
  const inputs = Object.keys(out.metafile.inputs);
  if (!inputs.some((p) => p.includes('scattergrad/dist/browser/'))) throw new Error(`the bundle did not use the browser build: ${inputs.join(', ')}`);
  const imports = Object.values(out.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
  if (imports.length) throw new Error(`the browser bundle still imports ${imports.join(', ')}`);
});

test('installed from git: npm clones the repository and its prepare script builds dist/', () => {
  const app = join(dir, 'from-git');
  sh('mkdir', ['-p', app], dir);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer-git', private: true, type: 'module' }));
  // The committed tree, as `npm install git+https://...` would fetch it; the build tools come
  // from npm's cache where `npm ci` left them.
  sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `git+file://${root}`], app);
  const r = sh(process.execPath, ['--input-type=module', '-e',
    "const sg = await import('scattergrad'); await sg.init({ backend: 'cpu' }); console.log(await sg.tensor([1, 2, 3]).sum().item()); await sg.destroy();"], app);
  if (r.stdout.trim() !== '6') throw new Error(`the git install printed ${r.stdout}`);
});

test.run();
