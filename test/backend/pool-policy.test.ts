// The buffer pool's policy (pool.ts trim, webgpu.ts POOL_LIMIT): sg.emptyCache() frees every
// pooled buffer; the pool keeps at most max(poolLimit, peak bytes in use); a buffer not reused
// for poolMaxAge submits is freed. Freeing must never touch a buffer that recorded but
// unsubmitted work still names, and results stay right throughout.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import { runtime } from '../../src/backend/runtime.js';
import { BufferPool } from '../../src/backend/pool.js';
import { sizeClass } from '../../src/backend/webgpu.js';
import { allclose, backends, rejectsWith } from '../helpers.js';

const test = suite('pool-policy');

class FakeBuffer {
  constructor(readonly size: number, readonly name: string) {}
}

const names = (bs: FakeBuffer[]): string => bs.map((b) => b.name).join(',');

test('trim: oldest-freed first while over the byte cap; busy buffers stay', () => {
  const pool = new BufferPool<FakeBuffer>();
  const [a, b, c, d] = [new FakeBuffer(256, 'a'), new FakeBuffer(512, 'b'), new FakeBuffer(1024, 'c'), new FakeBuffer(256, 'd')];
  pool.put(b); pool.put(a); pool.put(c); pool.put(d);
  if (names(pool.trim(3000, 100)) !== '') throw new Error('trimmed a pool under its cap');
  const out = pool.trim(1300, 100, new Set([b]));
  // 2048 bytes: b is busy (skipped), then a and c go (freed next-oldest); d and b remain.
  if (names(out) !== 'a,c' || pool.bytes !== 768) throw new Error(`trimmed ${names(out)}, ${pool.bytes} B left; expected a,c and 768 B`);
  if (pool.take(1024, 1) !== undefined) throw new Error('an evicted buffer was handed out');
  if (pool.take(256, 2) !== d || pool.take(256, 3) !== undefined) throw new Error('expected d, then no 256-byte buffer');
  if (pool.take(512, 4) !== b) throw new Error('the busy buffer b should still be pooled');
  const left = (): number => pool.bytes; // a call, so TypeScript does not keep the 768 narrowing
  if (left() !== 0) throw new Error(`bytes ${left()}, expected 0`);
});

test('trim: buffers idle more than maxAge ticks go; a buffer freed again is young again', () => {
  const pool = new BufferPool<FakeBuffer>();
  const [a, b, c] = [new FakeBuffer(256, 'a'), new FakeBuffer(256, 'b'), new FakeBuffer(512, 'c')];
  pool.put(a); pool.put(b); pool.put(c);
  pool.tick = 2;
  if (pool.take(256, 7) !== b) throw new Error('expected b (newest)');
  pool.put(b); // freed again at tick 2
  pool.tick = 4;
  const out = pool.trim(Infinity, 3);
  if (names(out) !== 'a,c' || pool.bytes !== 256) throw new Error(`trimmed ${names(out)} (${pool.bytes} B left); expected a,c`);
  if (pool.take(256, 8) !== b) throw new Error('b should have stayed');
});

test('trim: a buffer sitting twice in its stack (taken by affinity, freed again) is never handed out after eviction', () => {
  const pool = new BufferPool<FakeBuffer>();
  const x = new FakeBuffer(1024, 'x');
  pool.put(x);
  if (pool.take(1024, 42) !== x) throw new Error('expected x');
  pool.put(x);
  if (pool.take(1024, 42) !== x) throw new Error('expected x by affinity'); // leaves a stale entry
  pool.put(x);
  if (names(pool.trim(0, 100)) !== 'x') throw new Error('expected x evicted');
  if (pool.take(1024, 42) !== undefined || pool.take(1024, 43) !== undefined) throw new Error('an evicted buffer came back');
  const y = new FakeBuffer(1024, 'y');
  pool.put(y);
  if (pool.take(1024, 42) !== y) throw new Error('the size class does not work after eviction');
});

/** One-off temporaries of n floats: ones(n) and ones(n)·k, freed at the end; returns Σ = k·n. */
function oneOff(n: number, k: number): sg.Tensor {
  return sg.tidy(() => sg.ones([n], { device: 'webgpu' }).mul(k).sum());
}

test('emptyCache() frees every pooled buffer; live tensors keep their values', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const keep = sg.tensor([1.5, -2, 3], { device: 'webgpu' });
  const n = 1 << 21; // 8 MiB a buffer
  const s = oneOff(n, 2);
  if ((await s.item()) !== 2 * n) throw new Error(`sum ${await s.item()}, expected ${2 * n}`);
  s.dispose();
  const before = sg.memory();
  if (!(before.bytesPooled >= 2 * sizeClass(4 * n))) throw new Error(`expected the two 8 MiB temporaries pooled, bytesPooled ${before.bytesPooled}`);
  sg.emptyCache();
  const after = sg.memory();
  if (after.bytesPooled !== 0) throw new Error(`bytesPooled ${after.bytesPooled} after emptyCache()`);
  if (after.bytesInUse !== before.bytesInUse || after.liveTensors !== before.liveTensors) throw new Error('emptyCache() changed the live tensors');
  allclose(await keep.toArray(), [1.5, -2, 3], {}, 'a live tensor after emptyCache()');
  allclose(await keep.mul(2).toArray(), [3, -4, 6], {}, 'an op after emptyCache()');
  keep.dispose();
});

