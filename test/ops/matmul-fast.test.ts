// The fast matmul paths against a float64 reference: the vec4 tiled kernel (both tile
// configs, every contiguity of A and B, edge tiles, batches, float16 and mixed dtypes,
// gradients) and, where the adapter has chromium-experimental-subgroup-matrix, the float16
// tensor-core kernel. On adapters without it that test says so and checks nothing.
import { test } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { runtime } from '../../src/backend/runtime.js';
import { hasSubgroupMatrix } from '../../src/gemm/subgroup.js';
import { backends, rt, allclose, relErr, gradsOf, f64Copies, tolFor, keysOf, refBmm as ref, type Tol } from '../helpers.js';

function transposeData(x: ArrayLike<number>, B: number, R: number, C: number): Float64Array {
  const o = new Float64Array(B * R * C);
  for (let b = 0; b < B; b++) for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) o[b * R * C + c * R + r] = x[b * R * C + r * C + c];
  return o;
}

const F32: Tol = { rtol: 1e-4, atol: 1e-4 };

/** Runs a·b with a and b given as plain or as transposed views of their transposes. */
async function checkCase(dev: 'webgpu', B: number, M: number, K: number, N: number, aT: boolean, bT: boolean, dtype: 'float32' | 'float16', seed: number): Promise<void> {
  const what = `${dtype} [${B}, ${M}, ${K}]·[${B}, ${K}, ${N}]${aT ? ' aᵀ-view' : ''}${bT ? ' bᵀ-view' : ''}`;
  const { t: as, x: xs } = rt(aT ? [B, K, M] : [B, M, K], seed, dev, { dtype });
  const { t: bs, x: ys } = rt(bT ? [B, N, K] : [B, K, N], seed + 1, dev, { dtype });
  const a = aT ? as.transpose(1, 2) : as;
  const b = bT ? bs.transpose(1, 2) : bs;
  const x = aT ? transposeData(xs, B, K, M) : xs;
  const y = bT ? transposeData(ys, B, N, K) : ys;
  const out = sg.bmm(a, b);
  if (out.dtype !== dtype) throw new Error(`${what}: got dtype ${out.dtype}`);
  const want = ref(x, y, B, M, K, N);
  const got = await out.toArray();
  allclose(got, want, dtype === 'float16' ? tolFor('float16') : F32, what);
  // Over the whole output, float16 operands with f32 accumulation and one rounding of the
  // result land near 2^-11; an elementwise 1e-2 alone would pass a slightly wrong kernel.
  const e = relErr(got, want);
  if (dtype === 'float16' && !(e <= 2e-3)) throw new Error(`${what}: |got - ref| / |ref| = ${e.toExponential(2)}`);
  sg.tidy(() => [as, bs, a, b, out].forEach((t) => t.dispose()));
}

const shapes: Array<[number, number, number, number]> = [
  [1, 64, 16, 64], [1, 128, 64, 128], [1, 300, 132, 260], [3, 96, 48, 100], [1, 36, 20, 44],
];

test('matmul fast path: vec4 tiled kernel, every layout of a and b, edge tiles, batches', async () => {
  if (!(await backends()).includes('webgpu')) return;
  let seed = 1;
  for (const [B, M, K, N] of shapes) {
    for (const aT of [false, true]) for (const bT of [false, true]) await checkCase('webgpu', B, M, K, N, aT, bT, 'float32', seed++);
  }
  // Enough output tiles to select the big (128x128) config.
  await checkCase('webgpu', 16, 512, 64, 512, false, false, 'float32', 90);
  await checkCase('webgpu', 16, 512, 64, 512, true, true, 'float32', 91);
});

test('matmul fast path: batch broadcasting and the folded linear-layer case', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const { t: a, x } = rt([2, 3, 40, 64], 5, 'webgpu');
  const { t: w, x: y } = rt([64, 36], 6, 'webgpu');
  allclose(await a.matmul(w).toArray(), ref(x, y, 1, 240, 64, 36), F32, 'folded');
  const { t: p, x: xp } = rt([1, 48, 32], 7, 'webgpu');
  const { t: q, x: xq } = rt([4, 32, 40], 8, 'webgpu');
  const exp = new Float64Array(4 * 48 * 40);
  for (let i = 0; i < 4; i++) exp.set(ref(xp, xq.subarray(i * 32 * 40, (i + 1) * 32 * 40), 1, 48, 32, 40), i * 48 * 40);
  allclose(await p.matmul(q).toArray(), exp, F32, 'broadcast batch');
});

