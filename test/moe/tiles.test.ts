// The tiled MoE kernels (src/gemm/scatter.ts) with each tile forced (the moeTile knob): the
// 128x128 tiles never meet the small problems of the other suites. Edge tiles (T·k and the
// feature sizes not multiples of the tile), many experts with empty ones, odd sizes (the
// scalar-load variant), transposed weights, float16.
import { test } from 'uvu';
import * as sg from '../../src/index.js';
import { backends } from '../helpers.js';
import { timeTests, flagCombos, checkWebgpu, keysOf, type Config } from './cases.js';
import type { Tuning } from '../../src/index.js';

timeTests(test);

test('scatteredExperts: tiled kernels with 128x128 and 64x64 tiles forced, edge tiles, E = 64 (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  let seed = 7000;
  let i = 0;
  // The SIMT kernels: float32 never takes the tensor-core ones, but say so anyway.
  await sg.withTuning({ moeTc: 'off' }, async () => {
    // [T, k, E, dIn, dOut]: 131·3 = 393 rows (not a multiple of 64 or 128), 64 experts (some
    // empty) over 150 rows, sizes that are and are not multiples of 4.
    const shapes: Array<[number, number, number, number, number]> = [[131, 3, 5, 132, 136], [75, 2, 64, 20, 36], [50, 1, 3, 130, 7], [40, 4, 64, 9, 140]];
    for (const tile of ['big', 'mid']) {
      await sg.withTuning({ moeTile: tile }, async () => {
        for (const flags of flagCombos()) {
          const [T, k, E, dIn, dOut] = shapes[i % shapes.length];
          await checkWebgpu({ ...flags, T, k, E, dIn, dOut, sparse: i % 3 === 1, transposedW: i % 2 === 0 }, seed++, 'float32', `tile ${tile}`);
          i++;
        }
      });
    }
  });
});

test('scatteredExperts: the tile of adapters with 16 KiB of workgroup memory (64x64x8:8x4), edge tiles (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  await sg.withTuning({ moeTc: 'off', moeTile: '64x64x8:8x4' }, async () => {
    const keys = await keysOf(async () => {
      const flags = flagCombos();
      await checkWebgpu({ ...flags[0], T: 67, k: 2, E: 5, dIn: 36, dOut: 72 }, 7500, 'float32', 'tile 64x64x8:8x4');
      await checkWebgpu({ ...flags[flags.length - 1], T: 40, k: 3, E: 9, dIn: 20, dOut: 68, transposedW: true }, 7501, 'float32', 'tile 64x64x8:8x4');
    });
    for (const k of ['moe.s2s:', 'moe.xty:']) if (![...keys].some((x) => x.startsWith(k) && x.includes(':64x64x8:8x4'))) throw new Error(`no ${k} kernel with the tile among ${[...keys].join(', ')}`);
  });
});

test('scatteredExperts: moeTile TMxTNxBK:RMxRN forces any well-formed tile; a bad one is an error (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  await sg.withTuning({ moeTc: 'off', moeTile: '128x64x8:8x8' }, async () => {
    const keys = await keysOf(async () => {
      const flags = flagCombos();
      await checkWebgpu({ ...flags[0], T: 131, k: 3, E: 5, dIn: 132, dOut: 72 }, 7400, 'float32', 'tile 128x64x8:8x8');
      await checkWebgpu({ ...flags[flags.length - 1], T: 75, k: 2, E: 9, dIn: 20, dOut: 68, transposedW: true }, 7401, 'float32', 'tile 128x64x8:8x8');
    });
    for (const k of ['moe.s2s:', 'moe.xty:']) if (![...keys].some((x) => x.startsWith(k) && x.includes(':128x64x8:8x8'))) throw new Error(`no ${k} kernel with the forced tile among ${[...keys].join(', ')}`);
  });
  const x = sg.randn([8, 4], { device: 'webgpu' });
  const w = sg.randn([2, 4, 4], { device: 'webgpu' });
  const { sortedExpertIdxs, sortedScatteredIdxs, expertOffsets } = sg.flattenSortCount(sg.tensor(new Int32Array([0, 1, 1, 0, 0, 1, 1, 0]), { shape: [8, 1], device: 'webgpu' }), 2);
  // Not a tile at all: withTuning refuses it. Ill-formed (RM not a multiple of 4) or too many
  // invocations for the adapter: the kernel that would use it refuses it, before any GPU work.
  for (const bad of ['huge', '128x64x8:6x8', '128x128x16:4x4']) {
    let msg = '';
    try {
      await sg.withTuning({ moeTc: 'off', moeTile: bad }, async () => {
        sg.scatteredExperts(x, w, 1, sortedExpertIdxs, sortedScatteredIdxs, expertOffsets).dispose();
      });
    } catch (e) { msg = (e as Error).message; }
    const want = bad === 'huge' ? /^withTuning: moeTile = 'huge' is not allowed; .*SCATTERGRAD_MOE_TILE.*auto, big, mid or TMxTNxBK:RMxRN/
      : new RegExp(`^scatteredExperts: moeTile \\(SCATTERGRAD_MOE_TILE\\) ${bad} is not a tile this adapter can run`);
    if (!want.test(msg)) throw new Error(`moeTile ${bad}: expected an error naming it, got "${msg}"`);
  }
  // Still usable afterwards.
  const y = sg.scatteredExperts(x, w, 1, sortedExpertIdxs, sortedScatteredIdxs, expertOffsets);
  if ((await y.toArray()).length !== 32) throw new Error('scatteredExperts failed after a bad tile');
  [x, w, sortedExpertIdxs, sortedScatteredIdxs, expertOffsets, y].forEach((t) => t.dispose());
});

