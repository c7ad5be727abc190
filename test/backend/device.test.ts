import { suite } from 'uvu';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as sg from '../../src/index.js';
import { allclose, backends, rejectsWith, throwsWith } from '../helpers.js';

const test = suite('device');

test('deviceInfo reports the backend, adapter, features and limits', async () => {
  const devs = await backends();
  const info = sg.deviceInfo();
  if (devs.includes('webgpu')) {
    if (info.backend !== 'webgpu' || !info.adapter) throw new Error(`unexpected info ${JSON.stringify(info)}`);
    if (!(info.limits.maxStorageBufferBindingSize > 0)) throw new Error('limits missing');
    if (!Array.isArray(info.features)) throw new Error('features missing');
  } else if (info.backend !== 'cpu') throw new Error('expected the CPU backend');
});

test('init rejects unknown backends; tensors can move between devices', async () => {
  await rejectsWith(() => sg.init({ backend: 'metal' as 'cpu' }), /init/, /backend/);
  for (const dev of await backends()) {
    const t = sg.tensor([1.5, -2, 3], { device: dev });
    const c = await t.to('cpu');
    if (c.device !== 'cpu') throw new Error('to(cpu)');
    allclose(await c.toArray(), [1.5, -2, 3], {}, 'moved');
    if (dev === 'webgpu') throwsWith(() => t.add(c), /add/, /different devices/);
  }
});

test('destroy() makes old GPU tensors throw clearly; init() gives a working device again', async () => {
  const devs = await backends();
  if (!devs.includes('webgpu')) return;
  const t = sg.tensor([1, 2, 3], { device: 'webgpu' });
  await sg.destroy();
  throwsWith(() => t.add(1), /add/, /destroyed/, /init/);
  await rejectsWith(() => t.toArray(), /toArray/, /destroyed/);
  const info = await sg.init({ backend: 'webgpu' });
  if (info.backend !== 'webgpu') throw new Error('re-init failed');
  const u = sg.tensor([1, 2, 3], { device: 'webgpu' }).mul(2);
  allclose(await u.toArray(), [2, 4, 6], {}, 'after re-init');
});

test('buffers are pooled and reused across steps', async () => {
  const devs = await backends();
  if (!devs.includes('webgpu')) return;
  for (let i = 0; i < 5; i++) sg.tidy(() => { sg.ones([1000], { device: 'webgpu' }).mul(3).exp(); });
  await sg.ones([1], { device: 'webgpu' }).toArray(); // submits, so released buffers reach the pool
  const pooled = sg.memory().bytesPooled;
  for (let i = 0; i < 20; i++) sg.tidy(() => { sg.ones([1000], { device: 'webgpu' }).mul(3).exp(); });
  await sg.ones([1], { device: 'webgpu' }).toArray();
  if (sg.memory().bytesPooled > pooled) throw new Error(`pool grew from ${pooled} to ${sg.memory().bytesPooled} bytes on repeated steps`);
});

test('a Node process that used WebGPU exits by itself right after destroy()', async () => {
  const devs = await backends();
  if (!devs.includes('webgpu')) return;
  const entry = new URL('../../node/index.js', import.meta.url).pathname;
  if (!existsSync(entry)) throw new Error(`build output ${entry} is missing (npm test builds it)`);
  const script = `const sg = await import(${JSON.stringify(entry)});
    await sg.init({ backend: 'webgpu', quiet: true });
    const y = sg.randn([256, 256], { seed: 1 }).exp().sum !== undefined ? sg.randn([4096], { seed: 1 }).exp() : null;
    console.log((await y.toArray()).length);
    await sg.destroy();`;
  // A timeout here is a hang detector, not a speed assertion: without destroy() Dawn keeps
  // the process alive forever.
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) throw new Error(`child did not exit cleanly: status ${r.status}, ${r.error ?? ''} ${r.stderr}`);
  if (!r.stdout.includes('4096')) throw new Error(`child output: ${r.stdout}`);
});

test.run();
