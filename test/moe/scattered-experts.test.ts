import { test } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { scatteredExperts, ScatteredExperts, flattenSortCount } from '../../src/moe/index.js';
import { backends, allclose, assertEqualArrays, throwsWith, gradsOf, f64Copies } from '../helpers.js';
import { refSort, refForward, refBackward } from './reference.js';
import { roundF16 } from '../../src/tensor/dtype.js';
import { timeTests, describe, flagCombos, makeProblem, runCase, upstream, inputsOn, type Config, type Dev } from './cases.js';

const TOL = { rtol: 1e-4, atol: 1e-4 };

timeTests(test);

async function checkAgainstReference(dev: Dev, c: Config, seed: number): Promise<void> {
  const P = makeProblem(c, seed);
  const S = refSort(P.choices, c.E);
  const G = upstream(P, seed + 7);
  const want = refBackward(P, S, G);
  const got = await runCase(dev, c, P, S, G);
  const what = `${dev} ${describe(c)}`;
  allclose(got.out, refForward(P, S), TOL, `${what}: output`);
  allclose(got.dx, want.dx, TOL, `${what}: dx`);
  allclose(got.dw, want.dw, TOL, `${what}: dW`);
  if (c.bias) allclose(got.db!, want.db, TOL, `${what}: db`);
  if (c.gates) allclose(got.dgates!, want.dgates, TOL, `${what}: dgates`);
}

test('scatteredExperts: every flag combination, k, E and T against the float64 reference (CPU)', async () => {
  let seed = 100;
  const sizes: Array<[number, number]> = [[24, 100], [100, 24], [24, 24]];
  for (const flags of flagCombos()) {
    for (const T of [1, 5, 64, 256]) {
      for (const k of [1, 2, 3, 4]) {
        for (const E of [1, 4, 8, 16]) {
          const [dIn, dOut] = sizes[seed % sizes.length];
          await checkAgainstReference('cpu', { ...flags, T, k, E, dIn, dOut, sparse: seed % 3 === 0, transposedW: seed % 5 === 0 }, seed++);
        }
      }
    }
  }
});

test('scatteredExperts: feature size 600 (CPU)', async () => {
  let seed = 900;
  for (const flags of flagCombos()) {
    await checkAgainstReference('cpu', { ...flags, T: 64, k: 2, E: 8, dIn: 600, dOut: 100, sparse: seed % 2 === 0, transposedW: seed % 3 === 0 }, seed++);
    await checkAgainstReference('cpu', { ...flags, T: 5, k: 3, E: 4, dIn: 100, dOut: 600, transposedW: seed % 3 === 1 }, seed++);
  }
});

test('scatteredExperts: every flag combination against the float64 reference (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  // lavapipe is a software GPU: a rotation through k, E, T and the feature sizes that still
  // covers every flag combination with every k, E, T and size at least once.
  const Ts = [1, 5, 64, 256];
  const ks = [1, 2, 3, 4];
  const Es = [1, 4, 8, 16];
  const sizes: Array<[number, number]> = [[24, 100], [100, 24], [24, 600], [600, 24]];
  let seed = 2000;
  let i = 0;
  for (const flags of flagCombos()) {
    for (let r = 0; r < 3; r++, i++) {
      const [dIn, dOut] = sizes[i % sizes.length];
      const T = Ts[(i * 3 + r) % 4];
      await checkAgainstReference('webgpu', {
        ...flags, T: dIn === 600 || dOut === 600 ? Math.min(T, 64) : T, k: ks[(i + r) % 4], E: Es[(i * 7 + r) % 4], dIn, dOut,
        sparse: i % 2 === 0, transposedW: i % 3 === 0,
      }, seed++);
    }
  }
});

test('scatteredExperts: float16 storage (f32 accumulation) on every backend', async () => {
  const half = (a: Float64Array | null): Float64Array | null => (a ? a.map(roundF16) : null);
  let seed = 2500;
  for (const dev of await backends()) {
    for (const flags of flagCombos()) {
      const c: Config = { ...flags, T: 6, k: 2, E: 4, dIn: 24, dOut: 20, sparse: seed % 2 === 0, transposedW: seed % 3 === 0 };
      const P0 = makeProblem(c, seed++);
      const P = { ...P0, x: half(P0.x)!, w: half(P0.w)!, b: half(P0.b), gates: half(P0.gates) };
      const S = refSort(P.choices, c.E);
      const G = half(upstream(P, seed))!;
      const want = refBackward(P, S, G);
      const got = await runCase(dev, c, P, S, G, 'float16');
      const what = `${dev} float16 ${describe(c)}`;
      const tol = { rtol: 1e-2, atol: 1e-2 };
      allclose(got.out, refForward(P, S), tol, `${what}: output`);
      allclose(got.dx, want.dx, tol, `${what}: dx`);
      allclose(got.dw, want.dw, tol, `${what}: dW`);
      if (c.bias) allclose(got.db!, want.db, tol, `${what}: db`);
      if (c.gates) allclose(got.dgates!, want.dgates, tol, `${what}: dgates`);
    }
  }
});

