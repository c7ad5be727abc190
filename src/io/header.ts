// The safetensors header, read as a file from a stranger: a strict, linear-time reader of
// the JSON at the start of the file that refuses what the reference implementation (Hugging
// Face's `safetensors` crate) refuses, and refuses before a single tensor is allocated.
// Names from the file only ever become Map keys or null-prototype properties.
//   u64 little-endian N | N bytes of JSON, space-padded | data, tensor after tensor

/** The dtypes we load: the file's code, our dtype, bytes per element. */
export const FORMATS: ReadonlyMap<string, { dtype: 'float32' | 'float16' | 'int32' | 'bool'; bytes: number }> = new Map([
  ['F32', { dtype: 'float32', bytes: 4 }],
  ['F16', { dtype: 'float16', bytes: 2 }],
  ['I32', { dtype: 'int32', bytes: 4 }],
  ['BOOL', { dtype: 'bool', bytes: 1 }],
] as const);
/**
 * The dtypes we read but never write, each loaded into one we hold: BF16 and the small
 * integers widen exactly, F64 rounds to float32, and I64 / U32 values must fit int32 (checked
 * per value when the tensor is made). PyTorch writes int64 for counters and indices.
 */
export const LOAD_ONLY: ReadonlyMap<string, { dtype: 'float32' | 'int32'; bytes: number }> = new Map([
  ['BF16', { dtype: 'float32', bytes: 2 }],
  ['F64', { dtype: 'float32', bytes: 8 }],
  ['I64', { dtype: 'int32', bytes: 8 }],
  ['U32', { dtype: 'int32', bytes: 4 }],
  ['I16', { dtype: 'int32', bytes: 2 }],
  ['U16', { dtype: 'int32', bytes: 2 }],
  ['I8', { dtype: 'int32', bytes: 1 }],
  ['U8', { dtype: 'int32', bytes: 1 }],
] as const);
export type Code = 'F32' | 'F16' | 'I32' | 'BOOL' | 'BF16' | 'F64' | 'I64' | 'U32' | 'I16' | 'U16' | 'I8' | 'U8';
/** The dtype a file's code loads as, and its bytes per element in the file. */
export const formatOf = (code: Code): { dtype: 'float32' | 'float16' | 'int32' | 'bool'; bytes: number } => (FORMATS.get(code) ?? LOAD_ONLY.get(code))!;

