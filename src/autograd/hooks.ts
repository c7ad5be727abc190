// Tensor hooks, after PyTorch's register_hook and retain_grad: functions that see (and may
// replace) the gradient flowing into a tensor during backward, and a .grad kept on non-leaf
// tensors. A non-leaf's hooks live on its graph node, one slot per output (as PyTorch keeps
// them on grad_fn), a leaf's on the leaf itself; a handle holds only the hook list, and the
// node holds a retained tensor only weakly, so nothing here keeps a tensor alive.
import { Tensor, nextTensorId } from '../tensor/tensor.js';
import { keep, tidy, checkSyncFn } from '../tensor/scope.js';
import { describe, fmtShape, shapesEqual } from '../tensor/shape.js';
import { runtime } from '../backend/runtime.js';
import type { GradHook, HookSlot } from './node.js';

export type { GradHook } from './node.js';

/** What registerHook returns: remove() takes the hook off again (a second call does nothing). */
export interface RemovableHandle {
  remove(): void;
}

/** t's hook slot, made on first use: on its node for a non-leaf, on t for a leaf. */
function slotOf(t: Tensor): HookSlot {
  const node = t.gradFn;
  if (!node) return (t.leafHooks ??= { hooks: [], retain: null });
  node.hooks ??= new Map();
  let slot = node.hooks.get(t.outputIndex);
  if (!slot) node.hooks.set(t.outputIndex, (slot = { hooks: [], retain: null }));
  return slot;
}

/** The slot of the tensor whose gradient is output `index` of a node, or null. */
export function nodeSlot(hooks: Map<number, HookSlot> | null, index: number): HookSlot | null {
  return hooks?.get(index) ?? null;
}

export function retainGrad(t: Tensor): void {
  t.assertAlive('retainGrad');
  if (!t.requiresGrad) throw new Error(`retainGrad: can't retain the grad of a tensor that does not require grad (shape ${fmtShape(t.shape)}, ${t.dtype})`);
  // A leaf keeps its .grad anyway: as in PyTorch, nothing to do.
  if (!t.gradFn) return;
  slotOf(t).retain = new WeakRef(t);
}

/** PyTorch's retains_grad: true for a non-leaf after retainGrad(), false for every leaf. */
export function retainsGrad(t: Tensor): boolean {
  return !!t.gradFn && nodeSlot(t.gradFn.hooks, t.outputIndex)?.retain?.deref() === t;
}

export function registerHook(t: Tensor, fn: GradHook): RemovableHandle {
  t.assertAlive('registerHook');
  checkSyncFn('registerHook', fn, 'a hook runs inside backward(), which does not wait for it');
  if (!t.requiresGrad) throw new Error(`registerHook: cannot register a hook on a tensor that doesn't require gradient (shape ${fmtShape(t.shape)}, ${t.dtype})`);
  const list = slotOf(t).hooks;
  // Its own function object, so that registering one function twice gives two handles.
  const entry: GradHook = (g) => fn(g);
  list.push(entry);
  return {
    remove(): void {
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
    },
  };
}

/** What is wrong with `r`, a hook's result standing in for gradient `g`, or null. */
function badReplacement(r: unknown, g: Tensor): string | null {
  if (!(r instanceof Tensor)) return `registerHook: the hook returned ${describe(r)}; return a Tensor to replace the gradient, or nothing to keep it`;
  if (r.disposed) return `registerHook: the hook returned a disposed tensor`;
  if (!shapesEqual(r.shape, g.shape)) return `registerHook: the hook returned a gradient of shape ${fmtShape(r.shape)} for a tensor of shape ${fmtShape(g.shape)}`;
  if (r.dtype !== g.dtype) return `registerHook: the hook returned a ${r.dtype} gradient for a ${g.dtype} tensor`;
  if (r.device !== g.device) return `registerHook: the hook returned a gradient on ${r.device} for a tensor on ${g.device}`;
  return null;
}

/**
 * Runs the hooks of `slot` in registration order on gradient `g` and returns the gradient to
 * use. g is the walk's own: this disposes it when a hook replaces it, and on an error.
 */
export function runHooks(slot: HookSlot | null, g: Tensor): Tensor {
  if (!slot?.hooks.length) return g;
  // A replay of sg.compile would not call JavaScript: the step runs as it is instead.
  const rec = runtime.gpu?.recorder;
  if (rec) rec.refusal ??= 'runs a tensor hook (registerHook), JavaScript a replay would not call';
  for (const hook of [...slot.hooks]) { // a copy: a hook may remove itself
    const mark = nextTensorId();
    let r: unknown;
    try {
      // As Function.backward: tensors the hook makes and does not return are freed.
      r = tidy(() => hook(g));
      if (r === undefined || r === null) {
        if (g.disposed) throw new Error('registerHook: the hook disposed the gradient it was given; return a new tensor instead');
        continue;
      }
      const bad = badReplacement(r, g);
      if (bad) throw new Error(bad);
    } catch (e) {
      if (r instanceof Tensor && r !== g && r.id >= mark) r.dispose();
      g.dispose();
      throw e;
    }
    const t = r as Tensor;
    // A tensor the hook made is backward's from now on; one from outside (g itself, a
    // tensor the caller holds) is used through an alias and left to its owner.
    const next = t.id >= mark ? keep(t) : keep(t.alias());
    g.dispose();
    g = next;
  }
  return g;
}

/** Adds gradient `g` (not taken) into the .grad of the tensor `slot` retains, if it lives,
 * out of place as PyTorch's retain_grad does; the first one is a dense copy. */
export function retainInto(slot: HookSlot | null, g: Tensor): void {
  const t = slot?.retain?.deref();
  if (!t || t.disposed) return;
  const old = t.grad;
  t.setGrad(keep(old && !old.disposed ? old.add(g) : g.clone()));
}
