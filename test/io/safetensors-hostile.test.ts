// safetensors files from strangers: every hand-written case of hostile-cases.ts against the
// reference implementation's verdict, on both backends; names such as '__proto__'; the
// arguments of every io function; and large hostile files whose time and memory stay
// bounded (generated here, never committed).
import { suite } from 'uvu';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { loadSafetensors, parseSafetensors, saveSafetensors, serializeSafetensors } from '../../src/io/index.js';
import { backends, rejectsWith, settleGC, throwsBeforeWork, throwsWith, type Dev } from '../helpers.js';
import { CASES } from './hostile-cases.js';

const test = suite('safetensors-hostile');

/** A file: the 8-byte length (the header's, unless given), the header, `data` pattern bytes. */
function fileOf(header: string | Uint8Array, data: number, length?: bigint): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + h.length + data);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  out.set(h, 8);
  for (let k = 0; k < data; k++) out[8 + h.length + k] = (k * 7 + 1) & 0xff;
  return out;
}

const f16ToF32 = (h: number): number => {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
};

/** The values `bytes` hold as `dtype`, decoded with DataView (nothing from src/). */
function decode(dtype: string, bytes: Uint8Array): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = dtype === 'F16' ? 2 : 4;
  return Array.from({ length: bytes.length / size }, (_, i) =>
    dtype === 'F32' ? dv.getFloat32(4 * i, true) : dtype === 'I32' ? dv.getInt32(4 * i, true) : f16ToF32(dv.getUint16(2 * i, true)));
}

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
const hasF16 = (dev: Dev): boolean => dev === 'cpu' || sg.deviceInfo().features.includes('shader-f16');

test('the case table: every file the reference refuses, we refuse; every other refusal says why', () => {
  for (const c of CASES) {
    if (c.reference === 'refuses' && !c.error) throw new Error(`'${c.what}': the reference refuses it, the table lets it load`);
    if (c.reference === 'loads' && c.error && !c.why) throw new Error(`'${c.what}': the reference loads it; the table refuses it without saying why`);
    if (!c.error && !c.names) throw new Error(`'${c.what}': a file that loads needs its names`);
  }
});

test('hand-written files: refused before any work with the problem named, or loaded with the right values', async () => {
  for (const dev of await backends()) {
    for (const c of CASES) {
      const bytes = fileOf(c.header, c.data);
      if (c.error) {
        throwsBeforeWork(`${c.what} on ${dev}`, () => parseSafetensors(bytes, { device: dev }), [/^parseSafetensors: /, ...c.error]);
        continue;
      }
      const text = c.header as string;
      const header = JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
      if (!hasF16(dev) && Object.values(header).some((e) => e?.dtype === 'F16')) continue;
      const { tensors, metadata } = parseSafetensors(bytes, { device: dev });
      if (Object.getPrototypeOf(tensors) !== null || Object.getPrototypeOf(metadata) !== null) throw new Error(`${c.what}: results must have no prototype`);
      const names = Object.keys(tensors).sort();
      if (names.join('|') !== c.names!.join('|')) throw new Error(`${c.what} on ${dev}: names ${JSON.stringify(names)}, expected ${JSON.stringify(c.names)}`);
      const dataStart = 8 + new TextEncoder().encode(text).length;
      for (const [name, e] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        const t = tensors[name];
        if (t.shape.join() !== e.shape.join() || t.device !== dev) throw new Error(`${c.what}: ${name} is ${t}`);
        const want = decode(e.dtype, bytes.subarray(dataStart + e.data_offsets[0], dataStart + e.data_offsets[1]));
        const got = Array.from(await t.toArray());
        if (got.length !== want.length || got.some((v, i) => !same(v, want[i]))) throw new Error(`${c.what} on ${dev}: ${name} = ${got}, expected ${want}`);
      }
      Object.values(tensors).forEach((t) => t.dispose());
    }
  }
});

