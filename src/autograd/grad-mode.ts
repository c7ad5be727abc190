import { checkSyncFn, refusePromise } from '../tensor/scope.js';

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

function withMode<T>(op: string, mode: boolean, fn: () => T): T {
  const instead = `the mode would end at its first await; call ${op} around each synchronous part instead`;
  checkSyncFn(op, fn, instead);
  const prev = enabled;
  enabled = mode;
  let result: T;
  try {
    result = fn();
  } finally {
    enabled = prev;
  }
  refusePromise(op, result, instead);
  return result;
}

/** Runs fn without recording anything for autograd. */
export function noGrad<T>(fn: () => T): T {
  return withMode('noGrad', false, fn);
}

export function enableGrad<T>(fn: () => T): T {
  return withMode('enableGrad', true, fn);
}
