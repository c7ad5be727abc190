// What the WebGPU backend keeps between dispatches: compiled pipelines, keyed by kernel name +
// config (never by sizes: those travel in uniforms), the uniform blocks, and bind groups.
//
// A dispatch must cost little host time: a training step of a small model is hundreds of
// them. Creating a bind group is the expensive part (~10-20 µs through Dawn's Node bindings,
// against ~2 µs for the rest), so bind groups are cached. That only pays if the same op sees
// the same bind group every step, so uniforms are content-addressed: each distinct uniform
// block gets a slot of one long-lived buffer, written once, and a bind group is keyed by
// (pipeline, slot, buffers). Buffers come back from the pool in the same order every step,
// so a steady training loop creates no bind groups at all. (Dynamic uniform offsets would
// also avoid per-dispatch bind groups, but made every dispatch ~2x slower to run on lavapipe.)
import { readsWhile, tuningKey, type Tuning } from './tuning.js';
import type { KernelCall } from './webgpu.js';

const UNIFORM_SLOT = 256; // minUniformBufferOffsetAlignment on every adapter we know
const UNIFORM_SLOTS = 4096; // distinct uniform blocks kept (1 MiB)
const MAX_BIND_GROUPS = 16384; // cached bind groups, all pipelines together

/** Per call key, the tuning knobs its WGSL generator has been seen to read. Module-wide, not
 * per cache: what was learned outlives a backend (sg.init() again keeps it). */
const generatorKnobs = new Map<string, Array<keyof Tuning>>();

export interface CachedPipeline {
  id: number;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** Keyed by uniform slot and buffer ids (see bindGroup()); ids are unique over all pipelines. */
  bindGroups: Map<string, CachedBindGroup>;
}

export interface CachedBindGroup {
  group: GPUBindGroup;
  /** Unique over all pipelines: the pool names a place in the program by it. */
  id: number;
}

export class KernelCache {
  printWgsl = false;
  /** Bind groups created, ever (a steady training loop should stop adding to it). */
  bindGroupsCreated = 0;
  /** Advanced when the uniform slots are recycled: a captured graph's bind groups name them. */
  uniformEpoch = 0;
  /** How many distinct uniform blocks, and bind groups, are kept; when one is full all its
   * entries are dropped and made again as needed. Fields so that tests can make them small. */
  uniformSlotCapacity = UNIFORM_SLOTS;
  bindGroupCapacity = MAX_BIND_GROUPS;

  private pipelines = new Map<string, CachedPipeline>();
  private uniformBuffer: GPUBuffer;
  private uniformWords = new Uint32Array(UNIFORM_SLOT / 4);
  private uniformHalves = new Uint16Array(this.uniformWords.buffer);
  private keyWords = new Uint32Array(1 + 64); // a bind group's slot and buffer ids
  private keyHalves = new Uint16Array(this.keyWords.buffer);
  private uniformSlots = new Map<string, number>();
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 0;
  private bindGroupCount = 0;

