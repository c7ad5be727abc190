// The safetensors format (what Hugging Face's `safetensors` library reads and writes):
//   u64 little-endian N | N bytes of JSON header, space-padded to a multiple of 8 | data
// The header maps each tensor name to { dtype, shape, data_offsets: [begin, end] }, offsets
// relative to the start of the data; "__metadata__" maps strings to strings. Data is
// row-major and little-endian. Works on bytes only, so it runs in the browser as in Node;
// header.ts reads headers, this file checks arguments, writes files and makes tensors.
import { Tensor } from '../tensor/tensor.js';
import { f16BitsToF32, f32ToF16Bits, gpuBytes, type DType } from '../tensor/dtype.js';
import { fmtShape } from '../tensor/shape.js';
import { runtime } from '../backend/runtime.js';
import type { DeviceKind } from '../backend/storage.js';
import { copyRaw } from '../ops/elementwise.js';
import { fromArray } from '../ops/view.js';
import { forEachOffset } from '../tensor/shape.js';
import {
  DEFAULT_MAX_HEADER, DEFAULT_MAX_TENSORS, FORMATS, LOAD_ONLY, REFERENCE_MAX_HEADER, formatOf, headerLength, parseHeader, quote,
  type Code, type HeaderEntry, type Limits,
} from './header.js';

const CODE_OF: ReadonlyMap<DType, Code> = new Map([['float32', 'F32'], ['float16', 'F16'], ['int32', 'I32'], ['bool', 'BOOL']]);

// Typed arrays use the host's byte order and the format is little-endian. Every host with
// WebGPU is little-endian; on another one, say so instead of writing wrong bytes.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
export function checkHost(op: string): void {
  if (!LITTLE_ENDIAN) throw new Error(`${op}: this host is big-endian; safetensors support needs a little-endian host`);
}

export interface SafetensorsEntry {
  dtype: Code;
  shape: number[];
  data_offsets: [number, number];
}

/** A value as an error message shows it. */
export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (typeof v === 'bigint') return `${v}n (a BigInt)`;
  if (v === null || typeof v !== 'object') return typeof v === 'function' ? 'a function' : String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (v instanceof Tensor) return `a Tensor of shape ${fmtShape(v.shape)}`;
  const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

// A lone surrogate has no UTF-8 form: the reference reader would refuse the file.
const LONE_SURROGATE = /\p{Surrogate}/u;

// ---- writing ----

/**
 * The safetensors bytes of `tensors` (float32, float16, int32; any device, any layout).
 * Tensors are packed largest element size first, as the reference implementation does, so
 * each one's data is aligned to its element size; float16 is written bit-exact.
 */
export async function serializeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  return encode('serializeSafetensors', tensors, metadata);
}

