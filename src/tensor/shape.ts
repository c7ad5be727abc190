// Pure functions on shapes and strides. Strides and offsets are in elements.
export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i];
  }
  return true;
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Calls f(storageOffset, flatIndex) for every element in row-major order. */
export function forEachOffset(shape: readonly number[], strides: readonly number[], offset: number, f: (off: number, i: number) => void): void {
  const n = numel(shape);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let off = offset;
  for (let i = 0; i < n; i++) {
    f(off, i);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/** Normalizes a possibly negative dim; `extra` allows the one-past-the-end dim of unsqueeze. */
export function normDim(op: string, dim: number, ndim: number, extra = 0): number {
  const n = ndim + extra;
  if (typeof dim !== 'number' || !Number.isInteger(dim)) throw new Error(`${op}: dim ${describe(dim)} is not an integer`);
  if (dim < -Math.max(n, 1) || dim >= Math.max(n, 1)) {
    throw new Error(`${op}: dim ${dim} is out of range for a tensor of ${ndim} dims (expected ${-Math.max(n, 1)} to ${Math.max(n, 1) - 1})`);
  }
  return dim < 0 ? dim + n : dim;
}

export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read a tensor of `shape`/`strides` as if expanded to `target` (stride 0 on broadcast dims). */
export function broadcastStrides(shape: Shape, strides: readonly number[], target: Shape): number[] {
  const out = new Array<number>(target.length).fill(0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 && target[off + i] !== 1 ? 0 : strides[i];
  return out;
}

/** Resolves one -1 in a view/reshape target. */
export function inferShape(op: string, from: Shape, to: readonly number[]): number[] {
  const n = numel(from);
  let infer = -1;
  let known = 1;
  to.forEach((s, i) => {
    if (s === -1) {
      if (infer >= 0) throw new Error(`${op}: only one dimension can be -1, got ${fmtShape(to)}`);
      infer = i;
    } else if (!Number.isInteger(s) || s < 0) {
      throw new Error(`${op}: invalid size ${s} in shape ${fmtShape(to)}`);
    } else known *= s;
  });
  const out = [...to];
  if (infer >= 0) {
    if (known === 0 || n % known !== 0) throw new Error(`${op}: shape ${fmtShape(to)} is invalid for input of size ${n} (shape ${fmtShape(from)})`);
    out[infer] = n / known;
  } else if (known !== n) {
    throw new Error(`${op}: shape ${fmtShape(to)} is invalid for input of size ${n} (shape ${fmtShape(from)})`);
  }
  return out;
}

/**
 * Strides for viewing (shape, strides) as `to` without a copy, or null when the layout
 * does not allow it. PyTorch's rule: walk the old dims from the back in chunks that are
 * contiguous within themselves; each chunk must map onto a run of new dims.
 */
export function viewStrides(shape: Shape, strides: readonly number[], to: Shape): number[] | null {
  if (numel(shape) === 0 || shape.length === 0) return contiguousStrides(to);
  const out = new Array<number>(to.length);
  let viewD = to.length - 1;
  let chunkBase = strides[strides.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || to[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= to[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? out : null;
}

/** `view(2, 3)` or `view([2, 3])`: the sizes as one array; `op` names the caller in errors. */
export function parseShapeArgs(op: string, args: readonly unknown[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...args[0]];
  return args.map((a) => {
    if (typeof a !== 'number') throw new Error(`${op}: sizes must be numbers or one array of numbers, got ${describe(args)}`);
    return a;
  });
}

/** A short, safe rendering of any argument for an error message. */
export function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n (a BigInt)`;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'function') return `a function`;
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return v.length > 8 ? `[${v.slice(0, 8).map(describe).join(', ')}, ...] (${v.length} items)` : `[${v.map(describe).join(', ')}]`;
  if (typeof v === 'boolean' || typeof v === 'symbol') return String(v);
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  // A Tensor (duck-typed: this module imports nothing), named by what it holds.
  const t = v as { shape?: unknown; dtype?: unknown; device?: unknown };
  if (Array.isArray(t.shape) && typeof t.dtype === 'string' && typeof t.device === 'string') return `a ${t.dtype} Tensor of shape [${t.shape.join(', ')}] on ${t.device}`;
  const name = (v as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/**
 * An options argument: undefined (no options) or a plain object whose every key is one of
 * `keys`. A typo'd key would otherwise be ignored without a word. Values are the caller's
 * to check.
 */
export function checkOptions(op: string, opts: unknown, keys: readonly string[]): Record<string, unknown> {
  if (opts === undefined) return {};
  const proto = opts !== null && typeof opts === 'object' ? Object.getPrototypeOf(opts) : undefined;
  if (proto !== Object.prototype && proto !== null) throw new Error(`${op}: options must be a plain object, got ${describe(opts)}`);
  for (const k of Object.keys(opts as object)) {
    if (!keys.includes(k)) throw new Error(`${op}: unknown option '${k}'; expected ${keys.join(', ')}`);
  }
  return opts as Record<string, unknown>;
}

/** The most dims a tensor may have (PyTorch's limit too). */
export const MAX_NDIM = 64;

/**
 * Checks that `shape` is an array of sizes (integers >= 0) whose product is a safe integer,
 * and returns a copy; `arg` names it in the error.
 */
export function checkShape(op: string, shape: unknown, arg = 'shape'): number[] {
  if (!Array.isArray(shape)) throw new Error(`${op}: ${arg} must be an array of sizes, got ${describe(shape)}`);
  if (shape.length > MAX_NDIM) throw new Error(`${op}: ${arg} has ${shape.length} dims; at most ${MAX_NDIM} are supported`);
  let n = 1;
  for (const s of shape) {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0) {
      throw new Error(`${op}: ${arg} ${describe(shape)} is invalid; every size must be an integer >= 0, got ${describe(s)}`);
    }
    n *= s;
  }
  if (!Number.isSafeInteger(n)) throw new Error(`${op}: ${arg} ${describe(shape)} has ${n} elements, too many to address`);
  return [...shape];
}
