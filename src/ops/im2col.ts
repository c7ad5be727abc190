// Sliding windows over the last two dims of a (planes, H, W) tensor: the geometry that
// convolution and pooling share, the argument parsing for it, and the two kernels that
// turn convolution into a GEMM:
//  - im2col: cols[n, (c·KH + kh)·KW + kw, oh·OW + ow] = x[n, c, oh·SH − PH + kh·DH, ow·SW − PW + kw·DW]
//    (0 where that lands in the padding), one invocation per cols element;
//  - col2im: its adjoint, dx[n, c, h, w] = Σ of the cols entries that read (h, w), written as
//    a gather (one invocation per input pixel walking the kernel taps that can reach it) so
//    the sums are deterministic and need no float atomics.
// Groups never appear here: a group is a contiguous run of channels, so the (N, C·KH·KW, L)
// cols matrix reshapes to (N, G, C/G·KH·KW, L) for free.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { roundF16, wgslType } from '../tensor/dtype.js';
import { describe } from '../tensor/shape.js';
import { f32Bits } from '../backend/webgpu.js';
import { contiguous } from './view.js';

export const WG = 256;

/** One window problem: P planes of H×W, an OH×OW output, kernel, stride, left/top padding, dilation. */
export interface Win {
  P: number; H: number; W: number; OH: number; OW: number;
  KH: number; KW: number; SH: number; SW: number; PH: number; PW: number; DH: number; DW: number;
}

/** The uniform words of WIN_WGSL's struct U. `flag` and `f` are the kernel's own (a mode, a float). */
export function winUniforms(n: number, g: Win, off: number, flag = 0, f = 0): number[] {
  return [n, g.H, g.W, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, off, flag, f32Bits(f)].map((v) => v >>> 0);
}

/** The WGSL prelude of every window kernel: uniforms, the invocation index and a NaN test. */
export function winWgsl(T: string): string {
  return `${T === 'f16' ? 'enable f16;\n' : ''}struct U {
  n: u32, H: i32, W: i32, OH: i32, OW: i32, KH: i32, KW: i32, SH: i32,
  SW: i32, PH: i32, PW: i32, DH: i32, DW: i32, off: u32, flag: u32, f: f32,
}
@group(0) @binding(0) var<uniform> u: U;
// WGSL compilers may assume floats are never NaN, so the test reads the bits.
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
`;
}

export const WIN_MAIN = `@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.n) { return; }
`;

/**
 * Calls f(oh, ow, kh, kw) for every output position whose window reads input pixel (h, w):
 * the walk of every gather-style backward (col2im and the pooling gradients).
 */
export function forEachReader(g: Win, h: number, w: number, f: (oh: number, ow: number, kh: number, kw: number) => void): void {
  for (let kh = 0; kh < g.KH; kh++) {
    const a = h + g.PH - kh * g.DH;
    if (a < 0) break;
    if (a % g.SH !== 0 || a / g.SH >= g.OH) continue;
    for (let kw = 0; kw < g.KW; kw++) {
      const b = w + g.PW - kw * g.DW;
      if (b < 0) break;
      if (b % g.SW !== 0 || b / g.SW >= g.OW) continue;
      f(a / g.SH, b / g.SW, kh, kw);
    }
  }
}

/** The same walk in WGSL, around `body` (which sees oh, ow, kh, kw as i32). */
export function readersWgsl(body: string): string {
  return `  for (var kh = 0; kh < u.KH; kh++) {
    let a = h + u.PH - kh * u.DH;
    if (a < 0) { break; }
    if (a % u.SH != 0 || a / u.SH >= u.OH) { continue; }
    let oh = a / u.SH;
    for (var kw = 0; kw < u.KW; kw++) {
      let b = w + u.PW - kw * u.DW;
      if (b < 0) { break; }
      if (b % u.SW != 0 || b / u.SW >= u.OW) { continue; }
      let ow = b / u.SW;
${body}
    }
  }
`;
}

// ---- argument parsing shared by conv and pooling ----

/** An int or a pair of ints, each >= min, as [a, b]; `n` = 1 takes only one value. */
export function pairArg(op: string, arg: string, v: unknown, min: number, n: 1 | 2 = 2): number[] {
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;
  if (ok(v)) return new Array<number>(n).fill(v);
  if (Array.isArray(v) && v.length === n && v.every(ok)) return [...v];
  const what = n === 1 ? 'an integer' : 'an integer or a pair of integers';
  throw new Error(`${op}: ${arg} must be ${what} >= ${min}, got ${describe(v)}`);
}

/** PyTorch's output size of a window: floor (or ceil) of the span over the stride, plus 1. */
export function outSize(inp: number, k: number, s: number, padL: number, padR: number, d: number, ceil = false): number {
  const span = inp + padL + padR - d * (k - 1) - 1;
  // Ceil mode rounds a short span up too: a window reaching past the end still counts (PyTorch).
  let o = Math.floor((span + (ceil ? s - 1 : 0)) / s) + 1;
  if (o < 0) return 0;
  // With ceil mode the last window must still start inside the input or its left padding.
  if (ceil && (o - 1) * s >= inp + padL) o--;
  return o;
}

export function floatCheck(op: string, t: Tensor, arg: string): void {
  if (t.dtype === 'int32') throw new Error(`${op}: ${arg} has dtype int32; ${op} needs a floating point tensor (cast with .float())`);
}

