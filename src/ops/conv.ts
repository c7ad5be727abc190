// conv1d and conv2d as implicit GEMM: im2col gathers each image's patches into a
// (C·KH·KW, OH·OW) matrix, one matmul per image and group multiplies it by the weight
// (groups become a batch dim), and the bias is a broadcast add. The gradients come from
// the same pieces: matmul's for the weight and the patches, col2im (im2col's adjoint) for
// the input, sum for the bias. conv1d is conv2d over a height-1 image.
import { Tensor, checkAllocation } from '../tensor/tensor.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { tidy } from '../tensor/scope.js';
import { checkTensor } from '../tensor/check.js';
import { matmul } from './matmul.js';
import { Im2col, floatCheck, outSize, pairArg, type Win } from './im2col.js';

export type Padding = number | number[] | 'valid' | 'same';

/** PyTorch's keyword arguments of F.conv1d / F.conv2d. */
export interface ConvOptions {
  bias?: Tensor | null;
  stride?: number | number[];
  padding?: Padding;
  dilation?: number | number[];
  groups?: number;
}

const OPTION_KEYS = ['bias', 'stride', 'padding', 'dilation', 'groups'];

/** An options object in the bias slot (conv2d(x, w, { stride: 2 })) or the positional form. */
function resolveArgs(op: string, b: unknown, stride: unknown, padding: unknown, dilation: unknown, groups: unknown): ConvOptions {
  const isOptions = b !== null && typeof b === 'object' && !(b instanceof Tensor) && !Array.isArray(b);
  if (!isOptions) return { bias: b as Tensor | null | undefined, stride: stride as number, padding: padding as Padding, dilation: dilation as number, groups: groups as number };
  if (Object.getPrototypeOf(b) !== Object.prototype && Object.getPrototypeOf(b) !== null) throw new Error(`${op}: bias must be a Tensor, null or an options object, got ${describe(b)}`);
  for (const k of Object.keys(b)) if (!OPTION_KEYS.includes(k)) throw new Error(`${op}: unknown option '${k}'; expected ${OPTION_KEYS.join(', ')}`);
  if (stride !== undefined || padding !== undefined || dilation !== undefined || groups !== undefined) {
    throw new Error(`${op}: pass either an options object or positional arguments after the weight, not both`);
  }
  return b as ConvOptions;
}

