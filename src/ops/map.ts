// The strided map: one kernel family behind every elementwise op, copy, cast and
// broadcast. Each operand is read through its own strides (0 on broadcast dims), the output
// is written through its strides, so views, broadcasting and `copyInto` a slice are all the
// same code. Adjacent dims that are contiguous for every operand are merged first, so the
// common case runs as a flat 1-D loop.
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, broadcastStrides, fmtShape, numel } from '../tensor/shape.js';
import { promote, roundF16, wgslType, type DType } from '../tensor/dtype.js';
import { f32Bits } from '../backend/webgpu.js';
import type { DeviceKind } from '../backend/storage.js';

export const MAX_DIMS = 8;
const WG = 256;

export interface MapSpec {
  name: string;
  /** CPU kernel, in float64 (or int) JS numbers. */
  cpu: (a: number, b: number, c: number) => number;
  /** WGSL expression over `a`, `b`, `c` of the compute type `T` (f32 or i32). */
  wgsl: string;
  /** Extra WGSL functions the expression calls (the constant IS_F32 says whether T is f32). */
  helpers?: string;
  /** Ints compute as ints unless the op always computes in float (exp, div...). */
  floatOnly?: boolean;
  /** In a float16 op, a 0-d operand of another dtype is read as f32, not cast to half first,
   * as PyTorch's mul and div read a scalar (their "opmath"): half(1000) · tensor(1e-8) is 1e-5. */
  opmath?: boolean;
}

export type Operand = Tensor | number;

/** The device all tensor operands live on; throws naming the op when they differ. */
export function deviceOf(op: string, ...xs: Array<Operand | null | undefined>): DeviceKind {
  let dev: DeviceKind | null = null;
  for (const x of xs) {
    if (!(x instanceof Tensor)) continue;
    x.assertAlive(op);
    if (dev && x.device !== dev) throw new Error(`${op}: tensors are on different devices (${dev} and ${x.device})`);
    dev = x.device;
  }
  if (!dev) throw new Error(`${op}: expected at least one tensor argument`);
  return dev;
}

const category = (d: DType): number => (d === 'bool' ? 0 : d === 'int32' ? 1 : 2);

function operandDType(x: Operand): DType {
  if (x instanceof Tensor) return x.dtype;
  return Number.isInteger(x) ? 'int32' : 'float32';
}

/** The result dtype of an elementwise op: tensors decide; a number lifts bool to int32 (or
 * float32) and int32 to float32 when it is not an integer, as PyTorch's scalar rule does. */
export function resultDType(xs: Operand[]): DType {
  const ts = xs.filter((x): x is Tensor => x instanceof Tensor);
  if (ts.length === 0) return xs.map(operandDType).reduce(promote, 'int32');
  // PyTorch's rule: tensors with dims decide; a 0-d tensor only where its category (bool <
  // int < float) is higher, so float16 with a 0-d float32 tensor stays float16.
  const dims = ts.filter((t) => t.ndim > 0);
  let d = (dims.length ? dims : ts).map((t) => t.dtype).reduce(promote);
  for (const t of ts) if (t.ndim === 0 && category(t.dtype) > category(d)) d = promote(d, t.dtype);
  for (const x of xs) {
    if (x instanceof Tensor) continue;
    if (d === 'bool') d = 'int32';
    if (d === 'int32' && !Number.isInteger(x)) d = 'float32';
  }
  return d;
}

interface Layout {
  shape: number[];
  strides: number[][]; // per operand, output first
}

/** Drops size-1 dims and merges dims that are contiguous for every operand. */
export function coalesce(shape: readonly number[], strides: number[][]): Layout {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => { outStrides[k][last] = s[d]; });
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

// Ops with parameters (softplus, leakyRelu, elu, hardtanh, celu, round...) bake them into
// the kernel as exact f32 constants: one spec, so one pipeline, per distinct value (models use
// one or two), and no extra operand. Keys name the op and its values.
const paramSpecs = new Map<string, MapSpec>();
export function paramSpec(key: string, make: () => MapSpec): MapSpec {
  let s = paramSpecs.get(key);
  if (!s) { s = make(); paramSpecs.set(key, s); }
  return s;
}

