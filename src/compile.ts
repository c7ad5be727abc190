// sg.compile(fn): a training step without its per-op JavaScript. A small model's step is
// hundreds of small kernels, and on a fast GPU the host time to record them (shape checks,
// tensors, autograd nodes, cache lookups) is several times the GPU time. After a few calls
// this records the GPU work fn does and, from then on, submits that recording again instead
// of running fn, like torch.compile(mode="reduce-overhead") with CUDA graphs.
//
// The replay must be exactly what running fn would do, so:
//   - a recording is used only once two calls in a row recorded the same work (the same
//     pipelines, bind groups, workgroup counts, copies and written data);
//   - tensor arguments are copied into the graph's own buffers; a new shape or dtype, a
//     changed number argument, grad mode, tuning, a leaf's requiresGrad or a module's
//     train/eval mode means another signature, recorded afresh;
//   - data the host computes every step (an optimizer's bias corrections) is written with
//     writeHost, whose producer a replay calls again, so step counts advance as they would,
//     and version counters move as the recorded call moved them;
//   - a tensor the work uses that is disposed (or destroy) drops the recording;
//   - what a replay could not repeat (a readback, CPU tensors, an outside tensor fn disposes,
//     an argument fn changes in place, a tensor hook's JavaScript: autograd/hooks.ts) makes
//     fn run as it is, with the reason in stats.
// What cannot be seen: other numbers fn reads from outside that change later. Pass those as
// arguments. Every mode returns detached tensors. On the CPU backend fn simply runs.
import { Tensor } from './tensor/tensor.js';
import { keep, tidy } from './tensor/scope.js';
import { describe, fmtShape } from './tensor/shape.js';
import { gpuBytes } from './tensor/dtype.js';
import { programEpoch } from './tensor/epoch.js';
import { isGradEnabled, noGrad } from './autograd/grad-mode.js';
import { runtime } from './backend/runtime.js';
import { currentTuning, tuningVersion } from './backend/tuning.js';
import { cpuStoragesMade, logVersions, type Storage } from './backend/storage.js';
import { copyInto } from './ops/elementwise.js';
import { CapturedGraph, Recording, sameWork, writesOf } from './backend/graph.js';
import type { GpuBackend } from './backend/webgpu.js';

/** Calls recorded without two in a row matching before compile gives up on a signature. */
const MAX_RECORDINGS = 6;
/** Signatures whose recordings are kept at once; the oldest goes first. */
const MAX_SIGNATURES = 4;
let signatures = 0;

export interface CompileStats {
  /** Calls so far, and how many of them replayed a recording. */
  calls: number;
  replays: number;
  /** Calls that ran fn while recording its work, and recordings taken into use. */
  recordings: number;
  captures: number;
  /** What the last call did. */
  mode: 'eager' | 'recorded' | 'replayed';
  /** Why the last call did not replay, or null. */
  reason: string | null;
}

export interface Compiled<A extends unknown[], R> {
  (...args: A): R;
  readonly stats: CompileStats;
  /** Frees the recordings and the memory they hold; the function still works (it records again). */
  dispose(): void;
}

type Output = Tensor | Tensor[] | { [k: string]: Tensor } | void | undefined;

interface Signature {
  id: number;
  /** The device it was recorded on (a later init() makes another). */
  gpu: GpuBackend;
  /** The buffers the last recording allocated, in order, and those of them kept out of the
   * pool until the next recording (Recording.prior, Recording.reserved). */
  prior: GPUBuffer[];
  reserved: Set<GPUBuffer>;
  /** The tensor arguments' copies that fn gets (as views), and the form of its result. */
  statics: Tensor[];
  form: Form;
  /** How the captured call moved the version counters of storages that outlive it. */
  versions: Array<[Storage, number]>;
  last: Recording | null;
  graph: CapturedGraph | null;
  outputs: OutputSlot[];
  recordings: number;
  gaveUp: string | null;
}

/** Where a recorded call left an output, for a replay to copy out. */
interface OutputSlot { buffer: GPUBuffer; offset: number; bytes: number; shape: number[]; dtype: Tensor['dtype'] }

function checkArgs(args: unknown[]): void {
  args.forEach((a, i) => {
    if (a instanceof Tensor) {
      a.assertAlive('compile');
      if (a.requiresGrad) throw new Error(`compile: argument ${i} (shape ${fmtShape(a.shape)}) requires grad; arguments are data, copied in at each call (reach parameters through the function's closure)`);
    } else if (!(a === null || a === undefined || ['number', 'string', 'boolean'].includes(typeof a))) {
      throw new Error(`compile: argument ${i} must be a Tensor, a number, a string, a boolean, null or undefined, got ${describe(a)}`);
    }
  });
}

// The tuning as text, made again only when it may have changed.
let tuningSeen = -1;
let tuningText = '';

/** What makes two calls the same program: everything but the tensor arguments' values. */
function signatureOf(args: unknown[]): string {
  if (tuningVersion() !== tuningSeen) {
    tuningSeen = tuningVersion();
    tuningText = JSON.stringify(currentTuning());
  }
  const parts = args.map((a) => (a instanceof Tensor ? ['T', a.device, a.dtype, a.shape] : Object.is(a, -0) ? ['-0'] : [typeof a, a]));
  return JSON.stringify([parts, isGradEnabled(), programEpoch(), tuningText]);
}