test("names such as '__proto__' are ordinary entries, in files, in metadata and on a round trip", async () => {
  const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '0', 'é ✓'];
  for (const dev of await backends()) {
    const src: Record<string, Tensor> = Object.create(null);
    names.forEach((n, i) => { src[n] = sg.tensor([i, -i - 0.5], { device: dev }); });
    const meta: Record<string, string> = JSON.parse('{"__proto__": "p", "toString": "t", "constructor": "c"}');
    const file = await serializeSafetensors(src, meta);
    // the header, read with JSON.parse (which keeps '__proto__' as an own key)
    const n = Number(new DataView(file.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n)));
    if (Object.keys(header).sort().join('|') !== ['__metadata__', ...names].sort().join('|')) throw new Error(`header keys ${Object.keys(header)}`);
    if (JSON.stringify(header.__metadata__) !== JSON.stringify(meta)) throw new Error(`metadata ${JSON.stringify(header.__metadata__)}`);
    const { tensors, metadata } = parseSafetensors(file, { device: dev });
    if (Object.getPrototypeOf(tensors) !== null) throw new Error('tensors has a prototype');
    for (const [i, nm] of names.entries()) {
      const t = tensors[nm];
      if (!Object.hasOwn(tensors, nm) || !(t instanceof sg.Tensor)) throw new Error(`'${nm}' on ${dev}: ${t}`);
      const v = Array.from(await t.toArray());
      if (v.join() !== [i, -i - 0.5].join()) throw new Error(`'${nm}' on ${dev}: ${v}`);
    }
    if (Object.keys(metadata).sort().join() !== '__proto__,constructor,toString' || metadata['toString' as string] !== 't' || metadata.__proto__ !== 'p') {
      throw new Error(`metadata ${JSON.stringify(Object.entries(metadata))}`);
    }
    [...Object.values(src), ...Object.values(tensors)].forEach((t) => t.dispose());
  }
});

