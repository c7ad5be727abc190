// The safetensors format (what Hugging Face's `safetensors` library reads and writes):
//   u64 little-endian N | N bytes of JSON header, space-padded to a multiple of 8 | data
// The header maps each tensor name to { dtype, shape, data_offsets: [begin, end] }, offsets
// relative to the start of the data; "__metadata__" maps strings to strings. Data is
// row-major and little-endian. Works on bytes only, so it runs in the browser as in Node.
import { Tensor } from '../tensor/tensor.js';
import { f16BitsToF32, f32ToF16Bits, type DType } from '../tensor/dtype.js';
import { fmtShape, numel } from '../tensor/shape.js';
import { runtime } from '../backend/runtime.js';
import type { DeviceKind } from '../backend/storage.js';
import { copyRaw } from '../ops/elementwise.js';
import { forEachOffset, fromArray } from '../ops/view.js';

const FORMATS = {
  F32: { dtype: 'float32', bytes: 4 },
  F16: { dtype: 'float16', bytes: 2 },
  I32: { dtype: 'int32', bytes: 4 },
} as const;
type Code = keyof typeof FORMATS;

const CODE_OF: Partial<Record<DType, Code>> = { float32: 'F32', float16: 'F16', int32: 'I32' };

// The reference implementation refuses headers over 100 MB; so do we, before decoding one.
const MAX_HEADER = 100_000_000;

// Typed arrays use the host's byte order and the format is little-endian. Every host with
// WebGPU is little-endian; on another one, say so instead of writing wrong bytes.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function checkHost(op: string): void {
  if (!LITTLE_ENDIAN) throw new Error(`${op}: this host is big-endian; safetensors support needs a little-endian host`);
}

export interface SafetensorsEntry {
  dtype: Code;
  shape: number[];
  data_offsets: [number, number];
}

// ---- writing ----

/**
 * The safetensors bytes of `tensors` (float32, float16, int32; any device, any layout).
 * Tensors are packed largest element size first, as the reference implementation does, so
 * each one's data is aligned to its element size; float16 is written bit-exact.
 */
export async function serializeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  const op = 'serializeSafetensors';
  checkHost(op);
  if (!tensors || typeof tensors !== 'object') throw new Error(`${op}: expected an object mapping names to tensors`);
  checkMetadata(op, metadata);
  const named = Object.entries(tensors).map(([name, t]) => {
    if (name === '__metadata__') throw new Error(`${op}: '__metadata__' is reserved for metadata and cannot name a tensor`);
    if (!(t instanceof Tensor)) throw new Error(`${op}: '${name}' is not a Tensor`);
    t.assertAlive(`${op} ('${name}')`);
    const code = CODE_OF[t.dtype];
    if (!code) throw new Error(`${op}: tensor '${name}' has dtype ${t.dtype}, which is not saved (F32, F16 and I32 are); cast it to float32 first`);
    return { name, t, code };
  });
  named.sort((a, b) => FORMATS[b.code].bytes - FORMATS[a.code].bytes); // stable: ties keep their order

  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let end = 0;
  for (const { name, t, code } of named) {
    const begin = end;
    end += t.numel * FORMATS[code].bytes;
    header[name] = { dtype: code, shape: [...t.shape], data_offsets: [begin, end] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + end);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  for (const { name, t } of named) {
    const [begin] = (header[name] as SafetensorsEntry).data_offsets;
    out.set(await rawBytes(t), 8 + n + begin);
  }
  return out;
}

/** A tensor's elements in row-major order as stored: float16 as its half bits. */
async function rawBytes(t: Tensor): Promise<Uint8Array> {
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

function checkMetadata(op: string, metadata: unknown): asserts metadata is Record<string, string> | undefined {
  if (metadata === undefined) return;
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) throw new Error(`${op}: __metadata__ must be an object of strings`);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`${op}: __metadata__ value '${k}' must be a string, got ${typeof v}`);
  }
}

// ---- reading ----

export interface ParseOptions {
  /** Where the tensors go; the default device (sg.init) when omitted. */
  device?: DeviceKind;
}

export interface Safetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/**
 * Tensors from safetensors bytes. The whole file is checked (header, dtypes, shapes, offsets
 * in range and not overlapping) before any tensor is made, and errors name the tensor.
 * float16 and float32 are loaded bit-exact (on the CPU float16 NaN payloads are not kept).
 */
