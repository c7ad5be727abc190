// The tiled MoE kernels (src/moe/gemm.ts) with each tile forced (SCATTERGRAD_MOE_TILE): the
// 128x128 tiles never meet the small problems of the other suites. Edge tiles (T·k and the
// feature sizes not multiples of the tile), many experts with empty ones, odd sizes (the
// scalar-load variant), transposed weights, float16.
import { test } from 'uvu';
import * as sg from '../../src/index.js';
import { backends, allclose } from '../helpers.js';
import { roundF16 } from '../../src/tensor/dtype.js';
import { refSort, refForward, refBackward } from './reference.js';
import { timeTests, describe, flagCombos, makeProblem, runCase, upstream, type Config } from './cases.js';

timeTests(test);

async function check(c: Config, seed: number, dtype: 'float32' | 'float16'): Promise<void> {
  const half = (a: Float64Array | null): Float64Array | null => (a && dtype === 'float16' ? a.map(roundF16) : a);
  const P0 = makeProblem(c, seed);
  const P = { ...P0, x: half(P0.x)!, w: half(P0.w)!, b: half(P0.b), gates: half(P0.gates) };
  const S = refSort(P.choices, c.E);
  const G = half(upstream(P, seed + 7))!;
  const want = refBackward(P, S, G);
  const got = await runCase('webgpu', c, P, S, G, dtype);
  const tol = dtype === 'float16' ? { rtol: 2e-2, atol: 2e-2 } : { rtol: 1e-4, atol: 1e-4 };
  const what = `webgpu ${dtype} tile ${process.env.SCATTERGRAD_MOE_TILE} ${describe(c)}`;
  allclose(got.out, refForward(P, S), tol, `${what}: output`);
  allclose(got.dx, want.dx, tol, `${what}: dx`);
  allclose(got.dw, want.dw, tol, `${what}: dW`);
  if (c.bias) allclose(got.db!, want.db, tol, `${what}: db`);
  if (c.gates) allclose(got.dgates!, want.dgates, tol, `${what}: dgates`);
}

test('scatteredExperts: tiled kernels with 128x128 and 64x64 tiles forced, edge tiles, E = 64 (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const saved = process.env.SCATTERGRAD_MOE_TILE;
  try {
    let seed = 7000;
    let i = 0;
    // [T, k, E, dIn, dOut]: 131·3 = 393 rows (not a multiple of 64 or 128), 64 experts (some
    // empty) over 150 rows, sizes that are and are not multiples of 4.
    const shapes: Array<[number, number, number, number, number]> = [[131, 3, 5, 132, 136], [75, 2, 64, 20, 36], [50, 1, 3, 130, 7], [40, 4, 64, 9, 140]];
    for (const tile of ['big', 'mid']) {
      process.env.SCATTERGRAD_MOE_TILE = tile;
      for (const flags of flagCombos()) {
        const [T, k, E, dIn, dOut] = shapes[i % shapes.length];
        await check({ ...flags, T, k, E, dIn, dOut, sparse: i % 3 === 1, transposedW: i % 2 === 0 }, seed++, 'float32');
        i++;
      }
    }
  } finally {
    if (saved === undefined) delete process.env.SCATTERGRAD_MOE_TILE;
    else process.env.SCATTERGRAD_MOE_TILE = saved;
  }
});

test('scatteredExperts: tiled kernels in float16 with 128x128 tiles (WebGPU where shader-f16 exists)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  if (!sg.deviceInfo().features.includes('shader-f16')) { console.log('# adapter lacks shader-f16: skipped'); return; }
  const saved = process.env.SCATTERGRAD_MOE_TILE;
  try {
    process.env.SCATTERGRAD_MOE_TILE = 'big';
    let seed = 7500;
    for (const flags of flagCombos()) {
      await check({ ...flags, T: 70, k: 2, E: 9, dIn: 68, dOut: 132, sparse: seed % 2 === 0, transposedW: seed % 3 === 0 }, seed++, 'float16');
    }
  } finally {
    if (saved === undefined) delete process.env.SCATTERGRAD_MOE_TILE;
    else process.env.SCATTERGRAD_MOE_TILE = saved;
  }
});

test.run();
