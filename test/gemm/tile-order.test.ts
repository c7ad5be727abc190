// The order in which workgroups take their tiles (the matmulTileGroup and moeTileGroup knobs):
// every group size must still cover each output tile exactly once, also where the last group
// of tile rows (or MoE row blocks) is partial. Dense products against a float64 reference on
// the tiled kernel (float32) and the tensor-core kernel (float16, emulated subgroup matrices);
// scatteredExperts on its SIMT and emulated tensor-core kernels against its float64 reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import { roundF16 } from '../../src/tensor/dtype.js';
import { backends, randArray, allclose, refBmm } from '../helpers.js';
import { checkWebgpu, flagCombos, keysOf } from '../moe/cases.js';

const hasF16 = (): boolean => sg.deviceInfo().features.includes('shader-f16');

test('matmul: every tile-row group size covers each tile once, partial last group (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  // 7 x 3 tiles of 64 (the small tile): groups of 4 leave a group of 3; 2 batches.
  const [B, M, K, N] = [2, 7 * 64 - 4, 40, 3 * 64 - 12];
  for (const dtype of hasF16() ? ['float32', 'float16'] as const : ['float32'] as const) {
    const round = (a: Float64Array): Float64Array => (dtype === 'float16' ? a.map(roundF16) : Float64Array.from(new Float32Array(a)));
    // float16 takes the staged tensor-core kernel, emulated where the adapter lacks them.
    const tuning = dtype === 'float16' ? { moeTc: 'emulate' as const } : { matmulTile: 'small' };
    for (const group of [1, 4, 8, 32] as const) {
      // New operands for each group: the pool hands the last output's buffer back, so a tile
      // a kernel skipped would otherwise still hold the right numbers.
      const xa = round(randArray(B * M * K, 31 + group));
      const xb = round(randArray(B * K * N, 131 + group));
      const want = refBmm(xa, xb, B, M, K, N);
      const a = sg.tensor(xa, { shape: [B, M, K], device: 'webgpu', dtype });
      const b = sg.tensor(xb, { shape: [B, K, N], device: 'webgpu', dtype });
      const keys = await keysOf(async () => {
        await sg.withTuning({ ...tuning, matmulTileGroup: group }, async () => {
          const y = a.matmul(b);
          allclose(await y.toArray(), want, dtype === 'float16' ? { rtol: 2e-2, atol: 2e-2 } : { rtol: 1e-4, atol: 1e-4 }, `${dtype} group ${group}`);
          y.dispose();
        });
      });
      // The kernel cache names a knob that differs from its default (8) in the key.
      const kind = dtype === 'float16' ? 'matmul-tc:' : 'matmul-tiled:';
      const named = (k: string): boolean => (group === 8 ? !k.includes('matmulTileGroup') : k.includes(`|matmulTileGroup=${group}`));
      assert.ok([...keys].some((k) => k.startsWith(kind) && named(k)), `${dtype} group ${group}: no ${kind} kernel among ${[...keys].join(', ')}`);
      [a, b].forEach((t) => t.dispose());
    }
  }
});

test('scatteredExperts: scatter2scatter\'s row blocks in groups, partial last group (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  let seed = 9300;
  const flags = flagCombos();
  // 131·3 = 393 rows over 5 experts: 9-10 blocks of 64 rows in a table of 13 (the last ones
  // empty), 4 columns of 64: groups of 4 leave a partial one, and 16 is one partial group.
  const c = { T: 131, k: 3, E: 5, dIn: 36, dOut: 200 };
  for (const group of [1, 4, 16] as const) {
    const keys = await keysOf(async () => {
      await sg.withTuning({ moeSimtTileGroup: group, moeTc: 'off', moeTile: 'mid' }, async () => {
        for (const f of [flags[0], flags[flags.length - 1]]) await checkWebgpu({ ...c, ...f }, seed++, 'float32', `SIMT, group ${group}`);
      });
      if (hasF16()) {
        await sg.withTuning({ moeTileGroup: group, moeTc: 'emulate' }, async () => {
          await checkWebgpu({ ...c, ...flags[1], sparse: true }, seed++, 'float16', `tc emulated, group ${group}`);
        });
      }
    });
    // A group equal to the knob's default leaves the key as it is.
    const kinds: Array<[string, string, number]> = [['moe.s2s:', 'moeSimtTileGroup', 1], ...(hasF16() ? [['moe.s2sTc:', 'moeTileGroup', 4] as [string, string, number]] : [])];
    for (const [kind, knob, dflt] of kinds) {
      const mark = `|${knob}=${group}`;
      assert.ok([...keys].some((k) => k.startsWith(kind) && (group === dflt ? !k.includes(`|${knob}=`) : k.includes(mark))), `group ${group}: no ${kind} kernel with ${mark} among ${[...keys].join(', ')}`);
    }
  }
});

test.run();