  /** `flush` submits the commands recorded so far; it runs before uniform slots are reused. */
  constructor(private readonly device: GPUDevice, private readonly flush: () => void) {
    this.uniformBuffer = device.createBuffer({ size: UNIFORM_SLOTS * UNIFORM_SLOT, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  }

  /** The key a call's pipeline is cached under: its key, plus the values of the tuning knobs
   * its WGSL generator read (learned the first time it ran; tuning.ts). */
  pipelineKey(call: KernelCall): string {
    const knobs = generatorKnobs.get(call.key);
    const t = knobs ? tuningKey(knobs) : '';
    return t ? call.key + t : call.key;
  }

  pipeline(call: KernelCall): CachedPipeline {
    const p = this.pipelines.get(this.pipelineKey(call));
    if (p) return p;
    const { value: code, reads } = readsWhile(call.wgsl);
    // Which knobs a generator reads depends on its key and on the values of the knobs it has
    // read so far, so a pipeline is right for every tuning that agrees with its own on the
    // knobs learned for its key; a generation that reads a new one adds it to them.
    const known = generatorKnobs.get(call.key);
    if (!known || reads.some((k) => !known.includes(k))) generatorKnobs.set(call.key, [...new Set([...(known ?? []), ...reads])]);
    const key = this.pipelineKey(call);
    const again = this.pipelines.get(key);
    if (again) return again;
    if (this.printWgsl) console.log(`// ---- ${key} ----\n${code}`);
    const module = this.device.createShaderModule({ code, label: key });
    const pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
    const made = { id: this.pipelines.size, pipeline, layout: pipeline.getBindGroupLayout(0), bindGroups: new Map() };
    this.pipelines.set(key, made);
    return made;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** The slot holding these uniform words, writing them to a new slot the first time. */
  uniformSlot(call: KernelCall): number {
    const n = call.uniforms.length;
    if (n > UNIFORM_SLOT / 4) throw new Error(`${call.key}: ${n} uniform words exceed ${UNIFORM_SLOT / 4}`);
    const w = this.uniformWords;
    // ToUint32, as a Uint32Array store does: callers pass f32Bits for floats.
    for (let i = 0; i < n; i++) w[i] = call.uniforms[i];
    // The key is the words' bytes as UTF-16 code units: one native call, no number printing.
    const key = String.fromCharCode.apply(null, this.uniformHalves.subarray(0, 2 * n) as unknown as number[]);
    let slot = this.uniformSlots.get(key);
    if (slot === undefined) {
      if (this.uniformSlots.size >= Math.min(this.uniformSlotCapacity, UNIFORM_SLOTS)) {
        // Slots are about to be rewritten: the commands recorded so far must reach the queue
        // first (a queue write lands after what was submitted before it, never after what is
        // still being recorded), and every cached bind group names a slot.
        this.flush();
        this.uniformEpoch++;
        this.uniformSlots.clear();
        this.dropBindGroups();
      }
      slot = this.uniformSlots.size;
      this.uniformSlots.set(key, slot);
      // Safe before submit: no recorded command reads a slot that was free until now.
      if (n > 0) this.device.queue.writeBuffer(this.uniformBuffer, slot * UNIFORM_SLOT, w, 0, n);
    }
    return slot;
  }

  private bufferId(buf: GPUBuffer): number {
    let id = this.bufferIds.get(buf);
    if (id === undefined) this.bufferIds.set(buf, (id = this.nextBufferId++));
    return id;
  }

  /** The bind group of `p` for the call's buffers and uniform slot, made the first time. */
  bindGroup(p: CachedPipeline, call: KernelCall, slot: number): CachedBindGroup {
    // Slot and buffer ids as 32-bit code-unit pairs (inputs and outputs never swap places
    // within one pipeline, so their boundary needs no marker).
    const k = this.keyWords;
    if (call.inputs.length + call.outputs.length >= k.length) throw new Error(`${call.key}: ${call.inputs.length + call.outputs.length} buffers bound; at most ${k.length - 1}`);
    k[0] = slot;
    let n = 1;
    for (const buf of call.inputs) k[n++] = this.bufferId(buf);
    for (const buf of call.outputs) k[n++] = this.bufferId(buf);
    const key = String.fromCharCode.apply(null, this.keyHalves.subarray(0, 2 * n) as unknown as number[]);
    let bg = p.bindGroups.get(key);
    if (!bg) {
      if (this.bindGroupCount >= this.bindGroupCapacity) this.dropBindGroups();
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.uniformBuffer, offset: slot * UNIFORM_SLOT, size: UNIFORM_SLOT } }];
      let b = 1;
      for (const buf of call.inputs) entries.push({ binding: b++, resource: { buffer: buf } });
      for (const buf of call.outputs) entries.push({ binding: b++, resource: { buffer: buf } });
      bg = { group: this.device.createBindGroup({ layout: p.layout, entries }), id: ++this.bindGroupsCreated };
      p.bindGroups.set(key, bg);
      this.bindGroupCount++;
    }
    return bg;
  }

  /** A dispatch's place in the program named without its buffers (BufferPool's fallback):
   * its pipeline and uniform slot, unique as a slot number is below UNIFORM_SLOTS. */
  program(p: CachedPipeline, slot: number): number {
    return (p.id + 1) * UNIFORM_SLOTS + slot;
  }

  /** Forgets every bind group (each holds its buffers' wrappers alive). */
  dropBindGroups(): void {
    for (const p of this.pipelines.values()) p.bindGroups.clear();
    this.bindGroupCount = 0;
  }

  destroy(): void {
    this.pipelines.clear();
    this.uniformSlots.clear();
    this.uniformBuffer.destroy();
  }
}
