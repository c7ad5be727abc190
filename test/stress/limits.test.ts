// Limits and lifecycle: tensors past maxStorageBufferBindingSize are refused before any GPU
// work with an error naming the limit; grids past 65535 workgroups per dimension are split;
// destroy() in the middle of work gives clear errors and init() gives a working device; a
// Node process that used WebGPU exits right after destroy() without a busy core.
import { suite } from 'uvu';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as sg from '../../src/index.js';
import { allclose, backends, rejectsWith, settleGC, throwsWith } from '../helpers.js';

const test = suite('stress: limits');

const ok = async (): Promise<void> => {
  const y = sg.tidy(() => sg.tensor([1, 2, 3], { device: 'webgpu' }).mul(2));
  allclose(await y.toArray(), [2, 4, 6], {}, 'the next op');
  y.dispose();
};

test('tensors past maxStorageBufferBindingSize are refused before GPU work, naming the limit', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const limit = sg.deviceInfo().limits.maxStorageBufferBindingSize;
  const n = Math.floor(limit / 4) + 1024; // just past the limit in float32 (160 MB on lavapipe: 40M elements)
  await settleGC(); // forgotten tensors of other tests must not be counted out mid-test
  const before = sg.memory();
  throwsWith(() => sg.zeros([n]), /^zeros:/, /maxStorageBufferBindingSize/, new RegExp(`\\(${limit} bytes\\)`), new RegExp(`\\[${n}\\]`));
  throwsWith(() => sg.tensor(new Float32Array(n)), /^tensor:/, /maxStorageBufferBindingSize/);
  const side = Math.ceil(Math.sqrt(n));
  throwsWith(() => sg.tidy(() => sg.ones([side, 1]).matmul(sg.ones([1, side]))), /^matmul:/, /maxStorageBufferBindingSize/);
  throwsWith(() => sg.tidy(() => sg.ones([1]).expand([n]).contiguous()), /maxStorageBufferBindingSize/);
  // Work queued before the refusal is not lost (Dawn drops a whole submit with a bad bind group).
  const queued = sg.tidy(() => sg.tensor([5, 6], { device: 'webgpu' }).add(1));
  throwsWith(() => sg.zeros([n]), /maxStorageBufferBindingSize/);
  allclose(await queued.toArray(), [6, 7], {}, 'work queued before the refused allocation');
  queued.dispose();
  await ok();
  const after = sg.memory();
  if (after.liveTensors > before.liveTensors) throw new Error(`refused allocations left ${after.liveTensors - before.liveTensors} tensors behind`);
  // Just under the limit still works (a size class must not round past it).
  const big = sg.zeros([Math.floor(limit / 4) - 64]);
  const s = big.narrow(0, big.shape[0] - 3, 3).add(1);
  allclose(await s.toArray(), [1, 1, 1], {}, 'a tensor just under the binding limit');
  big.dispose(); s.dispose();
});

test('grids past 65535 workgroups in a dimension are split', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const y = sg.tidy(() => sg.ones([70_000, 1, 2], { device: 'webgpu' }).bmm(sg.ones([70_000, 2, 1], { device: 'webgpu' })).sum());
  if ((await y.item()) !== 140_000) throw new Error(`bmm over 70000 batches summed to ${await y.item()}`);
  const t = sg.tidy(() => sg.ones([5_000_000, 2], { device: 'webgpu' }).sum(1).sum());
  if ((await t.item()) !== 10_000_000) throw new Error(`sum over 5M rows gave ${await t.item()}`);
  y.dispose(); t.dispose();
});

test('destroy() mid-run: queued work and old tensors fail clearly; init() works again', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const x = sg.randn([256, 256], { seed: 3, device: 'webgpu', requiresGrad: true });
  const loss = x.matmul(x).tanh().sum();
  loss.backward();
  const pending = x.grad!.sum().toArray(); // a readback in flight while the device goes away
  await sg.destroy();
  try { await pending; } catch (e) { if (!/destroyed|lost|toArray|read/i.test((e as Error).message)) throw e; }
  throwsWith(() => x.add(1), /^add:/, /destroyed/, /init/);
  throwsWith(() => loss.backward(), /destroyed/);
  await rejectsWith(() => x.toArray(), /^toArray:/, /destroyed/);
  throwsWith(() => sg.zeros([2], { device: 'webgpu' }), /^zeros:/, /WebGPU device/, /init/);
  x.dispose(); loss.dispose(); // disposing tensors of a destroyed device is fine
  const info = await sg.init({ backend: 'webgpu', quiet: true });
  if (info.backend !== 'webgpu') throw new Error('re-init failed');
  await ok();
  const m = sg.randn([64, 64], { seed: 1, device: 'webgpu' });
  const c = sg.randn([64, 64], { seed: 1, device: 'cpu' });
  allclose(await m.matmul(m).toArray(), await c.matmul(c).toArray(), { rtol: 1e-4, atol: 1e-4 }, 'matmul after re-init');
  m.dispose(); c.dispose();
});

test('a Node process that used WebGPU exits within a second of destroy() and leaves no core busy', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const entry = new URL('../../node/index.js', import.meta.url).pathname;
  if (!existsSync(entry)) throw new Error(`build output ${entry} is missing (scripts/build.mjs builds it)`);
  // The child trains a few steps, destroys the device, then idles one second on a timer
  // and reports the CPU time it used meanwhile (all threads: Dawn's too).
  const script = `const sg = await import(${JSON.stringify(entry)});
    await sg.init({ backend: 'webgpu', quiet: true });
    const w = sg.randn([64, 64], { seed: 1, requiresGrad: true });
    for (let i = 0; i < 5; i++) sg.tidy(() => { w.matmul(w).tanh().sum().backward(); });
    console.log('sum', (await w.grad.sum().item()).toFixed(3));
    await sg.destroy();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    setTimeout(() => {
      const c = process.cpuUsage(c0);
      console.log('idle', Math.round(performance.now() - t0), 'cpu', Math.round((c.user + c.system) / 1000));
      console.log('exiting', Date.now());
    }, 1000);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  const exited = Date.now();
  if (r.error || r.status !== 0) throw new Error(`child did not exit cleanly: status ${r.status}, ${r.error ?? ''} ${r.stderr}`);
  const idle = /idle (\d+) cpu (\d+)/.exec(r.stdout);
  const at = /exiting (\d+)/.exec(r.stdout);
  if (!idle || !at || !/sum -?\d/.test(r.stdout)) throw new Error(`child output: ${r.stdout}`);
  const cpuMs = Number(idle[2]);
  const exitMs = exited - Number(at[1]);
  console.log(`# child: ${cpuMs} ms CPU in the idle second after destroy(); exited ${exitMs} ms after its last line`);
  // Hang/spin detectors with generous bounds, not timings: a busy thread burns ~1000 ms here.
  if (cpuMs > 300) throw new Error(`the child used ${cpuMs} ms of CPU in the idle second after destroy(): something spins`);
  if (exitMs > 1000) throw new Error(`the child took ${exitMs} ms to exit after its last line`);
});

test.run();