function convNd(op: string, nd: 1 | 2, x: unknown, w: unknown, opts: ConvOptions): Tensor {
  checkTensor(op, x, 'input');
  checkTensor(op, w, 'weight');
  const b = opts.bias ?? null;
  if (b !== null) checkTensor(op, b, 'bias');
  floatCheck(op, x, 'input');
  floatCheck(op, w, 'weight');
  for (const [name, t] of [['weight', w], ['bias', b]] as const) {
    if (!t) continue;
    if (t.device !== x.device) throw new Error(`${op}: input is on ${x.device} but ${name} is on ${t.device}; move one with await t.to(device)`);
    if (t.dtype !== x.dtype) throw new Error(`${op}: input is ${x.dtype} but ${name} is ${t.dtype}; they must have the same dtype`);
  }
  const dims = nd === 2 ? '3-D (C, H, W) or 4-D (N, C, H, W)' : '2-D (C, L) or 3-D (N, C, L)';
  if (x.ndim !== nd + 1 && x.ndim !== nd + 2) throw new Error(`${op}: expected a ${dims} input, got shape ${fmtShape(x.shape)}`);
  if (w.ndim !== nd + 2) throw new Error(`${op}: expected a ${nd + 2}-D weight (out_channels, in_channels/groups, ${nd === 2 ? 'kH, kW' : 'kL'}), got shape ${fmtShape(w.shape)}`);
  const groups = opts.groups ?? 1;
  if (typeof groups !== 'number' || !Number.isSafeInteger(groups) || groups < 1) throw new Error(`${op}: groups must be an integer >= 1, got ${describe(groups)}`);
  const stride = pairArg(op, 'stride', opts.stride ?? 1, 1, nd);
  const dilation = pairArg(op, 'dilation', opts.dilation ?? 1, 1, nd);
  const pad = opts.padding ?? 0;
  if (typeof pad === 'string' && pad !== 'same' && pad !== 'valid') throw new Error(`${op}: padding must be 'valid', 'same', or ${nd === 2 ? 'an integer or a pair' : 'an integer'} >= 0, got ${describe(pad)}`);
  if (pad === 'same' && stride.some((s) => s !== 1)) throw new Error(`${op}: padding='same' is not supported for strided convolutions (stride ${describe(opts.stride)})`);
  const batched = x.ndim === nd + 2;
  const xs = batched ? x.shape : [1, ...x.shape];
  const [N, C] = xs;
  const [Cout, Cg] = w.shape;
  const ks = w.shape.slice(2);
  if (ks.some((k) => k < 1)) throw new Error(`${op}: weight of shape ${fmtShape(w.shape)} has an empty kernel`);
  if (Cout % groups !== 0) throw new Error(`${op}: out_channels ${Cout} (weight shape ${fmtShape(w.shape)}) is not divisible by groups ${groups}`);
  if (Cg * groups !== C) throw new Error(`${op}: input of shape ${fmtShape(x.shape)} has ${C} channels, but weight of shape ${fmtShape(w.shape)} with groups ${groups} expects ${Cg * groups}`);
  if (b && (b.ndim !== 1 || b.shape[0] !== Cout)) throw new Error(`${op}: bias must have shape [${Cout}] (out_channels), got ${fmtShape(b.shape)}`);
  const sizes = xs.slice(2);
  // 'same' pads d·(k−1) in all, the odd one on the right as PyTorch does; only the left pad
  // reaches the kernel, the output size stands for the rest.
  const padL = pad === 'same' ? ks.map((k, i) => Math.floor((dilation[i] * (k - 1)) / 2)) : pad === 'valid' ? ks.map(() => 0) : pairArg(op, 'padding', pad, 0, nd);
  const padR = pad === 'same' ? ks.map((k, i) => dilation[i] * (k - 1) - padL[i]) : padL;
  const outs = sizes.map((s, i) => outSize(s, ks[i], stride[i], padL[i], padR[i], dilation[i]));
  if (outs.some((o) => o < 1)) {
    throw new Error(`${op}: the kernel ${fmtShape(ks)} with dilation ${fmtShape(dilation)} does not fit the input of shape ${fmtShape(x.shape)} padded by ${fmtShape(padL)} (output size ${fmtShape(outs)})`);
  }
  // Everything below is 2-D: a 1-D problem is one of height 1.
  const two = (v: number[], one: number): number[] => (nd === 2 ? v : [one, v[0]]);
  const [KH, KW] = two(ks, 1);
  const [OH, OW] = two(outs, 1);
  const [H, W] = two(sizes, 1);
  const g: Win = { P: N * C, H, W, OH, OW, KH, KW, SH: two(stride, 1)[0], SW: two(stride, 1)[1], PH: two(padL, 0)[0], PW: two(padL, 0)[1], DH: two(dilation, 1)[0], DW: two(dilation, 1)[1] };
  // The patch matrix is the big allocation: refuse a size the device cannot hold before any work.
  checkAllocation(op, [N, C * KH * KW, OH * OW], x.dtype, x.device);
  return tidy(() => {
    const x4 = x.reshape([N, C, H, W]);
    const cols = Im2col.apply(x4, g) as Tensor; // (N, C·KH·KW, OH·OW)
    const kk = Cg * KH * KW;
    const y = matmul(w.reshape([groups, Cout / groups, kk]), cols.reshape([N, groups, kk, OH * OW]));
    let out = y.reshape([N, Cout, ...outs]);
    if (b) out = out.add(b.reshape([Cout, ...outs.map(() => 1)]));
    return batched ? out : out.reshape(out.shape.slice(1));
  });
}

/**
 * 2-D convolution (cross-correlation, as PyTorch): input (N, C, H, W) or (C, H, W), weight
 * (out, C/groups, kH, kW). Also conv2d(x, w, { bias, stride, padding, dilation, groups }).
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null | ConvOptions, stride?: number | number[], padding?: Padding, dilation?: number | number[], groups?: number): Tensor {
  return convNd('conv2d', 2, x, weight, resolveArgs('conv2d', bias, stride, padding, dilation, groups));
}

/** 1-D convolution: input (N, C, L) or (C, L), weight (out, C/groups, k). */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null | ConvOptions, stride?: number | number[], padding?: Padding, dilation?: number | number[], groups?: number): Tensor {
  return convNd('conv1d', 1, x, weight, resolveArgs('conv1d', bias, stride, padding, dilation, groups));
}
