// maxPool2d and avgPool2d over the last two dims of (N, C, H, W) or (C, H, W). Each has a
// forward kernel (one invocation per output) and a backward kernel that gathers, per input
// pixel, the gradients of the windows that read it: deterministic sums, no float atomics.
// Max pooling follows PyTorch's scan exactly: the first maximum wins a tie, a NaN wins over
// everything (the last NaN in scan order), and an all −Inf window points at its first pixel.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { roundF16, wgslType } from '../tensor/dtype.js';
import { checkOptions, describe, fmtShape } from '../tensor/shape.js';
import { checkTensor } from '../tensor/check.js';
import { contiguous } from './view.js';
import { checkBool } from './rows.js';
import { WG, WIN_MAIN, floatCheck, forEachReader, outSize, pairArg, readersWgsl, winUniforms, winWgsl, type Win } from './im2col.js';

const storeFor = (t: Tensor): ((v: number) => number) => (t.dtype === 'float16' ? roundF16 : (v) => v);

// ---- max pooling ----

function maxPoolRaw(x: Tensor, g: Win): [Tensor, Tensor] {
  const xc = contiguous(x);
  const shape = [...x.shape.slice(0, -2), g.OH, g.OW];
  const out = Tensor.empty(shape, x.dtype, x.device, 'maxPool2d');
  const idx = Tensor.empty(shape, 'int32', x.device, 'maxPool2d');
  const n = out.numel;
  if (n === 0) return [out, idx];
  if (x.device === 'cpu') {
    const X = xc.data;
    const O = out.data;
    const I = idx.data;
    let i = 0;
    for (let p = 0; p < g.P; p++) {
      const base = xc.offset + p * g.H * g.W;
      for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) {
        let pos = -1;
        let best = -Infinity;
        let nan = false;
        for (let kh = 0; kh < g.KH; kh++) {
          const h = oh * g.SH - g.PH + kh * g.DH;
          if (h < 0 || h >= g.H) continue;
          for (let kw = 0; kw < g.KW; kw++) {
            const w = ow * g.SW - g.PW + kw * g.DW;
            if (w < 0 || w >= g.W) continue;
            const q = h * g.W + w;
            const v = X[base + q];
            if (pos < 0) pos = q;
            if (Number.isNaN(v)) { pos = q; nan = true; } else if (!nan && v > best) { best = v; pos = q; }
          }
        }
        O[i] = pos < 0 ? -Infinity : X[base + pos];
        I[i++] = pos;
      }
    }
    return [out, idx];
  }
  const T = wgslType(x.dtype);
  x.storage.gpu!.dispatch({
    key: `max_pool2d:${T}`,
    wgsl: () => `${winWgsl(T)}@group(0) @binding(1) var<storage, read> X: array<${T}>;
@group(0) @binding(2) var<storage, read_write> O: array<${T}>;
@group(0) @binding(3) var<storage, read_write> Ix: array<i32>;
${WIN_MAIN}  let L = u32(u.OH * u.OW);
  let plane = i / L;
  let h0 = i32((i % L) / u32(u.OW)) * u.SH - u.PH;
  let w0 = i32(i % u32(u.OW)) * u.SW - u.PW;
  let base = u.off + plane * u32(u.H * u.W);
  var pos = -1;
  var best = u.f; // −Inf, from a uniform: WGSL rejects an infinite constant
  var nan = false;
  for (var kh = 0; kh < u.KH; kh++) {
    let h = h0 + kh * u.DH;
    if (h < 0 || h >= u.H) { continue; }
    for (var kw = 0; kw < u.KW; kw++) {
      let w = w0 + kw * u.DW;
      if (w < 0 || w >= u.W) { continue; }
      let q = h * u.W + w;
      let v = f32(X[base + u32(q)]);
      if (pos < 0) { pos = q; }
      if (isNan(v)) { pos = q; nan = true; } else if (!nan && v > best) { best = v; pos = q; }
    }
  }
  if (pos < 0) { O[i] = ${T}(u.f); } else { O[i] = X[base + u32(pos)]; }
  Ix[i] = pos;
}
`,
    inputs: [xc.buffer],
    outputs: [out.buffer, idx.buffer],
    uniforms: winUniforms(n, g, xc.offset, 0, -Infinity),
    workgroups: Math.ceil(n / WG),
  });
  return [out, idx];
}

