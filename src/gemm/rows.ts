// The pieces of the grouped (MoE) GEMMs that the SIMT kernels (scatter.ts) and the
// tensor-core ones (tc.ts) share: row sources (rows read where they are, gathered through
// an index with a fan-out and an optional per-row coefficient), the block table built on the
// GPU from expertOffsets, the row tables, and one uniform layout per problem.
import type { GpuBackend } from '../backend/webgpu.js';
import { Tensor } from '../tensor/tensor.js';
import { tileOrder } from './wgsl.js';

/** vec4 component names, by index. */
export const comp = ['x', 'y', 'z', 'w'];


/** Rows of `t` (R, D; any strides) as seen from grouped row p. */
export interface RowSrc {
  t: Tensor;
  /** Row p itself (a grouped tensor); else row floor(sse[p] / fan). */
  grouped: boolean;
  fan: number;
  /** (·, fan) weights, any strides: the row is scaled by coef[floor(s / fan), s % fan]. */
  coef: Tensor | null;
}

/** Whether a (R, D) row source can be read as vec4 along D. */
export function vec4Rows(t: Tensor): boolean {
  return t.strides[1] === 1 && t.shape[1] % 4 === 0 && t.strides[0] % 4 === 0 && t.offset % 4 === 0;
}

export const u32s = (xs: number[]): number[] => xs.map((v) => v >>> 0);

// ---- block table: [block -> (expert, first row, end row, real)] ----

/**
 * Splits each expert's row range [offsets[e-1], offsets[e]) (clamped to be non-decreasing
 * within [0, n]) into blocks of `bm` rows, then the tail of rows owned by no expert (real =
 * 0: written as zeros). Entries past the last block are empty. One workgroup.
 */
export function blockTable(g: GpuBackend, offsets: Tensor, n: number, bm: number): { table: Tensor; cap: number } {
  const numE = offsets.numel;
  const cap = Math.ceil(n / bm) + numE + 1;
  const table = Tensor.empty([cap * 4], 'int32', offsets.device);
  g.dispatch({
    key: 'moe.blockTable',
    wgsl: blockTableWgsl,
    inputs: [offsets.buffer],
    outputs: [table.buffer],
    uniforms: u32s([n, numE, bm, cap, offsets.offset, 0, 0, 0]),
    workgroups: [1, 1, 1],
  });
  return { table, cap };
}

function blockTableWgsl(): string {
  return `struct U { n: u32, E: u32, bm: u32, cap: u32, oOff: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> OFF: array<i32>;
@group(0) @binding(2) var<storage, read_write> BT: array<vec4<u32>>;
var<workgroup> sc: array<u32, 256>;

fn scanMax(lid: u32) {
  for (var o = 1u; o < 256u; o <<= 1u) {
    var t = sc[lid];
    if (lid >= o) { t = max(t, sc[lid - o]); }
    workgroupBarrier();
    sc[lid] = t;
    workgroupBarrier();
  }
}
fn scanSum(lid: u32) {
  for (var o = 1u; o < 256u; o <<= 1u) {
    var t = sc[lid];
    if (lid >= o) { t += sc[lid - o]; }
    workgroupBarrier();
    sc[lid] = t;
    workgroupBarrier();
  }
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  var prevEnd = 0u;
  var base = 0u;
  for (var c0 = 0u; c0 < u.E; c0 += 256u) {
    let e = c0 + lid;
    var v = 0u;
    if (e < u.E) { v = min(u32(max(OFF[u.oOff + e], 0)), u.n); }
    sc[lid] = v;
    workgroupBarrier();
    scanMax(lid);
    let end = max(sc[lid], prevEnd);
    var start = prevEnd;
    if (lid > 0u) { start = max(sc[lid - 1u], prevEnd); }
    let chunkEnd = max(sc[255], prevEnd);
    workgroupBarrier();
    var nb = 0u;
    if (e < u.E) { nb = (end - start + u.bm - 1u) / u.bm; }
    sc[lid] = nb;
    workgroupBarrier();
    scanSum(lid);
    let b0 = base + sc[lid] - nb;
    for (var i = 0u; i < nb; i++) {
      BT[b0 + i] = vec4<u32>(e, start + i * u.bm, min(start + (i + 1u) * u.bm, end), 1u);
    }
    base += sc[255];
    prevEnd = chunkEnd;
    workgroupBarrier();
  }
  let tail = (u.n - prevEnd + u.bm - 1u) / u.bm;
  for (var i = lid; i < tail; i += 256u) {
    let s = prevEnd + i * u.bm;
    BT[base + i] = vec4<u32>(0u, s, min(s + u.bm, u.n), 0u);
  }
  for (var i = base + tail + lid; i < u.cap; i += 256u) { BT[i] = vec4<u32>(0u); }
}
`;
}

