// The GEMM layer's own pieces, without a GPU: the tile type (parser, key, sizes), the K-loop
// generator's calls to its callbacks, and runGemm's refusal of problems no kernel reads. The
// kernels themselves are checked against float64 references by test/ops/matmul*.test.ts and
// test/moe/*.test.ts, and their WGSL by scripts/wgsl-snapshot.mjs.
import { test } from 'uvu';
import { TILES, parseTile, tileKey, outputOf, invocations, wellFormed, type SimtTile } from '../../src/gemm/tiles.js';
import { kLoop, type Buf, type Regs } from '../../src/gemm/kloop.js';
import { runGemm } from '../../src/gemm/index.js';
import * as sg from '../../src/index.js';
import { throwsWith } from '../helpers.js';

const eq = (got: unknown, want: unknown, what: string): void => {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
};

test('gemm tiles: one parser and one key for every kind, sizes by kind', () => {
  eq(parseTile('128x64x16:8x4'), { kind: 'simt', TM: 128, TN: 64, BK: 16, RM: 8, RN: 4 }, 'simt parse');
  eq(parseTile(' 64x64x8:4x4 '), { kind: 'simt', TM: 64, TN: 64, BK: 8, RM: 4, RN: 4 }, 'simt parse, spaces');
  eq(parseTile('2x4x4x4x16'), { kind: 'tc', SGM: 2, SGN: 4, FM: 4, FN: 4, TK: 16, SIZE: 32 }, 'tc parse');
  for (const bad of ['', 'big', '128x128x16', '128x128x16:8', '1x2x3x4', '1x2x3x4x5x6', '128x128x16:8x8:u2']) eq(parseTile(bad), null, `parse '${bad}'`);
  eq(tileKey(parseTile('128x64x16:8x4')!), '128x64x16:8x4', 'simt key');
  eq(tileKey({ ...TILES.moeBig, split: true, unroll2: true, bx: 8 }), '128x128x8:8x8:split:u2:b8', 'simt key with the MoE loop shape');
  eq(tileKey(TILES.tcEmu), '2x2x1x1x16x16', 'tc key');
  eq(tileKey({ kind: 'reg', RM: 32, RN: 4, lanes: 8, bcast: true }), 'reg32x4:8b', 'reg key');
  eq([outputOf(TILES.big), invocations(TILES.big)], [{ tm: 128, tn: 128 }, 256], 'big');
  eq([outputOf(TILES.tcBig), invocations(TILES.tcBig)], [{ tm: 128, tn: 256 }, 256], 'tcBig');
  eq([outputOf({ kind: 'reg', RM: 16, RN: 4, lanes: 8, bcast: true })], [{ tm: 16, tn: 32 }], 'reg');
  for (const name of ['big', 'wide', 'tall', 'mid', 'small', 'moeBig', 'moeMid', 'low'] as const) {
    if (!wellFormed(TILES[name])) throw new Error(`${name} is not well formed`);
  }
  const odd: SimtTile = { kind: 'simt', TM: 64, TN: 64, BK: 16, RM: 6, RN: 4 };
  if (wellFormed(odd)) throw new Error('RM 6 passed as well formed');
});

