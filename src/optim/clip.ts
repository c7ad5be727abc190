// clipGradNorm, as torch.nn.utils.clip_grad_norm_: the 2-norm over all gradients taken
// together; every gradient is scaled by min(1, maxNorm / (norm + 1e-6)). On WebGPU the norm
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

/** Scales the gradients of `params` in place so their total 2-norm is at most `maxNorm`; returns the norm before clipping (a 0-d tensor). */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): Tensor {
  const op = 'clipGradNorm';
  if (!Array.isArray(params)) throw new Error(`${op}: params must be an array of tensors`);
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new Error(`${op}: maxNorm must be a number >= 0, got ${describe(maxNorm)}`);
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
  // The gradients are scaled in place: their version goes up, as after any in-place op.
  for (const g of grads) g.storage.version++;
  if (grads[0].device === 'webgpu') return gpuClipGradNorm(grads[0].storage.gpu!, grads, maxNorm);
  const norm = totalNorm(grads);
  for (const g of grads) scaleBy(g, norm, maxNorm);
  return norm;
}

/** sqrt(Σ g²) over every CPU gradient, summed in float32 (float64 for float64 grads). */
function totalNorm(grads: Tensor[]): Tensor {
  return noGrad(() => tidy(() => {
    let acc: Tensor | null = null;
    for (const g of grads) {
      const x = g.dtype === 'float16' ? g.float() : g;
      const s = x.mul(x).sum();
      acc = acc ? acc.add(s) : s;
    }
    return acc!.sqrt();
  }));
}

function scaleBy(g: Tensor, norm: Tensor, maxNorm: number): void {
  const coef = Math.min(1, maxNorm / (norm.data[norm.offset] + EPS));
  const d = g.data;
  const f16 = g.dtype === 'float16';
  for (let i = 0; i < g.numel; i++) d[g.offset + i] = f16 ? roundF16(d[g.offset + i] * coef) : d[g.offset + i] * coef;
}
