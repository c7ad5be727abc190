// backward(): one topological sort from the root, one walk in reverse. Each node's incoming
// gradients are summed before its Function.backward runs; gradients reaching leaves are
// added into leaf.grad. Every temporary the walk makes is disposed as it goes. Tensor hooks
// (hooks.ts) see each tensor's summed gradient first, as PyTorch's do.
import type { Tensor } from '../tensor/tensor.js';
import { tidy, keep } from '../tensor/scope.js';
import { checkOptions, describe, fmtShape, shapesEqual } from '../tensor/shape.js';
import { isTensor } from '../tensor/scope.js';
import { noGrad } from './grad-mode.js';
import type { Node } from './node.js';
import { nodeSlot, retainInto, runHooks } from './hooks.js';

import { gpuBytes, isFloat } from '../tensor/dtype.js';

/** True when t is exactly its whole storage, in row-major order. */
function ownsDenseStorage(t: Tensor): boolean {
  if (!t.isContiguous() || t.offset !== 0) return false;
  return t.device === 'cpu' ? t.data.length === t.numel : t.storage.bytes === Math.max(4, t.numel * gpuBytes(t.dtype));
}

export interface BackwardOptions {
  retainGraph?: boolean;
}

function topoOrder(root: Node): Node[] {
  // Iterative DFS post-order: deep graphs (long training unrolls) must not hit the JS stack limit.
  const order: Node[] = [];
  const seen = new Set<Node>([root]);
  const stack: Array<[Node, number]> = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.next.length) {
      top[1]++;
      const child = node.next[i]?.node;
      if (child && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(node);
      stack.pop();
    }
  }
  return order.reverse(); // root first
}

function accumulate(into: Tensor | null, g: Tensor): Tensor {
  if (!into) return g;
  const sum = into.add(g);
  into.dispose();
  g.dispose();
  return sum;
}

function addToLeaf(leaf: Tensor, g: Tensor): void {
  if (leaf.disposed) { g.dispose(); return; }
  // Like PyTorch's AccumulateGrad, .grad is always a dense tensor of its own: a view
  // (the gradient of a transpose, say) would keep a bigger buffer alive and confuse
  // anyone who reads .grad's storage.
  if (!ownsDenseStorage(g)) {
    const dense = g.clone(); // the walk runs in noGrad: a plain copy
    g.dispose();
    g = keep(dense);
  }
  const old = leaf.grad;
  // A .grad from an earlier backward is summed into in place, as PyTorch's AccumulateGrad
  // does: it keeps its memory from one backward to the next, so accumulating steps do the
  // same work each time (what sg.compile needs to replay them). One set during this walk may
  // be a gradient other edges still hold (an Add passes its dy to both inputs): it is
  // summed out of place.
  if (old && old !== g && !setThisWalk.has(old) && old.dtype === g.dtype && ownsDenseStorage(old) && old.storage.refs === 1) {
    old.add_(g);
    g.dispose();
    return;
  }
  // accumulate() disposes the old .grad (the leaf's own object, never a caller's tensor).
  const grad = old ? accumulate(old, g) : g;
  setThisWalk.add(grad);
  leaf.setGrad(keep(grad));
}

// The .grad tensors set by the backward walk under way (see addToLeaf).
let setThisWalk = new Set<Tensor>();

/** What is wrong with the gradients `node`'s backward returned, or null. */
function checkGradients(node: Node, result: unknown[], device: string): string | null {
  const fn = `${node.name}.backward`;
  // As in PyTorch, extra trailing nulls are fine; a missing or an extra gradient is not.
  const n = node.next.length;
  if (result.length < n || result.slice(n).some((g) => g !== null && g !== undefined)) {
    return `backward: ${fn} returned ${result.length} gradients but forward took ${n} arguments (one gradient or null each)`;
  }
  for (let i = 0; i < node.next.length; i++) {
    const g = result[i];
    if (g === null || g === undefined) continue;
    if (!node.inputs[i]) return `backward: ${fn} returned ${describe(g)} for argument ${i}, which is not a tensor; return null there`;
    if (!isTensor(g)) return `backward: ${fn} returned ${describe(g)} for argument ${i}; expected a Tensor or null`;
    if (!node.next[i]) continue;
    if (g.device !== device) return `backward: ${fn} returned a gradient on ${g.device} for argument ${i}, whose graph is on ${device}`;
    if (g.disposed) return `backward: ${fn} returned a disposed tensor for argument ${i}`;
    const meta = node.inputs[i]!;
    if (!shapesEqual(g.shape, meta.shape)) return `backward: ${fn} returned a gradient of shape ${fmtShape(g.shape)} for argument ${i} of shape ${fmtShape(meta.shape)}`;
    if (!isFloat(g.dtype)) return `backward: ${fn} returned an ${g.dtype} gradient for argument ${i} (${meta.dtype}); gradients are floating point`;
  }
  return null;
}