test('matmul fast path: float16 and mixed float16·float32', async () => {
  if (!(await backends()).includes('webgpu')) return;
  if (!sg.deviceInfo().features.includes('shader-f16')) { console.log('# adapter lacks shader-f16: skipped'); return; }
  await checkCase('webgpu', 1, 128, 64, 96, false, false, 'float16', 20);
  await checkCase('webgpu', 2, 68, 36, 72, true, true, 'float16', 22);
  const { t: a, x } = rt([64, 48], 30, 'webgpu', { dtype: 'float16' });
  const { t: b, x: y } = rt([48, 64], 31, 'webgpu');
  const out = a.matmul(b);
  if (out.dtype !== 'float32') throw new Error(`f16·f32 gave ${out.dtype}`);
  allclose(await out.toArray(), ref(x, y, 1, 64, 48, 64), tolFor('float16'), 'f16·f32');
});

test('matmul fast path: gradients (transposed views in the backward) match CPU float64', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const fns: Array<[string, number[], number[], (a: Tensor, b: Tensor) => Tensor]> = [
    ['2-D', [128, 64], [64, 96], (a, b) => a.matmul(b)],
    ['bmm a·bᵀ', [2, 64, 48], [2, 80, 48], (a, b) => sg.bmm(a, b.transpose(1, 2))],
    ['linear', [3, 40, 64], [64, 32], (a, b) => a.matmul(b)],
  ];
  let seed = 40;
  for (const [name, sa, sb, fn] of fns) {
    const { t: a } = rt(sa, seed++, 'webgpu', { requiresGrad: true });
    const { t: b } = rt(sb, seed++, 'webgpu', { requiresGrad: true });
    const got = await gradsOf(fn, [a, b]);
    const exp = await gradsOf(fn, await f64Copies([a, b]));
    allclose(got.out, exp.out, F32, `${name} output`);
    got.grads.forEach((g, i) => allclose(g!, exp.grads[i]!, F32, `${name} grad of ${'ab'[i]}`));
  }
});

// The staged tensor-core kernel (src/gemm/tc.ts) with its subgroup-matrix builtins written
// out in WGSL, so that lavapipe runs its tiling, loads and edges: partial tiles both ways, K not a
// multiple of the K step, 4-half loads (K = 36), a batch, Bᵀ (staged [n][k]), broadcast B, Aᵀ
// (staged [k][m], 8- and 4-half loads).
test('matmul: float16 staged tensor-core kernel, emulated subgroup matrices (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  if (!sg.deviceInfo().features.includes('shader-f16')) { console.log('# adapter lacks shader-f16: skipped'); return; }
  const keys = await keysOf(() => sg.withTuning({ moeTc: 'emulate' }, async () => {
    let seed = 70;
    for (const [B, M, K, N, bT] of [[1, 48, 40, 72, false], [2, 33, 36, 20, true], [1, 64, 64, 64, true]] as Array<[number, number, number, number, boolean]>) {
      await checkCase('webgpu', B, M, K, N, false, bT, 'float16', seed++);
    }
    await checkCase('webgpu', 1, 48, 40, 72, true, false, 'float16', seed++);
    await checkCase('webgpu', 2, 36, 40, 24, true, true, 'float16', seed++);
    // The one-step-ahead loop (tcDepth 1), 3 K steps.
    await sg.withTuning({ tcDepth: 1 }, () => checkCase('webgpu', 1, 40, 40, 48, false, true, 'float16', seed++));
    // Four steps ahead (tcDepth 4, unrolled by four): 1 to 7 K steps, every remainder mod 4.
    for (const K of [16, 32, 40, 64, 80, 96, 112]) await sg.withTuning({ tcDepth: 4 }, () => checkCase('webgpu', 1, 40, K, 48, false, K % 32 === 0, 'float16', seed++));
    const { t: p, x: xp } = rt([3, 40, 32], 79, 'webgpu', { dtype: 'float16' });
    const { t: q, x: xq } = rt([32, 24], 80, 'webgpu', { dtype: 'float16' });
    allclose(await sg.bmm(p, q.expand([3, 32, 24])).toArray(), ref(xp, Float64Array.from({ length: 3 * 32 * 24 }, (_, i) => xq[i % (32 * 24)]), 3, 40, 32, 24), tolFor('float16'), 'broadcast B');
  }));
  for (const k of ['matmul-tc:emulate:2x2x1x1x16x16:a8:wkn8', 'matmul-tc:emulate:2x2x1x1x16x16:a4:wnk4', 'matmul-tc:emulate:2x2x1x1x16x16:a8:wnk8',
    'matmul-tc:emulate:2x2x1x1x16x16:akm8:wkn8', 'matmul-tc:emulate:2x2x1x1x16x16:akm4:wnk8']) {
    if (![...keys].some((x) => x.startsWith(k) && !x.includes('|tcDepth=1'))) throw new Error(`no ${k} kernel among ${[...new Set(keys)].join(', ')}`);
  }
  for (const k of ['matmul-tc:emulate:2x2x1x1x16x16:a8:wnk8:y8|tcDepth=1', 'matmul-tc:emulate:2x2x1x1x16x16:a8:wnk8:y8|tcDepth=4', 'matmul-tc:emulate:2x2x1x1x16x16:a8:wkn8:y8|tcDepth=4']) {
    if (![...keys].some((x) => x.startsWith(k))) throw new Error(`no ${k} kernel among ${[...new Set(keys)].join(', ')}`);
  }
});