/** serializeSafetensors, with `op` naming the public function in errors. */
export async function encode(op: string, tensors: unknown, metadata: unknown): Promise<Uint8Array> {
  checkHost(op);
  const named = checkTensors(op, tensors);
  const meta = checkMetadata(op, metadata);
  named.sort((a, b) => FORMATS.get(b.code)!.bytes - FORMATS.get(a.code)!.bytes); // stable: ties keep their order

  // Null-prototype objects: a tensor named '__proto__' is a key like any other.
  const header: Record<string, unknown> = Object.create(null);
  if (meta) header.__metadata__ = meta;
  let end = 0;
  const begins: number[] = [];
  for (const { name, t, code } of named) {
    begins.push(end);
    header[name] = { dtype: code, shape: [...t.shape], data_offsets: [end, end + t.numel * FORMATS.get(code)!.bytes] };
    end += t.numel * FORMATS.get(code)!.bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  if (n > REFERENCE_MAX_HEADER) throw new Error(`${op}: the header would take ${n} bytes, more than the ${REFERENCE_MAX_HEADER} that safetensors readers accept; save fewer tensors or less metadata per file`);
  const out = new Uint8Array(8 + n + end);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  for (let i = 0; i < named.length; i++) out.set(await rawBytes(named[i].t), 8 + n + begins[i]);
  return out;
}

function checkTensors(op: string, tensors: unknown): Array<{ name: string; t: Tensor; code: Code }> {
  if (!isPlainObject(tensors)) {
    const hint = tensors !== null && typeof tensors === 'object' && 'stateDict' in tensors ? ' (for a Module, pass module.stateDict())' : '';
    throw new Error(`${op}: tensors must be an object mapping names to Tensors${hint}, got ${describe(tensors)}`);
  }
  return Object.entries(tensors).map(([name, t]) => {
    if (name === '') throw new Error(`${op}: tensors has an empty name; every tensor needs a non-empty name`);
    if (name === '__metadata__') throw new Error(`${op}: '__metadata__' is reserved for metadata and cannot name a tensor`);
    if (LONE_SURROGATE.test(name)) throw new Error(`${op}: tensor name ${quote(name)} holds a lone surrogate, which UTF-8 cannot encode`);
    if (!(t instanceof Tensor)) throw new Error(`${op}: tensors[${quote(name)}] must be a Tensor, got ${describe(t)}`);
    t.assertAlive(`${op}: tensor ${quote(name)}`);
    const code = CODE_OF.get(t.dtype);
    if (!code) throw new Error(`${op}: tensor ${quote(name)} has dtype ${t.dtype}, which is not saved (F32, F16 and I32 are); cast it to float32 first`);
    return { name, t, code };
  });
}

/** The metadata as a fresh null-prototype object, or null for none; only strings pass. */
function checkMetadata(op: string, metadata: unknown): Record<string, string> | null {
  if (metadata === undefined || metadata === null) return null;
  if (!isPlainObject(metadata)) throw new Error(`${op}: metadata (__metadata__) must be an object of strings, got ${describe(metadata)}`);
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`${op}: metadata (__metadata__) value ${quote(k)} must be a string, got ${describe(v)}`);
    if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) throw new Error(`${op}: metadata (__metadata__) entry ${quote(k)} holds a lone surrogate, which UTF-8 cannot encode`);
    out[k] = v;
  }
  return out;
}

/** A tensor's elements in row-major order as stored: float16 as its half bits. */
async function rawBytes(t: Tensor): Promise<Uint8Array> {
  // A bool is one byte, 0 or 1, in the file (4 in memory).
  if (t.dtype === 'bool') return Uint8Array.from(await t.toArray());
  if (t.device === 'webgpu') {
    const src = t.isContiguous() ? t : copyRaw(t);
    try {
      const bytes = t.dtype === 'float16' ? 2 : 4;
      return new Uint8Array(await src.storage.gpu!.read(src.buffer, src.offset * bytes, t.numel * bytes));
    } finally {
      if (src !== t) src.dispose();
    }
  }
  const d = t.data;
  const out = t.dtype === 'float16' ? new Uint16Array(t.numel) : t.dtype === 'int32' ? new Int32Array(t.numel) : new Float32Array(t.numel);
  // CPU float16 lives as half-rounded float32 values: back to half bits, exactly.
  if (t.dtype === 'float16') forEachOffset(t.shape, t.strides, t.offset, (off, i) => { out[i] = f32ToF16Bits(d[off]); });
  else forEachOffset(t.shape, t.strides, t.offset, (off, i) => { out[i] = d[off]; });
  return new Uint8Array(out.buffer);
}

// ---- reading ----

export interface ParseOptions {
  /** Where the tensors go: 'cpu' or 'webgpu'; the default device (sg.init) when omitted. */
  device?: DeviceKind;
  /**
   * The largest header accepted, in bytes: 16 MiB by default, at most 100,000,000 (the
   * reference implementation's cap). Checked before the header is read.
   */
  maxHeaderBytes?: number;
  /** The most tensors a file may list (default 100,000): each one is an allocation, even an empty one. */
  maxTensors?: number;
}

