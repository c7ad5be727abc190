// sg.pixelShuffle / sg.pixelUnshuffle, PyTorch's F.pixel_shuffle and F.pixel_unshuffle: a
// reshape, a permute and a reshape (a copy), as torch does, so both backends and the
// gradient come from the view ops.
import type { Tensor } from '../tensor/tensor.js';
import { checkInt, checkTensor } from '../tensor/check.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { tidy } from '../tensor/scope.js';
import { permute, reshape } from './view.js';

/** The checks both ops share: a Tensor of at least 3 dims and a positive integer factor. */
function check(op: string, x: unknown, arg: string, r: unknown): asserts x is Tensor {
  checkTensor(op, x);
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r <= 0) throw new Error(`${op}: expects a positive ${arg}, but got ${describe(r)}`);
  if (x.ndim < 3) throw new Error(`${op}: expects input to have at least 3 dimensions, but got input with ${x.ndim} dimension(s) (shape ${fmtShape(x.shape)})`);
}

/** [*, C·r², H, W] → [*, C, H·r, W·r]: out[.., c, h·r + i, w·r + j] = x[.., c·r² + i·r + j, h, w]. */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  check('pixelShuffle', x, 'upscaleFactor', upscaleFactor);
  const r = checkInt('pixelShuffle', 'upscaleFactor', upscaleFactor, 1);
  const b = x.shape.slice(0, -3);
  const [C, H, W] = x.shape.slice(-3);
  if (C % (r * r) !== 0) throw new Error(`pixelShuffle: expects its input's 'channel' dimension to be divisible by the square of upscaleFactor, but input.size(-3)=${C} is not divisible by ${r * r}`);
  const k = b.length;
  const bd = b.map((_, i) => i);
  return tidy(() => reshape(permute(reshape(x, [...b, C / (r * r), r, r, H, W]), [...bd, k, k + 3, k + 1, k + 4, k + 2]), [...b, C / (r * r), H * r, W * r]));
}

/** The inverse of pixelShuffle: [*, C, H·r, W·r] → [*, C·r², H, W]. */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  check('pixelUnshuffle', x, 'downscaleFactor', downscaleFactor);
  const r = checkInt('pixelUnshuffle', 'downscaleFactor', downscaleFactor, 1);
  const b = x.shape.slice(0, -3);
  const [C, H, W] = x.shape.slice(-3);
  if (H % r !== 0) throw new Error(`pixelUnshuffle: expects height to be divisible by downscaleFactor, but input.size(-2)=${H} is not divisible by ${r}`);
  if (W % r !== 0) throw new Error(`pixelUnshuffle: expects width to be divisible by downscaleFactor, but input.size(-1)=${W} is not divisible by ${r}`);
  const k = b.length;
  const bd = b.map((_, i) => i);
  return tidy(() => reshape(permute(reshape(x, [...b, C, H / r, r, W / r, r]), [...bd, k, k + 2, k + 4, k + 1, k + 3]), [...b, C * r * r, H / r, W / r]));
}
