// Containers, after torch.nn: Sequential, ModuleList, ModuleDict, and the shape-only modules
// Identity, Flatten and Unflatten. A container keeps each child in an own property named as
// PyTorch names it ('0', '1', ... or the dict key), so Module's discovery gives the same
// state-dict keys as torch ('0.weight', 'encoder.1.bias') with no registry of its own.
import type { Tensor } from '../tensor/tensor.js';
import { describe } from '../tensor/shape.js';
import { checkInt, checkIntList, checkTensor } from '../tensor/check.js';
import { flatten } from '../ops/view.js';
import { unflatten } from '../ops/dims.js';
import { Module } from './module.js';

type Callable = { forward(x: unknown): unknown };

/** Runs `fn`, prefixing an error with the module's name (the op's own name stays inside). */
export function named<T>(module: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof Error)) throw e; // not ours to rename
    if (!e.message.startsWith(`${module}:`)) e.message = `${module}: ${e.message}`;
    throw e;
  }
}

/** Sets each class's `name` to its key: a bundler may rename a class that shares a name with
 * another (the Function Softmax of ops/softmax.ts), and errors and displays read the name. */
export function keepNames(classes: Record<string, abstract new (...args: never[]) => unknown>): void {
  for (const [name, c] of Object.entries(classes)) Object.defineProperty(c, 'name', { value: name, configurable: true });
}

function checkModule(owner: string, what: string, m: unknown): Module {
  if (!(m instanceof Module)) throw new Error(`${owner}: ${what} must be a Module, got ${describe(m)}`);
  return m;
}

// JavaScript lists an object's integer-like keys first, in ascending order; other keys follow
// in insertion order. Module discovery walks that order, so a name is checked against it.
const isIndexKey = (k: string): boolean => /^(0|[1-9][0-9]*)$/.test(k) && Number(k) < 2 ** 32 - 1;

/** The own keys of `obj` that hold a Module, in the order Module discovery sees them. */
function moduleKeys(obj: object): string[] {
  return Object.entries(obj).filter(([, v]) => v instanceof Module).map(([k]) => k);
}

/** Checks a child name as torch's add_module does (a string, not empty, no '.', not already an
 * attribute such as 'forward' or 'training'). */
function checkName(owner: string, obj: object, key: unknown): string {
  if (typeof key !== 'string') throw new Error(`${owner}: a module name must be a string, got ${describe(key)}`);
  if (key === '') throw new Error(`${owner}: a module name cannot be the empty string`);
  if (key.includes('.')) throw new Error(`${owner}: module name cannot contain ".", got '${key}'`);
  const own = Object.prototype.hasOwnProperty.call(obj, key);
  if (key in obj && !(own && (obj as Record<string, unknown>)[key] instanceof Module)) throw new Error(`${owner}: attribute '${key}' already exists`);
  return key;
}

/** Adds named children in order; throws (adding nothing) when JavaScript's key order would
 * list them in another order than torch's insertion order. */
function addNamed(owner: string, obj: object, entries: Array<[string, unknown]>): void {
  const want = moduleKeys(obj);
  const o = obj as Record<string, unknown>;
  const staged = new Map<string, Module>();
  for (const [k, m] of entries) {
    const key = checkName(owner, obj, k);
    staged.set(key, checkModule(owner, `module '${key}'`, m));
    if (!want.includes(key)) want.push(key);
  }
  const sorted = [...want.filter(isIndexKey).sort((a, b) => Number(a) - Number(b)), ...want.filter((k) => !isIndexKey(k))];
  if (sorted.join('\0') !== want.join('\0')) {
    throw new Error(`${owner}: keys ${want.map((k) => `'${k}'`).join(', ')} would be listed as ${sorted.map((k) => `'${k}'`).join(', ')} (JavaScript orders integer-like keys first); add integer-like keys first, in ascending order`);
  }
  for (const [k, m] of staged) o[k] = m;
}

/** Shared by Sequential and ModuleList: children in own properties '0' … 'n-1'. */
abstract class Indexed extends Module {
  [index: number]: Module;

  get length(): number { return moduleKeys(this).length; }

  /** The child at index i (negative counts from the end), as torch's seq[i]. */
  at(i: number): Module {
    const n = this.length;
    checkInt(this.constructor.name, 'index', i);
    if (i < -n || i >= n) throw new Error(`${this.constructor.name}: index ${i} is out of range for ${n} module(s)`);
    return (this as unknown as Record<string, Module>)[moduleKeys(this)[i < 0 ? i + n : i]];
  }

  [Symbol.iterator](): Iterator<Module> {
    return moduleKeys(this).map((k) => (this as unknown as Record<string, Module>)[k])[Symbol.iterator]();
  }

  /** Adds `m` at the end; returns this. */
  append(m: Module): this {
    // Checked as a named child: after named ones, an integer-like key would be listed (and run) first.
    addNamed(this.constructor.name, this, [[String(this.length), checkModule(this.constructor.name, 'module', m)]]);
    return this;
  }
}

/**
 * Runs its children in order, each on the previous one's output. `new Sequential(a, b)` names
 * them '0', '1' (torch's keys); `new Sequential({ conv: a, act: b })` is torch's OrderedDict form.
 */