/** Gives a signature's reserved buffers back to the pool. */
function unreserve(s: Signature): void {
  if (!s.gpu.destroyed) for (const b of s.reserved) s.gpu.release(b);
  s.reserved.clear();
}

/** The tensors of fn's result in order, or an Error naming what is not allowed. */
function outputTensors(out: unknown): Tensor[] {
  if (out === undefined || out === null) return [];
  if (out instanceof Tensor) return [out];
  const bad = (): Error => new Error(`compile: the function must return a Tensor, an array or a plain object of Tensors, or nothing; got ${describe(out)}`);
  if (Array.isArray(out)) {
    if (!out.every((t) => t instanceof Tensor)) throw bad();
    return out;
  }
  if (out !== null && typeof out === 'object' && Object.getPrototypeOf(out) === Object.prototype) {
    const vals = Object.values(out);
    if (!vals.every((t) => t instanceof Tensor)) throw bad();
    return vals as Tensor[];
  }
  throw bad();
}

/** The form of fn's result: nothing, one tensor, an array, or an object's keys. */
type Form = 'none' | 'tensor' | 'array' | string[];

function formOf(out: unknown): Form {
  return out === undefined || out === null ? 'none' : out instanceof Tensor ? 'tensor' : Array.isArray(out) ? 'array' : Object.keys(out as object);
}

/** A result of form `f` holding `ts`, in outputTensors' order. */
function rebuild(f: Form, ts: Tensor[]): Output {
  if (f === 'none') return undefined;
  if (f === 'tensor') return ts[0];
  if (f === 'array') return ts;
  return Object.fromEntries(f.map((k, i) => [k, ts[i]]));
}

/** `t`, or a copy of it, contiguous and starting at a multiple of 4 bytes (what a buffer
 * copy needs); the caller disposes it when it is not `t`. */
function copyable(t: Tensor): Tensor {
  return t.isContiguous() && (t.offset * gpuBytes(t.dtype)) % 4 === 0 ? t : tidy(() => keep(t.clone()));
}

function slotOf(t: Tensor): OutputSlot {
  const e = gpuBytes(t.dtype);
  return { buffer: t.buffer, offset: t.offset * e, bytes: Math.ceil((t.numel * e) / 4) * 4, shape: [...t.shape], dtype: t.dtype };
}

/** A new tensor holding a copy of what `s` names; `fresh` as for GpuBackend.alloc. */
function copyOut(gpu: GpuBackend, s: OutputSlot, fresh: boolean): Tensor {
  const t = Tensor.empty(s.shape, s.dtype, 'webgpu', 'compile', fresh);
  if (s.bytes > 0) gpu.copy(s.buffer, s.offset, t.buffer, 0, s.bytes);
  return t;
}

/** Copies the tensor arguments into the signature's own tensors (made on first use). */
function copyIn(gpu: GpuBackend, s: Signature, args: unknown[]): void {
  args.forEach((a, i) => {
    if (!(a instanceof Tensor)) return;
    s.statics[i] ??= keep(Tensor.empty(a.shape, a.dtype, 'webgpu', 'compile'));
    const src = copyable(a);
    const sl = slotOf(src);
    if (sl.bytes > 0) gpu.copy(sl.buffer, sl.offset, s.statics[i].buffer, 0, sl.bytes);
    if (src !== a) src.dispose();
  });
}

/**
 * Compiles a function of tensors (a training step) into one that records its GPU work and
 * replays it. fn runs inside tidy(); it may return a Tensor, an array or plain object of
 * Tensors (returned as new tensors each call, without autograd history), or nothing.
 */
