import { test } from 'uvu';
import * as sg from '../../src/index.js';
import { flattenSortCount } from '../../src/moe/index.js';
import { backends, randInts, assertEqualArrays, throwsWith, rejectsWith } from '../helpers.js';
import { refSort } from './reference.js';

async function sortOn(dev: 'cpu' | 'webgpu', choices: Int32Array, k: number, numE: number): Promise<{ sei: Int32Array; sse: Int32Array; off: Int32Array }> {
  const idx = sg.tensor(choices, { shape: [choices.length / k, k], dtype: 'int32', device: dev });
  const r = flattenSortCount(idx, numE);
  await r.checked;
  const out = {
    sei: Int32Array.from(await r.sortedExpertIdxs.toArray()),
    sse: Int32Array.from(await r.sortedScatteredIdxs.toArray()),
    off: Int32Array.from(await r.expertOffsets.toArray()),
  };
  for (const t of [idx, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets]) t.dispose();
  return out;
}

test('flattenSortCount: the docs/design.md worked example', async () => {
  for (const dev of await backends()) {
    const r = await sortOn(dev, Int32Array.from([2, 0, 2, 1, 0, 2]), 2, 3);
    assertEqualArrays(r.sei, [0, 0, 1, 2, 2, 2], `${dev} sortedExpertIdxs`);
    assertEqualArrays(r.sse, [1, 4, 3, 0, 2, 5], `${dev} sortedScatteredIdxs`);
    assertEqualArrays(r.off, [2, 3, 6], `${dev} expertOffsets`);
  }
});

test('flattenSortCount: random routing, empty experts, several chunks, stable', async () => {
  let seed = 1;
  for (const dev of await backends()) {
    for (const T of [1, 5, 64, 256, 700]) {
      for (const k of [1, 2, 3, 4]) {
        for (const E of [1, 4, 8, 16]) {
          // On WebGPU a rotating subset: every T, k and E still appears with several others.
          if (dev === 'webgpu' && (T + k + E) % 3 !== 0 && T !== 700) continue;
          // Half the cases route only to even experts, leaving the odd ones empty.
          const sparse = seed % 2 === 0;
          const c = randInts(T * k, seed++, 0, sparse ? Math.ceil(E / 2) : E).map((e) => (sparse ? Math.min(2 * e, E - 1) : e));
          const want = refSort(c, E);
          const got = await sortOn(dev, c, k, E);
          const what = `${dev} T=${T} k=${k} E=${E}`;
          assertEqualArrays(got.sei, want.sei, `${what} sortedExpertIdxs`);
          assertEqualArrays(got.sse, want.sse, `${what} sortedScatteredIdxs`);
          assertEqualArrays(got.off, want.offsets, `${what} expertOffsets`);
        }
      }
    }
  }
});

test('flattenSortCount: strided (transposed) index tensor', async () => {
  for (const dev of await backends()) {
    // (k, T) stored, viewed as (T, k): choice (t, j) lives at j·T + t.
    const T = 7;
    const k = 3;
    const c = randInts(T * k, 5, 0, 4);
    const stored = new Int32Array(T * k);
    for (let t = 0; t < T; t++) for (let j = 0; j < k; j++) stored[j * T + t] = c[t * k + j];
    const idxT = sg.tensor(stored, { shape: [k, T], dtype: 'int32', device: dev });
    const idx = idxT.transpose(0, 1);
    const r = flattenSortCount(idx, 4);
    const want = refSort(c, 4);
    assertEqualArrays(await r.sortedScatteredIdxs.toArray(), want.sse, `${dev} sse`);
    assertEqualArrays(await r.expertOffsets.toArray(), want.offsets, `${dev} offsets`);
    for (const t of [idxT, idx, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets]) t.dispose();
  }
});

test('flattenSortCount: bad arguments', async () => {
  for (const dev of await backends()) {
    const f = sg.tensor([[0, 1]], { device: dev });
    throwsWith(() => flattenSortCount(f, 2), /flattenSortCount/, /expertIdxs must be int32/, /float32/);
    const i1 = sg.tensor(Int32Array.from([0, 1]), { dtype: 'int32', device: dev });
    throwsWith(() => flattenSortCount(i1, 2), /flattenSortCount/, /2-D/, /\[2\]/);
    const i2 = sg.tensor(Int32Array.from([0, 1]), { shape: [1, 2], dtype: 'int32', device: dev });
    throwsWith(() => flattenSortCount(i2, 0), /numExperts/);
    for (const t of [f, i1, i2]) t.dispose();
  }
});

test('flattenSortCount: out-of-range expert indices', async () => {
  const bad = Int32Array.from([0, 3, 1, 7, -1, 2]);
  const cpuIdx = sg.tensor(bad, { shape: [3, 2], dtype: 'int32', device: 'cpu' });
  throwsWith(() => flattenSortCount(cpuIdx, 4), /flattenSortCount/, /expertIdxs\[1, 1\] = 7/, /numExperts 4/);
  cpuIdx.dispose();
  if (!(await backends()).includes('webgpu')) return;
  const idx = sg.tensor(bad, { shape: [3, 2], dtype: 'int32', device: 'webgpu' });
  const wasDebug = sg.debug();
  sg.debug(false);
  // Without debug: no error, and the bad choices sit past the last offset, where the MoE
  // kernels treat them as belonging to no expert.
  const r = flattenSortCount(idx, 4);
  await r.checked;
  assertEqualArrays(await r.expertOffsets.toArray(), [1, 2, 3, 4], 'offsets skip bad choices');
  assertEqualArrays((await r.sortedScatteredIdxs.toArray()).slice(0, 4), [0, 2, 5, 1], 'valid choices sorted first');
  assertEqualArrays(Array.from(await r.sortedScatteredIdxs.toArray()).slice(4).sort(), [3, 4], 'bad choices in the tail');
  // With debug: the indices are read back and `checked` rejects naming the first bad one.
  sg.debug(true);
  try {
    const d = flattenSortCount(idx, 4);
    await rejectsWith(() => d.checked, /flattenSortCount/, /expertIdxs\[1, 1\] = 7/);
    for (const t of [d.sortedExpertIdxs, d.sortedScatteredIdxs, d.expertOffsets]) t.dispose();
  } finally {
    sg.debug(wasDebug);
  }
  // The next call works.
  const good = sg.tensor(Int32Array.from([1, 0]), { shape: [1, 2], dtype: 'int32', device: 'webgpu' });
  const g = flattenSortCount(good, 2);
  assertEqualArrays(await g.sortedScatteredIdxs.toArray(), [1, 0], 'next call');
  for (const t of [idx, good, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets, g.sortedExpertIdxs, g.sortedScatteredIdxs, g.expertOffsets]) t.dispose();
});

test.run();