test('the pool keeps at most max(poolLimit, peak bytes in use), also with work still being recorded', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const gpu = runtime.gpu!;
  const saved = gpu.poolLimit;
  // Distinct size classes, each alive alone: without a cap the pool keeps them all.
  const run = async (c: number): Promise<void> => {
    for (const m of [1, 1.5, 2, 3, 4]) {
      const n = (m * c) / 4;
      const s = oneOff(n, 3);
      if ((await s.item()) !== 3 * n) throw new Error(`sum over ${n} gave ${await s.item()}`);
      s.dispose();
      if (gpu.bytesPooled > gpu.poolCap) throw new Error(`bytesPooled ${gpu.bytesPooled} > cap ${gpu.poolCap}`);
    }
  };
  try {
    sg.emptyCache();
    gpu.poolLimit = 0;
    const peak0 = gpu.poolCap; // what other tests' live tensors hold now
    // Sizes such that all of them (2·11.5·c bytes) exceed the peak they can reach (peak0 + 8c).
    const c = 2 ** Math.ceil(Math.log2(Math.max(peak0 / 8, 1 << 16)));
    const total = 2 * 11.5 * c;
    gpu.poolLimit = Infinity;
    await run(c);
    if (gpu.bytesPooled < total) throw new Error(`without a cap ${gpu.bytesPooled} B pooled, expected all ${total}`);
    sg.emptyCache();
    gpu.poolLimit = 0;
    await run(c);
    if (!(gpu.poolCap < total)) throw new Error(`cap ${gpu.poolCap} >= ${total}: the test would prove nothing`);
    if (gpu.bytesPooled > gpu.poolCap) throw new Error(`bytesPooled ${gpu.bytesPooled} > cap ${gpu.poolCap}`);
    // Now one batch, no readback in between: each release trims while the encoder still
    // names buffers freed in it; destroying one of those would fail the submit.
    const parts: sg.Tensor[] = [];
    for (const m of [4, 3, 2, 1.5, 1, 3, 4]) {
      const a = sg.ones([(m * c) / 4], { device: 'webgpu' });
      const b = a.mul(m);
      a.dispose();
      parts.push(b.sum());
      b.dispose();
    }
    const sums = await sg.stack(parts).toArray();
    allclose(sums, [4, 3, 2, 1.5, 1, 3, 4].map((m) => (m * m * c) / 4), { rtol: 0, atol: 0 }, 'sums recorded while trimming');
    parts.forEach((p) => p.dispose());
    if (gpu.bytesPooled > gpu.poolCap) throw new Error(`bytesPooled ${gpu.bytesPooled} > cap ${gpu.poolCap}`);
  } finally {
    gpu.poolLimit = saved;
  }
});

test('a buffer not reused for poolMaxAge submits is freed', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const gpu = runtime.gpu!;
  const saved = [gpu.poolLimit, gpu.poolMaxAge];
  try {
    sg.emptyCache();
    gpu.poolLimit = Infinity;
    gpu.poolMaxAge = 4;
    const n = 1 << 20; // 4 MiB
    const s = oneOff(n, 1);
    if ((await s.item()) !== n) throw new Error('one-off sum');
    s.dispose();
    if (gpu.bytesPooled < 2 * 4 * n) throw new Error(`expected the one-off's buffers pooled, got ${gpu.bytesPooled} B`);
    const small = sg.tensor([1, 2, 3], { device: 'webgpu' });
    for (let i = 0; i < 6; i++) {
      const t = small.add(i).sum(); // each readback is one submit
      if ((await t.item()) !== 6 + 3 * i) throw new Error('small sum');
      t.dispose();
    }
    if (gpu.bytesPooled >= 4 * n) throw new Error(`the one-off's buffers are still pooled after 6 submits: ${gpu.bytesPooled} B`);
    small.dispose();
  } finally {
    [gpu.poolLimit, gpu.poolMaxAge] = saved;
  }
});

test('emptyCache() is a no-op on the CPU backend and without a device', async () => {
  const devs = await backends();
  const c = sg.tensor([1, 2, 3], { device: 'cpu' });
  const m0 = sg.memory();
  sg.emptyCache();
  const m1 = sg.memory();
  if (m1.liveTensors !== m0.liveTensors || m1.bytesInUse !== m0.bytesInUse) throw new Error('emptyCache() changed CPU tensors');
  allclose(await c.toArray(), [1, 2, 3], {}, 'a CPU tensor after emptyCache()');
  c.dispose();
  if (!devs.includes('webgpu')) return;
  await sg.destroy();
  sg.emptyCache();
  if (sg.memory().bytesPooled !== 0) throw new Error('bytesPooled without a device');
  const info = await sg.init({ backend: 'webgpu', quiet: true }); // for the tests after this one
  if (info.backend !== 'webgpu') throw new Error('re-init failed');
});

test('init() checks poolLimit and applies it to the device it keeps', async () => {
  const devs = await backends();
  await rejectsWith(() => sg.init({ poolLimit: -1 }), /^init:/, /poolLimit/, /-1/);
  await rejectsWith(() => sg.init({ poolLimit: NaN }), /^init:/, /poolLimit/);
  await rejectsWith(() => sg.init({ poolLimit: '1e6' as unknown as number }), /^init:/, /poolLimit/, /"1e6"/);
  if (!devs.includes('webgpu')) return;
  const gpu = runtime.gpu!;
  const saved = gpu.poolLimit;
  const info = await sg.init({ backend: 'webgpu', poolLimit: 1 << 20 });
  if (info.backend !== 'webgpu' || runtime.gpu !== gpu) throw new Error('init replaced a working device');
  if (gpu.poolLimit !== 1 << 20) throw new Error(`poolLimit ${gpu.poolLimit}`);
  gpu.poolLimit = saved;
});

test.run();
