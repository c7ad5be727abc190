// sg.gpuTime: how long the GPU spent on the work recorded inside a region, from timestamp
// queries where the adapter has them, else wall time around a sync.
import { runtime } from './runtime.js';
import type { GpuBackend } from './webgpu.js';
import { checkOptions, describe } from '../tensor/shape.js';

export interface GpuTimeOptions {
  /** Use timestamp queries when the device has them (default true); false forces wall time. */
  timestamps?: boolean;
}

export interface GpuTiming<T> {
  /** Milliseconds. With timestamps: Σ over the region's compute passes of (end - begin), the
   * time the GPU was busy with them. Otherwise: wall time, as `wallMs`. */
  ms: number;
  source: 'timestamps' | 'wall';
  /** Wall time from the start of `fn` (with the GPU idle) until the region's work finished. */
  wallMs: number;
  /** With timestamps, the first pass's beginning to the last pass's end (idle gaps included);
   * null without. */
  spanMs: number | null;
  /** Compute passes timed (0 without timestamps). */
  passes: number;
  /** What `fn` returned (awaited). */
  result: T;
}

// One region at a time, process-wide: a second one would share the backend's passes.
let active = false;

/**
 * Runs `fn` and measures the GPU time of the work it records.
 *
 * With timestamps, `ms` is the sum over passes, not the span from the first pass to the last.
 * A benchmark records work in JS while the GPU runs earlier batches; whenever JS is the slower
 * side, the GPU idles between submits and the span would count that idle time, i.e. measure
 * the host. The sum counts only time the GPU spent executing the region's dispatches, which is
 * also what TF.js's `tf.time()` reports as `kernelMs` (a sum over its per-kernel passes), so
 * the two compare like with like. `spanMs` is returned as well, for throughput as the host sees
 * it. Copies and queue writes outside compute passes are not counted by either.
 *
 * Dawn truncates timestamps to a 65.5 µs grid unless the `timestamp_quantization` toggle is
 * disabled (`SCATTERGRAD_DAWN_TOGGLES=disable-dawn-features=timestamp_quantization`); each pass
 * holds up to 64 dispatches, so time many of them rather than one small kernel.
 */
export async function gpuTime<T>(fn: () => T | Promise<T>, opts: GpuTimeOptions = {}): Promise<GpuTiming<Awaited<T>>> {
  if (typeof fn !== 'function') throw new Error(`gpuTime: expected a function, got ${describe(fn)}`);
  opts = checkOptions('gpuTime', opts, ['timestamps']);
  if (opts.timestamps !== undefined && typeof opts.timestamps !== 'boolean') throw new Error(`gpuTime: timestamps must be a boolean, got ${describe(opts.timestamps)}`);
  if (active) throw new Error('gpuTime: a region is already being timed; regions cannot nest or overlap (await the first one)');
  active = true;
  try {
    const g = usableGpu();
    // On the CPU backend the work runs on the host as it is recorded: only wall time means anything.
    const useTs = g !== null && runtime.defaultDevice === 'webgpu' && g.hasTimestamps && opts.timestamps !== false;
    // Start with the GPU idle, so that wallMs and the fallback do not count earlier work.
    if (g) {
      g.flush();
      await g.device.queue.onSubmittedWorkDone();
    }
    const t0 = performance.now();
    if (useTs) g.startTimer();
    let result: Awaited<T>;
    try {
      result = await fn();
    } catch (e) {
      // Leave the engine as if no region had run: submit what fn recorded, free the queries.
      // WebGPU errors stay queued for the next readback; fn's error is the one to report.
      if (useTs && g.timing) await g.stopTimer().catch(() => undefined);
      throw e;
    }
    if (g && g.destroyed) throw new Error('gpuTime: the WebGPU device was destroyed (sg.destroy()) inside the region');
    if (useTs) {
      const t = await g.stopTimer();
      const wallMs = performance.now() - t0;
      g.throwErrors();
      // An adapter that lists the feature but writes zeros gives no time: report wall time.
      if (t.allZero && t.passes > 0) return { ms: wallMs, source: 'wall', wallMs, spanMs: null, passes: 0, result };
      return { ms: t.busyMs, source: 'timestamps', wallMs, spanMs: t.spanMs, passes: t.passes, result };
    }
    if (g) {
      g.flush();
      await g.device.queue.onSubmittedWorkDone();
      g.throwErrors();
    }
    const wallMs = performance.now() - t0;
    return { ms: wallMs, source: 'wall', wallMs, spanMs: null, passes: 0, result };
  } finally {
    active = false;
  }
}

function usableGpu(): GpuBackend | null {
  const g = runtime.gpu;
  if (!g || g.destroyed) return null;
  g.check('gpuTime');
  return g;
}
