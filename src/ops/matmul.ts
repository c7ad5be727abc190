// PLACEHOLDER until matmul lands: every function throws.
import type { Tensor } from '../tensor/tensor.js';
const todo = (n: string): never => { throw new Error(`${n}: not implemented yet`); };
export function matmul(a: Tensor, b: Tensor): Tensor { return todo('matmul'); }
export function bmm(a: Tensor, b: Tensor): Tensor { return todo('bmm'); }
