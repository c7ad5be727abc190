// The tensor-core MoE kernels (src/gemm/tc.ts), float16 forward and backward against the
// float64 reference. Where the adapter has no subgroup matrices (as
// lavapipe in CI), the tuning moeTc: 'emulate' runs the same kernels with the builtins written
// out in WGSL: the staging, gathers, K padding, scatter and bias logic are all exercised. On
// a GPU with chromium-experimental-subgroup-matrix the second test runs the real thing with
// both tiles forced.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import { backends } from '../helpers.js';
import { runtime } from '../../src/backend/runtime.js';
import { hasSubgroupMatrix } from '../../src/gemm/subgroup.js';
import { ROW_CHUNK } from '../../src/gemm/rows.js';
import { timeTests, flagCombos, checkWebgpu, keysOf, type Config } from './cases.js';
import type { Tuning } from '../../src/index.js';
import { KNOBS } from '../../src/backend/tuning.js';

timeTests(test);

type Case = [Config, string | undefined, boolean?];
const F = { groupedIn: false, groupedOut: false, gates: false, bias: false };
// Emulated, the shaders take llvmpipe seconds each to compile: a few cases that between
// them cover every flag, every load path (vec4, scalar, transposed W) and every edge. Shapes:
// K = 40 (not a multiple of the 16 or 32 K step) and N = 72 (a partial column tile); 64
// experts over 135 rows (many empty); odd sizes (scalar loads); several blocks per expert.
// The second tile has one subgroup with 2 x 2 fragments and two products per K step.
const EMULATED: Case[] = [
  [{ ...F, gates: true, bias: true, T: 70, k: 2, E: 5, dIn: 40, dOut: 72 }, undefined],
  [{ ...F, groupedIn: true, T: 45, k: 3, E: 64, dIn: 24, dOut: 20, sparse: true, transposedW: true }, undefined],
  [{ ...F, groupedOut: true, bias: true, T: 33, k: 2, E: 3, dIn: 9, dOut: 7, transposedW: true }, undefined],
  // Whole tiles, with moeTcBdirect (the Case's third field): W's fragments
  // come straight from its buffer (n-major forward, k-major for dX).
  [{ ...F, groupedIn: true, groupedOut: true, T: 150, k: 2, E: 3, dIn: 32, dOut: 64 }, undefined, true],
  [{ ...F, gates: true, bias: true, T: 70, k: 2, E: 5, dIn: 40, dOut: 72, transposedW: true }, 'emu2'],
  // Transposed W without biases: dWᵀ = dYᵀ·X, so the gated rows are groupXtY's left operand.
  [{ ...F, gates: true, T: 70, k: 2, E: 5, dIn: 40, dOut: 72, transposedW: true }, undefined],
];
const SHAPES: Array<[number, number, number, number, number]> = [[70, 2, 5, 40, 72], [45, 3, 64, 24, 20], [33, 2, 3, 9, 7], [150, 2, 3, 36, 44], [100, 2, 4, 128, 128]];

async function grid(label: string, seed0: number): Promise<Set<string>> {
  let seed = seed0;
  let i = 0;
  return keysOf(async () => {
    for (const flags of flagCombos()) {
      const [T, k, E, dIn, dOut] = SHAPES[i % SHAPES.length];
      await checkWebgpu({ ...flags, T, k, E, dIn, dOut, sparse: i % 3 === 1, transposedW: i % 2 === 0 }, seed++, 'float16', label);
      i++;
    }
  });
}

const needF16 = (): boolean => {
  if (sg.deviceInfo().features.includes('shader-f16')) return true;
  console.log('# adapter lacks shader-f16: skipped');
  return false;
};

test('scatteredExperts: tensor-core kernels, emulated subgroup matrices, float16 vs float64 (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu') || !needF16()) return;
  await sg.withTuning({ moeTc: 'emulate' }, async () => {
    let seed = 8100;
    const keys = await keysOf(async () => {
      for (const [c, tile, direct] of EMULATED) {
        await sg.withTuning({ moeTcTile: tile, moeTcBdirect: direct }, () => checkWebgpu(c, seed++, 'float16', `tc emulated ${tile ?? 'emu'}`));
      }
      // Loads four K steps ahead (tcDepth 4), gathered rows included.
      await sg.withTuning({ tcDepth: 4 }, () => checkWebgpu({ ...EMULATED[0][0], dIn: 112 }, seed++, 'float16', 'tc emulated, tcDepth 4, 7 K steps'));
    });
    // The tensor-core kernels really ran (and the SIMT ones did not).
    assert.ok([...keys].some((k) => k.startsWith('moe.s2sTc:emulate')), `no emulated s2s kernel among ${[...keys].join(', ')}`);
    assert.ok([...keys].some((k) => k.startsWith('moe.s2sTc:emulate:1x1x2x2x32')), 'the second emulated tile did not run');
    assert.ok([...keys].some((k) => k.startsWith('moe.s2sTc:emulate') && k.includes('|tcDepth=4')), 'the four-ahead loop did not run');
    assert.ok([...keys].some((k) => k.includes(':wkn8d:')) && [...keys].some((k) => k.includes(':wnk8d:')), 'W was never read directly, both layouts');
    assert.ok([...keys].some((k) => k.includes(':wkn8:')) && [...keys].some((k) => k.includes(':wnk8:')), 'W was never staged, both layouts');
    // Every load width ran: 8 halves, 4, and one at a time (odd sizes).
    for (const v of ['8', '4', '1']) assert.ok([...keys].some((k) => k.startsWith('moe.s2sTc') && new RegExp(`:a[gs]c?${v}:`).test(k)), `no s2s kernel loading A ${v} at a time`);
    assert.ok([...keys].some((k) => k.startsWith('moe.xtyTc:emulate') && k.endsWith(':b')), 'no emulated groupXtY kernel with bias');
    assert.ok([...keys].some((k) => /^moe\.xtyTc:emulate:.*:asc[148]:/.test(k)), 'no emulated groupXtY kernel with gated rows on its left');
    assert.not.ok([...keys].some((k) => k.startsWith('moe.s2s:') || k.startsWith('moe.xty:')), 'a SIMT MoE kernel ran in float16');
  });
});

