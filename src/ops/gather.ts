// PLACEHOLDER until indexing lands: every function throws.
import type { Tensor } from '../tensor/tensor.js';
const todo = (n: string): never => { throw new Error(`${n}: not implemented yet`); };
export function gather(t: Tensor, dim: number, index: Tensor): Tensor { return todo('gather'); }
export function indexSelect(t: Tensor, dim: number, index: Tensor): Tensor { return todo('indexSelect'); }
export function indexAdd(t: Tensor, dim: number, index: Tensor, source: Tensor, alpha = 1): Tensor { return todo('indexAdd'); }
export function cat(tensors: Tensor[], dim = 0): Tensor { return todo('cat'); }
export function stack(tensors: Tensor[], dim = 0): Tensor { return todo('stack'); }