/** Whether a float16 op casts operand `x` to half before computing (see MapSpec.opmath). */
const castsToHalf = (spec: MapSpec, x: Operand): boolean => x instanceof Tensor && x.dtype !== 'float16' && !(spec.opmath && x.ndim === 0);

/**
 * Runs `spec` elementwise over `inputs` (tensors broadcast together; at most one number),
 * writing into `out` if given (any strides, e.g. a slice of a bigger tensor), else into a
 * new contiguous tensor of `outDType`. Not recorded by autograd.
 */
export function mapRaw(spec: MapSpec, inputs: Operand[], outDType?: DType, out?: Tensor): Tensor {
  const op = spec.name;
  const dev = deviceOf(op, out, ...inputs);
  const tensors = inputs.filter((x): x is Tensor => x instanceof Tensor);
  if (inputs.length - tensors.length > 1) throw new Error(`${op}: at most one number operand`);
  let shape: number[] = [];
  for (const t of tensors) shape = broadcastShapes(op, shape, t.shape);
  // With no tensor operand (a fill), the output's dtype decides, but a bool is filled from the number as it is.
  const rd = tensors.length === 0 && out && out.dtype !== 'bool' ? out.dtype : resultDType(inputs);
  // bools compute as int32 0/1; storing into a bool output makes any nonzero 1 again.
  let compute: DType = rd === 'bool' ? 'int32' : rd;
  if (spec.floatOnly && compute === 'int32') compute = 'float32';
  const odt = outDType ?? (out ? out.dtype : rd === 'bool' && compute === 'int32' ? 'bool' : compute);
  if (out) {
    const bs = broadcastShapes(op, out.shape, shape);
    if (bs.length !== out.shape.length || bs.some((v, i) => v !== out.shape[i])) {
      throw new Error(`${op}: output of shape ${fmtShape(out.shape)} cannot hold the result of shape ${fmtShape(shape)}`);
    }
    shape = [...out.shape];
  }
  if (shape.length > MAX_DIMS) throw new Error(`${op}: tensors of more than ${MAX_DIMS} dims are not supported (shape ${fmtShape(shape)})`);
  const o = out ?? Tensor.empty(shape, odt, dev, op);
  const n = numel(shape);
  if (n === 0) return o;
  const strides = [o.strides.slice(), ...tensors.map((t) => broadcastStrides(t.shape, t.strides, shape))];
  const lay = coalesce(shape, strides);
  const scalar = inputs.find((x): x is number => typeof x === 'number');
  if (dev === 'cpu') cpuMap(spec, inputs, o, lay, compute);
  else gpuMap(spec, inputs, o, lay, compute, scalar, n);
  return o;
}