export function parseSafetensors(bytes: ArrayBuffer | Uint8Array, opts: ParseOptions = {}): Safetensors {
  const op = 'parseSafetensors';
  checkHost(op);
  const u8 = bytes instanceof Uint8Array ? bytes : bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : null;
  if (!u8) throw new Error(`${op}: expected an ArrayBuffer or a Uint8Array`);
  const { entries, metadata, dataStart } = readHeader(op, u8);
  const device = opts.device ?? runtime.defaultDevice;
  const tensors: Record<string, Tensor> = {};
  try {
    for (const [name, e] of entries) {
      const [begin, end] = e.data_offsets;
      // A copy, aligned for typed arrays (and not a Node Buffer's shared-memory slice).
      tensors[name] = makeTensor(new Uint8Array(u8.subarray(dataStart + begin, dataStart + end)), e, device);
    }
  } catch (err) {
    for (const t of Object.values(tensors)) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}

/** Parses and checks the header; returns the entries in file order. */
export function readHeader(op: string, u8: Uint8Array): { entries: Array<[string, SafetensorsEntry]>; metadata: Record<string, string>; dataStart: number } {
  if (u8.length < 8) throw new Error(`${op}: truncated file: ${u8.length} bytes, but the header length alone takes 8`);
  const big = new DataView(u8.buffer, u8.byteOffset, 8).getBigUint64(0, true);
  if (big > BigInt(u8.length - 8)) throw new Error(`${op}: the header length ${big} runs past the end of the file (${u8.length} bytes): truncated or not a safetensors file`);
  const n = Number(big);
  if (n > MAX_HEADER) throw new Error(`${op}: the header length ${n} exceeds the 100 MB limit`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(u8.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`${op}: the header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new Error(`${op}: the header must be a JSON object`);
  const dataStart = 8 + n;
  const dataLen = u8.length - dataStart;
  const { __metadata__: meta, ...rest } = header as Record<string, unknown>;
  checkMetadata(op, meta);
  const entries = Object.entries(rest).map(([name, info]): [string, SafetensorsEntry] => [name, checkEntry(op, name, info, dataLen)]);
  // Overlap check: in offset order, each non-empty tensor must start at or after the last one's end.
  const byStart = entries.filter(([, e]) => e.data_offsets[1] > e.data_offsets[0])
    .sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  for (let i = 1; i < byStart.length; i++) {
    const [pn, pe] = byStart[i - 1];
    const [cn, ce] = byStart[i];
    if (ce.data_offsets[0] < pe.data_offsets[1]) {
      throw new Error(`${op}: tensors '${pn}' (data_offsets [${pe.data_offsets}]) and '${cn}' (data_offsets [${ce.data_offsets}]) overlap`);
    }
  }
  return { entries, metadata: meta ?? {}, dataStart };
}

function checkEntry(op: string, name: string, info: unknown, dataLen: number): SafetensorsEntry {
  const where = `${op}: tensor '${name}'`;
  if (!info || typeof info !== 'object' || Array.isArray(info)) throw new Error(`${where}: expected { dtype, shape, data_offsets }`);
  const { dtype, shape, data_offsets: offs } = info as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in FORMATS)) {
    throw new Error(`${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(FORMATS).join(', ')})`);
  }
  const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) throw new Error(`${where}: shape must be an array of integers >= 0, got ${JSON.stringify(shape)}`);
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount) || offs[0] > offs[1]) {
    throw new Error(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offs)}`);
  }
  const [begin, end] = offs;
  if (end > dataLen) throw new Error(`${where}: data_offsets [${begin}, ${end}] are out of range: the data section has ${dataLen} bytes`);
  const code = dtype as Code;
  const need = numel(shape) * FORMATS[code].bytes;
  if (end - begin !== need) {
    throw new Error(`${where}: shape ${fmtShape(shape)} of ${code} needs ${need} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { dtype: code, shape, data_offsets: [begin, end] };
}

/** A tensor from its data bytes (a fresh, aligned copy). */
function makeTensor(data: Uint8Array, e: SafetensorsEntry, device: DeviceKind): Tensor {
  const { dtype } = FORMATS[e.dtype];
  if (dtype === 'float32') return fromArray(new Float32Array(data.buffer), e.shape, dtype, device);
  if (dtype === 'int32') return fromArray(new Int32Array(data.buffer), e.shape, dtype, device);
  const halves = new Uint16Array(data.buffer);
  if (device === 'cpu') return fromArray(Array.from(halves, f16BitsToF32), e.shape, dtype, device);
  // Upload the half bits as they are: a round trip through float32 would lose NaN payloads.
  const t = Tensor.empty(e.shape, dtype, device);
  if (halves.length) t.storage.gpu!.write(t.buffer, 0, halves);
  return t;
}
