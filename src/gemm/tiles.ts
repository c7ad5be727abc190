// The tiles of the GEMM kernels: one type (a union over the three ways a workgroup splits its
// output block), one parser, one key, one adapter check, and every named tile with the reason
// it exists. Which tile a product gets is decided in gemm/choose.ts.
import type { GpuBackend } from '../backend/webgpu.js';

/** SIMT kernels (gemm/tiled.ts, gemm/scatter.ts): a TM x TN output block per workgroup, BK deep
 * per K step, RM x RN outputs per invocation held in registers. */
export interface SimtTile {
  kind: 'simt';
  TM: number; TN: number; BK: number; RM: number; RN: number;
  /** Shared tiles indexed [buffer][k][i] (GPUs, rolled loop) or flat (CPU adapters, and the
   * unrolled loop, whose buffer index is a constant anyway); see sharedDecl. MoE kernels only. */
  split?: boolean;
  /** The K loop unrolled by two, so which shared buffer a step reads and fills is a constant.
   * MoE kernels only (the dense kernel's key carries its own). */
  unroll2?: boolean;
  /** Invocations placed in bx x (32 / bx) blocks per 32 (invocationXY). MoE kernels only. */
  bx?: number;
}

/** Tensor-core kernels (gemm/tc.ts): SGM x SGN subgroups of SIZE invocations, each computing
 * FM x FN 16x16 fragments; TK deep per K step. */
export interface TcTile { kind: 'tc'; SGM: number; SGN: number; FM: number; FN: number; TK: number; SIZE: number }

/** The CPU-adapter kernel (gemm/reg.ts): RM output rows per workgroup, RN columns per lane, one
 * subgroup of `lanes` per workgroup; `bcast`: A is loaded cooperatively and broadcast. */
export interface RegTile { kind: 'reg'; RM: number; RN: number; lanes: number; bcast: boolean }

export type Tile = SimtTile | TcTile | RegTile;

/** The tile's part of a pipeline key. */
export function tileKey(t: Tile): string {
  switch (t.kind) {
    case 'simt': return `${t.TM}x${t.TN}x${t.BK}:${t.RM}x${t.RN}${t.split ? ':split' : ''}${t.unroll2 ? ':u2' : ''}${t.bx ? `:b${t.bx}` : ''}`;
    case 'tc': return `${t.SGM}x${t.SGN}x${t.FM}x${t.FN}x${t.TK}x${t.SIZE}`;
    case 'reg': return `reg${t.RM}x${t.RN}:${t.lanes}${t.bcast ? 'b' : ''}`;
  }
}

/** A tile written as the tuning knobs take it: TMxTNxBK:RMxRN (SIMT) or SGMxSGNxFMxFNxTK
 * (tensor cores, subgroups of 32); null for anything else. */
export function parseTile(s: string): SimtTile | TcTile | null {
  const n = (m: RegExpExecArray): number[] => m.slice(1).map(Number);
  let m = /^(\d+)x(\d+)x(\d+):(\d+)x(\d+)$/.exec(s.trim());
  if (m) { const [TM, TN, BK, RM, RN] = n(m); return { kind: 'simt', TM, TN, BK, RM, RN }; }
  m = /^(\d+)x(\d+)x(\d+)x(\d+)x(\d+)$/.exec(s);
  if (m) { const [SGM, SGN, FM, FN, TK] = n(m); return { kind: 'tc', SGM, SGN, FM, FN, TK, SIZE: 32 }; }
  return null;
}

/** The output block (rows x columns) one workgroup computes. */
export function outputOf(t: Tile): { tm: number; tn: number } {
  switch (t.kind) {
    case 'simt': return { tm: t.TM, tn: t.TN };
    case 'tc': return { tm: t.SGM * t.FM * 16, tn: t.SGN * t.FN * 16 };
    case 'reg': return { tm: t.RM, tn: t.lanes * t.RN };
  }
}

/** Invocations per workgroup. */
export function invocations(t: Tile): number {
  switch (t.kind) {
    case 'simt': return (t.TM / t.RM) * (t.TN / t.RN);
    case 'tc': return t.SGM * t.SGN * t.SIZE;
    case 'reg': return t.lanes;
  }
}