function cpuMap(spec: MapSpec, inputs: Operand[], o: Tensor, lay: Layout, compute: DType): void {
  const intCompute = compute === 'int32';
  // float32 and float16 compute in f32 on the GPU (and in PyTorch): a number operand is
  // rounded to f32 first (1e-50 is 0 there), and so is an int32 tensor read as float.
  const f32 = compute === 'float32' || compute === 'float16';
  const src = inputs.map((x) => (x instanceof Tensor ? x.data : null));
  const offs = inputs.map((x) => (x instanceof Tensor ? x.offset : 0));
  const consts = inputs.map((x) => (typeof x !== 'number' ? 0 : intCompute ? x | 0 : f32 ? Math.fround(x) : x));
  const roundIn = f32 && inputs.some((x) => x instanceof Tensor && (x.dtype === 'int32' || x.dtype === 'bool'));
  // A float32 (0-d) or int tensor in a float16 op is cast to float16 first, as PyTorch casts to the common dtype.
  const half = compute === 'float16' ? inputs.map((x) => castsToHalf(spec, x)) : null;
  const tstrides: number[][] = [];
  let k = 1;
  for (const x of inputs) tstrides.push(x instanceof Tensor ? lay.strides[k++] : lay.shape.map(() => 0));
  const od = o.data;
  const f16 = o.dtype === 'float16';
  const toInt = o.dtype === 'int32';
  const toBool = o.dtype === 'bool';
  const f = spec.cpu;
  const nd = lay.shape.length;
  const n = numel(lay.shape);
  const idx = new Array<number>(nd).fill(0);
  const pos = offs.slice();
  let po = o.offset;
  const [a0, a1, a2] = [src[0], src[1], src[2]];
  for (let i = 0; i < n; i++) {
    let va = a0 ? a0[pos[0]] : consts[0];
    let vb = a1 ? a1[pos[1]] : consts[1];
    let vc = a2 ? a2[pos[2]] : consts[2];
    if (intCompute) { va |= 0; vb |= 0; vc |= 0; } else if (roundIn) { va = Math.fround(va); vb = Math.fround(vb); vc = Math.fround(vc); }
    if (half) { if (half[0]) va = roundF16(va); if (half[1]) vb = roundF16(vb); if (half[2]) vc = roundF16(vc); }
    let v = f(va, vb, vc);
    if (f16) v = roundF16(v);
    else if (toInt) v = intCompute ? v : floatToInt32(v);
    else if (toBool) v = v !== 0 ? 1 : 0; // NaN is true, as PyTorch's cast to bool
    od[po] = v;
    // odometer step over the coalesced dims
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      po += lay.strides[0][d];
      for (let j = 0; j < pos.length; j++) pos[j] += tstrides[j][d];
      if (idx[d] < lay.shape[d]) break;
      idx[d] = 0;
      po -= lay.strides[0][d] * lay.shape[d];
      for (let j = 0; j < pos.length; j++) pos[j] -= tstrides[j][d] * lay.shape[d];
    }
  }
}

const NAMES = ['a', 'b', 'c'];

/** A float stored into int32, the same on every backend: NaN is 0, values past int32's range
 * saturate, the rest truncate (WGSL leaves NaN unspecified and C leaves all three undefined). */
export function floatToInt32(v: number): number {
  if (Number.isNaN(v)) return 0;
  if (v >= 2147483647) return 2147483647;
  if (v <= -2147483648) return -2147483648;
  return Math.trunc(v);
}

// The WGSL side of floatToInt32, for kernels that compute in f32 and store int32.
const F2I_WGSL = `
fn f2i_(x: f32) -> i32 {
  if ((bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u) { return 0; }
  if (x >= 2147483648.0) { return 2147483647; }
  return i32(max(x, -2147483648.0));
}
`;

/** The WGSL that stores `expr` (of compute type ct) as `out`. */
function storeAs(out: DType, ct: 'f32' | 'i32', expr: string): string {
  // A float is true unless ±0, tested on the bits so that NaN is true whatever the compiler assumes.
  if (out === 'bool') return ct === 'f32' ? `select(0i, 1i, (bitcast<u32>(f32(${expr})) & 0x7fffffffu) != 0u)` : `select(0i, 1i, (${expr}) != 0i)`;
  return out === 'int32' && ct === 'f32' ? `f2i_(${expr})` : `${wgslType(out)}(${expr})`;
}

const f2iHelper = (out: DType, ct: 'f32' | 'i32'): string => (out === 'int32' && ct === 'f32' ? F2I_WGSL : '');

