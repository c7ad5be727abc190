// tidy(): every tensor made while fn runs is disposed when it returns, except the ones it
// returns (which move to the enclosing scope) and the ones passed to keep().
import type { Tensor } from './tensor.js';

const scopes: Array<Set<Tensor>> = [];

export function track(t: Tensor): void {
  scopes[scopes.length - 1]?.add(t);
}

/** Takes a tensor out of every tidy scope, so no tidy() disposes it. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

export type Tidyable = Tensor | Tidyable[] | { [k: string]: unknown } | number | string | boolean | null | undefined | void;

function collect(v: unknown, into: Set<Tensor>, isTensor: (x: unknown) => x is Tensor, depth = 0): void {
  if (depth > 8 || v === null || typeof v !== 'object') return;
  if (isTensor(v)) { into.add(v); return; }
  if (Array.isArray(v)) { for (const x of v) collect(x, into, isTensor, depth + 1); return; }
  if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, into, isTensor, depth + 1);
}

let isTensorFn: (x: unknown) => x is Tensor = (x: unknown): x is Tensor => false;
export function setTensorCheck(f: (x: unknown) => x is Tensor): void {
  isTensorFn = f;
}

export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new Error(`tidy: expected a function, got ${typeof fn}`);
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) throw new Error('tidy: fn must be synchronous (it returned a Promise); await outside tidy');
  const kept = new Set<Tensor>();
  collect(result, kept, isTensorFn);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of kept) if (scope.has(t)) parent.add(t);
  return result;
}
