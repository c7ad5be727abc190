// Records the pipeline key and the generated WGSL of every dispatch the tests make, so that a
// refactor of the kernel code can be checked to keep every kernel byte-identical
// (scripts/wgsl-snapshot.mjs). wgsl() is called on every dispatch, not only when the pipeline
// cache misses, so a key that stands for two different kernels shows up as well.
import { writeFileSync } from 'node:fs';
import { GpuBackend, type KernelCall } from '../src/backend/webgpu.js';

export function recordWgsl(file: string): void {
  const byKey = new Map<string, Set<string>>();
  const orig = GpuBackend.prototype.dispatch;
  GpuBackend.prototype.dispatch = function (this: GpuBackend, call: KernelCall): void {
    let code: string;
    try { code = call.wgsl(); } catch (e) { code = `<wgsl() threw: ${(e as Error).message}>`; }
    orig.call(this, call);
    // The key the pipeline is cached under (the call's key plus its tuning suffix), where the
    // backend has one.
    const key = typeof this.pipelineKey === 'function' ? this.pipelineKey(call) : call.key;
    let s = byKey.get(key);
    if (!s) byKey.set(key, (s = new Set()));
    s.add(code);
  };
  process.on('exit', () => {
    const out: Record<string, string[]> = {};
    for (const k of [...byKey.keys()].sort()) out[k] = [...byKey.get(k)!];
    writeFileSync(file, JSON.stringify(out, null, 1));
  });
}