// ---- shared WGSL pieces ----

/** groupXtY's K runs over an expert's rows: their sources (row, coefficient) are looked up
 * once per ROW_CHUNK rows into workgroup memory, not by every invocation that loads a piece of
 * a row (64 of them per row at 128x128 tiles, each an index load, a division and a dependent
 * data load in the K loop's critical path). */
export const ROW_CHUNK = 256;

/** WGSL: `fn fillRows(base)` fills RA / RD with rows r.x + base .. of the expert (rowA, rowD). */
export function xtyRowTables(nt: number): string {
  return `var<workgroup> RA: array<vec2<u32>, ${ROW_CHUNK}>;
var<workgroup> RD: array<vec2<u32>, ${ROW_CHUNK}>;
fn fillRows(lid: u32, r: vec2<u32>, base: u32) {
  for (var i = lid; i < ${ROW_CHUNK}u; i += ${nt}u) {
    let p = r.x + base + i;
    var a = vec2<u32>(NONE, 0u);
    var d = vec2<u32>(NONE, 0u);
    if (p < r.y) { a = rowA(p); d = rowD(p); }
    RA[i] = a;
    RD[i] = d;
  }
}
`;
}

/** WGSL reading a vec4 of row `row`, columns col..col+3 of a row source bound as `name`. */
export function rowLoadFn(fn: string, name: string, pre: string, vec: boolean, limit: string): string {
  if (vec) return `fn ${fn}(row: u32, col: u32) -> vec4<f32> { return vec4<f32>(${name}[(u.${pre}Off + row * u.${pre}s0 + col) / 4u]); }\n`;
  let s = `fn ${fn}(row: u32, col: u32) -> vec4<f32> {\n  var v = vec4<f32>(0.0);\n  let b = u.${pre}Off + row * u.${pre}s0;\n`;
  for (let i = 0; i < 4; i++) s += `  if (col + ${i}u < ${limit}) { v.${comp[i]} = f32(${name}[b + (col + ${i}u) * u.${pre}s1]); }\n`;
  return s + '  return v;\n}\n';
}

/** WGSL deciding a row source's row (or NONE) and coefficient for grouped row p. */
export function rowOfFn(fn: string, pre: string, src: RowSrc): string {
  let s = `fn ${fn}(p: u32) -> vec2<u32> {\n  let s = bitcast<u32>(SSE[u.sOff + p]);\n  if (s >= u.n) { return vec2<u32>(NONE, 0u); }\n`;
  if (src.grouped) s += '  let r = p;\n';
  else s += `  let r = s / u.${pre}fan;\n`;
  if (src.coef) s += `  return vec2<u32>(r, bitcast<u32>(f32(${pre.toUpperCase()}C[u.${pre}cOff + r * u.${pre}cs0 + (s % u.${pre}fan) * u.${pre}cs1])));\n`;
  else s += '  return vec2<u32>(r, bitcast<u32>(1.0f));\n';
  return s + '}\n';
}

export function srcUniforms(src: RowSrc): number[] {
  const c = src.coef;
  return [src.t.offset, src.t.strides[0], src.t.strides[1], src.fan, c ? c.offset : 0, c ? c.strides[0] : 0, c ? c.strides[1] : 0, 0];
}
export const srcStruct = (p: string): string => `${p}Off: u32, ${p}s0: u32, ${p}s1: u32, ${p}fan: u32, ${p}cOff: u32, ${p}cs0: u32, ${p}cs1: u32, ${p}pad: u32,`;
export const srcKey = (s: RowSrc, vec: boolean): string => `${s.grouped ? 'g' : 's'}${s.coef ? 'c' : ''}${vec ? '4' : '1'}`;

/** WGSL at the top of an s2s kernel: workgroup g -> its block t = (expert, first row, end
 * row, real) of the block table and its first column n0, blocks taken `group` at a time
 * (tileOrder); empty blocks return (uniformly). */
export function s2sBlock(TN: number, group: number): string {
  return `  let g = wid.x + wid.y * nwg.x;
  if (g >= u.cap * u.tilesN) { return; }
${tileOrder('g', 'u.cap', 'u.tilesN', group)}  let rb = tm;
  let n0 = tn * ${TN}u;
  if (lid == 0u) { tile = BT[rb]; }
  let t = workgroupUniformLoad(&tile);
  if (t.z <= t.y) { return; }
`;
}

