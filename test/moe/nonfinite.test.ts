// ScatteredExperts with NaN and ±Inf in its inputs, against the float64 reference on every
// path: the CPU, the SIMT kernels (float32, and float16 with moeTc off) and the tensor-core
// kernels (float16: emulated, and the real ones where the adapter has subgroup matrices); the
// kernels each path must reach are asserted from the dispatch keys. Each case puts one
// non-finite value somewhere other than the first position; the outputs and gradients it
// reaches must be NaN or ±Inf exactly where the reference's are, and the rest still close.
// The shapes are odd on purpose: K steps and tiles end part-way, so padding meets the values.
import { test } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tuning } from '../../src/index.js';
import { backends, allclose, keysOf } from '../helpers.js';
import { runtime } from '../../src/backend/runtime.js';
import { hasSubgroupMatrix } from '../../src/gemm/subgroup.js';
import { roundF16 } from '../../src/tensor/dtype.js';
import { makeProblem, refSort, runCase, upstream, describe, type Config, type Dev } from './cases.js';
import { refForward, refBackward, type Problem } from './reference.js';

const F = { groupedIn: false, groupedOut: false, gates: false, bias: false };
const CONFIGS: Config[] = [
  { ...F, gates: true, bias: true, T: 11, k: 2, E: 3, dIn: 9, dOut: 21 },
  { ...F, groupedIn: true, groupedOut: true, bias: true, T: 10, k: 3, E: 4, dIn: 18, dOut: 7, transposedW: true },
];

type Where = 'x' | 'w' | 'b' | 'gates' | 'G';
/** One non-finite value per case, away from index 0. */
const CASES: Array<[Where, number]> = [['x', NaN], ['x', -Infinity], ['w', Infinity], ['b', NaN], ['gates', -Infinity], ['gates', NaN], ['G', Infinity]];

function poke(P: Problem, G: Float64Array, where: Where, v: number, c: Config): void {
  const arr = where === 'G' ? G : P[where];
  if (!arr) return;
  // A middle element: row 3 of x, row dIn - 2 of scattered row 5's expert, bias of expert 2, ...
  const s = 5;
  const e = P.choices[s];
  const at = { x: 3 * c.dIn + 2, w: (e * c.dIn + c.dIn - 2) * c.dOut + 3, b: 2 * c.dOut + 1, gates: s, G: 4 * c.dOut + c.dOut - 1 }[where];
  arr[at] = v;
  // And a zero in an input row that meets the value (0 · ±Inf is NaN): scattered row 5's for
  // the weight, for the upstream gradient the row of a scattered row that row 4 of G reaches.
  const S = refSort(P.choices, c.E);
  const xRow = (r: number): number => (c.groupedIn ? S.pos[r] : Math.floor(r / c.k));
  if (where === 'w') P.x[xRow(s) * c.dIn + c.dIn - 2] = 0;
  if (where === 'G') P.x[xRow(c.gates ? 4 * c.k : c.groupedOut ? S.sse[4] : 4) * c.dIn + 1] = 0;
}

/** Device, dtype, tuning, label, and the kernels that must run (their key prefixes, from the
 * kernel's name: s2s or xty). */
type Kernels = ((k: 's2s' | 'xty') => string) | null;
const simt: Kernels = (k) => `moe.${k}:`;
const tc = (mode: string): Kernels => (k) => `moe.${k}Tc:${mode}`;
const PATHS: Array<[Dev, 'float32' | 'float16', Partial<Tuning>, string, Kernels]> = [
  ['cpu', 'float32', {}, 'cpu', null],
  ['webgpu', 'float32', {}, 'simt f32', simt],
  ['webgpu', 'float16', { moeTc: 'off' }, 'simt f16', simt],
  ['webgpu', 'float16', { moeTc: 'emulate' }, 'tensor cores (emulated) f16', tc('emulate')],
  ['webgpu', 'float16', { moeTc: 'auto' }, 'tensor cores f16', tc('real')],
];

test('scatteredExperts: NaN and ±Inf reach exactly the outputs and gradients the reference says, on every path', async () => {
  const devs = await backends();
  const f16 = sg.deviceInfo().features.includes('shader-f16');
  let seed = 9100;
  for (const [dev, dtype, tuning, label, kernels] of PATHS) {
    if (!devs.includes(dev) || (dtype === 'float16' && !f16)) continue;
    if (tuning.moeTc === 'auto' && !hasSubgroupMatrix(runtime.gpu!)) continue;
    const keys = new Set<string>();
    for (const c of CONFIGS) {
      for (const [where, v] of CASES) {
        if ((where === 'gates' && !c.gates) || (where === 'b' && !c.bias)) continue;
        const half = (a: Float64Array | null): Float64Array | null => (a && dtype === 'float16' ? a.map(roundF16) : a);
        const P0 = makeProblem(c, seed);
        const P: Problem = { ...P0, x: half(P0.x)!, w: half(P0.w)!, b: half(P0.b), gates: half(P0.gates) };
        const G = half(upstream(P, seed + 7))!;
        seed++;
        poke(P, G, where, v, c);
        const S = refSort(P.choices, c.E);
        const want = refBackward(P, S, G);
        let got!: Awaited<ReturnType<typeof runCase>>;
        const run = async (): Promise<void> => { got = await sg.withTuning(tuning, () => runCase(dev, c, P, S, G, dtype)); };
        if (dev === 'webgpu') (await keysOf(run)).forEach((k) => keys.add(k));
        else await run();
        const tol = dtype === 'float16' ? { rtol: 2e-2, atol: 2e-2 } : { rtol: 1e-4, atol: 1e-4 };
        const what = `${label} ${describe(c)}, ${v} in ${where}`;
        allclose(got.out, refForward(P, S), tol, `${what}: output`);
        allclose(got.dx, want.dx, tol, `${what}: dx`);
        allclose(got.dw, want.dw, tol, `${what}: dW`);
        if (c.bias) allclose(got.db!, want.db!, tol, `${what}: db`);
        if (c.gates) allclose(got.dgates!, want.dgates!, tol, `${what}: dgates`);
      }
    }
    for (const k of ['s2s', 'xty'] as const) {
      const want = kernels?.(k);
      if (want && ![...keys].some((key) => key.startsWith(want))) throw new Error(`${label}: no ${want}… kernel ran; dispatched ${[...keys].join(', ')}`);
    }
  }
});

test.run();