export function runBackward(root: Tensor, grad: Tensor | undefined | null, opts: BackwardOptions = {}): void {
  root.assertAlive('backward');
  opts = checkOptions('backward', opts, ['retainGraph']);
  if (opts.retainGraph !== undefined && typeof opts.retainGraph !== 'boolean') throw new Error(`backward: retainGraph must be a boolean, got ${describe(opts.retainGraph)}`);
  if (grad === null) grad = undefined;
  if (grad !== undefined && !isTensor(grad)) throw new Error(`backward: gradient must be a Tensor, got ${describe(grad)}`);
  if (!root.requiresGrad) {
    throw new Error('backward: this tensor does not require grad and has no grad_fn (did you forget requiresGrad: true on a leaf, or call it inside noGrad?)');
  }
  let seed: Tensor;
  if (grad === undefined) {
    if (root.numel !== 1) {
      throw new Error(`backward: grad can be implicitly created only for scalar outputs; this tensor has shape ${fmtShape(root.shape)}, pass a gradient of that shape`);
    }
    seed = root.onesLike();
  } else {
    grad.assertAlive('backward');
    if (!shapesEqual(grad.shape, root.shape)) {
      throw new Error(`backward: grad has shape ${fmtShape(grad.shape)} but the tensor has shape ${fmtShape(root.shape)}`);
    }
    if (grad.device !== root.device) throw new Error(`backward: grad is on ${grad.device} but the tensor is on ${root.device}`);
    if (!isFloat(grad.dtype)) throw new Error(`backward: gradient has dtype ${grad.dtype} but the tensor is ${root.dtype}; gradients are floating point`);
    // Another float dtype is cast to the tensor's, as PyTorch's validate_outputs does.
    seed = grad.dtype === root.dtype ? grad.alias() : noGrad(() => grad.cast(root.dtype));
  }
  keep(seed);
  const outer = setThisWalk;
  setThisWalk = new Set();
  try {
    noGrad(() => runWalk(root, seed, opts));
  } finally {
    setThisWalk = outer;
  }
}

function runWalk(root: Tensor, seed: Tensor, opts: BackwardOptions): void {
  if (!root.gradFn) { addToLeaf(root, runHooks(root.leafHooks, seed)); return; }
  const rootNode = root.gradFn;
  const order = topoOrder(rootNode);
  // Every saved tensor is checked before any gradient is computed, so a stale graph leaves
  // every .grad as it was.
  try {
    for (const node of order) node.ctx?.checkSavedVersions(node.name);
  } catch (e) {
    seed.dispose();
    throw e;
  }
  const pending = new Map<Node, Array<Tensor | null>>();
  pending.set(rootNode, rootNode.outputs.map((_, i) => (i === root.outputIndex ? seed : null)));
  // Gradients of leaves with hooks are summed here first, so each hook runs once per backward.
  const hooked = new Map<Tensor, Tensor>();
  try {
    walk(order, pending, hooked, root, opts);
    for (const [leaf, g] of hooked) {
      hooked.delete(leaf);
      addToLeaf(leaf, runHooks(leaf.leafHooks, g));
    }
  } finally {
    // Gradients still waiting for a node (all of them after an error) are let go.
    for (const slots of pending.values()) for (const g of slots) g?.dispose();
    for (const g of hooked.values()) g.dispose();
  }
}

/** Runs the hooks of a node's output tensors on their summed gradients (replacing them in
 * `gouts`), then keeps the result in the .grad of those that retain it. */
function hookOutputs(node: Node, gouts: Array<Tensor | null>): void {
  if (!node.hooks) return;
  gouts.forEach((g, i) => {
    const slot = nodeSlot(node.hooks, i);
    if (!g || !slot) return;
    gouts[i] = null; // runHooks owns g now (it disposes it on an error)
    gouts[i] = runHooks(slot, g);
    retainInto(slot, gouts[i]!);
  });
}

/** Runs each node's backward in topological order, passing gradients along the edges. */
function walk(order: Node[], pending: Map<Node, Array<Tensor | null>>, hooked: Map<Tensor, Tensor>, root: Tensor, opts: BackwardOptions): void {
  for (const node of order) {
    const gouts = pending.get(node);
    pending.delete(node);
    if (!gouts) continue;
    const ctx = node.ctx;
    if (!ctx || ctx.isFreed) {
      for (const g of gouts) g?.dispose();
      throw new Error(`backward: the graph through ${node.name} was already freed by an earlier backward(); pass { retainGraph: true } to the first call to backward twice`);
    }
    try {
      hookOutputs(node, gouts);
    } catch (e) {
      for (const g of gouts) g?.dispose();
      throw e;
    }
    // Missing gradients of float outputs become zeros, as PyTorch's materialize_grads does.
    const args = gouts.map((g, i) => g ?? (!isFloat(node.outputs[i].dtype) || !ctx.materializeGrads ? null : keep(root.zerosOf(node.outputs[i].shape, node.outputs[i].dtype))));
    let result: Array<Tensor | null>;
    try {
      result = tidy(() => {
        const r = node.fn.backward(ctx, ...args);
        return (Array.isArray(r) ? r : [r]).map((t) => t ?? null);
      });
    } catch (e) {
      for (const g of args) g?.dispose();
      throw e;
    }
    const bad = checkGradients(node, result, root.device);
    if (bad) {
      for (const t of result) if (isTensor(t)) t.dispose();
      for (const g of args) g?.dispose();
      throw new Error(bad);
    }
    node.next.forEach((edge, i) => {
      let g = result[i];
      if (!edge || !g) return;
      // As PyTorch's validate_outputs: a float gradient of another float dtype is cast to the input's.
      const want = node.inputs[i]!.dtype;
      if (g.dtype !== want) g = keep(g.cast(want));
      // An alias per edge: the same tensor may be returned for several inputs.
      const own = keep(g.alias());
      if (g !== result[i]) g.dispose();
      if (edge.leaf?.leafHooks?.hooks.length) hooked.set(edge.leaf, accumulate(hooked.get(edge.leaf) ?? null, own));
      else if (edge.leaf) addToLeaf(edge.leaf, own);
      else if (edge.node) {
        const slots = pending.get(edge.node) ?? edge.node.outputs.map(() => null);
        slots[edge.index] = accumulate(slots[edge.index], own);
        pending.set(edge.node, slots);
      }
    });
    for (const t of result) if (isTensor(t)) t.dispose();
    for (const g of args) g?.dispose();
    if (!opts.retainGraph) ctx.free();
  }
}
