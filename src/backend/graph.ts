// A recorded stretch of GPU work, for sg.compile (src/compile.ts): the dispatches, copies
// and writes a function made, with the pipelines and bind groups the backend resolved for
// them, so that the same work can be submitted again without running the function's JS.
//
// A recording only stands in for the function if running it again would record the same
// commands. compile() checks that by recording two calls and comparing them (sameWork);
// what can still change between calls afterwards is watched here: a buffer the commands
// name that a tensor releases, the uniform slots being recycled, the device going away.
import type { GpuBackend } from './webgpu.js';

export type Command =
  /** `buffers`: every buffer bound (inputs, then outputs); `writes`: how many at the end it writes. */
  | { kind: 'dispatch'; pipeline: GPUComputePipeline; group: GPUBindGroup; x: number; y: number; z: number; key: string; buffers: GPUBuffer[]; writes: number }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; bytes: number }
  /** Host data written into a buffer. With `produce`, the data is the host's part of a step
   * (an optimizer's bias corrections) and a replay asks for it again; without, it must be
   * the same bytes every call. */
  | { kind: 'write'; dst: GPUBuffer; offset: number; data: Uint8Array; produce: (() => ArrayBufferView) | null };

export class Recording {
  readonly commands: Command[] = [];
  /** The buffers the recorded call allocated, in order. `prior` is the last recording's
   * list, whose buffers the allocations take again where they can (webgpu.ts): those in
   * `reserved`, kept out of the pool since then so that nothing else took them, or free. */
  readonly allocs: GPUBuffer[] = [];
  constructor(readonly prior: readonly GPUBuffer[] = [], readonly reserved = new Set<GPUBuffer>()) {}
  /** Set when the function did something a replay cannot repeat (a readback). */
  refusal: string | null = null;
}

/** Copies a view's bytes (the caller may reuse its array). */
export function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

function describe(c: Command, i: number): string {
  return c.kind === 'dispatch' ? `dispatch ${i} (${c.key})` : `${c.kind} ${i}`;
}

/** null when `a` and `b` did the same GPU work, else the first difference in words. */
export function sameWork(a: Recording, b: Recording): string | null {
  const n = Math.min(a.commands.length, b.commands.length);
  for (let i = 0; i < n; i++) {
    const x = a.commands[i];
    const y = b.commands[i];
    if (x.kind !== y.kind) return `command ${i} was a ${x.kind}, then a ${y.kind}`;
    if (x.kind === 'dispatch' && y.kind === 'dispatch') {
      if (x.pipeline !== y.pipeline) return `${describe(x, i)} became ${y.key}`;
      if (x.x !== y.x || x.y !== y.y || x.z !== y.z) return `${describe(x, i)} changed its workgroup count`;
      if (x.group !== y.group) {
        return x.buffers.length === y.buffers.length && x.buffers.every((buf, j) => buf === y.buffers[j])
          ? `${describe(x, i)} got other uniforms (a number computed on the host changed between calls)`
          : `${describe(x, i)} used other buffers`;
      }
    } else if (x.kind === 'copy' && y.kind === 'copy') {
      if (x.src !== y.src || x.dst !== y.dst || x.srcOffset !== y.srcOffset || x.dstOffset !== y.dstOffset || x.bytes !== y.bytes) return `${describe(x, i)} copied other memory`;
    } else if (x.kind === 'write' && y.kind === 'write') {
      if (x.dst !== y.dst || x.offset !== y.offset || x.data.length !== y.data.length || (x.produce === null) !== (y.produce === null)) return `${describe(x, i)} wrote other memory`;
      if (!x.produce && !x.data.every((v, j) => v === y.data[j])) return `${describe(x, i)} wrote other data (a tensor made from host numbers that change between calls)`;
    }
  }
  if (a.commands.length !== b.commands.length) return `${a.commands.length} commands, then ${b.commands.length}`;
  return null;
}

