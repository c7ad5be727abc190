// WGSL shared by every matmul kernel: one uniform layout (so the kernels are
// interchangeable behind chooseDense), the bindings, the batch decoding and the
// L2-friendly tile order.
import { wgslType, type DType } from '../tensor/dtype.js';

/** `enable`s, the uniform block and the A, B, O bindings. */
export function matmulHeader(ta: string, tb: string, to: string, extraEnables = ''): string {
  const f16 = [ta, tb, to].some((t) => t.includes('f16'));
  return `${f16 ? 'enable f16;\n' : ''}${extraEnables}
struct U {
  M: u32, N: u32, K: u32, total: u32,
  tilesN: u32, tilesM: u32, nbd: u32, pad0: u32,
  offA: u32, rsA: u32, csA: u32, aMFast: u32,
  offB: u32, rsB: u32, csB: u32, bKFast: u32,
  offO: u32, pad1: u32, pad2: u32, pad3: u32,
  bshape: vec4<u32>, bsa: vec4<u32>, bsb: vec4<u32>,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> A: array<${ta}>;
@group(0) @binding(2) var<storage, read> B: array<${tb}>;
@group(0) @binding(3) var<storage, read_write> O: array<${to}>;
`;
}

/** Turns the batch index `bi` (a var, consumed) into `baseA` and `baseB` through up to four
 * merged batch dims with their own strides (0 where broadcast). */
export const BATCH_BASES = `  var baseA = u.offA;
  var baseB = u.offB;
  for (var d = u.nbd; d > 0u; d--) {
    let c = bi % u.bshape[d - 1u];
    bi = bi / u.bshape[d - 1u];
    baseA += c * u.bsa[d - 1u];
    baseB += c * u.bsb[d - 1u];
  }
`;

/** WGSL: tile row `tm` and tile column `tn` of the tile `t` (u32 expressions) of a
 * `tilesM` x `tilesN` grid. Tiles run in groups of `group` tile rows, column by column, so
 * that neighbouring workgroups share A's rows and B's columns in L2; 1 runs them row by row. */
export function tileOrder(t: string, tilesM: string, tilesN: string, group: number): string {
  if (group === 1) return `  let tm = ${t} / ${tilesN};\n  let tn = ${t} % ${tilesN};\n`;
  return `  let width = ${group}u * ${tilesN};
  let firstM = (${t} / width) * ${group}u;
  let rowsInGroup = min(${tilesM} - firstM, ${group}u);
  let tm = firstM + (${t} % width) % rowsInGroup;
  let tn = (${t} % width) / rowsInGroup;
`;
}

/** From the linear workgroup index `g`: `bi` (batch), `tm`, `tn` (tile row and column), in
 * groups of `group` tile rows. */
export const groupedTileOrder = (group: number): string => `  let perBatch = u.tilesN * u.tilesM;
  var bi = g / perBatch;
  let t = g % perBatch;
${tileOrder('t', 'u.tilesM', 'u.tilesN', group)}`;

/**
 * A double-buffered shared tile of `rows` k-rows of `row4` vec4s (the MoE SIMT kernels,
 * src/gemm/scatter.ts), indexed [buffer][k][i] when `split`, else flat. The three dims are for
 * Dawn's robustness: it clamps every dynamic array index (min(i, len - 1)) that its range
 * analysis cannot prove in bounds, so a flat index `buffer·X + k·Y + i` is one clamp per load
 * in the inner loop. Split, the unrolled k is a constant (no clamp), the buffer's clamp is one
 * per K step, and an invocation's i (its row or column in the tile, from
 * local_invocation_index) is proven in bounds. That made the f32 MoE MLP ~1.06x faster on
 * a real GPU but the dense kernel ~1.17x slower, so gemm/tiled.ts keeps its flat tiles;
 * on lavapipe the split MoE kernels ran ~1.1x slower, so CPU adapters keep flat ones too.
 */
export const sharedDecl = (split: boolean, name: string, rows: number, row4: number): string =>
  split ? `var<workgroup> ${name}: array<array<array<vec4<f32>, ${row4}>, ${rows}>, 2>;\n`
    : `var<workgroup> ${name}: array<vec4<f32>, ${2 * rows * row4}>;\n`;
/** Element (buf, k, i) of such a tile (`buf`, `k`, `i`: WGSL u32 expressions). */
export const sharedAt = (split: boolean, name: string, rows: number, row4: number, buf: string, k: string, i: string): string =>
  split ? `${name}[${buf}][${k}][${i}]` : `${name}[${buf} * ${rows * row4}u + (${k}) * ${row4}u + ${i}]`;

const MAX_WG = 65535;

/** `enable f16;` where needed, and `alias T` = the storage type of `dtype`. Math is f32. */
export function header(dtype: DType): string {
  return `${dtype === 'float16' ? 'enable f16;\n' : ''}alias T = ${wgslType(dtype)};\n`;
}

/** A grid of `blocks` workgroups along x (spilling into y) times `z`; kernels recover the
 * block as `wid.x + wid.y * nwg.x` and must skip blocks past the count they were given. */
export function grid(blocks: number, z = 1): [number, number, number] {
  const b = Math.max(1, blocks);
  if (z > MAX_WG) throw new Error(`moe: ${z} column blocks exceed the ${MAX_WG} workgroup limit`);
  return b <= MAX_WG ? [b, 1, z] : [MAX_WG, Math.ceil(b / MAX_WG), z];
}
