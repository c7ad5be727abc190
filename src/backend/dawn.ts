// Where the GPU object comes from (the browser's navigator.gpu, or Dawn's Node bindings from
// the `webgpu` package), and the device's event handlers.
//
// Both are shaped by one constraint: a GPUDevice holds its listeners and its `lost` callbacks
// strongly from native code, where the GC cannot see. A handler that reaches back to the
// device (through the backend object, say) is a cycle that is never collected: each
// init/destroy cycle then leaked the device, Dawn's instance, ~5 threads, a file descriptor
// and ~2 MB. So the handlers below capture only what they write to, and the backend removes
// its listener on destroy.

import { vulkanLoaderEnv } from './tuning.js';

// Set by the build: false in the browser bundle, so that the Node-only path (and its
// import of the `webgpu` package) is removed and bundlers never try to resolve it.
declare const __SCATTERGRAD_NODE__: boolean;

// One Dawn instance per toggle list for the whole process, reused by every init(): each
// instance starts its own threads, and a device must never outlive its instance (once the
// instance is garbage-collected, the device's next mapAsync crashes the process). Holding
// it does not keep Node alive once every device is destroyed.
const dawnInstances = new Map<string, GPU>();

/**
 * Set when Node could not load the optional `webgpu` package, or (Linux) when no Vulkan driver
 * is installed, so init() can say what to do.
 */
export const dawn = { missing: false, noVulkanDriver: false };

/**
 * Whether the Vulkan loader would find any driver (ICD manifest), looked up the way it does.
 * Without one Dawn prints three lines of Vulkan errors before giving no adapter, so init()
 * skips asking it and prints its own one line.
 */
function hasVulkanDriver({ existsSync, readdirSync }: typeof import('node:fs')): boolean {
  const env = vulkanLoaderEnv();
  const list = (v: string | undefined): string[] => (v ?? '').split(':').filter(Boolean);
  const explicit = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  const added = list(env.VK_ADD_DRIVER_FILES);
  if (added.some((f) => existsSync(f))) return true;
  if (explicit !== undefined) return list(explicit).some((f) => existsSync(f));
  const home = env.HOME;
  const dirs = [
    env.XDG_CONFIG_HOME ?? (home ? `${home}/.config` : ''), ...list(env.XDG_CONFIG_DIRS ?? '/etc/xdg'), '/etc',
    env.XDG_DATA_HOME ?? (home ? `${home}/.local/share` : ''), ...list(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share'),
  ].filter(Boolean);
  return dirs.some((d) => {
    try { return readdirSync(`${d}/vulkan/icd.d`).some((f) => f.endsWith('.json')); } catch { return false; }
  });
}

/** The GPU object to request adapters from, or null where there is none. */
export async function gpuInstance(dawnToggles?: string[]): Promise<GPU | null> {
  const nav = typeof navigator !== 'undefined' ? (navigator as Navigator & { gpu?: GPU }) : undefined;
  if (nav?.gpu) return nav.gpu;
  // Inside the `if` so that the browser build drops the import (code after a return stays).
  if (__SCATTERGRAD_NODE__ && typeof process !== 'undefined' && process.versions?.node) {
    const env = process.env.SCATTERGRAD_DAWN_TOGGLES ?? process.env.GPU_DAWN_TOGGLES ?? '';
    const toggles = dawnToggles ?? env.split(' ').filter(Boolean);
    const key = JSON.stringify(toggles);
    let gpu = dawnInstances.get(key);
    if (gpu) return gpu;
    // Dawn's Linux builds reach GPUs only through Vulkan (lavapipe included).
    if (process.platform === 'linux' && !hasVulkanDriver(await import('node:fs'))) {
      dawn.noVulkanDriver = true;
      return null;
    }
    let mod: { create: (t: string[]) => GPU; globals: object };
    try {
      mod = await import('webgpu');
    } catch {
      dawn.missing = true;
      return null;
    }
    Object.assign(globalThis, mod.globals);
    gpu = mod.create(toggles);
    dawnInstances.set(key, gpu);
    return gpu;
  }
  return null;
}

/** An uncapturederror listener that appends each message to `errors`. */
export function errorCollector(errors: string[]): (ev: Event) => void {
  return (ev) => { errors.push((ev as GPUUncapturedErrorEvent).error.message); };
}

/** Records the device's loss on the backend, if the backend is still around and not destroyed. */
export function watchLost(device: GPUDevice, backend: WeakRef<{ destroyed: boolean; lostReason: string | null }>): void {
  device.lost.then((info) => {
    const g = backend.deref();
    if (g && !g.destroyed) g.lostReason = info.message || String(info.reason);
  }, () => undefined);
}