export function compile<A extends unknown[], R extends Output>(fn: (...args: A) => R): Compiled<A, R> {
  if (typeof fn !== 'function') throw new Error(`compile: fn must be a function, got ${describe(fn)}`);
  const sigs = new Map<string, Signature>();
  const stats: CompileStats = { calls: 0, replays: 0, recordings: 0, captures: 0, mode: 'eager', reason: null };

  const drop = (s: Signature): void => {
    s.graph?.release();
    s.graph = null;
    s.last = null;
  };
  const disposeSig = (s: Signature): void => {
    drop(s);
    unreserve(s);
    for (const t of s.statics) t.dispose();
  };

  // Every mode hands back new tensors without autograd history, so the caller may dispose
  // what it gets whatever fn returned (a parameter, an argument).
  const eager = (args: A, reason: string): R => {
    stats.mode = 'eager';
    stats.reason = reason;
    return tidy(() => {
      const out = fn(...args);
      return rebuild(formOf(out), outputTensors(out).map((t) => t.detach()));
    }) as R;
  };

  const record = (gpu: GpuBackend, s: Signature, args: A, why: string | null): R => {
    // Tensor arguments reach fn as views of the signature's own copies, which a replay refills.
    copyIn(gpu, s, args);
    const rec = new Recording(s.prior, s.reserved);
    const versions = new Map<Storage, number>();
    const cpuBefore = cpuStoragesMade();
    gpu.markPlace(s.id);
    gpu.recorder = rec;
    logVersions(versions);
    let outs: Tensor[];
    try {
      outs = tidy(() => {
        const out = fn(...(args.map((a, i) => (a instanceof Tensor ? s.statics[i].detach() : a)) as A));
        s.form = formOf(out);
        // Views, so that disposing them below leaves alone what fn returned from outside.
        return outputTensors(out).map((t) => { const c = copyable(t); return c === t ? t.detach() : c; });
      });
    } finally {
      gpu.recorder = null;
      logVersions(null);
    }
    const slots = outs.map(slotOf);
    // The caller gets copies, as from a replay: the recorded buffers stay the graph's.
    const copies = slots.map((sl) => copyOut(gpu, sl, true));
    for (const t of outs) t.dispose();
    stats.recordings++;
    s.recordings++;
    s.prior = rec.allocs;
    // What this call allocated and let go stays this signature's until its next call.
    for (const b of rec.reserved) gpu.release(b);
    s.reserved = new Set(rec.allocs.filter((b) => gpu.claim(b)));
    if (cpuStoragesMade() !== cpuBefore || [...versions.keys()].some((st) => st.device === 'cpu')) rec.refusal ??= 'works on CPU tensors (a replay repeats only GPU work)';
    const argBuffers = new Set(s.statics.filter(Boolean).map((t) => t.buffer));
    const changed = s.statics.filter((t) => t && rec.commands.some((c) => writesOf(c).includes(t.buffer)));
    if (changed.length) {
      rec.refusal ??= 'changes an argument in place (a replay would change only its copy)';
      // This call changed the copy: the caller's tensor gets the change, as plainly.
      noGrad(() => s.statics.forEach((t, i) => { if (changed.includes(t)) copyInto(args[i] as Tensor, t); }));
    }
    const diff = rec.refusal ?? (s.last ? sameWork(s.last, rec) : why ?? 'first recording of this signature');
    const graph = diff === null ? CapturedGraph.capture(gpu, rec, [...slots.map((sl) => sl.buffer), ...argBuffers], s.reserved) : null;
    if (graph instanceof CapturedGraph) {
      s.graph = graph;
      s.reserved = new Set();
      s.outputs = slots;
      s.versions = [...versions].filter(([st]) => st.refs > 0).map(([st, before]) => [st, st.version - before]);
      s.last = null;
      stats.captures++;
    } else {
      s.last = rec;
      if (rec.refusal || typeof graph === 'string' || s.recordings >= MAX_RECORDINGS) {
        s.gaveUp = rec.refusal || typeof graph === 'string' ? `the function ${rec.refusal ?? graph}` : `its work differs from call to call (${diff})`;
        unreserve(s);
      }
    }
    stats.mode = 'recorded';
    stats.reason = s.gaveUp ?? diff;
    return rebuild(s.form, copies) as R;
  };

  const call = (...args: A): R => {
    stats.calls++;
    checkArgs(args);
    const gpu = runtime.gpu;
    if (runtime.defaultDevice !== 'webgpu' || !gpu || gpu.destroyed) return eager(args, 'the CPU backend runs the function as it is');
    if (args.some((a) => a instanceof Tensor && a.device !== 'webgpu')) return eager(args, 'a tensor argument is on the CPU');
    // Inside another compiled function's recording, the outer one records this work.
    if (gpu.recorder) return eager(args, 'called while another compiled function records');
    const key = signatureOf(args);
    let s = sigs.get(key);
    if (s && s.gpu !== gpu) {
      disposeSig(s);
      sigs.delete(key);
      s = undefined;
    }
    if (!s) {
      if (sigs.size >= MAX_SIGNATURES) {
        const [oldKey, old] = sigs.entries().next().value!;
        disposeSig(old);
        sigs.delete(oldKey);
      }
      sigs.set(key, (s = { id: ++signatures, gpu, prior: [], reserved: new Set(), statics: [], form: 'none', versions: [], last: null, graph: null, outputs: [], recordings: 0, gaveUp: null }));
    }
    if (s.gaveUp) return eager(args, s.gaveUp);
    // The copies first: copying a view dispatches, which may recycle the uniform slots.
    if (s.graph) copyIn(gpu, s, args);
    const why = s.graph?.invalid ?? null;
    if (why !== null) {
      drop(s);
      s.recordings = 0;
    }
    if (!s.graph) return record(gpu, s, args, why);
    s.graph.replay();
    for (const [st, delta] of s.versions) st.version += delta;
    stats.replays++;
    stats.mode = 'replayed';
    stats.reason = null;
    return rebuild(s.form, s.outputs.map((sl) => copyOut(gpu, sl, false))) as R;
  };

  Object.defineProperty(call, 'stats', { get: () => ({ ...stats }) });
  (call as Compiled<A, R>).dispose = () => {
    for (const s of sigs.values()) disposeSig(s);
    sigs.clear();
  };
  return call as Compiled<A, R>;
}