test('scatteredExperts: gradcheck of every input (float64, CPU)', async () => {
  let seed = 3000;
  for (const flags of flagCombos()) {
    const c: Config = { ...flags, T: 3, k: 2, E: 3, dIn: 4, dOut: 3, transposedW: seed % 2 === 0 };
    const P = makeProblem(c, seed++);
    const I = inputsOn('cpu', c, P);
    const ins: Tensor[] = [I.x, I.wLeaf, I.sei, I.sse, I.off];
    if (I.gates) ins.push(I.gates);
    if (I.b) ins.push(I.b);
    await sg.gradcheck((x, wl, sei, sse, off, ...rest) => {
      const gates = c.gates ? rest.shift()! : null;
      const biases = c.bias ? rest.shift()! : null;
      // mul(1): gradcheck reads a leaf's .grad storage as if contiguous, and permute's
      // backward would hand it a strided view.
      const w = c.transposedW ? wl.mul(1).permute([0, 2, 1]) : wl;
      return scatteredExperts(x, w, c.k, sei, sse, off, { gates, biases, groupedIn: c.groupedIn, groupedOut: c.groupedOut });
    }, ins);
    I.dispose();
  }
});

test('scatteredExperts: WebGPU gradients match CPU float64 autograd', async () => {
  if (!(await backends()).includes('webgpu')) return;
  let seed = 4000;
  for (const flags of flagCombos()) {
    const c: Config = { ...flags, T: 9, k: 3, E: 5, dIn: 40, dOut: 33, sparse: seed % 2 === 0 };
    const P = makeProblem(c, seed++);
    const I = inputsOn('webgpu', c, P);
    const ins: Tensor[] = [I.x, I.w, I.sei, I.sse, I.off, ...(I.gates ? [I.gates] : []), ...(I.b ? [I.b] : [])];
    const fn = (x: Tensor, w: Tensor, sei: Tensor, sse: Tensor, off: Tensor, ...rest: Tensor[]): Tensor => {
      const gates = c.gates ? rest.shift()! : null;
      const biases = c.bias ? rest.shift()! : null;
      return scatteredExperts(x, w, c.k, sei, sse, off, { gates, biases, groupedIn: c.groupedIn, groupedOut: c.groupedOut });
    };
    const gpu = await gradsOf(fn, ins);
    const cpuIns = await f64Copies(ins);
    const ref = await gradsOf(fn, cpuIns);
    allclose(gpu.out, ref.out, TOL, `${describe(c)} out`);
    gpu.grads.forEach((g, i) => {
      if (ins[i].dtype === 'int32') return;
      allclose(g!, ref.grads[i]!, TOL, `${describe(c)} grad of input ${i}`);
    });
    I.dispose();
    for (const t of cpuIns) t.dispose();
  }
});