test('scatteredExperts: the GPUs\' 128x128 loop (unrolled by two, flat tiles, 8x4 blocks) on any adapter; bad loop knobs are errors (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  // CPU adapters run the rolled loop by default: force what GPUs take, so CI checks it too.
  const gpuLoop: Partial<Tuning> = { moeTc: 'off', moeTile: 'big', moeUnroll: 2, moeMap: 8, moeShared: 'flat' };
  await sg.withTuning(gpuLoop, async () => {
    const keys = await keysOf(async () => {
      const flags = flagCombos();
      // The K loop takes odd and even numbers of steps of 8: 17 for 132 and 136, 9 for 68, 2
      // for 9, 18 for 140 (and the weight gradients' K, each expert's rows, varies).
      await checkWebgpu({ ...flags[0], T: 131, k: 3, E: 5, dIn: 132, dOut: 136, sparse: true }, 7600, 'float32', 'loop u2 b8');
      await checkWebgpu({ ...flags[flags.length - 1], T: 75, k: 2, E: 9, dIn: 136, dOut: 68, transposedW: true }, 7601, 'float32', 'loop u2 b8');
      await checkWebgpu({ ...flags[Math.floor(flags.length / 2)], T: 40, k: 4, E: 64, dIn: 9, dOut: 140 }, 7602, 'float32', 'loop u2 b8');
    });
    for (const k of ['moe.s2s:', 'moe.xty:']) if (![...keys].some((x) => x.startsWith(k) && x.includes(':128x128x8:8x8:u2:b8'))) throw new Error(`no ${k} kernel with the GPU loop among ${[...keys].join(', ')}`);
  });
  const x = sg.randn([8, 4], { device: 'webgpu' });
  const w = sg.randn([2, 4, 4], { device: 'webgpu' });
  const { sortedExpertIdxs, sortedScatteredIdxs, expertOffsets } = sg.flattenSortCount(sg.tensor(new Int32Array([0, 1, 1, 0, 0, 1, 1, 0]), { shape: [8, 1], device: 'webgpu' }), 2);
  for (const [name, bad] of [['moeUnroll', 3], ['moeMap', 5]] as const) {
    let msg = '';
    try {
      sg.withTuning({ moeTc: 'off', [name]: bad } as Partial<Tuning>, () => sg.scatteredExperts(x, w, 1, sortedExpertIdxs, sortedScatteredIdxs, expertOffsets).dispose());
    } catch (e) { msg = (e as Error).message; }
    if (!msg.startsWith(`withTuning: ${name} = ${bad} is not allowed`)) throw new Error(`${name} ${bad}: expected an error naming it, got "${msg}"`);
  }
  // Still usable afterwards.
  const y = sg.scatteredExperts(x, w, 1, sortedExpertIdxs, sortedScatteredIdxs, expertOffsets);
  if ((await y.toArray()).length !== 32) throw new Error('scatteredExperts failed after a bad loop knob');
  [x, w, sortedExpertIdxs, sortedScatteredIdxs, expertOffsets, y].forEach((t) => t.dispose());
});

test('scatteredExperts: tiled kernels in float16 with 128x128 tiles (WebGPU where shader-f16 exists)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  if (!sg.deviceInfo().features.includes('shader-f16')) { console.log('# adapter lacks shader-f16: skipped'); return; }
  let seed = 7500;
  // The SIMT kernels in float16 (f16 storage, f32 math); tc.test.ts covers the tensor-core ones.
  await sg.withTuning({ moeTile: 'big', moeTc: 'off' }, async () => {
    for (const flags of flagCombos()) {
      await checkWebgpu({ ...flags, T: 70, k: 2, E: 9, dIn: 68, dOut: 132, sparse: seed % 2 === 0, transposedW: seed % 3 === 0 }, seed++, 'float16', 'tile big');
    }
  });
});

test.run();
