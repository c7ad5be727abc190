// Every matmul kernel the matmulTile knob can force, against a float64 reference: each
// tiled config (big 128x128, wide 128x64, tall 64x128, mid 64x64 with 8x8 per invocation,
// small 64x64 with 4x4, its K loop unrolled by two in 8x4 blocks, with and without the bounds
// checks its whole tiles skip), the CPU-adapter kernel with and without subgroup broadcasts,
// the scalar strided kernel, the dot kernel (a workgroup per output), and the automatic
// choice. Each runs edge tiles, all four transpositions, K not a multiple of 4, unaligned
// sizes, padded and unaligned row strides, broadcast batches and float16 (where the adapter
// has shader-f16). A forced kind must really run: the test records the pipeline keys
// dispatched. Products a forced tiled config cannot take (unaligned, or under 32 rows) go to
// the scalar kernel and tiny ones to the per-output kernel, as in use. The CPU backend, which
// has no tiles, runs the same cases once.
//
// On a CPU adapter (lavapipe, where CI runs) llvmpipe takes 2 to 13 s to compile each
// pipeline of the kernels it never uses by itself. There the tiles other than big and small
// (the ones the automatic choice takes on GPUs), and reg-plain (the CPU kernel for adapters
// without subgroups), run only the float32 cases whose operands have the same transposition
// (which still reaches both values of each layout flag) and skip float16, broadcast and
// mixed dtypes, whose code does not depend on the tile size. GPUs run everything.
import { test } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { runtime } from '../../src/backend/runtime.js';
import { isCpuAdapter } from '../../src/gemm/choose.js';
import { roundF16 } from '../../src/tensor/dtype.js';
import { backends, randArray, allclose, tolFor, refBmm as ref, type Dev, type Tol } from '../helpers.js';

/** How an operand [B, R, C] is laid out in memory. */
type Lay = 'plain' | 'T' | 'pad' | 'odd';

/**
 * An operand of logical shape [B, R, C] stored as `lay`: plain; T, the transpose of a [B, C, R]
 * tensor; pad, columns 4..C+3 of [B, R, C + 4] (row stride a multiple of 4, offset 4); odd,
 * columns 1..C of [B, R, C + 3] (odd row stride and offset). Returns the view, the tensor
 * that owns the memory, and the logical values row-major as the kernel sees them.
 */
function operand(B: number, R: number, C: number, lay: Lay, seed: number, dev: Dev, dtype: 'float32' | 'float16'): { t: Tensor; base: Tensor; x: Float64Array } {
  const [r, c, off] = lay === 'T' ? [C, R, 0] : lay === 'pad' ? [R, C + 4, 4] : lay === 'odd' ? [R, C + 3, 1] : [R, C, 0];
  const raw = randArray(B * r * c, seed);
  const base = sg.tensor(raw, { shape: [B, r, c], device: dev, dtype });
  // What the tensor holds after rounding to its dtype.
  const held = dtype === 'float16' ? raw.map(roundF16) : Float64Array.from(new Float32Array(raw));
  const x = new Float64Array(B * R * C);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < C; j++) x[(b * R + i) * C + j] = lay === 'T' ? held[(b * C + j) * R + i] : held[(b * R + i) * c + off + j];
    }
  }
  const t = lay === 'T' ? base.transpose(1, 2) : off ? base.narrow(2, off, C) : base;
  return { t, base, x };
}

interface Case { B: number; M: number; K: number; N: number; la: Lay; lb: Lay; dtype?: 'float32' | 'float16' }

const F32: Tol = { rtol: 1e-4, atol: 1e-4 };

