// The optimizer base: one parameter group, per-parameter state (a step count and state
// tensors such as AdamW's moments), zeroGrad, and PyTorch-shaped stateDict/loadStateDict.
// Subclasses supply update(): one fused update per parameter that has a gradient, which on
// WebGPU FusedBatch packs with the others into a few dispatches.
import { Tensor } from '../tensor/tensor.js';
import { describe, fmtShape, shapesEqual } from '../tensor/shape.js';
import { copyInto } from '../ops/elementwise.js';
import { programChanged } from '../tensor/epoch.js';
import { checkParams, denseGrad, FusedBatch, isStateBlock, stateBlock, stateLike } from './fused.js';

export interface ParamState {
  /** Updates applied to this parameter (parameters without a gradient are skipped). */
  step: number;
  tensors: Record<string, Tensor>;
}

/** Like PyTorch's: `state` keyed by parameter index, one entry in `paramGroups`. */
export interface OptimizerStateDict {
  state: Record<number, { step: number } & Record<string, Tensor | number>>;
  paramGroups: Array<Record<string, number | boolean | number[]>>;
}

export abstract class Optimizer {
  readonly params: Tensor[];
  private lr_ = 0;
  protected readonly state: Array<ParamState | null>;

  constructor(protected readonly name: string, params: readonly Tensor[], lr: number) {
    this.params = checkParams(name, params);
    this.lr = lr;
    this.state = this.params.map(() => null);
  }