test('gemm kLoop: the callbacks get the buffer, register set and K offset of each call', () => {
  const calls: string[] = [];
  const parts = (unroll: 1 | 2, depth: 1 | 2) => ({
    kTiles: 'KT', step: 16, unroll, depth,
    loads: (set: Regs, k0: string) => { calls.push(`L${set}@${k0}`); return `    load ${set} ${k0}\n`; },
    stores: (buf: Buf, set: Regs) => { calls.push(`S${set}>${buf}`); return `    store ${set} ${buf}\n`; },
    body: (cur: Buf, kt: string) => { calls.push(`B${cur}:${kt}`); return `    body ${cur} ${kt}\n`; },
  });
  const rolled = kLoop({ ...parts(1, 1), head: '    let cur = nb;\n' });
  eq(calls, ['Lp@k0', 'Sp>null', 'Lp@k0', 'Bnull:kt', 'Sp>null'], 'rolled');
  if (!rolled.includes('var nb = 0u;') || !rolled.includes('let cur = nb;')) throw new Error(`rolled loop lacks nb or head:\n${rolled}`);
  calls.length = 0;
  const unrolled = kLoop(parts(2, 1));
  eq(calls, ['Lp@k0', 'Sp>0', 'Lp@k0', 'B0:kt', 'Sp>1', 'Lp@k0', 'B1:(kt + 1u)', 'Sp>0'], 'unrolled');
  if (unrolled.includes('nb')) throw new Error(`the unrolled loop names a buffer variable:\n${unrolled}`);
  calls.length = 0;
  kLoop(parts(2, 2));
  eq(calls, ['Lp@0u', 'Sp>0', 'Lq@16u', 'Lp@kl', 'B0:kt', 'Sq>1', 'Lq@kl', 'B1:(kt + 1u)', 'Sp>0'], 'two steps ahead');
  // Row tables are refilled for the step being loaded, before its loads.
  calls.length = 0;
  const refilled = kLoop({ ...parts(2, 2), refill: { code: (k) => { calls.push(`R@${k}`); return `refill ${k};`; }, every: 64 } });
  eq(calls, ['R@k0', 'Lp@0u', 'Sp>0', 'Lq@16u', 'R@kl', 'Lp@kl', 'B0:kt', 'Sq>1', 'R@kl', 'Lq@kl', 'B1:(kt + 1u)', 'Sp>0'], 'two steps ahead, refilled');
  if (!refilled.includes('if (kl % 64u == 0u) {')) throw new Error(`the deep loop refills unconditionally:\n${refilled}`);
  // Tables of one step: every opening load refills them, each refill behind a barrier that
  // the loads of the step before have passed.
  calls.length = 0;
  const every = kLoop({ ...parts(2, 2), depth: 4, refill: { code: (k) => { calls.push(`R@${k}`); return `refill ${k};`; }, every: 16 } });
  eq(calls.slice(0, 9), ['R@k0', 'Lp@0u', 'Sp>0', 'R@16u', 'Lq@16u', 'R@32u', 'Lpp@32u', 'R@48u', 'Lqq@48u'], 'four steps ahead, refilled every step');
  for (const k of [16, 32, 48]) {
    if (!every.includes(`workgroupBarrier();\n    refill ${k}u;\n    workgroupBarrier();`)) throw new Error(`the opening refill at ${k} is not between barriers:\n${every}`);
  }
  throwsWith(() => kLoop({ ...parts(2, 2), refill: { code: () => '', every: 40 } }), /^kLoop: row tables of 40 rows need a K step dividing them, not 16/);
});

test('gemm runGemm: a problem no kernel reads is an error', () => {
  const t = sg.zeros([4, 4]);
  const rows = { t, grouped: true, fan: 1, coef: null };
  const strided = { kind: 'strided' as const, t, rs: 4, cs: 1, batch: [] };
  const base = { M: 4, N: 4, K: 4, batch: [], out: { t, scattered: false }, bias: null };
  throwsWith(() => runGemm({ ...base, a: { kind: 'gathered', rows }, b: strided, groups: null }), /^runGemm: a gathered operand needs the problem's groups/);
  const groups = { index: sg.zeros([4], { dtype: 'int32' }), offsets: sg.zeros([1], { dtype: 'int32' }) };
  throwsWith(() => runGemm({ ...base, a: strided, b: { kind: 'gathered', rows }, groups }), /^runGemm: no kernel reads A strided and B gathered/);
  throwsWith(() => runGemm({ ...base, a: { kind: 'gathered', rows }, b: { kind: 'gathered', rows }, out: { t, scattered: true }, groups }),
    /^runGemm: no kernel reads A gathered and B gathered into scattered rows/);
  for (const x of [t, groups.index, groups.offsets]) x.dispose();
});

test.run();