const CASES: Case[] = [
  // edge tiles in M and N, all four transpositions
  ...(['plain', 'T'] as Lay[]).flatMap((la) => (['plain', 'T'] as Lay[]).map((lb) => ({ B: 1, M: 132, K: 64, N: 100, la, lb }))),
  // whole tiles in M, N and K: the tiled kernel without bounds checks
  { B: 2, M: 128, K: 32, N: 128, la: 'plain', lb: 'plain' },
  { B: 1, M: 128, K: 48, N: 128, la: 'T', lb: 'T' },
  // K % 4 != 0 with both operands contiguous along their outer dim (the K tail)
  { B: 2, M: 40, K: 30, N: 52, la: 'T', lb: 'plain' },
  // unaligned sizes: no vec4 anywhere
  { B: 3, M: 37, K: 29, N: 45, la: 'plain', lb: 'plain' },
  { B: 1, M: 37, K: 29, N: 45, la: 'T', lb: 'T' },
  // row strides: padded (vec4-readable) and odd
  { B: 2, M: 48, K: 32, N: 40, la: 'pad', lb: 'odd' },
  { B: 2, M: 48, K: 32, N: 40, la: 'odd', lb: 'pad' },
  { B: 1, M: 68, K: 36, N: 72, la: 'pad', lb: 'pad' },
  // few rows (the CPU kernel's 8- and 16-row configs) and a tall thin product
  { B: 1, M: 12, K: 40, N: 96, la: 'plain', lb: 'plain' },
  { B: 2, M: 20, K: 16, N: 128, la: 'plain', lb: 'T' },
  { B: 1, M: 300, K: 8, N: 36, la: 'plain', lb: 'plain' },
  // few outputs over a long K, both operands contiguous along it (the dot kernel)
  { B: 3, M: 4, K: 260, N: 2, la: 'plain', lb: 'T' },
  // float16
  { B: 1, M: 68, K: 36, N: 72, la: 'plain', lb: 'plain', dtype: 'float16' },
  { B: 2, M: 40, K: 20, N: 44, la: 'T', lb: 'T', dtype: 'float16' },
  { B: 1, M: 33, K: 17, N: 50, la: 'plain', lb: 'odd', dtype: 'float16' },
];

async function runCase(dev: Dev, c: Case, seed: number, what: string): Promise<void> {
  const dtype = c.dtype ?? 'float32';
  const a = operand(c.B, c.M, c.K, c.la, seed, dev, dtype);
  const b = operand(c.B, c.K, c.N, c.lb, seed + 1, dev, dtype);
  const out = sg.bmm(a.t, b.t);
  const name = `${what} ${dtype} [${c.B}, ${c.M}, ${c.K}]·[${c.B}, ${c.K}, ${c.N}] a ${c.la} b ${c.lb}`;
  if (out.dtype !== dtype) throw new Error(`${name}: got dtype ${out.dtype}`);
  allclose(await out.toArray(), ref(a.x, b.x, c.B, c.M, c.K, c.N), dtype === 'float16' ? tolFor('float16') : F32, name);
  sg.tidy(() => [a.t, a.base, b.t, b.base, out].forEach((t) => t.dispose()));
}

/** Broadcast batch dims and mixed float16·float32, through matmul. */
async function runBroadcast(dev: Dev, what: string): Promise<void> {
  const a = operand(2, 33, 16, 'plain', 70, dev, 'float32');
  const b = operand(3, 16, 36, 'T', 71, dev, 'float32');
  const out = a.t.reshape([2, 1, 33, 16]).matmul(b.t); // [2, 3, 33, 36]
  const exp = new Float64Array(6 * 33 * 36);
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      exp.set(ref(a.x.subarray(i * 33 * 16, (i + 1) * 33 * 16), b.x.subarray(j * 16 * 36, (j + 1) * 16 * 36), 1, 33, 16, 36), (i * 3 + j) * 33 * 36);
    }
  }
  allclose(await out.toArray(), exp, F32, `${what} broadcast batch`);
  sg.tidy(() => [a.t, a.base, b.t, b.base, out].forEach((t) => t.dispose()));
  if (!sg.deviceInfo().features.includes('shader-f16') && dev === 'webgpu') return;
  const h = operand(1, 64, 48, 'plain', 72, dev, 'float16');
  const f = operand(1, 48, 64, 'plain', 73, dev, 'float32');
  const mixed = h.t.matmul(f.t);
  if (mixed.dtype !== 'float32') throw new Error(`${what} f16·f32 gave ${mixed.dtype}`);
  allclose(await mixed.toArray(), ref(h.x, f.x, 1, 64, 48, 64), tolFor('float16'), `${what} f16·f32`);
  sg.tidy(() => [h.t, h.base, f.t, f.base, mixed].forEach((t) => t.dispose()));
}

/** Runs `fn` with the matmulTile knob set to `kind` and returns the pipeline keys dispatched. */
async function withTile(kind: string, fn: () => Promise<void>): Promise<string[]> {
  const g = runtime.gpu;
  const keys: string[] = [];
  const dispatch = g?.dispatch;
  if (g && dispatch) g.dispatch = (call) => { dispatch.call(g, call); keys.push(g.pipelineKey(call)); };
  try {
    await sg.withTuning({ matmulTile: kind }, fn);
  } finally {
    if (g && dispatch) g.dispatch = dispatch;
  }
  return keys;
}