  /** The learning rate of the next step(); schedules set it. */
  get lr(): number { return this.lr_; }
  set lr(v: number) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${this.name}: lr must be a finite number >= 0, got ${describe(v)}`);
    this.lr_ = v;
  }

  /** `v`, noting a change from `old`: a hyperparameter that picks the kernel, its flags or
   * the state kept, which a compiled step (sg.compile) recorded, so it must record again. */
  protected structural<T>(old: T, v: T): T {
    if (old !== v) programChanged();
    return v;
  }

  /** Updates every parameter that has a gradient; queues GPU work, never reads back. */
  step(): void {
    const op = `${this.name}.step`;
    const work: Array<{ i: number; p: Tensor; g: Tensor }> = [];
    try {
      // Check every gradient before updating anything, so a bad one leaves all parameters as they were.
      this.params.forEach((p, i) => {
        if (p.grad === null) return;
        p.assertAlive(op);
        work.push({ i, p, g: denseGrad(op, p, i) });
      });
      const batch = new FusedBatch();
      const states = work.map(({ i }) => (this.state[i] ??= { step: 0, tensors: {} }));
      // The step counts, which a replayed step (sg.compile) advances too.
      const advance = (): void => { for (const st of states) st.step++; };
      advance();
      work.forEach(({ p, g }, j) => this.update(p, g, states[j], batch));
      batch.run(advance);
      // The parameters changed in place: a graph that saved one must not backward through it.
      for (const { p } of work) p.storage.version++;
    } finally {
      for (const { p, g } of work) if (g !== p.grad) g.dispose();
    }
  }

  /** One update of `p` with gradient `g` (contiguous); `st.step` is already advanced. On
   * the CPU it runs now; on WebGPU it is added to `batch`, which step() runs after the loop. */
  protected abstract update(p: Tensor, g: Tensor, st: ParamState, batch: FusedBatch): void;

  /** The hyperparameters of the group, as stateDict's paramGroups[0] holds them. */
  protected abstract hyper(): Record<string, number | boolean | number[]>;
  protected abstract setHyper(h: Record<string, number | boolean | number[]>): void;

  /** The names of the state tensors update() keeps per parameter, in the fused kernel's order. */
  protected abstract stateNames(): string[];

  /**
   * The state tensors of `p` (stateNames() order), made on first use, filled with `init`
   * (Adagrad's initialAccumulatorValue; else 0). On WebGPU
   * they are views of one allocation (stateBlock), which the fused kernel binds once; state
   * that is not laid out so (set under a name the optimizer did not use when it was loaded)
   * is moved into a block, values and all.
   */
  protected stateTensors(p: Tensor, st: ParamState, init = 0): Tensor[] {
    const names = this.stateNames();
    if (p.device === 'cpu') return names.map((n) => (st.tensors[n] ??= stateLike(p, init)));
    const have = names.map((n) => st.tensors[n]);
    if (isStateBlock(p, have)) return have;
    const block = stateBlock(p, names.length, init);
    names.forEach((n, s) => {
      const old = st.tensors[n];
      if (old) {
        copyInto(block[s], old);
        old.dispose();
      }
      st.tensors[n] = block[s];
    });
    return block;
  }

  /** Disposes every parameter's gradient and sets it to null (PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** The state tensors are the optimizer's own (not copies): clone them to keep a snapshot. */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    this.state.forEach((st, i) => { if (st) state[i] = { step: st.step, ...st.tensors }; });
    return { state, paramGroups: [{ ...this.hyper(), params: this.params.map((_, i) => i) }] };
  }

  /** Copies state (values, not tensor objects) and hyperparameters from `sd` into this optimizer. */
  loadStateDict(sd: OptimizerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    if (!sd || typeof sd !== 'object' || !sd.state || !Array.isArray(sd.paramGroups) || sd.paramGroups.length !== 1) {
      throw new Error(`${op}: expected { state, paramGroups } with one parameter group`);
    }
    const ids = sd.paramGroups[0].params;
    if (Array.isArray(ids) && ids.length !== this.params.length) {
      throw new Error(`${op}: the state dict has ${ids.length} parameters but this optimizer has ${this.params.length}`);
    }
    // Check everything before changing anything, so a bad dict leaves the optimizer as it was.
    for (const [k, entry] of Object.entries(sd.state)) {
      const i = Number(k);
      const p = this.params[i];
      if (!Number.isInteger(i) || !p) throw new Error(`${op}: state for parameter ${k}, which does not exist`);
      if (!Number.isInteger(entry.step) || entry.step < 0) throw new Error(`${op}: parameter ${i} has an invalid step ${entry.step}`);
      for (const [name, t] of Object.entries(entry)) {
        if (name === 'step') continue;
        if (!(t instanceof Tensor)) throw new Error(`${op}: parameter ${i} state '${name}' is not a Tensor`);
        t.assertAlive(op);
        if (!shapesEqual(t.shape, p.shape)) throw new Error(`${op}: parameter ${i} state '${name}' has shape ${fmtShape(t.shape)}, the parameter ${fmtShape(p.shape)}`);
        if (t.device !== p.device) throw new Error(`${op}: parameter ${i} state '${name}' is on ${t.device}, the parameter on ${p.device}; move it with await t.to('${p.device}')`);
      }
    }
    const { params: _ids, ...hyper } = sd.paramGroups[0];
    // New state objects: a compiled step that advanced the old ones must record again.
    programChanged();
    this.setHyper(hyper);
    // Copy first, dispose after: `sd` may hold this optimizer's own tensors.
    const loaded: Array<ParamState | null> = this.params.map(() => null);
    for (const [k, entry] of Object.entries(sd.state)) {
      const i = Number(k);
      const p = this.params[i];
      const st: ParamState = { step: entry.step, tensors: {} };
      // The optimizer's own state is made as a whole (one block on WebGPU) if the dict holds
      // any of it; none at all must stay absent (SGD's first step takes the gradient as momentum).
      if (this.stateNames().some((n) => entry[n] instanceof Tensor)) this.stateTensors(p, st);
      for (const [name, t] of Object.entries(entry)) {
        if (name === 'step' || !(t instanceof Tensor)) continue;
        copyInto((st.tensors[name] ??= stateLike(p)), t);
      }
      loaded[i] = st;
    }
    this.disposeState();
    loaded.forEach((st, i) => { this.state[i] = st; });
  }

  /** Frees the state tensors; the optimizer starts afresh on the next step. */
  dispose(): void {
    this.disposeState();
  }

  private disposeState(): void {
    programChanged();
    this.state.forEach((st, i) => {
      if (st) for (const t of Object.values(st.tensors)) t.dispose();
      this.state[i] = null;
    });
  }
}
