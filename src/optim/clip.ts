// clipGradNorm, as torch.nn.utils.clip_grad_norm_: the 2-norm over all gradients taken
// together; every gradient is scaled by min(1, maxNorm / (norm + 1e-6)). The norm stays on
// the device and the scaling kernel reads it from there, so clipping never waits on a readback.
import { Tensor } from '../tensor/tensor.js';
import { fmtShape } from '../tensor/shape.js';
import { roundF16, wgslType } from '../tensor/dtype.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/grad-mode.js';
import { f32Bits } from '../backend/webgpu.js';
import { full } from '../ops/view.js';

const WG = 256;
const EPS = 1e-6;

/** Scales the gradients of `params` in place so their total 2-norm is at most `maxNorm`; returns the norm before clipping (a 0-d tensor). */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): Tensor {
  const op = 'clipGradNorm';
  if (!Array.isArray(params)) throw new Error(`${op}: params must be an array of tensors`);
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new Error(`${op}: maxNorm must be a number >= 0, got ${maxNorm}`);
  const grads: Tensor[] = [];
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${op}: params[${i}] is not a Tensor`);
    if (!p.grad) return;
    p.grad.assertAlive(op);
    if (!p.grad.isContiguous()) throw new Error(`${op}: params[${i}].grad (shape ${fmtShape(p.grad.shape)}) is not contiguous`);
    if (grads.length && p.grad.device !== grads[0].device) throw new Error(`${op}: gradients are on different devices (${grads[0].device} and ${p.grad.device})`);
    grads.push(p.grad);
  });
  if (grads.length === 0) return full([], 0, 'float32', params[0]?.device);
  const norm = totalNorm(grads);
  for (const g of grads) scaleBy(g, norm, maxNorm);
  return norm;
}

/** sqrt(Σ g²) over every gradient, summed in float32 (float64 on the CPU for float64 grads). */
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
  if (g.device === 'cpu') {
    const coef = Math.min(1, maxNorm / (norm.data[norm.offset] + EPS));
    const d = g.data;
    const f16 = g.dtype === 'float16';
    for (let i = 0; i < g.numel; i++) d[g.offset + i] = f16 ? roundF16(d[g.offset + i] * coef) : d[g.offset + i] * coef;
    return;
  }
  const gt = wgslType(g.dtype);
  g.storage.gpu!.dispatch({
    key: `optim:clip_scale:${gt}`,
    wgsl: () => `${gt === 'f16' ? 'enable f16;\n' : ''}struct U { n: u32, gOff: u32, normOff: u32, maxNorm: f32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> N: array<f32>;
@group(0) @binding(2) var<storage, read_write> G: array<${gt}>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.n) { return; }
  let coef = min(1.0, u.maxNorm / (N[u.normOff] + ${EPS}));
  G[u.gOff + i] = ${gt}(f32(G[u.gOff + i]) * coef);
}
`,
    inputs: [norm.buffer],
    outputs: [g.buffer],
    uniforms: [g.numel, g.offset, norm.offset, f32Bits(maxNorm)],
    workgroups: Math.ceil(g.numel / WG),
  });
}