test('every io function refuses bad arguments, naming itself, the argument and the value', async () => {
  const good = await serializeSafetensors({ a: sg.tensor([1, 2], { device: 'cpu' }) });
  const parse = (bytes: unknown, opts?: unknown) => (): unknown => parseSafetensors(bytes as Uint8Array, opts as object);
  const opts: Array<[unknown, RegExp[]]> = [
    ['cpu', [/options must be an object/, /"cpu"/]],
    [null, [/options must be an object/, /null/]],
    [[1], [/options must be an object/, /array/]],
    [{ device: 'tpu' }, [/device must be 'cpu' or 'webgpu'/, /"tpu"/]],
    [{ device: null }, [/device must be/, /null/]],
    [{ device: 1 }, [/device must be/, /got 1/]],
    [{ devise: 'cpu' }, [/unknown option 'devise'/, /device, maxHeaderBytes, maxTensors/]],
    [{ maxHeaderBytes: -1 }, [/maxHeaderBytes must be an integer from 0 to 100000000/, /got -1/]],
    [{ maxHeaderBytes: 1.5 }, [/maxHeaderBytes/, /1\.5/]],
    [{ maxHeaderBytes: NaN }, [/maxHeaderBytes/, /NaN/]],
    [{ maxHeaderBytes: 1e9 }, [/maxHeaderBytes/, /1000000000/]],
    [{ maxHeaderBytes: '100' }, [/maxHeaderBytes/, /"100"/]],
    [{ maxTensors: Infinity }, [/maxTensors must be an integer/, /Infinity/]],
    [{ maxTensors: 10n }, [/maxTensors/, /10n/]],
  ];
  for (const [o, pats] of opts) throwsBeforeWork(`options ${String(o)}`, parse(good, o), [/^parseSafetensors: /, ...pats]);
  for (const b of [null, 'abc', [1, 2, 3], new Float32Array(4), {}, 5]) throwsWith(parse(b), /^parseSafetensors: bytes must be an ArrayBuffer or a Uint8Array/);
  throwsWith(parse(new Float32Array(4)), /got a Float32Array/);
  const detached = new ArrayBuffer(16);
  structuredClone(detached, { transfer: [detached] });
  throwsWith(parse(detached), /^parseSafetensors: /);

  const dir = await mkdtemp(join(tmpdir(), 'scattergrad-hostile-'));
  try {
    const path = join(dir, 'ok.safetensors');
    await writeFile(path, good);
    for (const p of [5, null, undefined, '', 'a\0b', ['x']]) await rejectsWith(() => loadSafetensors(p as string), /^loadSafetensors: path must be a non-empty string/);
    for (const [o, pats] of opts) await rejectsWith(() => loadSafetensors(path, o as object), /^loadSafetensors: /, ...pats);
    await rejectsWith(() => loadSafetensors(join(dir, 'missing.safetensors')), /^loadSafetensors: cannot open/, /missing\.safetensors/, /ENOENT/);
    await rejectsWith(() => loadSafetensors(dir), /^loadSafetensors: /, /not a regular file/);

    // writing: the state dict, each value, each name, the metadata, the path
    const t = sg.tensor([1, 2], { device: 'cpu' });
    const gone = sg.tensor([1], { device: 'cpu' });
    gone.dispose();
    const writes: Array<[unknown, unknown, RegExp[]]> = [
      [null, undefined, [/tensors must be an object mapping names to Tensors/, /null/]],
      [[t], undefined, [/tensors must be an object/, /array/]],
      [t, undefined, [/tensors must be an object/, /a Tensor of shape \[2\]/]],
      [new sg.nn.Linear(2, 2, { device: 'cpu' }), undefined, [/tensors must be an object/, /module\.stateDict\(\)/, /a Linear/]],
      [new Map([['a', t]]), undefined, [/tensors must be an object/, /a Map/]],
      ['a', undefined, [/tensors must be an object/, /"a"/]],
      [{ w: 5 }, undefined, [/tensors\['w'\] must be a Tensor/, /got 5/]],
      [{ w: [1, 2] }, undefined, [/tensors\['w'\] must be a Tensor/, /array/]],
      [{ w: null }, undefined, [/tensors\['w'\] must be a Tensor/, /null/]],
      [{ w: gone }, undefined, [/tensor 'w'/, /disposed/]],
      [{ w: sg.tensor([1], { device: 'cpu', dtype: 'float64' }) }, undefined, [/tensor 'w'/, /float64/]],
      [{ '': t }, undefined, [/empty name/]],
      [{ 'a\ud800': t }, undefined, [/'a\\ud800'/, /lone surrogate/]],
      [{ __metadata__: t }, undefined, [/reserved/]],
      [{ w: t }, 5, [/metadata \(__metadata__\) must be an object of strings/, /got 5/]],
      [{ w: t }, 'x', [/metadata/, /"x"/]],
      [{ w: t }, ['x'], [/metadata/, /array/]],
      [{ w: t }, { step: 150 }, [/metadata \(__metadata__\) value 'step' must be a string/, /got 150/]],
      [{ w: t }, { step: null }, [/value 'step'/, /null/]],
      [{ w: t }, { step: 1n }, [/value 'step'/, /1n/]],
      [{ w: t }, { k: '\udc00' }, [/entry 'k'/, /lone surrogate/]],
    ];
    for (const [tensors, meta, pats] of writes) {
      await rejectsWith(() => serializeSafetensors(tensors as Record<string, Tensor>, meta as Record<string, string>), /^serializeSafetensors: /, ...pats);
      await rejectsWith(() => saveSafetensors(join(dir, 'w.safetensors'), tensors as Record<string, Tensor>, meta as Record<string, string>), /^saveSafetensors: /, ...pats);
    }
    for (const p of [5, null, '', { path: 'x' }]) await rejectsWith(() => saveSafetensors(p as string, { t }), /^saveSafetensors: path must be a non-empty string/);
    await rejectsWith(() => saveSafetensors(join(dir, 'no', 'such', 'dir.safetensors'), { t }), /^saveSafetensors: cannot write/, /ENOENT/);
    // metadata null is "none", as Python's None; the engine works after all of the above
    const { tensors, metadata } = await loadSafetensors(path, { device: 'cpu' });
    if (Object.keys(metadata).length || Array.from(await tensors.a.toArray()).join() !== '1,2') throw new Error('a good file after the bad calls');
    const back = parseSafetensors(await serializeSafetensors({ t }, null as unknown as undefined), { device: 'cpu' });
    if (Object.keys(back.metadata).length !== 0) throw new Error('null metadata wrote some');
    tensors.a.dispose();
    back.tensors.t.dispose();
    t.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Runs `fn`, which must throw matching `patterns`, within a generous time and peak-memory bound. */
async function bounded(what: string, fn: () => unknown | Promise<unknown>, patterns: RegExp[], maxMs = 10_000, maxPeakMB = 1024): Promise<void> {
  await settleGC();
  const live = sg.memory().liveTensors;
  const peak = process.resourceUsage().maxRSS; // KB
  const t0 = performance.now();
  await rejectsWith(async () => fn(), ...patterns);
  const ms = performance.now() - t0;
  const grew = (process.resourceUsage().maxRSS - peak) / 1024;
  if (ms > maxMs) throw new Error(`${what}: took ${ms.toFixed(0)} ms (bound ${maxMs})`);
  if (grew > maxPeakMB) throw new Error(`${what}: the peak RSS grew by ${grew.toFixed(0)} MB (bound ${maxPeakMB})`);
  if (sg.memory().liveTensors !== live) throw new Error(`${what}: tensors were made before the refusal`);
}

/** A header listing `n` empty tensors, then `extra` (e.g. a defect) at the end. */
function emptyTensors(n: number, extra = ''): string {
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) parts[i] = `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`;
  return `{${parts.join(',')}${extra}}`;
}

test('loadSafetensors reads the length, then the header, then only the ranges it names', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scattergrad-hostile-'));
  const [dev] = (await backends()).slice(-1);
  try {
    // a 3 GB sparse file: a small valid header, then gigabytes nobody asked for
    const path = join(dir, 'sparse.safetensors');
    const header = `{"a":${JSON.stringify({ dtype: 'F32', shape: [2], data_offsets: [0, 8] })}}`;
    const head = fileOf(header, 8);
    const fh = await open(path, 'w');
    await fh.write(head, 0, head.length, 0);
    await fh.truncate(3_000_000_000);
    await fh.close();
    await bounded('3 GB of trailing bytes', () => loadSafetensors(path, { device: dev }), [new RegExp(`^loadSafetensors: ".*sparse\\.safetensors": the data section has ${3_000_000_000 - 8 - header.length} bytes but the tensors end at 8`)], 10_000, 256);
    // a header length pointing far into the same file: refused before it is read
    const hostile = new Uint8Array(8);
    new DataView(hostile.buffer).setBigUint64(0, 2_000_000_000n, true);
    const fh2 = await open(path, 'r+');
    await fh2.write(hostile, 0, 8, 0);
    await fh2.close();
    await bounded('a 2 GB header length', () => loadSafetensors(path, { device: dev }), [/^loadSafetensors: ".*": the header length 2000000000 exceeds the limit/], 10_000, 256);
    // and a good file still loads
    const fileA = join(dir, 'a.safetensors');
    await writeFile(fileA, await serializeSafetensors({ a: sg.tensor([1, 2, 3], { device: 'cpu' }) }));
    await settleGC();
    const { tensors } = await loadSafetensors(fileA, { device: dev });
    if (Array.from(await tensors.a.toArray()).join() !== '1,2,3' || tensors.a.device !== dev) throw new Error(`${tensors.a}`);
    tensors.a.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('large hostile headers: refused in bounded time and memory, before any tensor', async () => {
  const [dev] = (await backends()).slice(-1);
  const p = (bytes: Uint8Array, opts: object = {}) => (): unknown => parseSafetensors(bytes, { device: dev, ...opts });
  // lengths that claim more than the file has, or more than any header may be
  const small = fileOf(`{"a":${JSON.stringify({ dtype: 'F32', shape: [2], data_offsets: [0, 8] })}}`, 8);
  for (const len of [77_000_000n, 0xffff_ffff_ffff_ffffn]) {
    new DataView(small.buffer).setBigUint64(0, len, true);
    await bounded(`length ${len}`, p(small), [/^parseSafetensors: the header length \d+ exceeds the limit of 16777216 bytes/, /maxHeaderBytes/]);
  }
  new DataView(small.buffer).setBigUint64(0, 77_000_000n, true);
  await bounded('length past the end', p(small, { maxHeaderBytes: 1e8 }), [new RegExp(`header length 77000000 runs past the end of the file \\(${small.length} bytes\\)`)]);

  // within the default header cap, every entry read (the linear scan and the sort), a defect last
  const many = fileOf(emptyTensors(200_000, `,"bad":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}`), 8);
  if (many.length > 16 * 1024 * 1024) throw new Error(`the file (${many.length} bytes) should fit the default cap`);
  await bounded('200k entries, a hole', p(many, { maxTensors: 300_000 }), [/tensor 'bad' starts at byte 4/, /hole of 4 bytes after 't\d+' ends at 0/]);
  await bounded('200k entries, default limits', p(many), [/lists more than 100000 tensors/]);
  // the file: 1.3M empty tensors in a 77 MB header
  let big: Uint8Array | null = fileOf(emptyTensors(1_300_000), 0);
  await bounded('77 MB header, default limits', p(big), [/header length 76888891 exceeds the limit of 16777216/]);
  await bounded('77 MB header, 100 MB allowed', p(big, { maxHeaderBytes: 1e8 }), [/lists more than 100000 tensors/, /maxTensors/]);
  big = null;
  // nesting and long names: no stack overflow, short messages
  const deep = fileOf(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"x":${'['.repeat(1_000_000)}}}`, 0);
  await bounded('a million [', p(deep), [/nested deeper than 128 levels/]);
  const name = 'n'.repeat(5_000_000);
  let msg = '';
  try { parseSafetensors(fileOf(`{"${name}":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}`, 8), { device: dev }); } catch (e) { msg = (e as Error).message; }
  if (!/^parseSafetensors: tensor 'n{80}…': shape \[1\] of F32 needs 4 bytes/.test(msg) || msg.length > 400) throw new Error(`long name: ${msg.slice(0, 300)}`);
});

test.run();
