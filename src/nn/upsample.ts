// nn.Upsample, nn.PixelShuffle and nn.PixelUnshuffle: modules around sg.interpolate and
// sg.pixelShuffle / sg.pixelUnshuffle, as in torch.nn.
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions } from '../tensor/shape.js';
import { interpolate, type InterpolateMode } from '../ops/interpolate.js';
import { pixelShuffle, pixelUnshuffle } from '../ops/pixel-shuffle.js';
import { Module } from './module.js';

export interface UpsampleOptions {
  size?: number | number[];
  scaleFactor?: number | number[];
  mode?: InterpolateMode;
  alignCorners?: boolean;
  recomputeScaleFactor?: boolean;
}

/** new Upsample({ size | scaleFactor, mode = 'nearest', alignCorners }): interpolate as a module. */
export class Upsample extends Module {
  readonly opts: UpsampleOptions;

  constructor(opts: UpsampleOptions = {}) {
    super();
    this.opts = { ...checkOptions('Upsample', opts, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor']) } as UpsampleOptions;
  }

  forward(x: Tensor): Tensor {
    return interpolate(x, { ...this.opts });
  }
}

/** new PixelShuffle(upscaleFactor): [*, C·r², H, W] → [*, C, H·r, W·r]. */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) { super(); }

  forward(x: Tensor): Tensor { return pixelShuffle(x, this.upscaleFactor); }
}

/** new PixelUnshuffle(downscaleFactor): [*, C, H·r, W·r] → [*, C·r², H, W]. */
export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) { super(); }

  forward(x: Tensor): Tensor { return pixelUnshuffle(x, this.downscaleFactor); }
}
