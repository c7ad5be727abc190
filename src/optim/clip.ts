// clipGradNorm, as torch.nn.utils.clip_grad_norm_: the p-norm (2 by default, Infinity for
// max |g|) over all gradients taken together; every gradient is scaled by
// min(1, maxNorm / (norm + 1e-6)). On WebGPU the norm
// stays on the device and the scaling kernel reads it from there, so clipping never waits on
// a readback (clip-gpu.ts: a few dispatches per call, not a few per gradient).
import { Tensor } from '../tensor/tensor.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { isFloat, roundF16 } from '../tensor/dtype.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/grad-mode.js';
import { full } from '../ops/view.js';
import { gpuClipGradNorm } from './clip-gpu.js';

const EPS = 1e-6;

/**
 * Scales the gradients of `params` in place so their total `normType`-norm is at most
 * `maxNorm`; returns the norm before clipping (a 0-d tensor, float16 when every gradient is).
 * `errorIfNonfinite` throws, before scaling, where that norm is NaN or infinite: it needs the
 * norm on the host, so it takes CPU gradients; on WebGPU read the returned norm instead.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number, normType = 2, errorIfNonfinite = false): Tensor {
  const op = 'clipGradNorm';
  if (!Array.isArray(params)) throw new Error(`${op}: params must be an array of tensors`);
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new Error(`${op}: maxNorm must be a number >= 0, got ${describe(maxNorm)}`);
  if (typeof normType !== 'number' || !(normType > 0)) throw new Error(`${op}: normType must be a number > 0 (2, or Infinity for the max norm), got ${describe(normType)}`);
  if (typeof errorIfNonfinite !== 'boolean') throw new Error(`${op}: errorIfNonfinite must be a boolean, got ${describe(errorIfNonfinite)}`);
  const grads: Tensor[] = [];
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${op}: params[${i}] is not a Tensor`);
    if (!p.grad) return;
    p.grad.assertAlive(op);
    // torch.linalg.vector_norm refuses integer tensors too.
    if (!isFloat(p.grad.dtype)) throw new Error(`${op}: params[${i}].grad has dtype ${p.grad.dtype}; gradients must be floating point`);
    if (!p.grad.isContiguous()) throw new Error(`${op}: params[${i}].grad (shape ${fmtShape(p.grad.shape)}) is not contiguous`);
    if (grads.length && p.grad.device !== grads[0].device) throw new Error(`${op}: gradients are on different devices (${grads[0].device} and ${p.grad.device})`);
    grads.push(p.grad);
  });
  if (grads.length === 0) return full([], 0, 'float32', params[0]?.device);
  if (errorIfNonfinite && grads[0].device !== 'cpu') {
    throw new Error(`${op}: errorIfNonfinite needs the norm on the host, which a ${grads[0].device} gradient would have to wait for; check the returned norm (await norm.item()) instead`);
  }
  let norm: Tensor;
  if (grads[0].device === 'webgpu') {
    norm = gpuClipGradNorm(grads[0].storage.gpu!, grads, maxNorm, normType);
  } else {
    norm = totalNorm(grads, normType);
    const v = norm.data[norm.offset];
    if (errorIfNonfinite && !Number.isFinite(v)) {
      norm.dispose();
      throw new Error(`${op}: the total norm of order ${normType} of the gradients is non-finite (${v}), so they cannot be clipped; pass errorIfNonfinite = false to scale them anyway`);
    }
    for (const g of grads) scaleBy(g, norm, maxNorm);
  }
  // The gradients were scaled in place: their version goes up, as after any in-place op.
  for (const g of grads) g.storage.version++;
  if (!grads.every((g) => g.dtype === 'float16')) return norm;
  const half = noGrad(() => norm.half());
  norm.dispose();
  return half;
}

/** The p-norm over every CPU gradient: (Σ |g|^p)^(1/p) summed in float32 (float64 for
 * float64 grads), sqrt(Σ g²) for p = 2, max |g| for Infinity. */
function totalNorm(grads: Tensor[], p: number): Tensor {
  return noGrad(() => tidy(() => {
    let acc: Tensor | null = null;
    for (const g of grads) {
      if (g.numel === 0) continue;
      const x = g.dtype === 'float16' ? g.float() : g;
      const s = p === 2 ? x.mul(x).sum() : p === Infinity ? x.abs().amax() : x.abs().pow(p).sum();
      acc = acc ? (p === Infinity ? acc.maximum(s) : acc.add(s)) : s;
    }
    if (!acc) return full([], 0, grads[0].dtype === 'float64' ? 'float64' : 'float32', 'cpu');
    return p === 2 ? acc.sqrt() : p === Infinity ? acc : acc.pow(1 / p);
  }));
}

function scaleBy(g: Tensor, norm: Tensor, maxNorm: number): void {
  const coef = Math.min(1, maxNorm / (norm.data[norm.offset] + EPS));
  const d = g.data;
  const f16 = g.dtype === 'float16';
  for (let i = 0; i < g.numel; i++) d[g.offset + i] = f16 ? roundF16(d[g.offset + i] * coef) : d[g.offset + i] * coef;
}
