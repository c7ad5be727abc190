// Gated activations: x is split in two halves a, b along a dim and the second half,
// activated, gates the first: a·act(b). glu (PyTorch's F.glu) is act = sigmoid;
// gatedActivation is ScatterMoE's GLUMLP (`h, gates = h.chunk(2); act(gates) * h`), act =
// silu, gelu or relu. One declared kernel program covers the family, the activation its
// parameter, and each direction is one dispatch: forward writes y (x's shape, dim halved),
// backward writes both halves of dx from x and dy. Every operand is read through its
// strides, so views need no copy.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { checkTensor } from '../tensor/check.js';
import { isFloat, wgslType } from '../tensor/dtype.js';
import { MAX_DIMS, type MapSpec } from './map.js';
import { MAP_SPECS as S } from './elementwise.js';
import { forEachRow, rowPlan, storer, type RowPlan } from './rows.js';

/** The activations gatedActivation applies (those nn.MoE accepts). */
export type GateActivation = 'silu' | 'gelu' | 'relu';
type Act = GateActivation | 'sigmoid';

const sigm = (x: number): number => 1 / (1 + Math.exp(-x));

// d sigmoid(a)/da from the input a (elementwise's sigmoid_grad takes the output), times b.
const SIGMOID_GRAD_X: MapSpec = {
  name: 'sigmoid_grad_x', cpu: (a, g) => { const s = sigm(a); return g * (1 - s) * s; },
  wgsl: 'b * (1.0 - sigmoid_(a)) * sigmoid_(a)', floatOnly: true, helpers: S.sigmoid.helpers,
};

/** Each activation as the elementwise op's own spec and its gradient spec (of input a and
 * upstream b), so the fused results are those of a.mul(act(b)) up to rounding. */
const ACTS: Record<Act, { f: MapSpec; grad: MapSpec }> = {
  sigmoid: { f: S.sigmoid, grad: SIGMOID_GRAD_X },
  silu: { f: S.silu, grad: S.siluGrad },
  gelu: { f: S.gelu, grad: S.geluGrad },
  relu: { f: S.relu, grad: S.reluGrad },
};

const opName = (act: Act): string => (act === 'sigmoid' ? 'glu' : 'gatedActivation');

/** The problem over y's shape as a row plan with rows of one element (every operand's
 * strides and offset, coalesced), and how far the second half of x (and of dx) lies from the
 * first. */
type Plan = RowPlan & { shiftX: number; shiftO: number };

function plan(x: Tensor, dim: number, out: Tensor, dy: Tensor | null): Plan {
  const h = x.shape[dim] / 2;
  const yShape = x.shape.map((s, i) => (i === dim ? h : s));
  // Every operand is indexed over y's shape: dx (x's shape) through its own strides reaches
  // the first half, and shiftO past that the second.
  const ops = [out, x, ...(dy ? [dy] : [])];
  return { ...rowPlan(yShape, [], ops)!, shiftX: h * x.strides[dim], shiftO: h * out.strides[dim] };
}

/** Runs the family member `act` forward (dy null: out = y) or backward (out = dx). */
function gatedRaw(act: Act, x: Tensor, dim: number, out: Tensor, dy: Tensor | null): Tensor {
  const p = plan(x, dim, out, dy);
  if (p.rows === 0) return out;
  if (x.device === 'cpu') cpuGated(act, x, out, dy, p);
  else gpuGated(act, x, out, dy, p);
  return out;
}

function cpuGated(act: Act, x: Tensor, out: Tensor, dy: Tensor | null, p: Plan): void {
  const { f, grad } = ACTS[act];
  const xd = x.data;
  const od = out.data;
  const gd = dy ? dy.data : null;
  const st = storer(out.dtype);
  forEachRow(p, (_, [io, ix, ig = 0]) => {
    const a = xd[ix];
    const b = xd[ix + p.shiftX];
    if (!gd) od[io] = st(a * f.cpu(b, 0, 0));
    else {
      const g = gd[ig];
      od[io] = st(g * f.cpu(b, 0, 0));
      od[io + p.shiftO] = st(grad.cpu(b, g * a, 0));
    }
  });
}

const WG = 256;

function gpuGated(act: Act, x: Tensor, out: Tensor, dy: Tensor | null, p: Plan): void {
  if (p.shape.length > MAX_DIMS) throw new Error(`${opName(act)}: tensors with more than ${MAX_DIMS} dims that cannot be merged are not supported on webgpu (shape ${fmtShape(x.shape)})`);
  const xt = wgslType(x.dtype);
  const ot = wgslType(out.dtype);
  const gt = dy ? wgslType(dy.dtype) : '';
  const u = new Array<number>(8 + 4 * MAX_DIMS).fill(0);
  u[0] = p.rows; u[1] = p.shape.length; u[2] = p.offs[0]; u[3] = p.offs[1]; u[4] = p.offs[2] ?? 0; u[5] = p.shiftX; u[6] = p.shiftO;
  for (let d = 0; d < p.shape.length; d++) {
    u[8 + d] = p.shape[d];
    for (let k = 0; k < p.strides.length; k++) u[8 + (k + 1) * MAX_DIMS + d] = p.strides[k][d];
  }
  x.storage.gpu!.dispatch({
    key: `gated:${dy ? 'bwd' : 'fwd'}:${act}:${xt}${gt && `,${gt}`}>${ot}`,
    wgsl: () => gatedWgsl(act, xt, ot, gt),
    inputs: dy ? [x.buffer, dy.buffer] : [x.buffer],
    outputs: [out.buffer],
    uniforms: u.map((v) => v >>> 0),
    workgroups: Math.ceil(p.rows / WG),
  });
}

