// WGSL shared by every matmul kernel: one uniform layout (so the kernels are
// interchangeable behind chooseKernel), the bindings, the batch decoding and the
// L2-friendly tile order.

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

/** From the linear workgroup index `g`: `bi` (batch), `tm`, `tn` (tile row and column).
 * Tiles run in groups of 8 tile-rows, column by column, so neighbouring workgroups share
 * A's rows and B's columns in L2. */
export const GROUPED_TILE_ORDER = `  let perBatch = u.tilesN * u.tilesM;
  var bi = g / perBatch;
  let t = g % perBatch;
  let width = 8u * u.tilesN;
  let firstM = (t / width) * 8u;
  let rowsInGroup = min(u.tilesM - firstM, 8u);
  let tm = firstM + (t % width) % rowsInGroup;
  let tn = (t % width) / rowsInGroup;
`;