/** dx[p, h, w] = Σ dy over the windows whose argmax is (h, w). */
function maxPoolBackwardRaw(dy: Tensor, idx: Tensor, g: Win, shape: number[]): Tensor {
  const gc = contiguous(dy);
  const out = Tensor.empty(shape, dy.dtype, dy.device, 'maxPool2d');
  const n = out.numel;
  if (n === 0) return out;
  const L = g.OH * g.OW;
  if (dy.device === 'cpu') {
    const G = gc.data;
    const I = idx.data;
    const O = out.data;
    const store = storeFor(out);
    let i = 0;
    for (let p = 0; p < g.P; p++) {
      for (let h = 0; h < g.H; h++) for (let w = 0; w < g.W; w++) {
        let acc = 0;
        forEachReader(g, h, w, (oh, ow) => {
          const j = p * L + oh * g.OW + ow;
          if (I[idx.offset + j] === h * g.W + w) acc += G[gc.offset + j];
        });
        O[i++] = store(acc);
      }
    }
    return out;
  }
  const T = wgslType(dy.dtype);
  dy.storage.gpu!.dispatch({
    key: `max_pool2d_bwd:${T}`,
    wgsl: () => `${winWgsl(T)}@group(0) @binding(1) var<storage, read> G: array<${T}>;
@group(0) @binding(2) var<storage, read> Ix: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<${T}>;
${WIN_MAIN}  let HW = u32(u.H * u.W);
  let plane = i / HW;
  let h = i32((i % HW) / u32(u.W));
  let w = i32(i % u32(u.W));
  let base = plane * u32(u.OH * u.OW);
  let me = h * u.W + w;
  var acc = 0.0;
${readersWgsl(`      let j = base + u32(oh * u.OW + ow);
      if (Ix[u.flag + j] == me) { acc += f32(G[u.off + j]); }`)}  O[i] = ${T}(acc);
}
`,
    inputs: [gc.buffer, idx.buffer],
    outputs: [out.buffer],
    uniforms: winUniforms(n, g, gc.offset, idx.offset),
    workgroups: Math.ceil(n / WG),
  });
  return out;
}

class MaxPool2dFn extends Function {
  static override forward(ctx: Ctx, x: Tensor, g: Win): Tensor[] {
    const [out, idx] = maxPoolRaw(x, g);
    ctx.saveForBackward(idx);
    ctx.g = g;
    ctx.shape = x.shape;
    return [out, idx];
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [idx] = ctx.savedTensors;
    return [maxPoolBackwardRaw(dy, idx, ctx.g, ctx.shape), null];
  }
}

// ---- average pooling ----

/** Divisor modes (the kernels' `flag`): the padded window, the in-bounds pixels, an override. */
const DIV_PADDED = 0, DIV_INBOUNDS = 1, DIV_OVERRIDE = 2;

/** The window [hs, he) × [ws, we) of output (oh, ow), clipped to the padded input, and its divisor. */
function avgWindow(g: Win, oh: number, ow: number, mode: number, dv: number): [number, number, number, number, number] {
  let hs = oh * g.SH - g.PH, ws = ow * g.SW - g.PW;
  let he = Math.min(hs + g.KH, g.H + g.PH), we = Math.min(ws + g.KW, g.W + g.PW);
  const padded = (he - hs) * (we - ws);
  hs = Math.max(hs, 0); ws = Math.max(ws, 0); he = Math.min(he, g.H); we = Math.min(we, g.W);
  const div = mode === DIV_OVERRIDE ? dv : mode === DIV_PADDED ? padded : (he - hs) * (we - ws);
  return [hs, he, ws, we, div];
}

const AVG_WINDOW_WGSL = `fn avgWindow(oh: i32, ow: i32) -> vec4<i32> {
  return vec4<i32>(oh * u.SH - u.PH, ow * u.SW - u.PW, min(oh * u.SH - u.PH + u.KH, u.H + u.PH), min(ow * u.SW - u.PW + u.KW, u.W + u.PW));
}
fn avgDivisor(r: vec4<i32>) -> f32 {
  if (u.flag == ${DIV_OVERRIDE}u) { return u.f; }
  if (u.flag == ${DIV_PADDED}u) { return f32((r.z - r.x) * (r.w - r.y)); }
  return f32((min(r.z, u.H) - max(r.x, 0)) * (min(r.w, u.W) - max(r.y, 0)));
}
`;

