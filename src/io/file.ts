// safetensors files in Node. node:fs is imported only when these run, behind the build-time
// __SCATTERGRAD_NODE__ flag, so the browser bundle has no trace of it (browsers use
// serializeSafetensors / parseSafetensors with an ArrayBuffer instead).
import type { Tensor } from '../tensor/tensor.js';
import { parseSafetensors, serializeSafetensors, type ParseOptions, type Safetensors } from './safetensors.js';

declare const __SCATTERGRAD_NODE__: boolean;

async function nodeFs(op: string): Promise<typeof import('node:fs/promises')> {
  if (__SCATTERGRAD_NODE__) return import('node:fs/promises');
  throw new Error(`${op}: files need Node; in the browser use serializeSafetensors / parseSafetensors on an ArrayBuffer`);
}

/** Writes `tensors` (and string metadata) to a .safetensors file at `path`. */
export async function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  const fs = await nodeFs('saveSafetensors');
  await fs.writeFile(path, await serializeSafetensors(tensors, metadata));
}

/** Reads a .safetensors file; see parseSafetensors for the checks and the `device` option. */
export async function loadSafetensors(path: string, opts: ParseOptions = {}): Promise<Safetensors> {
  const fs = await nodeFs('loadSafetensors');
  const bytes = await fs.readFile(path);
  try {
    return parseSafetensors(bytes, opts);
  } catch (e) {
    throw new Error(`loadSafetensors(${JSON.stringify(path)}): ${e instanceof Error ? e.message : String(e)}`);
  }
}
