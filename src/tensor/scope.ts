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

/** x instanceof Tensor, for modules that cannot import the Tensor class without a cycle. */
export function isTensor(x: unknown): x is Tensor {
  return isTensorFn(x);
}

/**
 * Refuses an async function before it runs (as TF.js's tidy does): a scope or a grad mode
 * would end at its first `await` while the rest of it went on outside, freeing tensors it
 * still uses or recording a graph it was told not to.
 */
export function checkSyncFn(op: string, fn: unknown, instead: string): void {
  if (typeof fn !== 'function') throw new Error(`${op}: expected a function, got ${fn === null ? 'null' : typeof fn}`);
  if (Object.prototype.toString.call(fn) === '[object AsyncFunction]' || Object.prototype.toString.call(fn) === '[object AsyncGeneratorFunction]') {
    throw new Error(`${op}: fn must be synchronous, got an async function; ${instead}`);
  }
}

/** After a synchronous fn returned a Promise anyway: keep its rejection from ending the process, then refuse. */
export function refusePromise(op: string, result: unknown, instead: string): void {
  if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<unknown>).then !== 'function') return;
  (result as Promise<unknown>).then(undefined, () => {});
  throw new Error(`${op}: fn must be synchronous (it returned a Promise); ${instead}`);
}

const TIDY_INSTEAD = 'await outside tidy, and wrap each synchronous part in its own tidy(() => ...)';

export function tidy<T>(fn: () => T): T {
  checkSyncFn('tidy', fn, TIDY_INSTEAD);
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
  try {
    refusePromise('tidy', result, TIDY_INSTEAD);
  } catch (e) {
    // The tensors made before its first await stay alive: the promise may still use them.
    for (const t of scope) scopes[scopes.length - 1]?.add(t);
    throw e;
  }
  const kept = new Set<Tensor>();
  collect(result, kept, isTensorFn);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of kept) if (scope.has(t)) parent.add(t);
  return result;
}