function avgPoolRaw(x: Tensor, g: Win, mode: number, dv: number): Tensor {
  const xc = contiguous(x);
  const out = Tensor.empty([...x.shape.slice(0, -2), g.OH, g.OW], x.dtype, x.device, 'avgPool2d');
  const n = out.numel;
  if (n === 0) return out;
  if (x.device === 'cpu') {
    const X = xc.data;
    const O = out.data;
    const store = storeFor(out);
    let i = 0;
    for (let p = 0; p < g.P; p++) {
      const base = xc.offset + p * g.H * g.W;
      for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) {
        const [hs, he, ws, we, div] = avgWindow(g, oh, ow, mode, dv);
        let acc = 0;
        for (let h = hs; h < he; h++) for (let w = ws; w < we; w++) acc += X[base + h * g.W + w];
        O[i++] = store(acc / div);
      }
    }
    return out;
  }
  const T = wgslType(x.dtype);
  x.storage.gpu!.dispatch({
    key: `avg_pool2d:${T}`,
    wgsl: () => `${winWgsl(T)}${AVG_WINDOW_WGSL}@group(0) @binding(1) var<storage, read> X: array<${T}>;
@group(0) @binding(2) var<storage, read_write> O: array<${T}>;
${WIN_MAIN}  let L = u32(u.OH * u.OW);
  let plane = i / L;
  let r = avgWindow(i32((i % L) / u32(u.OW)), i32(i % u32(u.OW)));
  let base = u.off + plane * u32(u.H * u.W);
  var acc = 0.0;
  for (var h = max(r.x, 0); h < min(r.z, u.H); h++) {
    for (var w = max(r.y, 0); w < min(r.w, u.W); w++) { acc += f32(X[base + u32(h * u.W + w)]); }
  }
  O[i] = ${T}(acc / avgDivisor(r));
}
`,
    inputs: [xc.buffer],
    outputs: [out.buffer],
    uniforms: winUniforms(n, g, xc.offset, mode, dv),
    workgroups: Math.ceil(n / WG),
  });
  return out;
}

/** dx[p, h, w] = Σ dy / divisor over the windows that hold (h, w). */
function avgPoolBackwardRaw(dy: Tensor, g: Win, mode: number, dv: number, shape: number[]): Tensor {
  const gc = contiguous(dy);
  const out = Tensor.empty(shape, dy.dtype, dy.device, 'avgPool2d');
  const n = out.numel;
  if (n === 0) return out;
  const L = g.OH * g.OW;
  if (dy.device === 'cpu') {
    const G = gc.data;
    const O = out.data;
    const store = storeFor(out);
    let i = 0;
    for (let p = 0; p < g.P; p++) {
      for (let h = 0; h < g.H; h++) for (let w = 0; w < g.W; w++) {
        let acc = 0;
        forEachReader(g, h, w, (oh, ow) => { acc += G[gc.offset + p * L + oh * g.OW + ow] / avgWindow(g, oh, ow, mode, dv)[4]; });
        O[i++] = store(acc);
      }
    }
    return out;
  }
  const T = wgslType(dy.dtype);
  dy.storage.gpu!.dispatch({
    key: `avg_pool2d_bwd:${T}`,
    wgsl: () => `${winWgsl(T)}${AVG_WINDOW_WGSL}@group(0) @binding(1) var<storage, read> G: array<${T}>;
@group(0) @binding(2) var<storage, read_write> O: array<${T}>;
${WIN_MAIN}  let HW = u32(u.H * u.W);
  let plane = i / HW;
  let h = i32((i % HW) / u32(u.W));
  let w = i32(i % u32(u.W));
  let base = u.off + plane * u32(u.OH * u.OW);
  var acc = 0.0;
${readersWgsl(`      acc += f32(G[base + u32(oh * u.OW + ow)]) / avgDivisor(avgWindow(oh, ow));`)}  O[i] = ${T}(acc);
}
`,
    inputs: [gc.buffer],
    outputs: [out.buffer],
    uniforms: winUniforms(n, g, gc.offset, mode, dv),
    workgroups: Math.ceil(n / WG),
  });
  return out;
}

class AvgPool2dFn extends Function {
  static override forward(ctx: Ctx, x: Tensor, g: Win, mode: number, dv: number): Tensor {
    Object.assign(ctx, { g, mode, dv, shape: x.shape });
    return avgPoolRaw(x, g, mode, dv);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    return [avgPoolBackwardRaw(dy, ctx.g, ctx.mode, ctx.dv, ctx.shape), null, null, null];
  }
}

// ---- the public functions ----

export interface MaxPool2dOptions {
  stride?: number | number[] | null;
  padding?: number | number[];
  dilation?: number | number[];
  ceilMode?: boolean;
  returnIndices?: boolean;
}

export interface AvgPool2dOptions {
  stride?: number | number[] | null;
  padding?: number | number[];
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

/** An options object given where a positional argument may also stand (null when it is not one). */
function plainOptions(op: string, v: unknown, keys: string[]): Record<string, unknown> | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Tensor) return null;
  return checkOptions(op, v, keys);
}

function boolArg(op: string, arg: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  checkBool(op, arg, v);
  return v as boolean;
}

