// sg.gpuTime: GPU timestamps around a region on adapters that have them (lavapipe does),
// wall time otherwise; nothing timed or leaked outside the region; misuse fails clearly.
// Times are compared with each other and with the wall clock, never with a speed threshold.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import { runtime } from '../../src/backend/runtime.js';
import { PassTimer } from '../../src/backend/timestamps.js';
import type { GpuBackend } from '../../src/backend/webgpu.js';
import { allclose, backends, rejectsWith, rt, settleGC } from '../helpers.js';

const test = suite('timestamps');

// Timestamps are truncated to a 65.5 µs grid by default, so a pass can read up to one grid
// step longer than it ran; this is the slack allowed against the wall clock.
const GRID_MS = 0.07;

async function gpu(): Promise<GpuBackend | null> {
  return (await backends()).includes('webgpu') ? runtime.gpu : null;
}

/** Whether the adapter offers timestamps: then the device must have asked for them. */
function adapterHasTimestamps(g: GpuBackend): boolean {
  return g.adapter.features.has('timestamp-query');
}

test('the device asks for timestamp-query when the adapter has it', async () => {
  const g = await gpu();
  if (!g) return;
  if (adapterHasTimestamps(g) && !sg.deviceInfo().features.includes('timestamp-query')) {
    throw new Error('the adapter has timestamp-query but the device was created without it');
  }
  if (/llvmpipe|lavapipe/i.test(g.adapterName) && !adapterHasTimestamps(g)) {
    throw new Error(`lavapipe is expected to offer timestamp-query (adapter: ${g.adapterName})`);
  }
});

test('GPU time of N large matmuls: from timestamps, positive, grows with N, within the wall time', async () => {
  const g = await gpu();
  if (!g) return;
  const n = 256;
  const { t: a } = rt([n, n], 1, 'webgpu');
  const { t: b } = rt([n, n], 2, 'webgpu');
  const run = (reps: number) => sg.gpuTime(() => {
    for (let i = 0; i < reps - 1; i++) a.matmul(b).dispose();
    return a.matmul(b);
  });
  const want = adapterHasTimestamps(g) ? 'timestamps' : 'wall';
  // While calibrating, a region shorter than the timestamp grid may read 0 (an H100 does
  // one of these matmuls in ~5 µs); the timed sizes below must read positive.
  const checked = async (reps: number, mayBeZero = false) => {
    const r = await run(reps);
    r.result.dispose();
    if (r.source !== want) throw new Error(`source ${r.source}, expected ${want}`);
    if (!(r.ms > 0 || (mayBeZero && r.ms === 0)) || !Number.isFinite(r.ms)) throw new Error(`GPU time ${r.ms} ms (${reps} matmuls) is not a positive number`);
    if (r.ms > r.wallMs + GRID_MS) throw new Error(`GPU time ${r.ms} ms exceeds the wall time around it (${r.wallMs} ms)`);
    if (want === 'timestamps') {
      if (r.passes < 1) throw new Error(`${r.passes} passes timed`);
      const spanOk = r.spanMs !== null && (r.spanMs > 0 || (mayBeZero && r.spanMs === 0)) && r.spanMs <= r.wallMs + GRID_MS;
      if (!spanOk) throw new Error(`span ${r.spanMs} ms (${reps} matmuls) not within (0, wall ${r.wallMs}]`);
    } else if (r.ms !== r.wallMs || r.passes !== 0 || r.spanMs !== null) throw new Error(`wall fallback: ${JSON.stringify({ ...r, result: null })}`);
    return r.ms;
  };
  const median3 = async (reps: number) => [await checked(reps), await checked(reps), await checked(reps)].sort((x, y) => x - y)[1];
  // Enough matmuls that the batch outweighs scheduling noise (lavapipe shares the CPU with
  // everything else) and the timestamp grid (a fast GPU); compiles the kernel on the way.
  let k = 1;
  while (k < 1024 && (await checked(k, true)) < 20) k *= 2;
  const one = await median3(k);
  const many = await median3(4 * k);
  // 4x the work: well over 1.5 times the time, whatever the noise (lavapipe under a loaded
  // machine gave 1.98x once).
  if (!(many > 1.5 * one)) throw new Error(`${4 * k} matmuls took ${many} ms, ${k} took ${one} ms: expected the time to grow with the work`);
  const r = await run(3);
  const ref = a.matmul(b);
  allclose(await r.result.toArray(), await ref.toArray(), {}, 'the region returns what fn returned');
  [r.result, ref, a, b].forEach((t) => t.dispose());
});

