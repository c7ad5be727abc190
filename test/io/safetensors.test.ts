// safetensors: bit-exact round trips on every backend, files checked by an independent
// reader written here from the format's description, a file written by hand the way
// Python's safetensors writes one, metadata, Node files, and every error case.
import { suite } from 'uvu';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { loadSafetensors, parseSafetensors, saveSafetensors, serializeSafetensors } from '../../src/io/index.js';
import { backends, randInts, rejectsWith, settleGC, throwsWith, type Dev } from '../helpers.js';

const test = suite('safetensors');

// ---- an independent reader: DataView and JSON only, nothing from src/ ----

interface Entry { dtype: string; shape: number[]; bytes: Uint8Array }

function independentRead(file: Uint8Array): { entries: Map<string, Entry>; metadata: unknown; order: string[] } {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n % 8 !== 0) throw new Error(`header length ${n} is not a multiple of 8`);
  const text = new TextDecoder().decode(file.subarray(8, 8 + n));
  if (!/^\{.*\} *$/s.test(text)) throw new Error(`header is not a JSON object padded with spaces: ${JSON.stringify(text.slice(-10))}`);
  const header = JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const data = file.subarray(8 + n);
  const size: Record<string, number> = { F32: 4, F16: 2, I32: 4 };
  const entries = new Map<string, Entry>();
  const spans: Array<[number, number, string]> = [];
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, end] = e.data_offsets;
    if (!(e.dtype in size)) throw new Error(`${name}: dtype ${e.dtype}`);
    if (end - b !== e.shape.reduce((x, y) => x * y, 1) * size[e.dtype]) throw new Error(`${name}: offsets ${b}..${end} do not match shape ${e.shape}`);
    if (b % size[e.dtype] !== 0) throw new Error(`${name}: data at ${b} is not aligned to ${size[e.dtype]}`);
    spans.push([b, end, name]);
    entries.set(name, { dtype: e.dtype, shape: e.shape, bytes: data.subarray(b, end) });
  }
  // The reference writer packs tensors back to back from 0 to the end of the file.
  spans.sort((x, y) => x[0] - y[0]);
  let at = 0;
  for (const [b, end, name] of spans) {
    if (b !== at) throw new Error(`${name}: starts at ${b}, expected ${at}`);
    at = end;
  }
  if (at !== data.length) throw new Error(`data section has ${data.length} bytes, tensors cover ${at}`);
  return { entries, metadata: header.__metadata__, order: spans.map((s) => s[2]) };
}