/** WGSL filling the s2s row tables of block t = (expert, first row, end row, real): for each of
 * the block's TM rows, the input row (rowIn, NONE for zeros), its coefficient and the output row
 * (rowOut, NONE to skip). `nt` invocations share the work. */
export function s2sRowTable(TM: number, nt: number): string {
  return `  for (var q = lid; q < ${TM}u; q += ${nt}u) {
    let p = t.y + q;
    var ri = NONE;
    var ro = NONE;
    var cf = 0.0;
    if (p < t.z) {
      let s = bitcast<u32>(SSE[u.sOff + p]);
      if (s < u.n) {
        ro = select(s, p, u.groupedOut == 1u);
        if (t.w == 1u) { let r = rowA(p); ri = r.x; cf = bitcast<f32>(r.y); }
      }
    }
    rowIn[q] = ri;
    rowOut[q] = ro;
    rowC[q] = cf;
  }
`;
}

export interface S2SArgs {
  a: RowSrc;
  w: Tensor; // (E, K, N), any strides
  bias: Tensor | null;
  sse: Tensor;
  offsets: Tensor;
  groupedOut: boolean;
  y: Tensor; // (n, N) contiguous
}

export interface XtYArgs {
  a: RowSrc; // (·, M) rows: dW's rows index A's columns
  d: RowSrc; // (·, N) rows
  sse: Tensor;
  offsets: Tensor;
  dw: Tensor; // (E, M, N) contiguous
  db: Tensor | null; // (E, N) contiguous
}

/** groupXtY's bindings, in the order xtyGpu and xtyTc pass the buffers (SIMT and tensor-core
 * kernels alike); `xType`, `dType`, `wType` are the element types X, D and DW are read as. */
export function xtyBindings(a: RowSrc, xType: string, d: RowSrc, dType: string, wType: string, hasBias: boolean): string {
  let bi = 0;
  let binds = `@group(0) @binding(${++bi}) var<storage, read> X: array<${xType}>;\n`;
  binds += `@group(0) @binding(${++bi}) var<storage, read> D: array<${dType}>;\n`;
  binds += `@group(0) @binding(${++bi}) var<storage, read> SSE: array<i32>;\n`;
  binds += `@group(0) @binding(${++bi}) var<storage, read> OFF: array<i32>;\n`;
  if (a.coef) binds += `@group(0) @binding(${++bi}) var<storage, read> AC: array<T>;\n`;
  if (d.coef) binds += `@group(0) @binding(${++bi}) var<storage, read> DC: array<T>;\n`;
  binds += `@group(0) @binding(${++bi}) var<storage, read_write> DW: array<${wType}>;\n`;
  if (hasBias) binds += `@group(0) @binding(${++bi}) var<storage, read_write> DB: array<T>;\n`;
  return binds;
}

// ---- the uniforms of the two kernels (shared with gemm/tc.ts: one layout per problem) ----

export function s2sUniformWgsl(): string {
  return `struct U {
  n: u32, E: u32, K: u32, N: u32, cap: u32, tilesN: u32, groupedOut: u32, p0: u32,
  ${srcStruct('a')}
  wOff: u32, ws0: u32, ws1: u32, ws2: u32, sOff: u32, yOff: u32, bOff: u32, bs0: u32,
  bs1: u32, p1: u32, p2: u32, p3: u32,
}
@group(0) @binding(0) var<uniform> u: U;`;
}

export function s2sUniforms(o: S2SArgs, cap: number, tilesN: number): number[] {
  const { a, w, bias, sse, y } = o;
  const [numE, K, N] = w.shape;
  return u32s([sse.numel, numE, K, N, cap, tilesN, o.groupedOut ? 1 : 0, 0,
    ...srcUniforms(a), w.offset, ...w.strides, sse.offset, y.offset, bias ? bias.offset : 0, bias ? bias.strides[0] : 0,
    bias ? bias.strides[1] : 0, 0, 0, 0]);
}

export function xtyUniformWgsl(): string {
  return `struct U {
  n: u32, E: u32, M: u32, N: u32, tilesM: u32, tilesN: u32, oOff: u32, sOff: u32,
  ${srcStruct('a')}
  ${srcStruct('d')}
}
@group(0) @binding(0) var<uniform> u: U;`;
}

export function xtyUniforms(o: XtYArgs, tilesM: number, tilesN: number): number[] {
  const { a, d, sse, offsets, dw } = o;
  const [numE, M, N] = dw.shape;
  return u32s([sse.numel, numE, M, N, tilesM, tilesN, offsets.offset, sse.offset, ...srcUniforms(a), ...srcUniforms(d)]);
}