test('a region over many submits times every pass, chaining query sets, and frees them', async () => {
  const g = await gpu();
  if (!g || !adapterHasTimestamps(g)) return;
  const { t: a } = rt([256, 256], 3, 'webgpu');
  await settleGC(); // tensors other tests forgot must not be finalized mid-count
  const before = sg.memory();
  const passesBefore = g.timedPassCount;
  // Work recorded before the region leaves a pass open; the region must not fold its own first
  // dispatch into that untimed pass.
  const pre = a.add(1);
  const P = 60;
  // Each flush ends a pass: 60 passes overflow the first query sets (16, then 32 passes).
  const chained = await sg.gpuTime(() => {
    for (let i = 0; i < P; i++) {
      a.matmul(a).dispose();
      sg.flush();
    }
  });
  const batched = await sg.gpuTime(() => { for (let i = 0; i < P; i++) a.matmul(a).dispose(); });
  pre.dispose();
  if (chained.passes !== P) throw new Error(`timed ${chained.passes} passes, expected ${P}`);
  if (batched.passes !== 1) throw new Error(`${P} dispatches without a flush took ${batched.passes} passes, expected 1`);
  if (g.timedPassCount - passesBefore !== P + 1) throw new Error(`the backend began ${g.timedPassCount - passesBefore} timed passes, expected ${P + 1}`);
  // The same work in 60 passes or in one: the sum over passes must count all of them (summing
  // one pass would give 1/60 of it). Wide bounds: lavapipe shares the CPU with other work.
  const ratio = chained.ms / batched.ms;
  if (!(ratio > 0.25 && ratio < 4)) throw new Error(`${P} passes summed to ${chained.ms} ms, the same work in one pass to ${batched.ms} ms`);
  if (PassTimer.liveSets !== 0) throw new Error(`${PassTimer.liveSets} query sets still alive after the region`);
  const after = sg.memory();
  if (after.liveTensors !== before.liveTensors || after.bytesInUse !== before.bytesInUse) {
    throw new Error(`the region leaked: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
  }
  a.dispose();
});

test('ms counts GPU work only; spanMs also counts the GPU waiting for the host', async () => {
  const g = await gpu();
  if (!g || !adapterHasTimestamps(g)) return;
  const x = sg.ones([64], { device: 'webgpu' });
  const r = await sg.gpuTime(async () => {
    const y = x.add(1);
    await y.toArray(); // the first pass has finished: the GPU is idle from here
    y.dispose();
    await new Promise((res) => setTimeout(res, 30));
    x.mul(2).dispose();
  });
  x.dispose();
  if (r.passes !== 2) throw new Error(`timed ${r.passes} passes, expected 2`);
  if (!(r.spanMs !== null && r.spanMs - r.ms >= 25)) throw new Error(`span ${r.spanMs} ms, busy ${r.ms} ms: the 30 ms idle gap should be in the span only`);
  if (!(r.wallMs >= r.spanMs - GRID_MS)) throw new Error(`span ${r.spanMs} ms exceeds the wall time ${r.wallMs} ms`);
});

test('no timestamp writes outside a region', async () => {
  const g = await gpu();
  if (!g) return;
  const x = sg.ones([1000], { device: 'webgpu' });
  await sg.gpuTime(() => x.mul(2).dispose());
  const n = g.timedPassCount;
  // Work recorded before, after and across batches and readbacks, outside any region.
  for (let i = 0; i < 70; i++) sg.tidy(() => { x.exp().add(1); });
  const y = x.mul(3);
  allclose(await y.toArray(), new Float32Array(1000).fill(3), {}, 'after a region');
  y.dispose();
  if (g.timedPassCount !== n) throw new Error(`${g.timedPassCount - n} passes wrote timestamps outside a region`);
  if (g.timing) throw new Error('the backend is still timing after the region');
  x.dispose();
});

test('timestamps: false forces wall time; the CPU backend gives wall time', async () => {
  const devs = await backends();
  const r = await sg.gpuTime(() => sg.tidy(() => { sg.randn([64, 64], { seed: 1 }).matmul(sg.randn([64, 64], { seed: 2 })); }), { timestamps: false });
  if (r.source !== 'wall' || r.ms !== r.wallMs || r.passes !== 0 || r.spanMs !== null || !(r.ms >= 0)) throw new Error(`forced wall: ${JSON.stringify(r)}`);
  if (!devs.includes('webgpu')) return;
  const g = runtime.gpu!;
  const n = g.timedPassCount;
  await sg.init({ backend: 'cpu' });
  try {
    const c = await sg.gpuTime(() => sg.tidy(() => sg.randn([32, 32], { seed: 1 }).matmul(sg.randn([32, 32], { seed: 2 }))));
    if (c.source !== 'wall' || c.result.device !== 'cpu' || !(c.ms >= 0)) throw new Error(`CPU backend: ${c.source}, ${c.result.device}, ${c.ms} ms`);
    c.result.dispose();
  } finally {
    await sg.init({ backend: 'webgpu' });
  }
  if (g.timedPassCount !== n) throw new Error('wall-time regions wrote timestamps');
});

test('misuse: nesting and a throwing fn fail clearly and leave the engine usable', async () => {
  const devs = await backends();
  const dev = devs.includes('webgpu') ? 'webgpu' : 'cpu';
  const x = sg.tensor([1, 2, 3], { device: dev });
  await settleGC();
  const before = sg.memory();

  // A nested region is refused; the outer one goes on and still measures its work.
  let inner: unknown = null;
  const outer = await sg.gpuTime(async () => {
    await rejectsWith(() => sg.gpuTime(() => 0), /gpuTime/, /nest/);
    inner = 'refused';
    return x.mul(2);
  });
  if (inner !== 'refused') throw new Error('the nested region was not refused');
  allclose(await outer.result.toArray(), [2, 4, 6], {}, 'outer region result');
  outer.result.dispose();
  const g = runtime.gpu;
  if (g && devs.includes('webgpu') && adapterHasTimestamps(g) && outer.source !== 'timestamps') throw new Error(`outer region: ${outer.source}`);

  // fn throws (synchronously, and after recording GPU work asynchronously): its own error comes out.
  await rejectsWith(() => sg.gpuTime(() => { throw new Error('boom: user code'); }), /^boom: user code$/);
  await rejectsWith(() => sg.gpuTime(async () => {
    sg.tidy(() => { x.exp().add(1); });
    await Promise.resolve();
    throw new Error('boom after work');
  }), /^boom after work$/);
  await rejectsWith(() => sg.gpuTime(42 as unknown as () => void), /gpuTime/, /function/);

  // The engine works, the next region works, and nothing is left behind.
  if (g?.timing) throw new Error('the backend is still timing after fn threw');
  const n = g?.timedPassCount ?? 0;
  const y = x.add(1);
  allclose(await y.toArray(), [2, 3, 4], {}, 'ops after the errors');
  y.dispose();
  if ((g?.timedPassCount ?? 0) !== n) throw new Error('timestamps written outside a region after an error');
  const again = await sg.gpuTime(() => x.add(10));
  allclose(await again.result.toArray(), [11, 12, 13], {}, 'a region after the errors');
  again.result.dispose();
  if (PassTimer.liveSets !== 0) throw new Error(`${PassTimer.liveSets} query sets leaked`);
  const after = sg.memory();
  if (after.liveTensors !== before.liveTensors || after.bytesInUse !== before.bytesInUse) {
    throw new Error(`leaked: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
  }
  x.dispose();
});

test('destroying the device inside a region is reported; init() gives a working device again', async () => {
  const g = await gpu();
  if (!g) return;
  await rejectsWith(() => sg.gpuTime(async () => {
    sg.tidy(() => { sg.ones([16], { device: 'webgpu' }).add(1); });
    await sg.destroy();
  }), /gpuTime/, /destroyed/);
  await sg.init({ backend: 'webgpu' });
  const r = await sg.gpuTime(() => sg.ones([4], { device: 'webgpu' }).mul(5));
  allclose(await r.result.toArray(), [5, 5, 5, 5], {}, 'after re-init');
  r.result.dispose();
  if (PassTimer.liveSets !== 0) throw new Error(`${PassTimer.liveSets} query sets leaked`);
});

test.run();
