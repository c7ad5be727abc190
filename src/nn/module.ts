// Module: PyTorch's nn.Module without __setattr__. Instead of a registry filled on
// assignment, a module's parameters and submodules are discovered on its own properties,
// in declaration order (the order JavaScript keeps for string keys):
//
//   - a parameter is a leaf Tensor that requires grad (PyTorch's nn.Parameter);
//   - a submodule is a Module, or an element of an array of Modules (ModuleList), named
//     `key.i`;
//   - a buffer is a tensor named by registerBuffer (BatchNorm's running_mean): saved and
//     loaded with the parameters (unless persistent: false), never trained;
//   - any other property (numbers, options, non-grad tensors such as a cached mask) is
//     state the module keeps for itself: not listed, not saved, but disposed with it.
//
// So `class Block extends Module { attn = new CausalSelfAttention(...); mlp = new MoE(...) }`
// gives names like `attn.qkv.weight` with no registration calls.
import { Tensor, installDispose } from '../tensor/tensor.js';
import { keep } from '../tensor/scope.js';
import { fromArray } from '../ops/view.js';
import { forEachOffset } from '../tensor/shape.js';
import { noGrad } from '../autograd/grad-mode.js';
import { programChanged } from '../tensor/epoch.js';
import { describe, fmtShape } from '../tensor/shape.js';

export type StateDict = Record<string, Tensor>;

export interface LoadStateDictOptions {
  /** Missing and unexpected keys are errors (default true). A shape mismatch always is. */
  strict?: boolean;
}

export interface RegisterBufferOptions {
  /** Whether stateDict() lists the buffer (default true); false for derived state. */
  persistent?: boolean;
}

export abstract class Module {
  private training_ = true;
  /** Buffer names, in registration order, with their persistence. A true private field: not
   * an own property, so discovery and dispose() never see the registry itself. */
  #buffers = new Map<string, boolean>();
  /** Dropout and friends read this; train() / eval() set it on the whole tree. A change
   * makes compiled steps (sg.compile) record again. */
  get training(): boolean { return this.training_; }
  set training(on: boolean) {
    if (on !== this.training_) programChanged();
    this.training_ = on;
  }

  // never[]: every subclass's forward signature fits; call forward on the concrete type.
  abstract forward(...args: never[]): unknown;

  /**
   * PyTorch's register_buffer: `this[name] = tensor`, listed by buffers() and saved by
   * stateDict() (when persistent) but not a parameter, whatever its requiresGrad. null
   * reserves the name (a BatchNorm without running stats). Registering a name again replaces
   * the tensor without disposing the old one.
   */
  registerBuffer(name: string, tensor: Tensor | null, opts: RegisterBufferOptions = {}): void {
    const op = `registerBuffer (${this.constructor.name})`;
    if (typeof name !== 'string') throw new Error(`${op}: buffer name must be a string, got ${describe(name)}`);
    if (name === '' || name.includes('.')) throw new Error(`${op}: buffer name must be non-empty and contain no ".", got '${name}'`);
    const current = (this as Record<string, unknown>)[name];
    if (name in this && !this.#buffers.has(name) && !(Object.prototype.hasOwnProperty.call(this, name) && current === undefined)) {
      throw new Error(`${op}: attribute '${name}' already exists`);
    }
    if (tensor !== null && !(tensor instanceof Tensor)) throw new Error(`${op}: buffer '${name}' must be a Tensor or null, got ${describe(tensor)}`);
    tensor?.assertAlive(op);
    if (opts === null || typeof opts !== 'object') throw new Error(`${op}: options must be an object such as { persistent: false }, got ${describe(opts)}`);
    if (opts.persistent !== undefined && typeof opts.persistent !== 'boolean') throw new Error(`${op}: persistent must be a boolean, got ${describe(opts.persistent)}`);
    // Kept like a parameter: a module built inside tidy() keeps its buffers.
    (this as Record<string, unknown>)[name] = tensor === null ? null : keep(tensor);
    this.#buffers.set(name, opts.persistent ?? true);
  }