/** The window of a pooling op over x's last two dims, after PyTorch's shape checks. */
function poolWindow(op: string, x: unknown, kernelSize: unknown, stride: unknown, padding: unknown, dilation: unknown, ceil: boolean): Win {
  checkTensor(op, x, 'input');
  floatCheck(op, x, 'input');
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`${op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ${fmtShape(x.shape)}`);
  if (x.shape.slice(-3).some((s) => s === 0)) throw new Error(`${op}: input of shape ${fmtShape(x.shape)} has an empty channel or spatial dim (only the batch may be 0)`);
  const [KH, KW] = pairArg(op, 'kernelSize', kernelSize, 1);
  const [SH, SW] = stride === undefined || stride === null || (Array.isArray(stride) && stride.length === 0) ? [KH, KW] : pairArg(op, 'stride', stride, 1);
  const [PH, PW] = pairArg(op, 'padding', padding, 0);
  const [DH, DW] = pairArg(op, 'dilation', dilation, 1);
  if (PH > KH / 2 || PW > KW / 2) throw new Error(`${op}: padding ${fmtShape([PH, PW])} must be at most half the kernel size ${fmtShape([KH, KW])}`);
  const [H, W] = x.shape.slice(-2);
  const OH = outSize(H, KH, SH, PH, PH, DH, ceil);
  const OW = outSize(W, KW, SW, PW, PW, DW, ceil);
  if (OH < 1 || OW < 1) throw new Error(`${op}: output size ${OH}×${OW} is too small for input of shape ${fmtShape(x.shape)} with kernel ${fmtShape([KH, KW])}, padding ${fmtShape([PH, PW])} and dilation ${fmtShape([DH, DW])}`);
  return { P: x.numel / (H * W), H, W, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW };
}

const MAX_KEYS = ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices'];

/**
 * 2-D max pooling. maxPool2d(x, kernelSize, stride?, padding = 0, dilation = 1, { ceilMode,
 * returnIndices }) or maxPool2d(x, kernelSize, { stride, padding, dilation, ceilMode,
 * returnIndices }). With returnIndices, [output, indices]: int32 flat indices into each H×W plane.
 */
export function maxPool2d(x: Tensor, kernelSize: number | number[], stride?: number | number[] | null | MaxPool2dOptions, padding: number | number[] = 0, dilation: number | number[] = 1, opts: MaxPool2dOptions = {}): Tensor | [Tensor, Tensor] {
  const o = plainOptions('maxPool2d', stride, MAX_KEYS);
  let all = o;
  if (!all) {
    const k = plainOptions('maxPool2d', opts, ['ceilMode', 'returnIndices']);
    if (!k) throw new Error(`maxPool2d: options must be a plain object, got ${describe(opts)}`);
    all = { ...k, stride, padding, dilation };
  }
  const ceil = boolArg('maxPool2d', 'ceilMode', all.ceilMode, false);
  const ret = boolArg('maxPool2d', 'returnIndices', all.returnIndices, false);
  const g = poolWindow('maxPool2d', x, kernelSize, all.stride, all.padding ?? 0, all.dilation ?? 1, ceil);
  const [out, idx] = MaxPool2dFn.apply(x, g) as [Tensor, Tensor];
  if (ret) return [out, idx];
  idx.dispose();
  return out;
}

const AVG_KEYS = ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'];

/**
 * 2-D average pooling. avgPool2d(x, kernelSize, stride?, padding = 0, ceilMode = false,
 * countIncludePad = true, divisorOverride?) or avgPool2d(x, kernelSize, { ...the same by name }).
 */
export function avgPool2d(x: Tensor, kernelSize: number | number[], stride?: number | number[] | null | AvgPool2dOptions, padding: number | number[] = 0,
  ceilMode = false, countIncludePad = true, divisorOverride: number | null = null): Tensor {
  const o = plainOptions('avgPool2d', stride, AVG_KEYS);
  const all = o ?? { stride, padding, ceilMode, countIncludePad, divisorOverride };
  const ceil = boolArg('avgPool2d', 'ceilMode', all.ceilMode, false);
  const incl = boolArg('avgPool2d', 'countIncludePad', all.countIncludePad, true);
  const dv = all.divisorOverride ?? null;
  if (dv !== null && (typeof dv !== 'number' || !Number.isSafeInteger(dv) || dv === 0)) throw new Error(`avgPool2d: divisorOverride must be a nonzero integer, got ${describe(dv)}`);
  const g = poolWindow('avgPool2d', x, kernelSize, all.stride, all.padding ?? 0, 1, ceil);
  const mode = dv !== null ? DIV_OVERRIDE : incl ? DIV_PADDED : DIV_INBOUNDS;
  return AvgPool2dFn.apply(x, g, mode, dv ?? 0) as Tensor;
}