/** The kernel program: one invocation per element of y; backward writes both halves of dx. */
function gatedWgsl(act: Act, xt: string, ot: string, gt: string): string {
  const { f, grad } = ACTS[act];
  const helpers = [...new Set([f.helpers, grad.helpers].filter((h): h is string => !!h))].join('');
  const bwd = gt !== '';
  const binds = `@group(0) @binding(1) var<storage, read> X: array<${xt}>;\n` +
    (bwd ? `@group(0) @binding(2) var<storage, read> G: array<${gt}>;\n` : '') +
    `@group(0) @binding(${bwd ? 3 : 2}) var<storage, read_write> O: array<${ot}>;\n`;
  const body = bwd
    ? `  let g = f32(G[ig]);\n  O[io] = ${ot}(g * act_(b));\n  O[io + u.shiftO] = ${ot}(act_grad_(b, g * a));\n`
    : `  O[io] = ${ot}(a * act_(b));\n`;
  // The map's expressions are written over a (the input) and b (the upstream gradient) of
  // the compute type T; here T is always f32.
  return `${[xt, ot, gt].includes('f16') ? 'enable f16;\n' : ''}alias T = f32;
const IS_F32 = true;
struct U {
  n: u32, ndim: u32, offO: u32, offX: u32, offG: u32, shiftX: u32, shiftO: u32, pad: u32,
  shape: array<vec4<u32>, 2>, so: array<vec4<u32>, 2>, sx: array<vec4<u32>, 2>, sg: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> u: U;
${binds}${helpers}
fn act_(a: f32) -> f32 { return ${f.wgsl}; }
fn act_grad_(a: f32, b: f32) -> f32 { return ${grad.wgsl}; }
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.n) { return; }
  var rem = i;
  var io = u.offO;
  var ix = u.offX;
  var ig = u.offG;
  for (var d = i32(u.ndim) - 1; d >= 0; d--) {
    let k = u32(d);
    let s = u.shape[k >> 2u][k & 3u];
    let c = rem % s;
    rem = rem / s;
    io += c * u.so[k >> 2u][k & 3u];
    ix += c * u.sx[k >> 2u][k & 3u];
    ig += c * u.sg[k >> 2u][k & 3u];
  }
  _ = ig;
  let a = f32(X[ix]);
  let b = f32(X[ix + u.shiftX]);
${body}}
`;
}

class Gated extends Function {
  static override forward(ctx: Ctx, x: Tensor, act: Act, dim: number): Tensor {
    ctx.saveForBackward(x);
    ctx.act = act;
    ctx.dim = dim;
    const y = Tensor.empty(x.shape.map((s, i) => (i === dim ? s / 2 : s)), x.dtype, x.device, opName(act));
    return gatedRaw(act, x, dim, y, null);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [x] = ctx.savedTensors;
    const dx = Tensor.empty(x.shape, x.dtype, x.device);
    return [gatedRaw(ctx.act, x, ctx.dim, dx, dy), null, null];
  }
}

/** Checks x and dim as PyTorch's glu does, before any work; returns dim normalized. */
function gatedArgs(op: string, x: unknown, dim: unknown): number {
  checkTensor(op, x);
  if (!isFloat(x.dtype)) throw new Error(`${op}: input dtype ${x.dtype} is not supported (needs a floating point tensor; cast with .float() first), input shape ${fmtShape(x.shape)}`);
  if (x.ndim === 0) throw new Error(`${op}: input of shape [] is 0-dim; the halved dim must exist (PyTorch: glu does not support scalars)`);
  if (typeof dim !== 'number' || !Number.isInteger(dim)) throw new Error(`${op}: dim must be an integer, got ${describe(dim)}`);
  if (dim < -x.ndim || dim >= x.ndim) throw new Error(`${op}: dim ${dim} is out of range for input of shape ${fmtShape(x.shape)} (expected ${-x.ndim} to ${x.ndim - 1})`);
  const d = dim < 0 ? dim + x.ndim : dim;
  if (x.shape[d] % 2 !== 0) throw new Error(`${op}: halving dim ${dim} must be even, but input of shape ${fmtShape(x.shape)} has size ${x.shape[d]} there`);
  return d;
}

/** PyTorch's F.glu: x split in halves a, b along dim; a·sigmoid(b). */
export function glu(x: Tensor, dim: number = -1): Tensor {
  const d = gatedArgs('glu', x, dim);
  return Gated.apply(x, 'sigmoid', d);
}

const GATE_ACTS: readonly string[] = ['silu', 'gelu', 'relu'];

/**
 * ScatterMoE's GLUMLP gating: x split in halves a, b along dim; a·act(b), with act 'silu'
 * (SwiGLU), 'gelu' (exact, GEGLU) or 'relu' (ReGLU). As glu, the second half is the gate.
 */
export function gatedActivation(x: Tensor, activation: GateActivation, dim: number = -1): Tensor {
  const d = gatedArgs('gatedActivation', x, dim);
  if (typeof activation !== 'string' || !GATE_ACTS.includes(activation)) {
    throw new Error(`gatedActivation: activation must be 'silu', 'gelu' or 'relu', got ${describe(activation)}`);
  }
  return Gated.apply(x, activation, d);
}
