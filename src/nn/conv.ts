// Conv1d, Conv2d, MaxPool2d and AvgPool2d: modules around sg.conv1d/conv2d and the pools.
// Keyword arguments of the PyTorch constructors go in an options object, camelCased.
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions, describe } from '../tensor/shape.js';
import { conv1d, conv2d, type Padding } from '../ops/conv.js';
import { avgPool2d, maxPool2d, type AvgPool2dOptions, type MaxPool2dOptions } from '../ops/pool.js';

export type { AvgPool2dOptions, MaxPool2dOptions };
import { pairArg } from '../ops/im2col.js';
import { Module } from './module.js';
import { checkModuleOptions, checkSize, uniformParam, type ParamOptions } from './init.js';

export interface ConvOptions extends ParamOptions {
  stride?: number | number[];
  padding?: Padding;
  dilation?: number | number[];
  groups?: number;
  bias?: boolean;
  /** Only 'zeros' (PyTorch's default) is supported. */
  paddingMode?: 'zeros';
}

const CONV_KEYS = ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode', 'device', 'dtype', 'seed'];

/** The shared part of Conv1d and Conv2d: checks, and PyTorch's init, U(±1/√fan_in) for weight
 * and bias (kaiming_uniform with a = √5 works out to that bound). */
abstract class ConvNd extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly stride: number | number[];
  readonly padding: Padding;
  readonly dilation: number | number[];
  readonly groups: number;

  constructor(name: string, nd: 1 | 2, readonly inChannels: number, readonly outChannels: number, kernelSize: number | number[], opts: ConvOptions) {
    super();
    const { stride, padding, dilation, groups, bias, paddingMode, ...rest } = checkOptions(name, opts, CONV_KEYS) as ConvOptions;
    checkModuleOptions(name, rest);
    if (bias !== undefined && typeof bias !== 'boolean') throw new Error(`${name}: option bias must be a boolean, got ${describe(bias)}`);
    checkSize(name, 'inChannels', inChannels);
    checkSize(name, 'outChannels', outChannels);
    const ks = pairArg(name, 'kernelSize', kernelSize, 1, nd);
    this.groups = groups ?? 1;
    if (typeof this.groups !== 'number' || !Number.isSafeInteger(this.groups) || this.groups < 1) throw new Error(`${name}: groups must be a positive integer, got ${describe(groups)}`);
    if (inChannels % this.groups !== 0) throw new Error(`${name}: inChannels ${inChannels} must be divisible by groups ${this.groups}`);
    if (outChannels % this.groups !== 0) throw new Error(`${name}: outChannels ${outChannels} must be divisible by groups ${this.groups}`);
    if (paddingMode !== undefined && paddingMode !== 'zeros') throw new Error(`${name}: paddingMode ${describe(paddingMode)} is not supported (only 'zeros')`);
    this.stride = stride ?? 1;
    this.padding = padding ?? 0;
    this.dilation = dilation ?? 1;
    const st = pairArg(name, 'stride', this.stride, 1, nd);
    if (this.padding === 'same' && st.some((v) => v !== 1)) throw new Error(`${name}: padding='same' is not supported for strided convolutions (stride ${describe(this.stride)})`);
    pairArg(name, 'dilation', this.dilation, 1, nd);
    if (typeof this.padding !== 'string') pairArg(name, 'padding', this.padding, 0, nd);
    else if (this.padding !== 'same' && this.padding !== 'valid') throw new Error(`${name}: padding must be 'valid', 'same' or a size, got ${describe(this.padding)}`);
    const fanIn = (inChannels / this.groups) * ks.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = uniformParam(name, [outChannels, inChannels / this.groups, ...ks], bound, rest, 0);
    this.bias = (bias ?? true) ? uniformParam(name, [outChannels], bound, rest, 1) : null;
  }
}

/** 1-D convolution over (N, C, L) or (C, L): new Conv1d(in, out, k, { stride, padding, dilation, groups, bias }). */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: ConvOptions = {}) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, opts);
  }

  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, { bias: this.bias, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/** 2-D convolution over (N, C, H, W) or (C, H, W): new Conv2d(in, out, k, { stride, padding, dilation, groups, bias }). */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: ConvOptions = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, opts);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, { bias: this.bias, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/** new MaxPool2d(kernelSize, { stride, padding, dilation, returnIndices, ceilMode }). */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: number | number[], readonly opts: MaxPool2dOptions = {}) {
    super();
    pairArg('MaxPool2d', 'kernelSize', kernelSize, 1);
    checkOptions('MaxPool2d', opts, ['stride', 'padding', 'dilation', 'returnIndices', 'ceilMode']);
  }

  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    return maxPool2d(x, this.kernelSize, { ...this.opts });
  }
}

/** new AvgPool2d(kernelSize, { stride, padding, ceilMode, countIncludePad, divisorOverride }). */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: number | number[], readonly opts: AvgPool2dOptions = {}) {
    super();
    pairArg('AvgPool2d', 'kernelSize', kernelSize, 1);
    checkOptions('AvgPool2d', opts, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, { ...this.opts });
  }
}
