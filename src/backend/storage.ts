// A tensor's memory: a GPU buffer or, on the CPU backend, a typed array. Views share one
// Storage; it is reference counted and goes back to the pool when the last user lets go.
import type { TypedArray } from '../tensor/dtype.js';
import type { GpuBackend } from './webgpu.js';

export type DeviceKind = 'cpu' | 'webgpu';

let bytesInUse = 0;

export class Storage {
  refs = 1;
  /** Bumped by every in-place write through a public op (copy_, add_, an optimizer step...),
   * so backward can tell a saved tensor was changed after it was saved (PyTorch's
   * version counter, shared by every view of the storage). */
  version = 0;
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
