// ScatterMoE's own correctness grid (its test_mlp_correctness): the expert MLP
//   x -> scatteredExperts(groupedOut) -> GELU -> scatteredExperts(groupedIn, gates)
// with T in {1, 256, 512}, E = 8, x_dim in {128, 256, 512, 600, 100}, k in {2, 3, 4},
// h = 4·x_dim/k, with and without bias; weights stored (E, out, in) and passed as
// permute([0, 2, 1]) views, as ScatterMoE's ParallelExperts does. Output and every gradient
// must be within 1e-4 of a float64 reference.
//
// The whole grid takes several minutes of float64 JS on a small machine, so it runs only
// with SCATTERGRAD_FULL_GRID=1 (on a 2-core machine: ~7 min CPU, ~12 min lavapipe); by default
// the CPU runs every (k, bias) for x_dim 100 at every T, x_dim 128 at T = 1 and 256, every
// x_dim at T = 1, and T = 256 at x_dim 256; WebGPU (lavapipe) runs four sizes.
import { test } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { flattenSortCount, scatteredExperts } from '../../src/moe/index.js';
import { backends, allclose, randArray, randInts } from '../helpers.js';
import { refMlp, type Mlp } from './reference.js';
import { f32, fastRand, timeTests, transpose3, type Dev } from './cases.js';

const TOL = { rtol: 1e-4, atol: 1e-4 };
const E = 8;
const FULL = process.env.SCATTERGRAD_FULL_GRID === '1';
timeTests(test);

interface GridCase { T: number; d: number; k: number; bias: boolean }

function makeMlp(c: GridCase, seed: number): Mlp {
  const h = Math.floor((4 * c.d) / c.k);
  const n = c.T * c.k;
  // Distinct experts per token, as top-k routing gives.
  const choices = new Int32Array(n);
  const r = randInts(n * 4, seed, 0, E);
  for (let t = 0, q = 0; t < c.T; t++) {
    for (let j = 0; j < c.k; j++) {
      let e = r[q++ % r.length];
      while (choices.subarray(t * c.k, t * c.k + j).includes(e)) e = (e + 1) % E;
      choices[t * c.k + j] = e;
    }
  }
  // Gates like a softmax over the chosen logits: positive, summing to 1 per token.
  const raw = randArray(n, seed + 1, 0.1, 1);
  const gates = new Float64Array(n);
  for (let t = 0; t < c.T; t++) {
    let s = 0;
    for (let j = 0; j < c.k; j++) s += raw[t * c.k + j];
    for (let j = 0; j < c.k; j++) gates[t * c.k + j] = raw[t * c.k + j] / s;
  }
  return {
    T: c.T, k: c.k, E, d: c.d, h, choices,
    x: fastRand(c.T * c.d, seed + 2),
    gates: f32(gates),
    w1: fastRand(E * c.d * h, seed + 3, -1 / Math.sqrt(c.d), 1 / Math.sqrt(c.d)),
    b1: c.bias ? fastRand(E * h, seed + 4, -0.5, 0.5) : null,
    w2: fastRand(E * h * c.d, seed + 5, -1 / Math.sqrt(h), 1 / Math.sqrt(h)),
    b2: c.bias ? fastRand(E * c.d, seed + 6, -0.5, 0.5) : null,
  };
}

const arr = async (t: Tensor | null | undefined): Promise<Float64Array> => Float64Array.from(await t!.toArray());

async function checkGridCase(dev: Dev, c: GridCase, seed: number): Promise<void> {
  const M = makeMlp(c, seed);
  const { T, k, d, h } = M;
  const opt = { device: dev, requiresGrad: true } as const;
  const x = sg.tensor(M.x, { ...opt, shape: [T, d] });
  const gates = sg.tensor(M.gates, { ...opt, shape: [T, k] });
  // Stored (E, out, in) like ParallelExperts; the op gets (E, in, out) views.
  const w1t = sg.tensor(transpose3(M.w1, E, d, h), { ...opt, shape: [E, h, d] });
  const w2t = sg.tensor(transpose3(M.w2, E, h, d), { ...opt, shape: [E, d, h] });
  const b1 = M.b1 ? sg.tensor(M.b1, { ...opt, shape: [E, h] }) : null;
  const b2 = M.b2 ? sg.tensor(M.b2, { ...opt, shape: [E, d] }) : null;
  const idx = sg.tensor(M.choices, { shape: [T, k], dtype: 'int32', device: dev });
  const G = fastRand(T * d, seed + 9);
  const g = sg.tensor(G, { shape: [T, d], device: dev });
  const made: Array<Tensor | null> = [x, gates, w1t, w2t, b1, b2, idx, g];
  try {
    const r = flattenSortCount(idx, E);
    made.push(r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets);
    const w1 = w1t.permute([0, 2, 1]);
    const w2 = w2t.permute([0, 2, 1]);
    const hid = scatteredExperts(x, w1, k, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets, { groupedOut: true, biases: b1 });
    const act = hid.gelu();
    const out = scatteredExperts(act, w2, k, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets, { groupedIn: true, gates, biases: b2 });
    made.push(w1, w2, hid, act, out);
    out.backward(g);
    const want = refMlp(M, G);
    const what = `${dev} T=${T} x_dim=${d} k=${k} h=${h}${c.bias ? ' bias' : ''}`;
    allclose(await arr(out), want.out, TOL, `${what}: output`);
    allclose(await arr(x.grad), want.dx, TOL, `${what}: dx`);
    allclose(await arr(gates.grad), want.dgates, TOL, `${what}: dgates`);
    allclose(transpose3(await arr(w1t.grad), E, h, d), want.dw1, TOL, `${what}: dW1`);
    allclose(transpose3(await arr(w2t.grad), E, d, h), want.dw2, TOL, `${what}: dW2`);
    if (b1) allclose(await arr(b1.grad), want.db1, TOL, `${what}: db1`);
    if (b2) allclose(await arr(b2.grad), want.db2, TOL, `${what}: db2`);
  } finally {
    for (const t of made) t?.dispose();
  }
}

function fullGrid(): GridCase[] {
  const out: GridCase[] = [];
  for (const T of [1, 256, 512]) for (const d of [128, 256, 512, 600, 100]) for (const k of [2, 3, 4]) for (const bias of [false, true]) out.push({ T, d, k, bias });
  return out;
}

function defaultCpuGrid(): GridCase[] {
  return fullGrid().filter((c) => c.T === 1 || (c.d <= 128 && (c.T === 256 || c.d === 100)) || (c.T === 256 && c.d === 256 && c.k === 4 && c.bias));
}

test(`ScatterMoE MLP grid on the CPU backend (${FULL ? 'full' : 'default subset; SCATTERGRAD_FULL_GRID=1 for all 90'})`, async () => {
  let seed = 10_000;
  for (const c of FULL ? fullGrid() : defaultCpuGrid()) await checkGridCase('cpu', c, seed++);
});

test(`ScatterMoE MLP grid on WebGPU (${FULL ? 'full' : 'sizes CI can afford'})`, async () => {
  if (!(await backends()).includes('webgpu')) return;
  const cases: GridCase[] = FULL ? fullGrid() : [
    { T: 1, d: 600, k: 3, bias: true },
    { T: 256, d: 100, k: 4, bias: true },
    { T: 256, d: 128, k: 2, bias: false },
    { T: 512, d: 128, k: 3, bias: true },
  ];
  let seed = 20_000;
  for (const c of cases) await checkGridCase('webgpu', c, seed++);
});

test.run();