/** Whether the adapter runs a workgroup of this tile using `bytes` of workgroup memory. */
export function fitsAdapter(t: Tile, g: GpuBackend, bytes: number): boolean {
  const n = invocations(t);
  return n <= g.limits.maxComputeInvocationsPerWorkgroup && n <= g.limits.maxComputeWorkgroupSizeX &&
    bytes <= g.limits.maxComputeWorkgroupStorageSize;
}

/** Whether a SIMT tile's outputs come in 4-wide groups and its vec4 loads divide evenly among
 * its invocations (the dense and the MoE SIMT kernels both assume it). */
export function wellFormed(c: SimtTile): boolean {
  const t = invocations(c);
  return c.RM % 4 === 0 && c.RN % 4 === 0 && c.TM % c.RM === 0 && c.TN % c.RN === 0 && c.BK % 4 === 0 &&
    ((c.TM * c.BK) / 4) % t === 0 && ((c.TN * c.BK) / 4) % t === 0;
}

const simt = (TM: number, TN: number, BK: number, RM: number, RN: number): SimtTile => ({ kind: 'simt', TM, TN, BK, RM, RN });
const tc = (SGM: number, SGN: number, FM: number, FN: number, TK: number, SIZE: number): TcTile => ({ kind: 'tc', SGM, SGN, FM, FN, TK, SIZE });

/** Every named tile. */
export const TILES = {
  // ---- the dense SIMT kernel (matmulTile's names) ----
  /** 128x128, 8x8 per invocation: the most reuse per load, the fastest once there are enough tiles to fill the GPU. */
  big: simt(128, 128, 16, 8, 8),
  /** 128x64: never beat `small` by more than noise on an H100; kept for matmulTile sweeps on other GPUs. */
  wide: simt(128, 64, 16, 8, 8),
  /** 64x128: as `wide`, the other way round. */
  tall: simt(64, 128, 16, 8, 8),
  /** 64x64, 8x8 per invocation: as `wide`. */
  mid: simt(64, 64, 16, 8, 8),
  /** 64x64, 4x4 per invocation (256 invocations): many small tiles keep the whole GPU busy where big ones are too few. */
  small: simt(64, 64, 16, 4, 4),
  // ---- the MoE SIMT kernels (moeTile's names) ----
  /** K steps of 8, not 16 as the dense big tile: the gathered kernels ran the MoE MLP ~1.1x faster so, the dense kernel slower. */
  moeBig: simt(128, 128, 8, 8, 8),
  /** The 64x64 tile for products with too few big tiles. */
  moeMid: simt(64, 64, 16, 4, 4),
  // ---- both ----
  /** 64x64, 8 deep, 8x4 per invocation: fits the 16 KiB of workgroup memory every adapter has
   * (dense and MoE alike), its 128 invocations splitting the vec4 loads evenly. */
  low: simt(64, 64, 8, 8, 4),
  // ---- the tensor-core kernels (moeTcTile's names) ----
  /** 128x256 (8 subgroups of 64x64) 16 deep, what fits twice in 48 KiB: the f16 MoE MLP ran 1.05-1.12x faster than with 128x128x32, gathered rows being staged once per 256 columns. */
  tcBig: tc(2, 4, 4, 4, 16, 32),
  /** 128x128x32 for the dense matmul: ~1.25x faster than 256x128x16 once the K loop was unrolled (half the accumulators per invocation, half the K steps). */
  tcDenseBig: tc(4, 2, 2, 4, 32, 32),
  /** 64x64 (4 subgroups) 32 deep, for products with too few big tiles. */
  tcMid: tc(2, 2, 2, 2, 32, 32),
  /** Emulated, 32x32 of 4 subgroups of 16: covers several subgroups both ways; wide emulated subgroups keep llvmpipe's compile time short. */
  tcEmu: tc(2, 2, 1, 1, 16, 16),
  /** Emulated, 32x32 of one subgroup of 64: several fragments per subgroup both ways and two 16-deep products per K step. */
  tcEmu2: tc(1, 1, 2, 2, 32, 64),
} as const;