function gpuMap(spec: MapSpec, inputs: Operand[], o: Tensor, lay: Layout, compute: DType, scalar: number | undefined, n: number): void {
  const tensors = inputs.filter((x): x is Tensor => x instanceof Tensor);
  const gpu = o.storage.gpu!;
  const ct = compute === 'int32' ? 'i32' : 'f32';
  const nd = lay.shape.length;
  const contiguous = nd === 1 && lay.strides.every((s) => s[0] === 1);
  // Contiguous, with n and every offset a multiple of 4: four elements per invocation, as
  // vec4 loads and stores (a float16 element alone is a 2-byte access).
  const v4 = contiguous && n % 4 === 0 && o.offset % 4 === 0 && tensors.every((t) => t.offset % 4 === 0);
  const half = compute === 'float16';
  // An operand a half op reads as f32 (opmath) compiles differently from one it casts.
  const kinds = inputs.map((x) => (x instanceof Tensor ? wgslType(x.dtype) + (half && x.dtype !== 'float16' && !castsToHalf(spec, x) ? 'o' : '') : 's')).join('');
  const key = `map:${spec.name}:${kinds}>${o.dtype}:${ct}${half ? 'h' : ''}:${v4 ? 'v4' : contiguous ? 'c' : 'g'}`;
  const u = new Array<number>(8 + 5 * MAX_DIMS).fill(0);
  u[0] = n; u[1] = nd; u[2] = o.offset;
  tensors.forEach((t, i) => { u[3 + i] = t.offset; });
  if (scalar !== undefined) u[6] = ct === 'i32' ? scalar | 0 : f32Bits(scalar);
  for (let d = 0; d < nd; d++) {
    u[8 + d] = lay.shape[d];
    for (let k = 0; k < lay.strides.length; k++) u[8 + (k + 1) * MAX_DIMS + d] = lay.strides[k][d];
  }
  gpu.dispatch({
    key,
    wgsl: () => (v4 ? mapWgsl4(spec, inputs, o.dtype, ct, half) : mapWgsl(spec, inputs, o.dtype, ct, contiguous, half)),
    inputs: tensors.map((t) => t.buffer),
    outputs: [o.buffer],
    uniforms: u.map((x) => x >>> 0),
    workgroups: Math.ceil((v4 ? n / 4 : n) / WG),
  });
}

// f32 rounded to half (nearest even) on the bits: a compiler may fold f32(f16(x)) and
// pack2x16float/unpack2x16float away (llvmpipe's does).
const HALF_WGSL = `
fn half_(x: f32) -> f32 {
  let u = bitcast<u32>(x);
  let a = u & 0x7fffffffu;
  if (a >= 0x7f800000u) { return x; }
  if (a >= 0x477ff000u) { return bitcast<f32>((u & 0x80000000u) | 0x7f800000u); }
  if (a < 0x38800000u) { return round(x * 16777216.0) / 16777216.0; }
  return bitcast<f32>((u & 0x80000000u) | ((a + 0xfffu + ((a >> 13u) & 1u)) & 0xffffe000u));
}
fn half4_(v: vec4<f32>) -> vec4<f32> { return vec4<f32>(half_(v.x), half_(v.y), half_(v.z), half_(v.w)); }
`;

/** The uniform block every map kernel shares (offsets and counts in elements). */
const MAP_UNIFORMS = `struct U {
  n: u32, ndim: u32, offO: u32, off0: u32, off1: u32, off2: u32, scalar: u32, pad: u32,
  shape: array<vec4<u32>, 2>, so: array<vec4<u32>, 2>, sa: array<vec4<u32>, 2>, sb: array<vec4<u32>, 2>, sc: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> u: U;
`;