export interface Safetensors {
  /** Name → tensor, a null-prototype object: any name from the file is an ordinary key. */
  tensors: Record<string, Tensor>;
  /** The file's __metadata__, a null-prototype string → string object. */
  metadata: Record<string, string>;
}

const OPTION_NAMES = ['device', 'maxHeaderBytes', 'maxTensors'];

/** Checks the options of parseSafetensors / loadSafetensors before any work. */
export function checkParseOptions(op: string, opts: unknown): { device: DeviceKind; limits: Limits } {
  if (opts === undefined) opts = {};
  if (!isPlainObject(opts)) throw new Error(`${op}: options must be an object such as { device: 'cpu' }, got ${describe(opts)}`);
  for (const k of Object.keys(opts)) {
    if (!OPTION_NAMES.includes(k)) throw new Error(`${op}: unknown option ${quote(k)} (the options are ${OPTION_NAMES.join(', ')})`);
  }
  const device = opts.device === undefined ? runtime.defaultDevice : opts.device;
  if (device !== 'cpu' && device !== 'webgpu') throw new Error(`${op}: device must be 'cpu' or 'webgpu', got ${describe(device)}`);
  if (device === 'webgpu') {
    if (!runtime.gpu) throw new Error(`${op}: device 'webgpu' needs a WebGPU device; call sg.init() first`);
    runtime.gpu.check(op);
  }
  const count = (name: string, v: unknown, dflt: number, max: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new Error(`${op}: ${name} must be an integer from 0 to ${max}, got ${describe(v)}`);
    return v;
  };
  return {
    device,
    limits: {
      maxHeaderBytes: count('maxHeaderBytes', opts.maxHeaderBytes, DEFAULT_MAX_HEADER, REFERENCE_MAX_HEADER),
      maxTensors: count('maxTensors', opts.maxTensors, DEFAULT_MAX_TENSORS, Number.MAX_SAFE_INTEGER),
    },
  };
}

/**
 * Tensors from safetensors bytes. The whole header is checked first (as the reference
 * implementation checks it: dtypes, shapes, offsets that tile the data exactly, no
 * duplicate names) and errors name the tensor; no tensor is made for a file that fails.
 * float16 and float32 are loaded bit-exact (on the CPU float16 NaN payloads are not kept).
 */
export function parseSafetensors(bytes: ArrayBuffer | Uint8Array, opts: ParseOptions = {}): Safetensors {
  const op = 'parseSafetensors';
  checkHost(op);
  const { device, limits } = checkParseOptions(op, opts);
  let u8: Uint8Array | null = null;
  try {
    u8 = bytes instanceof Uint8Array ? bytes : bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : null;
  } catch { /* a detached ArrayBuffer */ }
  if (!u8) throw new Error(`${op}: bytes must be an ArrayBuffer or a Uint8Array (not detached), got ${describe(bytes)}`);
  const n = headerLength(op, u8.subarray(0, 8), u8.length, limits);
  const dataStart = 8 + n;
  const { entries, metadata } = parseHeader(op, u8.subarray(8, dataStart), u8.length - dataStart, limits);
  checkBeforeAlloc(op, entries, device);
  const sink = new TensorSink(op, device);
  try {
    // A copy, aligned for typed arrays (and not a Node Buffer's shared-memory slice).
    for (const e of entries) sink.add(e, new Uint8Array(u8.subarray(dataStart + e.begin, dataStart + e.end)));
  } catch (err) {
    sink.abandon();
    throw err;
  }
  return { tensors: sink.tensors, metadata };
}

