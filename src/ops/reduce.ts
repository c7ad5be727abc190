// PLACEHOLDER until the reductions land: every function throws.
import type { Tensor } from '../tensor/tensor.js';
const todo = (n: string): never => { throw new Error(`${n}: not implemented yet`); };
export function sum(t: Tensor, dim?: number | number[], keepdim = false): Tensor { return todo('sum'); }
export function mean(t: Tensor, dim?: number | number[], keepdim = false): Tensor { return todo('mean'); }
export function amax(t: Tensor): Tensor { return todo('amax'); }
export function amin(t: Tensor): Tensor { return todo('amin'); }
export function max(t: Tensor, dim: number, keepdim = false): { values: Tensor; indices: Tensor } { return todo('max'); }
export function min(t: Tensor, dim: number, keepdim = false): { values: Tensor; indices: Tensor } { return todo('min'); }
export function argmax(t: Tensor, dim: number, keepdim = false): Tensor { return todo('argmax'); }
export function softmax(t: Tensor, dim: number): Tensor { return todo('softmax'); }
export function logSoftmax(t: Tensor, dim: number): Tensor { return todo('logSoftmax'); }
export function crossEntropy(logits: Tensor, target: Tensor, opts: { reduction?: 'mean' | 'sum' | 'none' } = {}): Tensor { return todo('crossEntropy'); }
export function topk(t: Tensor, k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } { return todo('topk'); }
