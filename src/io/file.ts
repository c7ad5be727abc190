// safetensors files in Node. node:fs is imported only when these run, behind the build-time
// __SCATTERGRAD_NODE__ flag, so the browser bundle has no trace of it (browsers use
// serializeSafetensors / parseSafetensors with an ArrayBuffer instead).
import type { Tensor } from '../tensor/tensor.js';
import { headerLength, parseHeader } from './header.js';
import {
  TensorSink, checkBeforeAlloc, checkHost, checkParseOptions, describe, encode, type ParseOptions, type Safetensors,
} from './safetensors.js';

declare const __SCATTERGRAD_NODE__: boolean;

type FileHandle = import('node:fs/promises').FileHandle;

async function nodeFs(op: string): Promise<typeof import('node:fs/promises')> {
  if (__SCATTERGRAD_NODE__) return import('node:fs/promises');
  throw new Error(`${op}: files need Node; in the browser use serializeSafetensors / parseSafetensors on an ArrayBuffer`);
}

function checkPath(op: string, path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) throw new Error(`${op}: path must be a non-empty string (a file path), got ${describe(path)}`);
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Writes `tensors` (and string metadata) to a .safetensors file at `path`. */
export async function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  const op = 'saveSafetensors';
  checkPath(op, path);
  const bytes = await encode(op, tensors, metadata);
  const fs = await nodeFs(op);
  try {
    await fs.writeFile(path, bytes);
  } catch (e) {
    throw new Error(`${op}: cannot write ${JSON.stringify(path)}: ${message(e)}`);
  }
}

/**
 * Reads a .safetensors file; see parseSafetensors for the checks and the options. Reads the
 * 8-byte length, then the header, checks both against the file's size, and only then reads
 * the byte ranges the header names, one tensor at a time: a hostile length costs nothing.
 */
export async function loadSafetensors(path: string, opts: ParseOptions = {}): Promise<Safetensors> {
  const op = 'loadSafetensors';
  checkPath(op, path);
  checkHost(op);
  const { device, limits } = checkParseOptions(op, opts);
  const fs = await nodeFs(op);
  const who = `${op}: ${JSON.stringify(path)}`;
  let fh: FileHandle;
  try {
    fh = await fs.open(path, 'r');
  } catch (e) {
    throw new Error(`${op}: cannot open ${JSON.stringify(path)}: ${message(e)}`);
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new Error(`${who} is not a regular file`);
    const size = stat.size;
    const n = headerLength(who, await readAt(who, fh, 0, Math.min(8, size)), size, limits);
    const { entries, metadata } = parseHeader(who, await readAt(who, fh, 8, n), size - 8 - n, limits);
    checkBeforeAlloc(who, entries, device);
    const sink = new TensorSink(who, device);
    try {
      for (const e of entries) sink.add(e, await readAt(who, fh, 8 + n + e.begin, e.end - e.begin));
    } catch (err) {
      sink.abandon();
      throw err;
    }
    return { tensors: sink.tensors, metadata };
  } finally {
    await fh.close();
  }
}

/** Exactly `length` bytes from `position`, in a fresh buffer; a file that shrank is an error. */
async function readAt(who: string, fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  let buf: Uint8Array;
  try {
    buf = new Uint8Array(length);
  } catch (e) {
    throw new Error(`${who}: cannot allocate ${length} bytes to read at byte ${position}: ${message(e)}`);
  }
  let done = 0;
  while (done < length) {
    let got: number;
    try {
      got = (await fh.read(buf, done, length - done, position + done)).bytesRead;
    } catch (e) {
      throw new Error(`${who}: reading ${length} bytes at byte ${position} failed: ${message(e)}`);
    }
    if (got === 0) throw new Error(`${who}: the file ended at byte ${position + done} while reading ${length} bytes from byte ${position} (did it change while loading?)`);
    done += got;
  }
  return buf;
}
