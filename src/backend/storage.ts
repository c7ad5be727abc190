// A tensor's memory: a GPU buffer or, on the CPU backend, a typed array. Views share one
// Storage; it is reference counted and goes back to the pool when the last user lets go.
import type { TypedArray } from '../tensor/dtype.js';
import type { GpuBackend } from './webgpu.js';

export type DeviceKind = 'cpu' | 'webgpu';

let bytesInUse = 0;

// While sg.compile records a call: each storage whose version moved, with its version before,
// so that a replay can move it the same way.
let versionLog: Map<Storage, number> | null = null;

// CPU storages made so far: work on CPU tensors inside a compiled function is not GPU work a
// replay could repeat, and sg.compile looks at this count to find it.
let cpuMade = 0;

export function cpuStoragesMade(): number {
  return cpuMade;
}

/** Starts (with a map) or stops (null) logging version changes. */
export function logVersions(into: Map<Storage, number> | null): void {
  versionLog = into;
}

export class Storage {
  refs = 1;
  private version_ = 0;
  /** Bumped by every in-place write through a public op (copy_, add_, an optimizer step...),
   * so backward can tell a saved tensor was changed after it was saved (PyTorch's
   * version counter, shared by every view of the storage). */
  get version(): number { return this.version_; }
  set version(v: number) {
    if (versionLog && !versionLog.has(this)) versionLog.set(this, this.version_);
    this.version_ = v;
  }
  constructor(
    readonly device: DeviceKind,
    readonly bytes: number,
    readonly data: TypedArray | null,
    readonly buffer: GPUBuffer | null,
    readonly gpu: GpuBackend | null,
  ) {
    bytesInUse += bytes;
  }

  static cpu(data: TypedArray): Storage {
    cpuMade++;
    return new Storage('cpu', data.byteLength, data, null, null);
  }

  static gpu(gpu: GpuBackend, bytes: number, fresh = false): Storage {
    return new Storage('webgpu', bytes, null, gpu.alloc(bytes, fresh), gpu);
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (--this.refs > 0) return;
    bytesInUse -= this.bytes;
    if (this.buffer && this.gpu) this.gpu.release(this.buffer);
  }
}

export function storageBytesInUse(): number {
  return bytesInUse;
}