test('scatteredExperts: tensor-core kernels on the subgroup matrices, both tiles (WebGPU where available)', async () => {
  if (!(await backends()).includes('webgpu') || !needF16()) return;
  if (!hasSubgroupMatrix(runtime.gpu!)) { console.log('# adapter lacks chromium-experimental-subgroup-matrix (f16->f32 16x16x16, subgroups of 32): skipped'); return; }
  for (const [tile, depth] of [['big', 2], ['mid', 2], ['big', 4]] as const) {
    await sg.withTuning({ moeTc: 'auto', moeTcTile: tile, tcDepth: depth }, async () => {
      const keys = await grid(`tc ${tile}, tcDepth ${depth}`, 8200);
      assert.ok([...keys].some((k) => k.startsWith('moe.s2sTc:real')), `no tensor-core s2s kernel among ${[...keys].join(', ')}`);
      assert.ok([...keys].some((k) => k.startsWith('moe.xtyTc:real')), 'no tensor-core groupXtY kernel');
      assert.ok([...keys].some((k) => k.startsWith('moe.s2sTc:real') && /:w(kn|nk)8:/.test(k)), 'W was never staged 8 halves at a time');
    });
  }
});

// groupXtY walks an expert's rows through row tables of ROW_CHUNK entries, refilled inside its
// K loop; each loop (SIMT, tensor cores emulated, and real where the adapter has subgroup
// matrices, loading 1, 2 and 4 K steps ahead) must refill them right. T = 400, k = 2 over experts 0 and 2 (sparse) gives
// each about 400 rows (binomial: fewer than 300 is some 7 standard deviations away).
test('scatteredExperts: groupXtY past one row table (ROW_CHUNK rows) on every loop (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  assert.is(ROW_CHUNK, 256, 'the case below is sized for 256-row tables');
  const c = { ...F, gates: true, bias: true, T: 400, k: 2, E: 3, dIn: 16, dOut: 24, sparse: true };
  let seed = 8400;
  const runs: Array<[string, Partial<Tuning>, 'float32' | 'float16']> = [['simt', { moeTc: 'off' }, 'float32']];
  if (sg.deviceInfo().features.includes('shader-f16')) {
    for (const tcDepth of [1, 2, 4] as const) {
      runs.push([`tc emulated, tcDepth ${tcDepth}`, { moeTc: 'emulate', tcDepth }, 'float16']);
      if (hasSubgroupMatrix(runtime.gpu!)) runs.push([`tc real, tcDepth ${tcDepth}`, { moeTc: 'auto', tcDepth }, 'float16']);
    }
  }
  // A K step that does not divide the tables (48) would read stale rows past the first 256:
  // such a tile is declined, and groupXtY takes the tile it would take anyway.
  // K steps of 128 four ahead: the opening loads (not only the loop) refill the tables.
  if (sg.deviceInfo().features.includes('shader-f16')) {
    runs.push(['tc emulated, K step 48', { moeTc: 'emulate', moeTcXtyTile: '1x1x1x1x48' }, 'float16']);
    runs.push(['tc emulated, K step 128, tcDepth 4', { moeTc: 'emulate', moeTcXtyTile: '1x1x1x1x128', tcDepth: 4 }, 'float16']);
  }
  for (const [label, tuning, dtype] of runs) {
    const keys = await sg.withTuning(tuning, () => keysOf(() => checkWebgpu(c, seed++, dtype, `rows ${label}`)));
    if (label.includes('K step 48')) {
      assert.ok([...keys].some((k) => k.startsWith('moe.xty')) && ![...keys].some((k) => k.startsWith('moe.xtyTc') && k.includes(':1x1x1x1x48x')),
        `${label}: groupXtY should not have taken the 48-deep tile: ${[...keys].join(', ')}`);
      continue;
    }
    const want = dtype === 'float32' ? 'moe.xty:' : label.includes('real') ? 'moe.xtyTc:real' : 'moe.xtyTc:emulate';
    const end = dtype === 'float32' ? '' : ':b';
    const depth = tuning.tcDepth && tuning.tcDepth !== KNOBS.tcDepth.default ? `|tcDepth=${tuning.tcDepth}` : '';
    assert.ok([...keys].some((k) => k.startsWith(want) && k.includes(end) && k.includes(depth)), `${label}: no ${want}…${end}${depth} kernel among ${[...keys].join(', ')}`);
  }
});

test('scatteredExperts: float32 never takes the tensor-core kernels (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) return;
  await sg.withTuning({ moeTc: 'emulate' }, async () => {
    const keys = await keysOf(() => checkWebgpu({ ...flagCombos()[0], T: 20, k: 2, E: 3, dIn: 8, dOut: 12 }, 8300, 'float32', 'f32'));
    assert.ok([...keys].some((k) => k.startsWith('moe.s2s:')), 'the SIMT s2s kernel did not run');
    assert.not.ok([...keys].some((k) => k.includes('Tc:')), 'a tensor-core kernel ran in float32');
  });
});

test.run();