/** What the device would refuse, refused for the whole file before any tensor is made. */
export function checkBeforeAlloc(who: string, entries: readonly HeaderEntry[], device: DeviceKind): void {
  const gpu = runtime.gpu;
  if (device !== 'webgpu' || !gpu) return;
  const limit = gpu.limits.maxStorageBufferBindingSize;
  for (const e of entries) {
    const { dtype, bytes: fileBytes } = formatOf(e.code);
    if (dtype === 'float16' && !gpu.features.has('shader-f16')) {
      throw new Error(`${who}: tensor ${quote(e.name)} is F16, which needs the adapter's 'shader-f16' feature (this adapter lacks it); load with { device: 'cpu' }`);
    }
    const bytes = ((e.end - e.begin) / fileBytes) * gpuBytes(dtype);
    if (bytes > limit) {
      throw new Error(`${who}: tensor ${quote(e.name)} of shape ${fmtShape(e.shape)} needs ${bytes} bytes, more than this adapter's maxStorageBufferBindingSize (${limit} bytes); load it with { device: 'cpu' }`);
    }
  }
}

/** A load-only code's little-endian values in the array of the dtype it loads as (see LOAD_ONLY). */
function widened(data: Uint8Array, code: Code): Float32Array | Int32Array {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const { bytes } = LOAD_ONLY.get(code)!;
  const n = data.byteLength / bytes;
  if (code === 'BF16') {
    // A bfloat16 is the top half of a float32's bits.
    const bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) bits[i] = v.getUint16(2 * i, true) << 16;
    return new Float32Array(bits.buffer);
  }
  if (code === 'F64') return Float32Array.from({ length: n }, (_, i) => v.getFloat64(8 * i, true));
  const read: (i: number) => number | bigint = {
    I64: (i: number) => v.getBigInt64(8 * i, true), U32: (i: number) => v.getUint32(4 * i, true),
    I16: (i: number) => v.getInt16(2 * i, true), U16: (i: number) => v.getUint16(2 * i, true),
    I8: (i: number) => v.getInt8(i), U8: (i: number) => v.getUint8(i),
  }[code as 'I64']!;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = read(i);
    if (x < -2147483648 || x > 2147483647) throw new Error(`${code} value ${x} at element ${i} does not fit int32, scattergrad's integer dtype`);
    out[i] = Number(x);
  }
  return out;
}

/** Collects the loaded tensors; on failure, frees the ones made so far. */
export class TensorSink {
  readonly tensors: Record<string, Tensor> = Object.create(null);
  constructor(private readonly who: string, private readonly device: DeviceKind) {}

  /** `data` is a fresh, aligned copy of the tensor's bytes. */
  add(e: HeaderEntry, data: Uint8Array): void {
    try {
      this.tensors[e.name] = makeTensor(data, e, this.device);
    } catch (err) {
      throw new Error(`${this.who}: tensor ${quote(e.name)} (${e.end - e.begin} bytes) could not be made: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  abandon(): void {
    for (const t of Object.values(this.tensors)) t.dispose();
  }
}

function makeTensor(data: Uint8Array, e: HeaderEntry, device: DeviceKind): Tensor {
  if (LOAD_ONLY.has(e.code)) return fromArray(widened(data, e.code), e.shape, LOAD_ONLY.get(e.code)!.dtype, device);
  const { dtype } = FORMATS.get(e.code)!;
  if (dtype === 'float32') return fromArray(new Float32Array(data.buffer, data.byteOffset, data.length / 4), e.shape, dtype, device);
  // Any nonzero byte reads as true (fromArray makes it 1), as a cast to bool would.
  if (dtype === 'bool') return fromArray(data, e.shape, dtype, device);
  if (dtype === 'int32') return fromArray(new Int32Array(data.buffer, data.byteOffset, data.length / 4), e.shape, dtype, device);
  const halves = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  if (device === 'cpu') return fromArray(Float32Array.from(halves, f16BitsToF32), e.shape, dtype, device);
  // Upload the half bits as they are: a round trip through float32 would lose NaN payloads.
  const t = Tensor.empty(e.shape, dtype, device);
  if (halves.length) t.storage.gpu!.write(t.buffer, 0, halves);
  return t;
}