test('ScatterMoE\'s second layer as written there: k = 1, grouped input, gates (T, top_k)', async () => {
  // scattermoe's MLP calls SE(h, W2, 1, sei, ssi, offsets, grouped_in=True, gates=gates)
  // with gates of shape (T, top_k): the gates' width, not k, is the fan-in of the mix.
  for (const dev of await backends()) {
    const T = 7, topK = 3, E = 4, h = 10, d = 6;
    const choices = sg.tensor(Int32Array.from({ length: T * topK }, (_, i) => (i * 5 + (i >> 2)) % E), { shape: [T, topK], device: dev });
    const r = flattenSortCount(choices, E);
    const hg = sg.randn([T * topK, h], { seed: 1, device: dev, requiresGrad: true });
    const w2 = sg.randn([E, h, d], { seed: 2, device: dev, requiresGrad: true });
    const gates = sg.rand([T, topK], { seed: 3, device: dev, requiresGrad: true });
    const outs: number[][][] = [];
    for (const k of [1, topK]) {
      const y = scatteredExperts(hg, w2, k, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets, { groupedIn: true, gates });
      if (y.shape.join() !== `${T},${d}`) throw new Error(`k=${k}: output shape ${y.shape}`);
      y.mul(sg.randn([T, d], { seed: 4, device: dev })).sum().backward();
      outs.push([Array.from(await y.toArray()), Array.from(await hg.grad!.toArray()), Array.from(await w2.grad!.toArray()), Array.from(await gates.grad!.toArray())]);
      for (const p of [hg, w2, gates]) { p.grad!.dispose(); p.grad = null; }
    }
    ['output', 'dh', 'dW2', 'dgates'].forEach((name, i) => allclose(outs[0][i], outs[1][i], { rtol: 1e-5, atol: 1e-6 }, `${dev}: ${name} with k = 1 vs k = top_k`));
    throwsWith(() => scatteredExperts(hg, w2, 1, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets, { groupedIn: true, gates: sg.rand([T, 2], { device: dev }) }),
      /scatteredExperts/, /gates/, /\[7, 2\]/);
  }
  const cpu = flattenSortCount(sg.tensor(new Int32Array([1, 0, 2, 1, 0, 2]), { shape: [3, 2], device: 'cpu' }), 3);
  await sg.gradcheck((x, w, g) => scatteredExperts(x, w, 1, cpu.sortedExpertIdxs, cpu.sortedScatteredIdxs, cpu.expertOffsets, { groupedIn: true, gates: g }),
    [sg.randn([6, 3], { seed: 5, device: 'cpu' }), sg.randn([3, 3, 2], { seed: 6, device: 'cpu' }), sg.rand([3, 2], { seed: 7, device: 'cpu' })]);
});

test('scatteredExperts: backward twice with retainGraph gives identical gradients', async () => {
  for (const dev of await backends()) {
    for (const flags of flagCombos()) {
      const c: Config = { ...flags, T: 6, k: 2, E: 4, dIn: 24, dOut: 24, sparse: true };
      const P = makeProblem(c, 77);
      const I = inputsOn(dev, c, P);
      const leaves = [I.x, I.wLeaf, I.b, I.gates].filter((t): t is Tensor => t !== null);
      const y = I.apply();
      const g = sg.randn(y.shape, { device: dev, seed: 5 });
      const grads: Float32Array[][] = [];
      for (let pass = 0; pass < 2; pass++) {
        y.backward(g, { retainGraph: true });
        const got: Float32Array[] = [];
        for (const l of leaves) {
          got.push(Float32Array.from(await l.grad!.toArray()));
          l.grad!.dispose();
          l.grad = null;
        }
        grads.push(got);
      }
      grads[0].forEach((a, i) => assertEqualArrays(grads[1][i], a, `${dev} ${describe(c)} leaf ${i}`));
      y.dispose();
      g.dispose();
      I.dispose();
    }
  }
});

test('scatteredExperts: is one registered Function; index inputs get no gradient', async () => {
  for (const dev of await backends()) {
    const c: Config = { T: 4, k: 2, E: 3, dIn: 5, dOut: 6, groupedIn: false, groupedOut: false, gates: false, bias: false };
    const I = inputsOn(dev, c, makeProblem(c, 8));
    const y = I.apply();
    if (y.gradFn?.fn !== ScatteredExperts) throw new Error(`${dev}: the output's gradFn is ${y.gradFn?.name}, not ScatteredExperts`);
    y.sum().backward();
    if (I.sei.grad || I.sse.grad || I.off.grad) throw new Error(`${dev}: an index input got a gradient`);
    y.dispose();
    I.dispose();
  }
});