/** The pipeline key each forced kind must produce at least once. */
const EXPECT: Record<string, RegExp> = {
  big: /^matmul-tiled:.*:128x128x\d+:8x8:/,
  wide: /^matmul-tiled:.*:128x64x\d+:8x8:/,
  tall: /^matmul-tiled:.*:64x128x\d+:8x8:/,
  mid: /^matmul-tiled:.*:64x64x\d+:8x8:/,
  small: /^matmul-tiled:.*:64x64x\d+:4x4:/,
  // The tile of adapters with 16 KiB of workgroup memory (TILES.low).
  '64x64x8:8x4': /^matmul-tiled:.*:64x64x8:8x4:/,
  reg: /^matmul-reg:/,
  'reg-plain': /^matmul-reg:.*:reg8x8:\d+:/,
  simple: /^matmul:/,
  dot: /^matmul-dot:/,
};

for (const kind of ['auto', ...Object.keys(EXPECT)]) {
  test(`matmul tiles: ${kind}`, async () => {
    const devs = await backends();
    const hasF16 = devs.includes('webgpu') && sg.deviceInfo().features.includes('shader-f16');
    // The CPU backend has no tiles: it runs the cases once, with the automatic choice.
    const reduced = devs.includes('webgpu') && isCpuAdapter(runtime.gpu!) && !['auto', 'big', 'small', 'reg', 'simple', 'dot'].includes(kind);
    for (const dev of kind === 'auto' ? devs : devs.filter((d) => d === 'webgpu')) {
      const keys = await withTile(kind, async () => {
        let seed = 1;
        for (const c of CASES) {
          seed += 2;
          if (c.dtype === 'float16' && dev === 'webgpu' && !hasF16) continue;
          if (reduced && ((c.la === 'T') !== (c.lb === 'T') || c.dtype === 'float16')) continue;
          await runCase(dev, c, seed, `${dev} ${kind}`);
        }
        if (!reduced) await runBroadcast(dev, `${dev} ${kind}`);
      });
      if (dev === 'webgpu' && EXPECT[kind] && !keys.some((k) => EXPECT[kind].test(k))) {
        throw new Error(`matmulTile ${kind}: no ${EXPECT[kind]} pipeline ran; dispatched ${[...new Set(keys)].join(', ')}`);
      }
      // The whole-tile cases take the small tile's kernel without bounds checks (key ending ':x').
      if (dev === 'webgpu' && kind === 'small' && !keys.some((k) => EXPECT[kind].test(k) && k.endsWith(':x'))) {
        throw new Error(`matmulTile ${kind}: the whole-tile cases did not take the unchecked kernel; dispatched ${[...new Set(keys)].join(', ')}`);
      }
    }
  });
}

test('matmul tiles: an unknown matmulTile, or a tile the adapter cannot run, is an error naming the choices', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const a = sg.ones([64, 64], { device: 'webgpu' });
  let msg = '';
  try { await withTile('huge', async () => { a.matmul(a).dispose(); }); } catch (e) { msg = (e as Error).message; }
  if (!/^withTuning: matmulTile = 'huge' is not allowed; .*SCATTERGRAD_MATMUL_TILE.*big.*reg/.test(msg)) throw new Error(`expected an error naming the tiles, got "${msg}"`);
  // Well formed in shape but not in its loads (RM 3), then more invocations than any adapter has.
  for (const bad of ['64x64x16:3x3', '256x256x16:4x4']) {
    msg = '';
    await withTile(bad, async () => {
      try { a.matmul(a).dispose(); } catch (e) { msg = (e as Error).message; }
    });
    if (!msg.startsWith(`matmul: matmulTile (SCATTERGRAD_MATMUL_TILE) ${bad} is not a tile this adapter can run`)) throw new Error(`${bad}: expected an error naming it, got "${msg}"`);
  }
  a.dispose();
});

test('matmul tiles: a bad matmulUnroll or matmulMap is an error naming it; the next matmul works', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const x = randArray(64 * 64, 5);
  const a = sg.tensor(Float32Array.from(x), { shape: [64, 64], device: 'webgpu' });
  for (const [name, bad] of [['matmulUnroll', 4], ['matmulMap', 3]] as const) {
    let msg = '';
    try {
      await withTile('small', () => sg.withTuning({ [name]: bad }, async () => { a.matmul(a).dispose(); }));
    } catch (e) { msg = (e as Error).message; }
    if (!msg.startsWith(`withTuning: ${name} = ${bad} is not allowed`)) throw new Error(`${name} ${bad}: expected an error naming it, got "${msg}"`);
  }
  const out = a.matmul(a);
  allclose(await out.toArray(), ref(Float32Array.from(x), Float32Array.from(x), 1, 64, 64, 64), F32, 'matmul after bad loop knobs');
  [a, out].forEach((t) => t.dispose());
});

test.run();