// ---- im2col and col2im ----

function im2colRaw(x: Tensor, g: Win): Tensor {
  const x4 = contiguous(x);
  const L = g.OH * g.OW;
  const KK = g.KH * g.KW;
  const out = Tensor.empty([x.shape[0], x.shape[1] * KK, L], x.dtype, x.device, 'im2col');
  const n = out.numel;
  if (n === 0) return out;
  if (x.device === 'cpu') {
    const X = x4.data;
    const O = out.data;
    const o0 = x4.offset;
    let i = 0;
    for (let p = 0; p < g.P; p++) {
      const base = o0 + p * g.H * g.W;
      for (let kh = 0; kh < g.KH; kh++) for (let kw = 0; kw < g.KW; kw++) {
        for (let oh = 0; oh < g.OH; oh++) {
          const h = oh * g.SH - g.PH + kh * g.DH;
          for (let ow = 0; ow < g.OW; ow++) {
            const w = ow * g.SW - g.PW + kw * g.DW;
            O[i++] = h < 0 || h >= g.H || w < 0 || w >= g.W ? 0 : X[base + h * g.W + w];
          }
        }
      }
    }
    return out;
  }
  const T = wgslType(x.dtype);
  x.storage.gpu!.dispatch({
    key: `im2col:${T}`,
    wgsl: () => `${winWgsl(T)}@group(0) @binding(1) var<storage, read> X: array<${T}>;
@group(0) @binding(2) var<storage, read_write> O: array<${T}>;
${WIN_MAIN}  let L = u32(u.OH * u.OW);
  let l = i % L;
  let r = i / L;
  let k = r % u32(u.KH * u.KW);
  let plane = r / u32(u.KH * u.KW);
  let h = i32(l / u32(u.OW)) * u.SH - u.PH + i32(k / u32(u.KW)) * u.DH;
  let w = i32(l % u32(u.OW)) * u.SW - u.PW + i32(k % u32(u.KW)) * u.DW;
  if (h < 0 || h >= u.H || w < 0 || w >= u.W) { O[i] = ${T}(0); return; }
  O[i] = X[u.off + plane * u32(u.H * u.W) + u32(h * u.W + w)];
}
`,
    inputs: [x4.buffer],
    outputs: [out.buffer],
    uniforms: winUniforms(n, g, x4.offset),
    workgroups: Math.ceil(n / WG),
  });
  return out;
}

/** cols (N, C·KH·KW, OH·OW) → the (N, C, H, W) sum of each pixel's entries. */
function col2imRaw(cols: Tensor, g: Win, shape: number[]): Tensor {
  const c = contiguous(cols);
  const out = Tensor.empty(shape, cols.dtype, cols.device, 'col2im');
  const n = out.numel;
  if (n === 0) return out;
  const L = g.OH * g.OW;
  const KK = g.KH * g.KW;
  if (cols.device === 'cpu') {
    const C = c.data;
    const O = out.data;
    const store = cols.dtype === 'float16' ? roundF16 : (v: number): number => v;
    let i = 0;
    for (let p = 0; p < g.P; p++) {
      for (let h = 0; h < g.H; h++) for (let w = 0; w < g.W; w++) {
        let acc = 0;
        forEachReader(g, h, w, (oh, ow, kh, kw) => { acc += C[c.offset + (p * KK + kh * g.KW + kw) * L + oh * g.OW + ow]; });
        O[i++] = store(acc);
      }
    }
    return out;
  }
  const T = wgslType(cols.dtype);
  cols.storage.gpu!.dispatch({
    key: `col2im:${T}`,
    wgsl: () => `${winWgsl(T)}@group(0) @binding(1) var<storage, read> C: array<${T}>;
@group(0) @binding(2) var<storage, read_write> O: array<${T}>;
${WIN_MAIN}  let HW = u32(u.H * u.W);
  let plane = i / HW;
  let h = i32((i % HW) / u32(u.W));
  let w = i32(i % u32(u.W));
  let L = u32(u.OH * u.OW);
  let base = u.off + plane * u32(u.KH * u.KW);
  var acc = 0.0;
${readersWgsl(`      acc += f32(C[(base + u32(kh * u.KW + kw)) * L + u32(oh * u.OW + ow)]);`)}  O[i] = ${T}(acc);
}
`,
    inputs: [c.buffer],
    outputs: [out.buffer],
    uniforms: winUniforms(n, g, c.offset),
    workgroups: Math.ceil(n / WG),
  });
  return out;
}

/** (N, C, H, W) → (N, C·KH·KW, OH·OW) patches; backward is col2im. */
export class Im2col extends Function {
  static override forward(ctx: Ctx, x: Tensor, g: Win): Tensor {
    ctx.g = g;
    ctx.shape = x.shape;
    return im2colRaw(x, g);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    return [Col2im.apply(dy, ctx.g, ctx.shape), null];
  }
}

/** The adjoint of Im2col; backward is im2col (so gradients of gradients stay exact). */
export class Col2im extends Function {
  static override forward(ctx: Ctx, cols: Tensor, g: Win, shape: number[]): Tensor {
    ctx.g = g;
    return col2imRaw(cols, g, shape);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    return [Im2col.apply(dy, ctx.g), null, null];
  }
}