/** The buffers `c` writes. */
export function writesOf(c: Command): GPUBuffer[] {
  return c.kind === 'dispatch' ? c.buffers.slice(c.buffers.length - c.writes) : [c.dst];
}

/** Every buffer `c` names. */
function namedBy(c: Command): GPUBuffer[] {
  return c.kind === 'dispatch' ? c.buffers : c.kind === 'copy' ? [c.src, c.dst] : [c.dst];
}

/** What a graph does when a buffer it names is released. */
export interface Watcher {
  invalidate(why: string): void;
}

/**
 * A recording made replayable: the buffers it allocated that are free again (the function's
 * temporaries) now belong to it, out of the pool, and the buffers live tensors hold are
 * watched. A write gets an upload buffer of its own, so that a replay can stage the data
 * ahead of the commands and copy it in at its place among them. capture() refuses a
 * recording that used memory it neither allocated nor leaves held: a tensor from outside
 * that the function disposed, whose next call would read another tensor.
 */
export class CapturedGraph implements Watcher {
  private owned: GPUBuffer[] = [];
  private watched: GPUBuffer[] = [];
  private uploads = new Map<Command, GPUBuffer>();
  private readonly epoch: number;
  broken: string | null = null;

  /** The graph, or why `recording` cannot be one. `reserved`: buffers the recording
   * allocated that are already out of the pool, now the graph's; `extra`: buffers besides
   * those the commands name (the outputs, the arguments' copies). */
  static capture(gpu: GpuBackend, recording: Recording, extra: readonly GPUBuffer[], reserved: ReadonlySet<GPUBuffer>): CapturedGraph | string {
    const named = new Set<GPUBuffer>(extra);
    for (const c of recording.commands) for (const b of namedBy(c)) named.add(b);
    const allocated = new Set(recording.allocs);
    for (const b of named) {
      if (!reserved.has(b) && !allocated.has(b) && gpu.isFree(b)) return 'it disposes a tensor it did not make (a replay would use that memory again)';
    }
    return new CapturedGraph(gpu, recording, named, reserved);
  }

  private constructor(readonly gpu: GpuBackend, readonly recording: Recording, named: ReadonlySet<GPUBuffer>, reserved: ReadonlySet<GPUBuffer>) {
    this.epoch = gpu.uniformEpoch;
    this.owned = [...reserved];
    for (const c of recording.commands) {
      if (c.kind === 'write') this.uploads.set(c, gpu.device.createBuffer({ size: Math.max(4, Math.ceil(c.data.length / 4) * 4), usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: 'sg.compile upload' }));
    }
    for (const b of named) {
      if (reserved.has(b)) continue;
      if (gpu.claim(b)) this.owned.push(b);
      else {
        gpu.watch(b, this);
        this.watched.push(b);
      }
    }
  }

  invalidate(why: string): void {
    this.broken ??= why;
  }

  /** Why this graph may no longer be replayed, or null. */
  get invalid(): string | null {
    if (this.gpu.destroyed || this.gpu.lostReason !== null) return 'the device was destroyed';
    if (this.gpu.uniformEpoch !== this.epoch) return 'the backend recycled its uniform slots';
    return this.broken;
  }

  replay(): void {
    const why = this.invalid;
    if (why !== null) throw new Error(`compile: a recording that may no longer be replayed was replayed (${why})`);
    this.gpu.replay(this.recording.commands, this.uploads);
  }

  /** Gives the owned buffers back to the pool and stops watching. What the last replay
   * recorded is submitted first: it still names the upload buffers destroyed here. */
  release(): void {
    for (const b of this.watched) this.gpu.unwatch(b, this);
    this.watched = [];
    if (!this.gpu.destroyed) {
      this.gpu.flush();
      for (const b of this.owned) this.gpu.release(b);
    }
    this.owned = [];
    for (const u of this.uploads.values()) u.destroy();
    this.uploads.clear();
  }
}
