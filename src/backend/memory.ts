import { liveTensors } from '../tensor/tensor.js';
import { storageBytesInUse } from './storage.js';
import { runtime } from './runtime.js';

export interface MemoryInfo {
  /** Tensor objects not yet disposed (views and autograd's saved tensors included). */
  liveTensors: number;
  /** Bytes of storage held by live tensors. */
  bytesInUse: number;
  /** Bytes of GPU buffers kept in the pool for reuse. */
  bytesPooled: number;
  /** Compute pipelines compiled so far, and dispatches recorded so far. */
  pipelines: number;
  dispatches: number;
  /** Bind groups created so far: dispatches reuse cached ones, so a steady training loop
   * stops adding to this after its first steps. */
  bindGroups: number;
}

export function memory(): MemoryInfo {
  const g = runtime.gpu;
  return {
    liveTensors: liveTensors(),
    bytesInUse: storageBytesInUse(),
    bytesPooled: g ? g.bytesPooled : 0,
    pipelines: g ? g.pipelineCount : 0,
    dispatches: g ? g.dispatchCount : 0,
    bindGroups: g ? g.bindGroupsCreated : 0,
  };
}

/**
 * Frees every GPU buffer the pool keeps for reuse (like torch.cuda.empty_cache()); live
 * tensors are untouched. The next steps allocate, and create bind groups, afresh. A no-op on
 * the CPU backend or without a device.
 */
export function emptyCache(): void {
  const g = runtime.gpu;
  if (g && !g.destroyed && g.lostReason === null) g.emptyPool();
}

/** Submits the GPU work recorded so far (readbacks do this by themselves). */
export function flush(): void {
  runtime.gpu?.flush();
}
