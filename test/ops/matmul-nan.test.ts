// matmul with NaN and ±Inf in its operands, on every dense kernel (the tiled ones, the
// CPU-adapter kernel, the scalar and per-output kernels, float16 on the SIMT and the staged
// tensor-core kernels) and on the CPU, against the float64 product in IEEE arithmetic: a NaN
// reaches its output row (or column), ±Inf gives ±Inf or NaN where signs meet, and 0 · ±Inf
// is NaN. The specials sit in middle rows and columns; the sizes end tiles and K steps
// part-way, so the padding meets them too. (Gradients are products by the same kernels of
// transposed views, which the kernels read as they read these.)
import { test } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tuning } from '../../src/index.js';
import { roundF16 } from '../../src/tensor/dtype.js';
import { allclose, backends, keysOf, randArray, refBmm, type Dev } from '../helpers.js';

const [M, K, N] = [70, 44, 68];

/** A (M, K) and B (K, N), seeded, with the specials placed. */
function operands(seed: number, dtype: 'float32' | 'float16'): { a: Float64Array; b: Float64Array } {
  const round = (x: Float64Array): Float64Array => (dtype === 'float16' ? x.map(roundF16) : Float64Array.from(new Float32Array(x)));
  const a = round(randArray(M * K, seed));
  const b = round(randArray(K * N, seed + 1));
  a[5 * K + 7] = NaN; // row 5 of the output is NaN
  a[12 * K + 20] = Infinity; // row 12: ±Inf by B's signs in row 20
  a[33 * K + 3] = -Infinity; // row 33: -Inf and +Inf meet in most columns (NaN)
  a[33 * K + 40] = Infinity;
  b[10 * N + 9] = Infinity; // column 9: ±Inf, and NaN in row 50 where A has a zero
  a[50 * K + 10] = 0;
  b[30 * N + 60] = NaN; // column 60 is NaN
  return { a, b };
}

const PATHS: Array<[string, Dev, 'float32' | 'float16', Partial<Tuning>, RegExp | null]> = [
  ['cpu', 'cpu', 'float32', {}, null],
  ['auto', 'webgpu', 'float32', {}, /^matmul/],
  ['big', 'webgpu', 'float32', { matmulTile: 'big' }, /^matmul-tiled:.*:128x128x\d+:8x8:/],
  ['small', 'webgpu', 'float32', { matmulTile: 'small' }, /^matmul-tiled:.*:64x64x\d+:4x4:/],
  ['simple', 'webgpu', 'float32', { matmulTile: 'simple' }, /^matmul:/],
  ['dot', 'webgpu', 'float32', { matmulTile: 'dot' }, /^matmul-dot:/],
  ['reg', 'webgpu', 'float32', { matmulTile: 'reg' }, /^matmul-reg:/],
  ['reg-plain', 'webgpu', 'float32', { matmulTile: 'reg-plain' }, /^matmul-reg:.*:reg8x8:\d+:/],
  ['simt f16', 'webgpu', 'float16', { matmulTc: 'off' }, /^matmul/],
  ['tensor cores (emulated) f16', 'webgpu', 'float16', { moeTc: 'emulate' }, /^matmul-tc:emulate/],
];

test('matmul: NaN and ±Inf (and 0 · Inf) reach exactly the outputs the float64 product says, on every kernel', async () => {
  const devs = await backends();
  const f16 = sg.deviceInfo().features.includes('shader-f16');
  for (const [label, dev, dtype, tuning, key] of PATHS) {
    if (!devs.includes(dev) || (dtype === 'float16' && !f16)) continue;
    const { a, b } = operands(9300, dtype);
    const want = refBmm(a, b, 1, M, K, N);
    // The classes the case is built to reach, so that the test cannot pass on finite data.
    const nan = want.filter(Number.isNaN).length;
    const inf = want.filter((v) => v === Infinity || v === -Infinity).length;
    if (nan < N || inf < 20) throw new Error(`the case has ${nan} NaN and ${inf} infinite outputs; the specials were meant to reach more`);
    let got: ArrayLike<number> = [];
    const run = async (): Promise<void> => {
      const A = sg.tensor(a, { shape: [M, K], device: dev, dtype });
      const B = sg.tensor(b, { shape: [K, N], device: dev, dtype });
      const C = A.matmul(B);
      got = await C.toArray();
      [A, B, C].forEach((t) => t.dispose());
    };
    const keys = dev === 'webgpu' ? await keysOf(() => sg.withTuning(tuning, run)) : (await run(), new Set<string>());
    if (key && ![...keys].some((k) => key.test(k))) throw new Error(`${label}: no ${key} kernel ran; dispatched ${[...keys].join(', ')}`);
    const tol = dtype === 'float16' ? { rtol: 1e-2, atol: 5e-2 } : { rtol: 1e-5, atol: 1e-5 };
    allclose(got, want, tol, `${label} ${dtype} matmul ${M}x${K}x${N} with NaN/±Inf`);
  }
});

test.run();