test('matmul: float16 on subgroup matrices (tensor cores) where the adapter has them', async () => {
  if (!(await backends()).includes('webgpu')) return;
  if (!hasSubgroupMatrix(runtime.gpu!)) { console.log('# adapter lacks chromium-experimental-subgroup-matrix (f16->f32 16x16x16): skipped'); return; }
  const before = runtime.gpu!.pipelineCount;
  let seed = 60;
  for (const [B, M, K, N] of [[1, 128, 64, 128], [1, 256, 128, 192], [2, 80, 48, 96], [1, 144, 256, 64]] as Array<[number, number, number, number]>) {
    for (const aT of [false, true]) for (const bT of [false, true]) await checkCase('webgpu', B, M, K, N, aT, bT, 'float16', seed++);
  }
  if (runtime.gpu!.pipelineCount === before) throw new Error('the subgroup-matrix kernel was not used');
  // Both tiles forced (products this small would take the mid one), 1, 2, 3, 5 or 6 K steps
  // (32 or 16 deep) with partial last ones, loading two steps ahead, one and four; Aᵀ needs M
  // a multiple of 4 for the tensor cores, so M = 130 is A·B and A·Bᵀ only.
  const keys = await keysOf(async () => {
    for (const tile of ['big', 'mid']) for (const depth of [2, 1, 4] as const) {
      await sg.withTuning({ moeTcTile: tile, tcDepth: depth }, async () => {
        for (const [M, K, N] of [[200, 96, 136], [64, 16, 48], [136, 40, 144], [130, 72, 48]] as Array<[number, number, number]>) {
          await checkCase('webgpu', 1, M, K, N, false, false, 'float16', seed++);
          await checkCase('webgpu', 1, M, K, N, false, true, 'float16', seed++);
          if (M % 4 === 0) await checkCase('webgpu', 1, M, K, N, true, false, 'float16', seed++);
        }
      });
    }
  });
  for (const k of ['matmul-tc:real:4x2x2x4x32x32:a8:wkn', 'matmul-tc:real:2x4x4x4x16x32:akm8:', 'matmul-tc:real:2x4x4x4x16x32:a8:wnk', 'matmul-tc:real:2x2x2x2x32x32:a8:', 'matmul-tc:real:2x2x2x2x32x32:akm8:']) {
    if (![...keys].some((x) => x.startsWith(k) && !x.includes('|tcDepth=1'))) throw new Error(`no ${k} kernel among ${[...new Set(keys)].join(', ')}`);
    if (![...keys].some((x) => x.startsWith(k) && x.includes('|tcDepth=1'))) throw new Error(`no ${k}…|tcDepth=1 kernel among ${[...new Set(keys)].join(', ')}`);
    if (![...keys].some((x) => x.startsWith(k) && x.includes('|tcDepth=4'))) throw new Error(`no ${k}…|tcDepth=4 kernel among ${[...new Set(keys)].join(', ')}`);
  }
});

test.run();