export class Sequential extends Indexed {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first !== null && typeof first === 'object' && !(first instanceof Module)) {
      const proto = Object.getPrototypeOf(first);
      if (proto !== Object.prototype && proto !== null) throw new Error(`Sequential: expected Modules or one plain object of named Modules, got ${describe(first)}`);
      addNamed('Sequential', this, Object.entries(first));
    } else {
      modules.forEach((m, i) => checkModule('Sequential', `argument ${i}`, m));
      modules.forEach((m, i) => { this[i] = m as Module; });
    }
  }

  /** Each child's forward on the previous output; an empty Sequential returns its input. */
  forward(input: Tensor): Tensor {
    let x: unknown = input;
    for (const m of this) x = (m as unknown as Callable).forward(x);
    return x as Tensor;
  }
}

/** A list of modules whose parameters are registered (torch's ModuleList); no forward. */
export class ModuleList extends Indexed {
  constructor(modules: Iterable<Module> = []) {
    super();
    if (modules === null || typeof (modules as Iterable<Module>)[Symbol.iterator] !== 'function') throw new Error(`ModuleList: modules must be an array of Modules, got ${describe(modules)}`);
    const list = [...modules];
    list.forEach((m, i) => checkModule('ModuleList', `modules[${i}]`, m));
    list.forEach((m, i) => { this[i] = m; });
  }

  /** Appends every module of `modules`; returns this. */
  extend(modules: Iterable<Module>): this {
    const list = [...modules];
    list.forEach((m, i) => checkModule('ModuleList', `modules[${i}]`, m));
    for (const m of list) this.append(m);
    return this;
  }

  /** Inserts `m` before index i (torch's insert), renumbering the ones after it. */
  insert(index: number, m: Module): void {
    checkModule('ModuleList', 'module', m);
    const n = this.length;
    checkInt('ModuleList', 'index', index);
    const at = Math.min(Math.max(index < 0 ? index + n : index, 0), n);
    for (let i = n; i > at; i--) this[i] = this[i - 1];
    this[at] = m;
  }

  forward(): never {
    throw new Error('ModuleList: has no forward; iterate over it and call each module');
  }
}

/** Named modules whose parameters are registered under their keys (torch's ModuleDict). */
export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    this.update(modules);
  }

  /** Adds or replaces modules; a replaced key keeps its place, as in torch. */
  update(modules: Record<string, Module> | Iterable<[string, Module]>): void {
    if (modules === null || typeof modules !== 'object') throw new Error(`ModuleDict: modules must be an object or [key, Module] pairs, got ${describe(modules)}`);
    const entries = Symbol.iterator in modules ? [...(modules as Iterable<[string, Module]>)] : Object.entries(modules);
    entries.forEach((e, i) => { if (!Array.isArray(e) || e.length !== 2) throw new Error(`ModuleDict: entry ${i} must be a [key, Module] pair, got ${describe(e)}`); });
    addNamed('ModuleDict', this, entries);
  }

  get(key: string): Module | undefined {
    return this.has(key) ? (this as unknown as Record<string, Module>)[key] : undefined;
  }

  set(key: string, m: Module): void {
    addNamed('ModuleDict', this, [[key, m]]);
  }

  has(key: string): boolean {
    return moduleKeys(this).includes(key);
  }

  /** Removes and returns the module under `key` (torch's pop); it is not disposed. */
  pop(key: string): Module {
    const m = this.get(key);
    if (!m) throw new Error(`ModuleDict: no module named ${describe(key)}`);
    delete (this as unknown as Record<string, Module>)[key];
    return m;
  }

  keys(): string[] { return moduleKeys(this); }
  values(): Module[] { return this.keys().map((k) => (this as unknown as Record<string, Module>)[k]); }
  items(): Array<[string, Module]> { return this.keys().map((k) => [k, (this as unknown as Record<string, Module>)[k]]); }
  get length(): number { return this.keys().length; }

  forward(): never {
    throw new Error('ModuleDict: has no forward; get a module by key and call it');
  }
}

/** Returns its input (torch's Identity ignores its constructor arguments, and so does this). */
export class Identity extends Module {
  constructor(..._args: unknown[]) { super(); }
  forward(input: Tensor): Tensor {
    checkTensor('Identity', input);
    return input;
  }
}

/** Flattens dims startDim..endDim into one (defaults 1 and -1: keeps the batch dim, as torch). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
    checkInt('Flatten', 'startDim', startDim);
    checkInt('Flatten', 'endDim', endDim);
  }

  forward(input: Tensor): Tensor {
    checkTensor('Flatten', input);
    return named('Flatten', () => flatten(input, this.startDim, this.endDim));
  }
}

/** Splits dim `dim` into `unflattenedSize` (one entry may be -1), as a view. */
export class Unflatten extends Module {
  readonly unflattenedSize: number[];

  constructor(readonly dim: number, unflattenedSize: number[]) {
    super();
    checkInt('Unflatten', 'dim', dim);
    this.unflattenedSize = checkIntList('Unflatten', 'unflattenedSize', unflattenedSize);
    if (this.unflattenedSize.length === 0) throw new Error('Unflatten: unflattenedSize must be non-empty');
  }

  forward(input: Tensor): Tensor {
    checkTensor('Unflatten', input);
    return named('Unflatten', () => unflatten(input, this.dim, this.unflattenedSize));
  }
}

keepNames({ Sequential, ModuleList, ModuleDict, Identity, Flatten, Unflatten });