test('scatteredExperts: bad input throws naming the argument and shapes; the next call works', async () => {
  for (const dev of await backends()) {
    const c: Config = { T: 4, k: 2, E: 3, dIn: 5, dOut: 6, groupedIn: false, groupedOut: false, gates: true, bias: true };
    const I = inputsOn(dev, c, makeProblem(c, 9));
    const { x, w, sei, sse, off, gates, b } = I;
    const k = c.k;
    const int = (n: number): Tensor => sg.zeros([n], { dtype: 'int32', device: dev });
    const flt = (...s: number[]): Tensor => sg.zeros(s, { device: dev });
    const made: Tensor[] = [];
    const mk = (t: Tensor): Tensor => { made.push(t); return t; };
    throwsWith(() => scatteredExperts(x, mk(flt(3, 4, 6)), k, sei, sse, off), /scatteredExperts/, /expertWeights/, /\[3, 4, 6\]/, /dIn 4/, /x \[4, 5\]/);
    throwsWith(() => scatteredExperts(x, w, k, mk(sse.float()), sse, off), /sortedExpertIdxs/, /int32/, /float32/);
    throwsWith(() => scatteredExperts(x, w, k, sei, mk(int(7)), off), /sortedExpertIdxs \[8\]/, /sortedScatteredIdxs \[7\]/);
    throwsWith(() => scatteredExperts(x, w, k, mk(int(7)), mk(int(7)), off), /sortedScatteredIdxs \[7\]/, /T·k = 4·2 = 8/, /x \[4, 5\]/);
    throwsWith(() => scatteredExperts(x, w, k, sei, sse, mk(int(4))), /expertOffsets \[4\]/, /E = 3/);
    throwsWith(() => scatteredExperts(x, w, k, sei, sse, off, { gates: mk(flt(4, 3)) }), /gates/, /\(T, k\) = \[4, 2\]/, /\[4, 3\]/);
    throwsWith(() => scatteredExperts(x, w, k, sei, sse, off, { gates: gates!, groupedOut: true }), /gates/, /groupedOut/);
    throwsWith(() => scatteredExperts(x, w, 0, sei, sse, off), /k must be an integer >= 1/, /got 0/);
    throwsWith(() => scatteredExperts(x, w, k, sei, sse, off, { groupedIn: true }), /groupedIn/, /8 rows/, /x \[4, 5\]/);
    throwsWith(() => scatteredExperts(x, w, k, sei, sse, off, { biases: mk(flt(3, 5)) }), /biases/, /\[3, 6\]/, /\[3, 5\]/);
    if (dev === 'cpu') {
      const badOff = mk(sg.tensor(Int32Array.from([2, 1, 8]), { dtype: 'int32' , device: dev }));
      throwsWith(() => scatteredExperts(x, w, k, sei, sse, badOff), /expertOffsets\[1\] = 1/);
      // A repeated scattered index (two rows writing one slot, another slot never written).
      const s = Array.from(await sse.toArray());
      const p = s.findIndex((v) => v === s[5]);
      const dup = s.map((v, i) => (i === 6 ? s[p] : v));
      const dupT = mk(sg.tensor(Int32Array.from(dup), { device: dev }));
      throwsWith(() => scatteredExperts(x, w, k, sei, dupT, off), /^scatteredExperts: sortedScatteredIdxs\[6\] = \d+ repeats sortedScatteredIdxs\[5\]/);
    }
    // The next call works and is right.
    const y = scatteredExperts(x, w, k, sei, sse, off, { gates, biases: b });
    const P = makeProblem(c, 9);
    allclose(await y.toArray(), refForward(P, refSort(P.choices, c.E)), TOL, `${dev} after errors`);
    y.dispose();
    for (const t of made) t.dispose();
    I.dispose();
  }
});

test('scatteredExperts: an expert index >= E on WebGPU writes nothing out of bounds', async () => {
  if (!(await backends()).includes('webgpu')) return;
  // Choices 7 and -1 are out of range for E = 4: their rows come out zero, the rest right.
  const choices = Int32Array.from([0, 3, 1, 7, -1, 2]);
  const x = sg.tensor([[1, 2], [3, 4], [5, 6]], { device: 'webgpu' });
  const w = sg.tensor(Array.from({ length: 4 * 2 * 2 }, (_, i) => i + 1), { shape: [4, 2, 2], device: 'webgpu' });
  const idx = sg.tensor(choices, { shape: [3, 2], dtype: 'int32', device: 'webgpu' });
  // Outside debug mode (in debug mode the unawaited `checked` would end the process).
  const wasDebug = sg.debug();
  sg.debug(false);
  const r = flattenSortCount(idx, 4);
  sg.debug(wasDebug);
  const y = scatteredExperts(x, w, 2, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets);
  const got = await y.toArray();
  const W = await w.toArray();
  const X = [[1, 2], [3, 4], [5, 6]];
  const want: number[] = [];
  choices.forEach((e, s) => {
    for (let c = 0; c < 2; c++) want.push(e >= 0 && e < 4 ? X[Math.floor(s / 2)][0] * W[e * 4 + c] + X[Math.floor(s / 2)][1] * W[e * 4 + 2 + c] : 0);
  });
  assertEqualArrays(got, want, 'rows of bad choices are zero');
  for (const t of [x, w, idx, y, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets]) t.dispose();
});

test.run();
