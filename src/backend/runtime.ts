// Which backend new tensors go to, the WebGPU device if there is one, and the
// process-wide switches (debug checks, WGSL printing). Kernel knobs live in tuning.ts.
import { GpuBackend, type GpuOptions } from './webgpu.js';
import { dawn } from './dawn.js';
import type { DeviceKind } from './storage.js';
import { configureTuning, envBackend, envSwitch, type Tuning } from './tuning.js';
import { checkOptions, describe } from '../tensor/shape.js';

export interface InitOptions extends GpuOptions {
  /** Default: the environment's SCATTERGRAD_BACKEND in Node, else 'auto'. */
  backend?: 'auto' | 'webgpu' | 'cpu';
  /** Print a line when 'auto' falls back to the CPU (default true). */
  quiet?: boolean;
  /** Kernel knobs (docs/tuning.md), over the environment's SCATTERGRAD_* variables; a later
   * init() without it keeps them. */
  tuning?: Partial<Tuning>;
  /** Print each generated WGSL kernel as it is compiled (default: SCATTERGRAD_PRINT_WGSL=1). */
  printWgsl?: boolean;
}

export interface DeviceInfo {
  backend: DeviceKind;
  adapter: string | null;
  features: string[];
  limits: Record<string, number>;
  subgroupSize: number | null;
}


export const runtime = {
  defaultDevice: 'cpu' as DeviceKind,
  gpu: null as GpuBackend | null,
  debug: envSwitch('debug'),
  printWgsl: envSwitch('printWgsl'),
};

export const NO_WEBGPU_HINT =
  'no WebGPU adapter found; using the CPU backend. On Linux without a GPU, install Mesa\'s lavapipe ' +
  '(mesa-vulkan-drivers 24 or later; see docs/gpu-and-browser.md, "WebGPU without a GPU")';
// Node gets WebGPU from Dawn's bindings, an optional peer dependency browser and Deno users never need.
export const NO_DAWN_HINT =
  "no WebGPU in this Node: the optional package 'webgpu' (Dawn's bindings) is not installed; " +
  'using the CPU backend. Install it with: npm install webgpu';

export const NO_VULKAN_HINT =
  'no Vulkan driver is installed, so no WebGPU adapter; using the CPU backend. Without a GPU, install ' +
  "Mesa's lavapipe, 24 or later (scripts/install-lavapipe.sh; docs/gpu-notes.md)";

const hint = (): string => (dawn.missing ? NO_DAWN_HINT : dawn.noVulkanDriver ? NO_VULKAN_HINT : NO_WEBGPU_HINT);
// The fallback notice is printed once per process, not at every init().
let noticed = false;

const INIT_KEYS = ['backend', 'quiet', 'dawnToggles', 'powerPreference', 'poolLimit', 'tuning', 'printWgsl'];

/** Throws naming the option when `opts` is not what init() takes. */
function checkInitOptions(opts: unknown): InitOptions {
  const o = checkOptions('init', opts, INIT_KEYS);
  for (const k of ['quiet', 'printWgsl']) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new Error(`init: ${k} must be a boolean, got ${describe(o[k])}`);
  }
  if (o.dawnToggles !== undefined && !(Array.isArray(o.dawnToggles) && o.dawnToggles.every((t) => typeof t === 'string'))) {
    throw new Error(`init: dawnToggles must be an array of strings, got ${describe(o.dawnToggles)}`);
  }
  if (o.powerPreference !== undefined && o.powerPreference !== 'low-power' && o.powerPreference !== 'high-performance') {
    throw new Error(`init: powerPreference must be 'low-power' or 'high-performance', got ${describe(o.powerPreference)}`);
  }
  return o as InitOptions;
}

export async function init(opts: InitOptions = {}): Promise<DeviceInfo> {
  opts = checkInitOptions(opts);
  // A script that names no backend lets its user pick one: SCATTERGRAD_BACKEND=cpu node x.mjs
  const fromEnv = opts.backend === undefined ? envBackend() : undefined;
  const want = opts.backend ?? fromEnv ?? 'auto';
  if (!['auto', 'webgpu', 'cpu'].includes(want)) {
    throw new Error(fromEnv !== undefined ? `init: SCATTERGRAD_BACKEND must be auto, webgpu or cpu, got ${describe(fromEnv)}`
      : `init: backend must be 'auto', 'webgpu' or 'cpu', got ${describe(want)}`);
  }
  const limit = opts.poolLimit;
  if (limit !== undefined && !(typeof limit === 'number' && limit >= 0)) {
    throw new Error(`init: poolLimit must be a number of bytes >= 0 (Infinity allowed), got ${describe(limit)}`);
  }
  configureTuning(opts.tuning);
  if (opts.printWgsl !== undefined) runtime.printWgsl = opts.printWgsl;
  if (runtime.gpu) runtime.gpu.printWgsl = runtime.printWgsl;
  if (want === 'cpu') {
    runtime.defaultDevice = 'cpu';
    return deviceInfo();
  }
  if (!runtime.gpu || runtime.gpu.destroyed || runtime.gpu.lostReason !== null) {
    runtime.gpu = await GpuBackend.create(opts);
    if (runtime.gpu) runtime.gpu.printWgsl = runtime.printWgsl;
  } else if (limit !== undefined) runtime.gpu.poolLimit = limit;
  if (runtime.gpu) runtime.defaultDevice = 'webgpu';
  else if (want === 'webgpu') throw new Error(`init: backend 'webgpu' was asked for but ${hint().replace('; using the CPU backend', '')}`);
  else {
    runtime.defaultDevice = 'cpu';
    if (!opts.quiet && !noticed) console.warn(`scattergrad: ${hint()}`);
    if (!opts.quiet) noticed = true;
  }
  return deviceInfo();
}

export function deviceInfo(): DeviceInfo {
  const g = runtime.defaultDevice === 'webgpu' ? runtime.gpu : null;
  return {
    backend: runtime.defaultDevice,
    adapter: g ? g.adapterName : null,
    features: g ? [...g.features].sort() : [],
    limits: g ? { ...g.limits } : {},
    subgroupSize: g ? g.subgroupSize : null,
  };
}

/** Releases the WebGPU device; Dawn keeps a Node process alive until this is called. */
export async function destroy(): Promise<void> {
  const g = runtime.gpu;
  runtime.gpu = null;
  runtime.defaultDevice = 'cpu';
  if (g && !g.destroyed) {
    g.flush();
    // Let submitted work finish so that Dawn has nothing in flight when it is torn down.
    try { await g.device.queue.onSubmittedWorkDone(); } catch { /* device already lost */ }
    g.destroy();
  }
}

export function debug(on?: boolean): boolean {
  if (on !== undefined) runtime.debug = on;
  return runtime.debug;
}

export function gpuOrThrow(op: string): GpuBackend {
  const g = runtime.gpu;
  if (!g) throw new Error(`${op}: this tensor lives on a WebGPU device that was destroyed; call sg.init() and make new tensors`);
  g.check(op);
  return g;
}