// Expected little-endian encodings, made with DataView (not typed arrays).
function le32(values: ArrayLike<number>, kind: 'f32' | 'i32'): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) kind === 'f32' ? dv.setFloat32(4 * i, values[i], true) : dv.setInt32(4 * i, values[i], true);
  return out;
}
function le16(bits: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(bits.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < bits.length; i++) dv.setUint16(2 * i, bits[i], true);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} bytes, expected ${b.length}`);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) throw new Error(`${what}: byte ${i} is ${a[i]}, expected ${b[i]}`);
}

// ---- data with the awkward values: -0, infinities, NaN, subnormals, extremes ----

const F32_BITS = Uint32Array.from([0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x00000001, 0x807fffff, 0x3f800000, 0xc0490fdb, 0x7f7fffff, 0x12345678, 0x9abcdef0]);
const f32Values = new Float32Array(F32_BITS.buffer);
// float16 bit patterns: -0, ±inf, subnormals, max, and random finite halves (NaN only on the GPU: the CPU keeps halves as float32 values)
const F16_BITS = Uint16Array.from([0x0000, 0x8000, 0x7c00, 0xfc00, 0x0001, 0x83ff, 0x7bff, 0x3c00, 0xc248, ...Array.from(randInts(23, 3, 0, 0x7c00)), ...Array.from(randInts(8, 4, 0x8000, 0xfc00))]);
const I32_VALUES = Int32Array.from([0, -1, 1, 2147483647, -2147483648, 123456789, -987654321, 42, 7]);
const f16ToF32 = (h: number): number => {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
};

function halfTensor(bits: Uint16Array, dev: Dev): Tensor {
  return sg.tensor(Array.from(bits, f16ToF32), { shape: [bits.length], dtype: 'float16', device: dev });
}

async function halfBits(t: Tensor): Promise<Uint8Array> {
  // read back through a file written by serializeSafetensors and parsed by the independent reader
  const { entries } = independentRead(await serializeSafetensors({ t }));
  return entries.get('t')!.bytes;
}

const hasF16 = (dev: Dev): boolean => dev === 'cpu' || sg.deviceInfo().features.includes('shader-f16');

test('a written file is read back by an independent reader: header, dtypes, shapes, offsets, bytes', async () => {
  for (const dev of await backends()) {
    const tensors: Record<string, Tensor> = {
      'experts.weight': sg.tensor(f32Values, { shape: [3, 4], device: dev }),
      'router.idx': sg.tensor(I32_VALUES, { shape: [9], device: dev }),
      scalar: sg.tensor(2.5, { device: dev }),
      empty: sg.zeros([0, 3], { device: dev }),
    };
    if (hasF16(dev)) tensors['output_experts.weight'] = halfTensor(F16_BITS, dev).view(8, 5);
    const file = await serializeSafetensors(tensors, { format: 'pt', note: 'ünïcode ✓' });
    const { entries, metadata } = independentRead(file);
    if (JSON.stringify(metadata) !== JSON.stringify({ format: 'pt', note: 'ünïcode ✓' })) throw new Error(`metadata ${JSON.stringify(metadata)}`);
    const check = (name: string, dtype: string, shape: number[], bytes: Uint8Array): void => {
      const e = entries.get(name);
      if (!e) throw new Error(`${name} missing on ${dev}`);
      if (e.dtype !== dtype || e.shape.join() !== shape.join()) throw new Error(`${name}: ${e.dtype} [${e.shape}] on ${dev}`);
      sameBytes(e.bytes, bytes, `${name} on ${dev}`);
    };
    check('experts.weight', 'F32', [3, 4], le32(f32Values, 'f32'));
    check('router.idx', 'I32', [9], le32(I32_VALUES, 'i32'));
    check('scalar', 'F32', [], le32([2.5], 'f32'));
    check('empty', 'F32', [0, 3], new Uint8Array(0));
    if (hasF16(dev)) check('output_experts.weight', 'F16', [8, 5], le16(F16_BITS));
    Object.values(tensors).forEach((t) => t.dispose());
  }
});

test('save -> load round trips are bit-exact for F32, F16, I32 on every backend and across backends', async () => {
  const devs = await backends();
  for (const from of devs) {
    for (const to of devs) {
      const src: Record<string, Tensor> = {
        a: sg.tensor(f32Values, { shape: [2, 6], device: from }),
        i: sg.tensor(I32_VALUES, { shape: [3, 3], device: from }),
        t: sg.tensor(f32Values, { shape: [3, 4], device: from }).T, // non-contiguous: saved row-major
      };
      if (hasF16(from) && hasF16(to)) src.h = halfTensor(F16_BITS, from);
      const file = await serializeSafetensors(src);
      const { tensors, metadata } = parseSafetensors(file, { device: to });
      if (Object.keys(metadata).length !== 0) throw new Error('no metadata was written');
      for (const [name, t] of Object.entries(src)) {
        const back = tensors[name];
        if (!back || back.device !== to || back.dtype !== t.dtype || back.shape.join() !== t.shape.join()) {
          throw new Error(`${name} ${from}->${to}: got ${back}`);
        }
        // bit-exact: the re-serialized bytes equal the first file's bytes for this tensor
        const again = independentRead(await serializeSafetensors({ [name]: back })).entries.get(name)!.bytes;
        sameBytes(again, independentRead(file).entries.get(name)!.bytes, `${name} ${from}->${to}`);
      }
      if (src.h) sameBytes(await halfBits(tensors.h), le16(F16_BITS), `float16 bits ${from}->${to}`);
      const tvals = new Uint32Array((await tensors.t.toArray()).buffer);
      const want = Array.from({ length: 12 }, (_, k) => F32_BITS[(k % 3) * 4 + Math.floor(k / 3)]);
      if (tvals.some((v, k) => v !== want[k])) throw new Error(`transposed tensor ${from}->${to}: ${Array.from(tvals)}`);
      [...Object.values(src), ...Object.values(tensors)].forEach((t) => t.dispose());
    }
  }
});

test('float16 NaN payloads survive a GPU round trip bit for bit', async () => {
  for (const dev of await backends()) {
    if (dev !== 'webgpu' || !hasF16(dev)) continue;
    const bits = Uint16Array.from([0x7e00, 0xfe00, 0x7d01, 0x7c01, 0xffff]);
    const file = new Uint8Array(await serializeSafetensors({ h: halfTensor(Uint16Array.from([0, 0, 0, 0, 0]), dev) }));
    file.set(le16(bits), file.length - 10); // write the NaNs into the data by hand
    const { tensors } = parseSafetensors(file, { device: dev });
    sameBytes(await halfBits(tensors.h), le16(bits), 'NaN halves');
    tensors.h.dispose();
  }
});

/** A file as Python's safetensors writes it: sorted keys, metadata first, space padding. */
function pythonStyleFile(): Uint8Array {
  const w = [0.5, -1.25, 3, 1e-3, -0, 65504];
  const idx = [3, 1, 4];
  const header = {
    __metadata__: { format: 'pt' },
    'experts.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
    'idx': { dtype: 'I32', shape: [3], data_offsets: [24, 36] },
    'output_experts.bias': { dtype: 'F16', shape: [2], data_offsets: [36, 40] },
  };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const data = [...le32(w, 'f32'), ...le32(idx, 'i32'), ...le16([0x3c00, 0xc000])];
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  out.set(data, 8 + json.length);
  return out;
}

test('a file written by hand the way PyTorch\'s safetensors writes it loads correctly', async () => {
  for (const dev of await backends()) {
    if (!hasF16(dev)) continue;
    const file = pythonStyleFile();
    // from an ArrayBuffer, and from a Uint8Array that sits at an odd offset in a bigger buffer
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    for (const bytes of [file.slice().buffer, shifted.subarray(3)]) {
      const { tensors, metadata } = parseSafetensors(bytes, { device: dev });
      if (metadata.format !== 'pt') throw new Error(`metadata ${JSON.stringify(metadata)}`);
      const w = tensors['experts.weight'];
      if (w.shape.join() !== '2,3' || w.dtype !== 'float32' || w.device !== dev) throw new Error(`${w}`);
      const wv = Array.from(await w.toArray());
      if (wv.join() !== [0.5, -1.25, 3, Math.fround(1e-3), -0, 65504].join() || !Object.is(wv[4], -0)) throw new Error(`weight ${wv}`);
      const idx = tensors.idx;
      if (idx.dtype !== 'int32' || Array.from(await idx.toArray()).join() !== '3,1,4') throw new Error(`idx ${idx}`);
      const bias = tensors['output_experts.bias'];
      if (bias.dtype !== 'float16' || Array.from(await bias.toArray()).join() !== '1,-2') throw new Error(`bias ${bias}`);
      Object.values(tensors).forEach((t) => t.dispose());
    }
  }
});

/** A safetensors file of the given tensors, each { dtype, shape, bytes } written as is. */
function rawFile(tensors: Record<string, { dtype: string; shape: number[]; bytes: Uint8Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let end = 0;
  for (const [name, t] of Object.entries(tensors)) { header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [end, end + t.bytes.length] }; end += t.bytes.length; }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + end);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const t of Object.values(tensors)) { out.set(t.bytes, at); at += t.bytes.length; }
  return out;
}
const bytesOf = (n: number, put: (v: DataView, i: number) => void, size: number): Uint8Array => {
  const b = new Uint8Array(n * size);
  const v = new DataView(b.buffer);
  for (let i = 0; i < n; i++) put(v, i);
  return b;
};

test('PyTorch\'s other dtypes load into ours: BF16 and small ints exactly, F64 rounded, I64/U32 checked', async () => {
  const i64 = [5n, -7n, 2147483647n, -2147483648n, 0n];
  const f64 = [0.1, -1e-50, 1e300, -0, NaN, 3.5];
  const bf16 = [0x3f80, 0xc020, 0x7fc0, 0x8000, 0x7f80, 0x0001]; // 1, -2.5, NaN, -0, Inf, the smallest subnormal
  const file = rawFile({
    n: { dtype: 'I64', shape: [5], bytes: bytesOf(5, (v, i) => v.setBigInt64(8 * i, i64[i], true), 8) },
    d: { dtype: 'F64', shape: [2, 3], bytes: bytesOf(6, (v, i) => v.setFloat64(8 * i, f64[i], true), 8) },
    b: { dtype: 'BF16', shape: [6], bytes: bytesOf(6, (v, i) => v.setUint16(2 * i, bf16[i], true), 2) },
    u8: { dtype: 'U8', shape: [3], bytes: Uint8Array.from([0, 200, 255]) },
    i8: { dtype: 'I8', shape: [2], bytes: Uint8Array.from([0x80, 0x7f]) },
    i16: { dtype: 'I16', shape: [2], bytes: bytesOf(2, (v, i) => v.setInt16(2 * i, [-32768, 1234][i], true), 2) },
    u16: { dtype: 'U16', shape: [1], bytes: bytesOf(1, (v) => v.setUint16(0, 65535, true), 2) },
    u32: { dtype: 'U32', shape: [1], bytes: bytesOf(1, (v) => v.setUint32(0, 2147483647, true), 4) },
  });
  for (const dev of await backends()) {
    const { tensors } = parseSafetensors(file, { device: dev });
    const got = async (k: string): Promise<number[]> => Array.from(await tensors[k].toArray());
    const same = (a: number[], b: number[], what: string): void => { if (a.length !== b.length || a.some((x, i) => !Object.is(x, b[i]))) throw new Error(`${what} on ${dev}: ${a} vs ${b}`); };
    same([tensors.n.dtype, tensors.d.dtype, tensors.b.dtype, tensors.u8.dtype].map((d) => ['int32', 'float32'].indexOf(d)), [0, 1, 1, 0], 'dtypes');
    same(await got('n'), [5, -7, 2147483647, -2147483648, 0], 'I64');
    same(tensors.d.shape, [2, 3], 'F64 shape');
    same(await got('d'), [Math.fround(0.1), -0, Infinity, -0, NaN, 3.5], 'F64 rounded to float32');
    same(await got('b'), [1, -2.5, NaN, -0, Infinity, 2 ** -133], 'BF16');
    same([...await got('u8'), ...await got('i8'), ...await got('i16'), ...await got('u16'), ...await got('u32')], [0, 200, 255, -128, 127, -32768, 1234, 65535, 2147483647], 'small ints');
    Object.values(tensors).forEach((t) => t.dispose());
  }
  // A value past int32 is refused, naming the tensor and the value; nothing stays allocated.
  const before = sg.memory().liveTensors;
  const big = rawFile({ ok: { dtype: 'F32', shape: [1], bytes: new Uint8Array(4) }, n: { dtype: 'I64', shape: [2], bytes: bytesOf(2, (v, i) => v.setBigInt64(8 * i, [1n, 2147483648n][i], true), 8) } });
  throwsWith(() => parseSafetensors(big, { device: 'cpu' }), /tensor 'n'/, /I64 value 2147483648 at element 1 does not fit int32/);
  const u32 = rawFile({ u: { dtype: 'U32', shape: [1], bytes: bytesOf(1, (v) => v.setUint32(0, 4000000000, true), 4) } });
  throwsWith(() => parseSafetensors(u32, { device: 'cpu' }), /tensor 'u'/, /U32 value 4000000000/);
  if (sg.memory().liveTensors !== before) throw new Error('a refused file left tensors alive');
});

test('malformed files throw an Error naming the tensor and the problem', async () => {
  const make = (header: object, dataBytes: number, headerLen?: number): Uint8Array => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(headerLen ?? json.length), true);
    out.set(json, 8);
    return out;
  };
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const parse = (b: Uint8Array) => (): unknown => parseSafetensors(b, { device: 'cpu' });
  throwsWith(parse(new Uint8Array(5)), /parseSafetensors/, /truncated/, /5 bytes/);
  throwsWith(parse(make(ok, 8, 10_000)), /header length 10000 runs past the end/);
  throwsWith(parse(make(ok, 4)), /tensor 'a'/, /out of range/);
  throwsWith(parse(make({ a: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, 2)), /tensor 'a'/, /unsupported dtype "F8_E4M3"/);
  throwsWith(parse(make({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)), /tensor 'a'/, /shape \[3\] of F32 needs 12 bytes/, /hold 8/);
  throwsWith(parse(make({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'I32', shape: [1], data_offsets: [4, 8] } }, 8)), /'a'/, /'b'/, /overlap/);
  throwsWith(parse(make({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, 8)), /tensor 'a'/, /data_offsets/);
  throwsWith(parse(make({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 8)), /tensor 'a'/, /shape/);
  throwsWith(parse(make({ __metadata__: { n: 1 } }, 0)), /__metadata__/, /'n'/, /string/);
  const notJson = make(ok, 8);
  notJson[8] = 0x5b; // '['
  throwsWith(parse(notJson), /header must start with '\{'/, /0x5b/);
  notJson[8] = 0x7b;
  notJson[9] = 0x7d; // '{}' then the rest of the old header: not JSON
  throwsWith(parse(notJson), /header is not valid JSON/);
  // a file cut short in its data
  const full = await serializeSafetensors({ x: sg.tensor([1, 2, 3], { device: 'cpu' }) });
  throwsWith(parse(full.subarray(0, full.length - 1)), /tensor 'x'/, /out of range/);
  // writing
  const t = sg.tensor([1, 2], { device: 'cpu', dtype: 'float64' });
  await rejectsWith(() => serializeSafetensors({ w: t }), /tensor 'w'/, /float64/);
  await rejectsWith(() => serializeSafetensors({ __metadata__: sg.zeros([1], { device: 'cpu' }) }), /reserved/);
  await rejectsWith(() => serializeSafetensors({}, JSON.parse('{"a": 1}')), /__metadata__/);
  t.dispose();
});

test('Node files: saveSafetensors / loadSafetensors, errors name the file; memory stays flat', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scattergrad-io-'));
  try {
    for (const dev of await backends()) {
      const path = join(dir, `ckpt-${dev}.safetensors`);
      const w = sg.tensor(f32Values, { shape: [4, 3], device: dev });
      await saveSafetensors(path, { w }, { step: '150' });
      independentRead(new Uint8Array(await readFile(path)));
      await settleGC();
      const before = sg.memory().liveTensors;
      for (let i = 0; i < 3; i++) {
        const { tensors, metadata } = await loadSafetensors(path, { device: dev });
        if (metadata.step !== '150' || tensors.w.device !== dev) throw new Error(`loaded ${JSON.stringify(metadata)} ${tensors.w}`);
        const got = new Uint32Array((await tensors.w.toArray()).buffer);
        if (got.some((v, k) => v !== F32_BITS[k])) throw new Error(`file round trip on ${dev}: ${Array.from(got)}`);
        tensors.w.dispose();
      }
      await settleGC();
      if (sg.memory().liveTensors !== before) throw new Error(`live tensors ${before} -> ${sg.memory().liveTensors}`);
      w.dispose();
    }
    const bad = join(dir, 'bad.safetensors');
    await writeFile(bad, new Uint8Array(3));
    await rejectsWith(() => loadSafetensors(bad), /loadSafetensors/, /bad\.safetensors/, /truncated/);
    await rejectsWith(() => loadSafetensors(join(dir, 'missing.safetensors')), /ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
