// ScatterMoE's `group` kernel (rows gathered into expert order, optionally scaled by the
// gates with fan-out). The op's own paths fuse this gather into the GEMM loads; the kernel
// stays for callers that want grouped rows, e.g. to feed scatteredExperts with groupedIn.
import { test } from 'uvu';
import * as sg from '../../src/index.js';
import { group } from '../../src/moe/group.js';
import { allclose, backends, randArray } from '../helpers.js';

test('group: out[p] = coef[sse[p]] · src[sse[p] / fanOut], on every backend, strided src', async () => {
  for (const dev of await backends()) {
    for (const [T, k, d] of [[5, 2, 7], [33, 3, 65], [1, 1, 4]]) {
      const n = T * k;
      // a permutation of 0..n-1 as the scattered index of each grouped row
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ((a * 7919) % n) - ((b * 7919) % n) || a - b);
      const sse = sg.tensor(Int32Array.from(order), { device: dev });
      const srcData = randArray(T * d, T + d);
      const src = sg.tensor(srcData, { shape: [d, T], device: dev }).transpose(0, 1); // (T, d), strided
      const gatesData = randArray(n, 3 * T, 0.1, 1);
      const gates = sg.tensor(gatesData, { shape: [T, k], device: dev });
      for (const withGates of [false, true]) {
        const out = group(src, sse, k, withGates ? gates : null);
        const exp: number[] = [];
        for (let p = 0; p < n; p++) {
          const s = order[p];
          const t = Math.floor(s / k);
          for (let j = 0; j < d; j++) exp.push(Math.fround(srcData[j * T + t]) * (withGates ? Math.fround(gatesData[s]) : 1));
        }
        allclose(await out.toArray(), exp, { rtol: 1e-6, atol: 1e-7 }, `group T=${T} k=${k} d=${d} gates=${withGates} on ${dev}`);
        out.dispose();
      }
      [sse, src, gates].forEach((t) => t.dispose());
    }
  }
});

test.run();