/** The contiguous map, four elements per invocation (n and the offsets multiples of 4). */
function mapWgsl4(spec: MapSpec, inputs: Operand[], outDType: DType, ct: 'f32' | 'i32', half: boolean): string {
  const tensors = inputs.filter((x): x is Tensor => x instanceof Tensor);
  const usesF16 = half || outDType === 'float16' || tensors.some((t) => t.dtype === 'float16');
  const to = wgslType(outDType);
  let binds = '';
  tensors.forEach((t, i) => { binds += `@group(0) @binding(${i + 1}) var<storage, read> I${i}: array<vec4<${wgslType(t.dtype)}>>;\n`; });
  binds += `@group(0) @binding(${tensors.length + 1}) var<storage, read_write> O: array<vec4<${to}>>;\n`;
  let loads = '';
  let ti = 0;
  const comp: string[] = [];
  inputs.forEach((x, j) => {
    if (x instanceof Tensor) { loads += `  let v${NAMES[j]} = ${half && castsToHalf(spec, x) ? 'half4_' : ''}(vec4<${ct}>(I${ti}[u.off${ti} / 4u + q]));\n`; comp.push(NAMES[j]); ti++; }
    else { loads += `  let ${NAMES[j]} = bitcast<${ct}>(u.scalar);\n`; }
  });
  for (let j = inputs.length; j < 3; j++) loads += `  let ${NAMES[j]} = ${ct}(0);\n`;
  // The expression once per component, each in a block of its own (a, b, c rebound there).
  let body = '';
  for (let i = 0; i < 4; i++) body += `  { ${comp.map((x) => `let ${x} = v${x}[${i}]; `).join('')}r[${i}] = ${storeAs(outDType, ct, spec.wgsl)}; }\n`;
  return `${usesF16 ? 'enable f16;\n' : ''}alias T = ${ct};
const IS_F32 = ${ct === 'f32'};
${MAP_UNIFORMS}${binds}${spec.helpers ?? ''}${f2iHelper(outDType, ct)}${half ? HALF_WGSL : ''}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = gid.x + gid.y * nwg.x * ${WG}u;
  if (q >= u.n / 4u) { return; }
${loads}${NAMES.filter((x) => !comp.includes(x)).map((x) => `  _ = ${x};\n`).join('')}  var r: vec4<${to}>;
${body}  O[u.offO / 4u + q] = r;
}
`;
}

function mapWgsl(spec: MapSpec, inputs: Operand[], outDType: DType, ct: 'f32' | 'i32', contiguous: boolean, half: boolean): string {
  const tensors = inputs.filter((x): x is Tensor => x instanceof Tensor);
  const usesF16 = half || outDType === 'float16' || tensors.some((t) => t.dtype === 'float16');
  const strideArrays = ['so', 'sa', 'sb', 'sc'];
  let binds = '';
  tensors.forEach((t, i) => { binds += `@group(0) @binding(${i + 1}) var<storage, read> I${i}: array<${wgslType(t.dtype)}>;\n`; });
  binds += `@group(0) @binding(${tensors.length + 1}) var<storage, read_write> O: array<${wgslType(outDType)}>;\n`;
  let index = '';
  if (contiguous) {
    index = `  let io = u.offO + i;\n` + tensors.map((_, k) => `  let i${k} = u.off${k} + i;\n`).join('');
  } else {
    index = `  var rem = i;\n  var io = u.offO;\n` + tensors.map((_, k) => `  var i${k} = u.off${k};\n`).join('') +
      `  for (var d = i32(u.ndim) - 1; d >= 0; d--) {\n    let k = u32(d);\n    let s = u.shape[k >> 2u][k & 3u];\n    let c = rem % s;\n    rem = rem / s;\n` +
      `    io += c * u.so[k >> 2u][k & 3u];\n` + tensors.map((_, k) => `    i${k} += c * u.${strideArrays[k + 1]}[k >> 2u][k & 3u];\n`).join('') + `  }\n`;
  }
  let loads = '';
  let ti = 0;
  inputs.forEach((x, j) => {
    if (x instanceof Tensor) { loads += `  let ${NAMES[j]} = ${half && castsToHalf(spec, x) ? 'half_' : ''}(${ct}(I${ti}[i${ti}]));\n`; ti++; }
    else loads += `  let ${NAMES[j]} = bitcast<${ct}>(u.scalar);\n`;
  });
  for (let j = inputs.length; j < 3; j++) loads += `  let ${NAMES[j]} = ${ct}(0);\n`;
  return `${usesF16 ? 'enable f16;\n' : ''}alias T = ${ct};
const IS_F32 = ${ct === 'f32'};
${MAP_UNIFORMS}${binds}${spec.helpers ?? ''}${f2iHelper(outDType, ct)}${half ? HALF_WGSL : ''}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.n) { return; }
${index}${loads}  _ = a; _ = b; _ = c;
  O[io] = ${storeAs(outDType, ct, spec.wgsl)};
}
`;
}
