// The Function API, after PyTorch's torch.autograd.Function:
//
//   class Square extends sg.Function {
//     static forward(ctx, x) { ctx.saveForBackward(x); return x.mul(x); }
//     static backward(ctx, dy) { const [x] = ctx.savedTensors; return [dy.mul(x).mul(2)]; }
//   }
//   const y = Square.apply(x);
//
// forward runs with grad recording off; every tensor it makes and does not return is
// disposed. backward returns one gradient (or null) per forward argument.
import { Tensor } from '../tensor/tensor.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { isFloat } from '../tensor/dtype.js';
import { keep, tidy } from '../tensor/scope.js';
import { isGradEnabled, noGrad } from './grad-mode.js';
import { Node, type Edge } from './node.js';

export class Ctx {
  /** One flag per forward argument: does that argument need a gradient? */
  needsInputGrad: boolean[] = [];
  private saved: Array<Tensor | null> | null = [];
  /** The storage version of each saved tensor when it was saved. */
  private savedVersions: number[] = [];
  private freed = false;
  readonly nonDifferentiable = new Set<Tensor>();
  /** Whether backward sees zeros (true, the default) or null for outputs that got no
   * gradient, as PyTorch's ctx.set_materialize_grads. */
  materializeGrads = true;
  // Functions stash non-tensor values on ctx (ctx.k = 2), as in PyTorch.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [extra: string]: any;

  /** Keeps tensors for backward. They are held by reference (no copy) and stay valid even
   * if the caller disposes the originals. */
  saveForBackward(...tensors: Array<Tensor | null | undefined>): void {
    tensors.forEach((t, i) => {
      if (t !== null && t !== undefined && !(t instanceof Tensor)) throw new Error(`saveForBackward: argument ${i} must be a Tensor or null, got ${describe(t)}; keep other values on ctx (ctx.k = 2)`);
      if (t) t.assertAlive('saveForBackward');
    });
    this.releaseSaved();
    // keep(): forward runs inside a tidy scope that must not dispose these.
    this.saved = tensors.map((t) => (t ? keep(t.alias()) : null));
    this.savedVersions = this.saved.map((t) => t?.storage.version ?? 0);
  }

  /**
   * Throws if a saved tensor was modified in place after it was saved: backward would
   * otherwise compute with the new values and give a wrong gradient without a word.
   * `fn` names the Function in the message.
   */
  checkSavedVersions(fn: string): void {
    if (!this.saved) return;
    this.saved.forEach((t, i) => {
      if (!t || t.storage.version === this.savedVersions[i]) return;
      throw new Error(`backward: one of the variables needed for gradient computation has been modified by an inplace operation: ` +
        `the ${t.dtype} tensor of shape ${fmtShape(t.shape)} saved by ${fn} (saved tensor ${i}) is at version ${t.storage.version}; ` +
        `expected version ${this.savedVersions[i]} instead. Run the in-place update (or the optimizer step) after backward(), or clone() the tensor before modifying it`);
    });
  }

  get savedTensors(): Tensor[] {
    if (this.freed || !this.saved) {
      throw new Error('backward: the saved tensors of this graph were already freed by an earlier backward(); pass { retainGraph: true } to the first call to backward twice');
    }
    return this.saved as Tensor[];
  }

  markNonDifferentiable(...tensors: Tensor[]): void {
    for (const t of tensors) this.nonDifferentiable.add(t);
  }

  private releaseSaved(): void {
    if (this.saved) for (const t of this.saved) t?.dispose();
    this.saved = null;
  }

  /** Drops the saved tensors; called by the engine after backward unless retainGraph. */
  free(): void {
    this.releaseSaved();
    this.freed = true;
  }

  get isFreed(): boolean {
    return this.freed;
  }
}

type Grads = Tensor | null | undefined | Array<Tensor | null | undefined>;

export class Function {
  // Subclasses override these two; the signatures are loose because each op has its own.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  static forward(ctx: Ctx, ...args: any[]): Tensor | Tensor[] {
    throw new Error(`${this.name}.forward is not implemented`);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  static backward(ctx: Ctx, ...gradOutputs: any[]): Grads {
    throw new Error(`${this.name}.backward is not implemented`);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  static apply(...args: any[]): any {
    const fn = this as typeof Function;
    const ctx = new Ctx();
    ctx.needsInputGrad = args.map((a) => a instanceof Tensor && a.requiresGrad);
    const record = isGradEnabled() && ctx.needsInputGrad.some(Boolean);
    const inputs = new Set(args.filter((a): a is Tensor => a instanceof Tensor));
    const raw = tidy(() => noGrad(() => fn.forward(ctx, ...args)));
    const isTuple = Array.isArray(raw);
    // An output must be a tensor object of its own: if forward handed back an input,
    // wrap it so that autograd metadata never lands on the caller's tensor.
    const outs = (isTuple ? raw : [raw]).map((o) => {
      if (!(o instanceof Tensor)) throw new Error(`${fn.name}.forward must return a Tensor or an array of Tensors`);
      return inputs.has(o) ? o.alias() : o;
    });
    if (!record) {
      ctx.free();
      return isTuple ? outs : outs[0];
    }
    const next: Array<Edge | null> = args.map((a, i) => {
      if (!(a instanceof Tensor) || !ctx.needsInputGrad[i]) return null;
      if (a.gradFn) {
        a.gradFn.refs++;
        return { node: a.gradFn, index: a.outputIndex, leaf: null };
      }
      return { node: null, index: 0, leaf: a };
    });
    const inputMeta = args.map((a) => (a instanceof Tensor ? { shape: a.shape, dtype: a.dtype } : null));
    const node = new Node(fn, ctx, next, inputMeta, outs.map((o) => ({ shape: o.shape, dtype: o.dtype })));
    outs.forEach((o, i) => {
      if (ctx.nonDifferentiable.has(o) || !isFloat(o.dtype)) return;
      o.gradFn = node;
      o.requiresGrad = true;
      o.outputIndex = i;
      node.refs++;
    });
    if (node.refs === 0) node.release();
    return isTuple ? outs : outs[0];
  }
}