// The reference knows these too: a file using them is valid, we just cannot hold them.
const OTHER_DTYPES = new Set(['F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'U64', 'C64', 'F4', 'F6_E2M3', 'F6_E3M2']);

/** The reference implementation's cap on the header (HeaderTooLarge); never exceeded. */
export const REFERENCE_MAX_HEADER = 100_000_000;
/** Our default cap: 100,000 tensors with long names fit; a JSON bomb does not. */
export const DEFAULT_MAX_HEADER = 16 * 1024 * 1024;
/** Even an empty tensor costs an allocation (a GPU buffer on WebGPU), so their count is capped. */
export const DEFAULT_MAX_TENSORS = 100_000;

export interface Limits { maxHeaderBytes: number; maxTensors: number }

export interface HeaderEntry { name: string; code: Code; shape: number[]; begin: number; end: number }

export interface Header {
  /** In data order (by offset). */
  entries: HeaderEntry[];
  /** A null-prototype string → string map. */
  metadata: Record<string, string>;
}

/** A name from the file, quoted and clipped for an error message. */
export function quote(name: string): string {
  return `'${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name).slice(1, -1)}'`;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * N from the first 8 bytes, checked against the cap (first, as the reference does) and
 * against the file's size, so that nothing past the 8 bytes is read for a hostile length.
 */
export function headerLength(who: string, first8: Uint8Array, fileBytes: number, limits: Limits): number {
  if (fileBytes < 8) throw new Error(`${who}: truncated file: ${fileBytes} bytes, but the header length alone takes 8`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(limits.maxHeaderBytes)) {
    const raise = limits.maxHeaderBytes < REFERENCE_MAX_HEADER ? ` (the maxHeaderBytes option raises it, up to the reference implementation's ${REFERENCE_MAX_HEADER})` : '';
    throw new Error(`${who}: the header length ${n} exceeds the limit of ${limits.maxHeaderBytes} bytes${raise}`);
  }
  if (n > BigInt(fileBytes - 8)) throw new Error(`${who}: the header length ${n} runs past the end of the file (${fileBytes} bytes): truncated or not a safetensors file`);
  return Number(n);
}

/** Parses and checks the header bytes; `dataBytes` is the size of the data section after them. */
export function parseHeader(who: string, bytes: Uint8Array, dataBytes: number, limits: Limits): Header {
  // The reference refuses a header that does not start with '{' (InvalidHeaderStart); a BOM included.
  if (bytes.length === 0 || bytes[0] !== 0x7b) {
    throw new Error(`${who}: the header must start with '{', but ${bytes.length ? `its first byte is 0x${bytes[0].toString(16).padStart(2, '0')}` : 'it is empty'}: not a safetensors file`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Error(`${who}: the header is not valid UTF-8`);
  }
  const { entries, metadata } = new HeaderReader(who, text, dataBytes, limits).read();
  checkLayout(who, entries, dataBytes);
  return { entries, metadata };
}

/** In offset order the tensors must tile the data exactly: no overlap, no hole, nothing after. */
function checkLayout(who: string, entries: HeaderEntry[], dataBytes: number): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: HeaderEntry | null = null;
  for (const e of entries) {
    if (e.begin < at) {
      throw new Error(`${who}: tensors ${quote(prev!.name)} (data_offsets [${prev!.begin}, ${prev!.end}]) and ${quote(e.name)} (data_offsets [${e.begin}, ${e.end}]) overlap`);
    }
    if (e.begin > at) {
      const after = prev ? `after ${quote(prev.name)} ends at ${at}` : 'at the start of the data';
      throw new Error(`${who}: tensor ${quote(e.name)} starts at byte ${e.begin} of the data, leaving a hole of ${e.begin - at} bytes ${after}`);
    }
    at = e.end;
    prev = e;
  }
  if (at !== dataBytes) throw new Error(`${who}: the data section has ${dataBytes} bytes but the tensors end at ${at}: ${dataBytes - at} trailing bytes belong to no tensor`);
}

const MAX_DEPTH = 128; // serde_json's recursion limit

/** A one-pass reader of the header text, shaped by what the header may hold. */
class HeaderReader {
  private i = 0;
  private readonly entries: HeaderEntry[] = [];
  private metadata: Record<string, string> = Object.create(null);

  constructor(private readonly who: string, private readonly s: string, private readonly dataBytes: number, private readonly limits: Limits) {}

  read(): { entries: HeaderEntry[]; metadata: Record<string, string> } {
    const seen = new Set<string>();
    this.expect(0x7b, "'{'");
    this.ws();
    if (this.peek() === 0x7d) this.i++;
    else {
      for (;;) {
        this.ws();
        const name = this.key();
        if (seen.has(name)) throw new Error(`${this.who}: the header names ${quote(name)} twice (duplicate keys are not allowed)`);
        seen.add(name);
        if (name === '__metadata__') this.metadata = this.readMetadata();
        else {
          if (this.entries.length === this.limits.maxTensors) {
            throw new Error(`${this.who}: the header lists more than ${this.limits.maxTensors} tensors (the maxTensors option raises the limit)`);
          }
          this.entries.push(this.readEntry(name));
        }
        if (this.endOf(0x7d)) break;
      }
    }
    // Space padding (any JSON whitespace, as serde_json allows) is all that may follow.
    this.ws();
    if (this.i !== this.s.length) this.fail("nothing but spaces may follow the closing '}'");
    return { entries: this.entries, metadata: this.metadata };
  }

  // ---- the header's own shapes ----

  private readMetadata(): Record<string, string> {
    const start = this.i;
    const out: Record<string, string> = Object.create(null);
    if (this.literal('null')) return out; // the reference reads null as no metadata
    if (this.peek() !== 0x7b) this.typeError(start, '__metadata__ must be an object mapping strings to strings');
    this.i++;
    this.ws();
    if (this.peek() === 0x7d) { this.i++; return out; }
    for (;;) {
      this.ws();
      const k = this.key();
      if (Object.hasOwn(out, k)) throw new Error(`${this.who}: __metadata__ names ${quote(k)} twice (duplicate keys are not allowed)`);
      const at = this.i;
      if (this.peek() !== 0x22) this.typeError(at, `__metadata__ value ${quote(k)} must be a string`);
      out[k] = this.string();
      if (this.endOf(0x7d)) return out;
    }
  }

  // Messages are built only on failure: a header may list a million entries.
  private readEntry(name: string): HeaderEntry {
    const start = this.i;
    if (this.peek() !== 0x7b) this.typeError(start, `tensor ${quote(name)}: expected { dtype, shape, data_offsets }`);
    this.i++;
    let dtype: string | undefined;
    let shape: number[] | null | undefined;
    let offsets: number[] | null | undefined;
    this.ws();
    if (this.peek() === 0x7d) this.i++;
    else {
      for (;;) {
        this.ws();
        const field = this.key();
        const at = this.i;
        const again = (field === 'dtype' && dtype !== undefined) || (field === 'shape' && shape !== undefined) || (field === 'data_offsets' && offsets !== undefined);
        if (again) throw new Error(`${this.who}: tensor ${quote(name)}: the field '${field}' appears twice`);
        if (field === 'dtype') {
          if (this.peek() !== 0x22) this.typeError(at, `tensor ${quote(name)}: dtype must be a string`);
          dtype = this.string();
        } else if (field === 'shape') {
          shape = this.counts();
          if (!shape) this.typeError(at, `tensor ${quote(name)}: shape must be an array of integers from 0 to 2^53 - 1`);
        } else if (field === 'data_offsets') {
          offsets = this.counts();
          const ok = offsets !== null && offsets.length === 2 && offsets[0] <= offsets[1];
          if (!ok) this.typeError(at, `tensor ${quote(name)}: data_offsets must be [begin, end], integers with 0 <= begin <= end`, offsets !== null);
        } else this.skip(1); // the reference ignores fields it does not know
        if (this.endOf(0x7d)) break;
      }
    }
    if (dtype === undefined || !shape || !offsets) {
      const missing = [dtype === undefined && 'dtype', !shape && 'shape', !offsets && 'data_offsets'].filter(Boolean);
      throw new Error(`${this.who}: tensor ${quote(name)}: missing ${missing.join(', ')}`);
    }
    // A Map lookup: names such as 'toString' or '__proto__' are unknown dtypes, nothing more.
    const format = FORMATS.get(dtype) ?? LOAD_ONLY.get(dtype);
    if (!format) {
      const kind = OTHER_DTYPES.has(dtype) ? 'unsupported' : 'unknown';
      throw new Error(`${this.who}: tensor ${quote(name)}: ${kind} dtype ${JSON.stringify(clip(dtype))} (supported: ${[...FORMATS.keys(), ...LOAD_ONLY.keys()].join(', ')})`);
    }
    const [begin, end] = offsets;
    if (end > this.dataBytes) throw new Error(`${this.who}: tensor ${quote(name)}: data_offsets [${begin}, ${end}] are out of range: the data section has ${this.dataBytes} bytes`);
    let n = 1;
    for (const d of shape) {
      n *= d;
      if (n > Number.MAX_SAFE_INTEGER) throw new Error(`${this.who}: tensor ${quote(name)}: shape ${fmtClipped(shape)} has more than 2^53 elements`);
    }
    const need = n * format.bytes;
    if (end - begin !== need) {
      throw new Error(`${this.who}: tensor ${quote(name)}: shape ${fmtClipped(shape)} of ${dtype} needs ${need} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    return { name, code: dtype as Code, shape, begin, end };
  }

  /** An array of integers in [0, 2^53) written as plain digits (serde refuses 2.0, 1e3, -0); null if it is not one. */
  private counts(): number[] | null {
    const out: number[] = [];
    if (this.peek() !== 0x5b) return null;
    this.i++;
    this.ws();
    if (this.peek() === 0x5d) { this.i++; return out; }
    for (;;) {
      this.ws();
      const from = this.i;
      while (isDigit(this.peek())) this.i++;
      const digits = this.i - from;
      const c = this.peek();
      const plain = digits > 0 && (digits === 1 || this.s.charCodeAt(from) !== 0x30) && c !== 0x2e && c !== 0x65 && c !== 0x45;
      const v = digits <= 16 ? Number(this.s.slice(from, this.i)) : Infinity;
      if (!plain || !Number.isSafeInteger(v)) return null;
      out.push(v);
      if (this.endOf(0x5d)) return out;
    }
  }

  /** Throws `what`, quoting the value that starts at `start` (after checking it is JSON at all). */
  private typeError(start: number, what: string, parsed = false): never {
    if (!parsed) {
      this.i = start;
      this.skip(1);
    }
    throw new Error(`${this.who}: ${what}, got ${clip(this.s.slice(start, this.i))}`);
  }

  // ---- JSON ----

  private fail(what: string): never {
    throw new Error(`${this.who}: the header is not valid JSON: ${what} (at character ${this.i} of ${this.s.length})`);
  }

  private peek(): number {
    return this.s.charCodeAt(this.i);
  }

  private ws(): void {
    let c = this.peek();
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = this.s.charCodeAt(++this.i);
  }

  private expect(c: number, what: string): void {
    this.ws();
    if (this.peek() !== c) this.fail(`expected ${what}`);
    this.i++;
  }

  /** After a member: true at the closing bracket (consumed), false after a comma. */
  private endOf(close: number): boolean {
    this.ws();
    const c = this.peek();
    this.i++;
    if (c === close) return true;
    if (c === 0x2c) return false;
    this.i--;
    return this.fail(`expected ',' or '${String.fromCharCode(close)}'`);
  }

  /** A string and the ':' after it. */
  private key(): string {
    if (this.peek() !== 0x22) this.fail('expected a string key');
    const k = this.string();
    this.expect(0x3a, "':'");
    this.ws();
    return k;
  }

  private literal(word: string): boolean {
    if (!this.s.startsWith(word, this.i)) return false;
    this.i += word.length;
    return true;
  }

  /** A string at the cursor; lone surrogates are refused as serde_json refuses them. */
  private string(): string {
    const s = this.s;
    const parts: string[] = [];
    this.i++;
    for (;;) {
      let j = this.i;
      let c = s.charCodeAt(j);
      while (c !== 0x22 && c !== 0x5c && c >= 0x20) c = s.charCodeAt(++j); // NaN past the end stops it
      const run = s.slice(this.i, j);
      this.i = j;
      if (c === 0x22) {
        this.i++;
        if (parts.length === 0) return run;
        parts.push(run);
        return parts.join('');
      }
      parts.push(run);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c < 0x20) this.fail('a raw control character in a string');
      const e = s[this.i + 1];
      const simple = ESCAPES.get(e);
      if (simple === undefined && e !== 'u') this.fail('an invalid escape in a string');
      this.i += 2;
      if (simple !== undefined) { parts.push(simple); continue; }
      const u = this.hex4();
      if (u >= 0xdc00 && u <= 0xdfff) this.fail('a lone low surrogate escape');
      if (u >= 0xd800 && u <= 0xdbff) {
        if (s[this.i] !== '\\' || s[this.i + 1] !== 'u') this.fail('a lone high surrogate escape');
        this.i += 2;
        const lo = this.hex4();
        if (lo < 0xdc00 || lo > 0xdfff) this.fail('a high surrogate escape not followed by a low one');
        parts.push(String.fromCharCode(u, lo));
      } else parts.push(String.fromCharCode(u));
    }
  }

  private hex4(): number {
    const h = this.s.slice(this.i, this.i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) this.fail('an invalid \\u escape');
    this.i += 4;
    return parseInt(h, 16);
  }

  /** Checks and steps over any JSON value (fields we ignore, values quoted in errors). */
  private skip(depth: number): void {
    if (depth > MAX_DEPTH) this.fail(`values nested deeper than ${MAX_DEPTH} levels`);
    this.ws();
    const c = this.peek();
    if (c === 0x7b || c === 0x5b) {
      const close = c === 0x7b ? 0x7d : 0x5d;
      this.i++;
      this.ws();
      if (this.peek() === close) { this.i++; return; }
      do {
        this.ws();
        if (c === 0x7b) this.key();
        this.skip(depth + 1);
      } while (!this.endOf(close));
    } else if (c === 0x22) this.string();
    else if (c === 0x2d || isDigit(c)) this.number();
    else if (!this.literal('true') && !this.literal('false') && !this.literal('null')) this.fail('expected a value');
  }

  private number(): void {
    NUMBER.lastIndex = this.i;
    if (!NUMBER.test(this.s)) this.fail('an invalid number');
    this.i = NUMBER.lastIndex;
  }
}

const ESCAPES = new Map([['"', '"'], ['\\', '\\'], ['/', '/'], ['b', '\b'], ['f', '\f'], ['n', '\n'], ['r', '\r'], ['t', '\t']]);
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function fmtClipped(shape: number[]): string {
  return shape.length > 16 ? `[${shape.slice(0, 16).join(', ')}, … (${shape.length} dims)]` : `[${shape.join(', ')}]`;
}