  /** This module's own live buffers (persistent ones only, if asked), in registration order. */
  private ownBuffers(persistentOnly: boolean): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [key, persistent] of this.#buffers) {
      const v = (this as Record<string, unknown>)[key];
      if (v instanceof Tensor && !v.disposed && (persistent || !persistentOnly)) out.push([key, v]);
    }
    return out;
  }

  /** Every buffer of this module and its descendants with its dotted name: the module's own
   * first, then each child's (PyTorch's named_modules order); a shared tensor once. */
  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const out: Array<[string, Tensor]> = [];
    const walk = (m: Module, pre: string): void => {
      for (const [key, b] of m.ownBuffers(false)) if (!seen.has(b)) { seen.add(b); out.push([`${pre}${key}`, b]); }
      for (const [key, c] of m.namedChildren()) walk(c, `${pre}${key}.`);
    };
    walk(this, prefix);
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** The own properties that are parameters or submodules, in declaration order. */
  private members(): Array<[string, Tensor | Module]> {
    const out: Array<[string, Tensor | Module]> = [];
    for (const [key, v] of Object.entries(this)) {
      if (this.#buffers.has(key)) continue;
      if (isParameter(v) || v instanceof Module) out.push([key, v]);
      else if (Array.isArray(v)) {
        v.forEach((m, i) => { if (m instanceof Module) out.push([`${key}.${i}`, m]); });
      }
    }
    return out;
  }

  /** Direct submodules with their names. */
  namedChildren(): Array<[string, Module]> {
    return this.members().filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** Every parameter of this module and its descendants with its dotted name (a parameter
   * shared by two modules is listed once, under its first name, as in PyTorch). */
  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const out: Array<[string, Tensor]> = [];
    for (const [name, p] of this.allParameters(prefix)) {
      if (seen.has(p)) continue;
      seen.add(p);
      out.push([name, p]);
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  private allParameters(prefix: string): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [key, v] of this.members()) {
      if (v instanceof Module) out.push(...v.allParameters(`${prefix}${key}.`));
      else out.push([`${prefix}${key}`, v]);
    }
    return out;
  }

  /** Sets training mode on this module and every descendant. */
  train(on = true): this {
    if (typeof on !== 'boolean') throw new Error(`train: mode must be a boolean, got ${describe(on)}`);
    this.training = on;
    for (const c of this.children()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Name → parameter or persistent buffer: each module's parameters, then its buffers, then
   * its children's (PyTorch's order). These are the module's own tensors (PyTorch's
   * keep_vars=True), not copies: read or save them, do not dispose them.
   */
  stateDict(): StateDict {
    return Object.fromEntries(this.stateEntries(''));
  }

  private stateEntries(prefix: string): Array<[string, Tensor]> {
    const own: Array<[string, Tensor]> = [];
    const kids: Array<[string, Tensor]> = [];
    for (const [key, v] of this.members()) {
      if (v instanceof Module) kids.push(...v.stateEntries(`${prefix}${key}.`));
      else own.push([`${prefix}${key}`, v]);
    }
    for (const [key, b] of this.ownBuffers(true)) own.push([`${prefix}${key}`, b]);
    return [...own, ...kids];
  }

  /**
   * Copies every tensor of `sd` into the parameter or buffer of the same name, in place (cast
   * to its dtype: a torch int64 num_batches_tracked loads into int32), without recording
   * autograd. Everything is checked before anything is copied. CPU tensors load
   * into a WebGPU module (an upload); the reverse needs `await t.to('cpu')` first.
   */
  loadStateDict(sd: StateDict, opts: LoadStateDictOptions = {}): void {
    const op = `loadStateDict (${this.constructor.name})`;
    if (sd === null || typeof sd !== 'object' || Array.isArray(sd) || sd instanceof Tensor) throw new Error(`${op}: state dict must be an object of tensors, got ${describe(sd)}`);
    if (opts === null || typeof opts !== 'object') throw new Error(`${op}: options must be an object such as { strict: false }, got ${describe(opts)}`);
    if (opts.strict !== undefined && typeof opts.strict !== 'boolean') throw new Error(`${op}: strict must be a boolean, got ${describe(opts.strict)}`);
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const problems: string[] = [];
    // Own properties only: a key such as 'toString' or '__proto__' from a file is a name like any other.
    const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
    const missing = Object.keys(own).filter((k) => !has(sd, k));
    const unexpected = Object.keys(sd).filter((k) => !has(own, k));
    if (strict && missing.length) problems.push(`missing key(s): ${missing.join(', ')}`);
    if (strict && unexpected.length) problems.push(`unexpected key(s): ${unexpected.join(', ')}`);
    const pairs: Array<[Tensor, Tensor]> = [];
    for (const [key, p] of Object.entries(own)) {
      if (!has(sd, key)) continue;
      const src = sd[key];
      if (!(src instanceof Tensor)) { problems.push(`${key} is not a Tensor`); continue; }
      src.assertAlive(`loadStateDict (${key})`);
      if (fmtShape(src.shape) !== fmtShape(p.shape)) {
        problems.push(`size mismatch for ${key}: the state dict has shape ${fmtShape(src.shape)}, the module ${fmtShape(p.shape)}`);
      } else if (src.device !== p.device && src.device !== 'cpu') {
        problems.push(`${key} is on ${src.device} but the module is on ${p.device} (move it with await t.to('${p.device}'))`);
      } else pairs.push([p, src]);
    }
    if (problems.length) throw new Error(`${op}: ${problems.join('; ')}`);
    noGrad(() => {
      for (const [p, src] of pairs) {
        if (src.device === p.device) { p.copy_(src); continue; }
        const up = fromArray(cpuValues(src), src.shape, p.dtype, p.device);
        p.copy_(up);
        up.dispose();
      }
    });
  }

  /** Frees every parameter's gradient (PyTorch's set_to_none=True). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Disposes every tensor this module and its descendants hold in their own properties. */
  dispose(): void {
    for (const v of Object.values(this)) {
      if (v instanceof Tensor || v instanceof Module) v.dispose();
      else if (Array.isArray(v)) for (const x of v) if (x instanceof Tensor || x instanceof Module) x.dispose();
    }
  }
}

// `using m = new sg.nn.Linear(…)` disposes the module's tensors at the end of the block.
export interface Module { [Symbol.dispose](): void }
installDispose(Module.prototype);

function isParameter(v: unknown): v is Tensor {
  return v instanceof Tensor && v.requiresGrad && v.isLeaf && !v.disposed;
}

/** The logical values of a CPU tensor (any strides), row-major. */
function cpuValues(t: Tensor): number[] {
  const out = new Array<number>(t.numel);
  forEachOffset(t.shape, t.strides, t.offset, (off, i) => { out[i] = t.data[off]; });
  return out;
}
