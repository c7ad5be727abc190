// A node of the autograd graph: one application of a Function. It is reference counted by
// the tensors it produced and by the nodes that consumed them, so a graph nobody can reach
// any more gives its saved tensors back at once instead of waiting for the GC.
import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import type { Ctx, Function } from './function.js';

export interface Edge {
  node: Node | null; // the producer of this input, or null for a leaf
  index: number; // which output of that producer
  leaf: Tensor | null; // the leaf tensor whose .grad receives the gradient
}

/** A gradient hook (Tensor.registerHook): sees the gradient, may return one to use instead. */
export type GradHook = (grad: Tensor) => Tensor | void | undefined | null;

/** The hooks of one tensor, and for a non-leaf the tensor whose .grad keeps its gradient
 * (retainGrad), held weakly so that the graph never keeps a tensor alive. */
export interface HookSlot {
  hooks: GradHook[];
  retain: WeakRef<Tensor> | null;
}

export interface Meta {
  shape: readonly number[];
  dtype: DType;
}

export class Node {
  refs = 0;
  /** The hooks of this node's output tensors, by output index (hooks.ts). */
  hooks: Map<number, HookSlot> | null = null;
  constructor(
    readonly fn: typeof Function,
    public ctx: Ctx | null,
    readonly next: ReadonlyArray<Edge | null>,
    readonly inputs: ReadonlyArray<Meta | null>,
    readonly outputs: ReadonlyArray<Meta>,
  ) {}

  get name(): string {
    return this.fn.name;
  }

  unref(): void {
    if (--this.refs <= 0) this.release();
  }

  /** Frees this node and every producer only it kept alive; iterative, since a long chain
   * of ops (a training unroll) would overflow the stack if released recursively. */
  release(): void {
    const stack: Node[] = [this];
    while (stack.length) {
      const node = stack.pop()!;
      if (node.ctx) {
        node.ctx.free();
        node.ctx = null;
      }
      node.hooks = null;
      for (const e of node.next) if (e?.node && --e.node.refs <= 0) stack.push(e.node);
      (node.next as Array<Edge | null>).length = 0;
    }
  }
}
