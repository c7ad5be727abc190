// The plumbing every fused optimizer kernel shares: checks on the parameter and its
// gradient, and the WGSL around an update body. One dispatch per parameter reads the
// gradient and rewrites the parameter and its state buffers in place, so a step costs one
// kernel launch per parameter (plus one small upload of the step's scalars) and parameter
// tensor objects stay the same.
import { Tensor } from '../tensor/tensor.js';
import { fmtShape, shapesEqual } from '../tensor/shape.js';
import { isFloat, wgslType, type DType } from '../tensor/dtype.js';
import { copyRaw } from '../ops/elementwise.js';
import { full } from '../ops/view.js';
import { keep } from '../tensor/scope.js';
import { tensor } from '../tensor/create.js';

const WG = 256;

/** Refuses what a fused in-place update cannot handle, naming the optimizer and the parameter. */
export function checkParams(op: string, params: readonly Tensor[]): Tensor[] {
  if (!Array.isArray(params)) throw new Error(`${op}: params must be an array of tensors`);
  const seen = new Set<Tensor>();
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${op}: params[${i}] is not a Tensor`);
    p.assertAlive(op);
    if (!isFloat(p.dtype)) throw new Error(`${op}: params[${i}] has dtype ${p.dtype}; only floating point parameters can be optimized`);
    if (!p.isContiguous()) throw new Error(`${op}: params[${i}] (shape ${fmtShape(p.shape)}) is not contiguous; optimizers update parameters in place and need contiguous ones (make it with .contiguous() before training)`);
    if (seen.has(p)) throw new Error(`${op}: params[${i}] appears more than once`);
    seen.add(p);
  });
  return [...params];
}

/**
 * The gradient of `p` ready for a fused kernel: `p.grad` itself when it is contiguous (the
 * autograd engine always makes it so), else a contiguous copy the caller disposes.
 */
export function denseGrad(op: string, p: Tensor, i: number): Tensor {
  const g = p.grad!;
  g.assertAlive(op);
  if (!shapesEqual(g.shape, p.shape)) throw new Error(`${op}: params[${i}].grad has shape ${fmtShape(g.shape)} but the parameter has shape ${fmtShape(p.shape)}`);
  if (g.device !== p.device) throw new Error(`${op}: params[${i}].grad is on ${g.device} but the parameter is on ${p.device}`);
  if (!isFloat(g.dtype)) throw new Error(`${op}: params[${i}].grad has dtype ${g.dtype}`);
  // The kernel writes p while reading g; one buffer cannot be bound both ways in a dispatch.
  if (g.storage === p.storage) throw new Error(`${op}: params[${i}].grad shares memory with the parameter`);
  return g.isContiguous() ? g : copyRaw(g);
}

/** State kept beside a parameter: float32 (float64 for a float64 CPU parameter), zeroed. */
export function stateLike(p: Tensor): Tensor {
  const dtype: DType = p.dtype === 'float64' ? 'float64' : 'float32';
  // keep(): a step inside the user's tidy() must not dispose the optimizer's state.
  return keep(full(p.shape, 0, dtype, p.device));
}

export interface FusedKernel {
  /** Pipeline key prefix: the optimizer and its structural flags (never sizes or scalars). */
  name: string;
  /** Names of the float scalars the body reads as h.<name> (learning rate, betas, ...). */
  scalars: string[];
  /** How many float32 state buffers there are, bound read_write after P as S0, S1, ... */
  states: number;
  /** WGSL statements updating `p` (f32 var) from `g` (f32), h.<scalar> and S0[i], S1[i], ... */
  body: string;
}

/**
 * One optimizer step's fused updates on WebGPU, dispatched together by run(). The scalars
 * of every update go into one small buffer written once per step, not into each dispatch's
 * uniforms: they change every step (the bias corrections, a scheduled learning rate), and
 * uniforms that change every step would cost every parameter a new bind group per step.
 */
export class FusedBatch {
  private calls: Array<{ k: FusedKernel; p: Tensor; g: Tensor; states: Tensor[]; flags: number; at: number }> = [];
  private scalars: number[] = [];

  /** Queues `k` over the parameter `p` with gradient `g`, state tensors `states` and `scalars` (in k.scalars order). */
  add(k: FusedKernel, p: Tensor, g: Tensor, states: Tensor[], flags: number, scalars: number[]): void {
    if (scalars.length !== k.scalars.length) throw new Error(`optim:${k.name}: ${scalars.length} scalars for ${k.scalars.length} names`);
    this.calls.push({ k, p, g, states, flags, at: this.scalars.length });
    this.scalars.push(...scalars);
  }

  run(): void {
    if (this.calls.length === 0) return;
    const h = tensor(Float32Array.from(this.scalars), { device: 'webgpu' });
    try {
      for (const { k, p, g, states, flags, at } of this.calls) {
        const pt = wgslType(p.dtype);
        const gt = wgslType(g.dtype);
        p.storage.gpu!.dispatch({
          key: `optim:${k.name}:${pt}:${gt}`,
          wgsl: () => fusedWgsl(k, pt, gt),
          inputs: [g.buffer, h.buffer],
          outputs: [p.buffer, ...states.map((s) => s.buffer)],
          uniforms: [p.numel, p.offset, g.offset, flags, at],
          workgroups: Math.ceil(p.numel / WG),
        });
      }
    } finally {
      h.dispose();
    }
  }
}

function fusedWgsl(k: FusedKernel, pt: string, gt: string): string {
  const f16 = pt === 'f16' || gt === 'f16';
  let binds = `@group(0) @binding(1) var<storage, read> G: array<${gt}>;\n`;
  binds += `@group(0) @binding(2) var<storage, read> H: array<f32>;\n`;
  binds += `@group(0) @binding(3) var<storage, read_write> P: array<${pt}>;\n`;
  for (let s = 0; s < k.states; s++) binds += `@group(0) @binding(${4 + s}) var<storage, read_write> S${s}: array<f32>;\n`;
  const fields = k.scalars.map((n) => `${n}: f32`).join(', ');
  const load = k.scalars.map((_, j) => `H[u.h + ${j}u]`).join(', ');
  return `${f16 ? 'enable f16;\n' : ''}struct U { n: u32, pOff: u32, gOff: u32, flags: u32, h: u32 }
struct Scalars { ${fields} }
@group(0) @binding(0) var<uniform> u: U;
${binds}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.n) { return; }
  let h = Scalars(${load});
  let g = f32(G[u.gOff + i]);
  var p = f32(P[u.pOff + i]);
${k.body}
  P[u.pOff + i] = ${pt}(p);
}
`;
}
