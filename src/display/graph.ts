// The autograd graph behind a tensor as an SVG, laid out in layers by depth: the leaves
// (parameters, inputs) on top, each Function under its inputs, the tensor itself at the
// bottom. A deliberately simple layout (no edge routing) that reads well for the graphs of
// small models and notebooks.
import { Tensor } from '../tensor/tensor.js';
import { describe } from '../tensor/shape.js';
import type { Node } from '../autograd/node.js';
import { escapeHtml, shapeText } from './format.js';
import type { MimeBundle } from './tensor.js';

export type GraphNames = Iterable<[string, Tensor]> | { namedParameters(): Array<[string, Tensor]> };
export interface GraphOptions {
  /** Names for leaf tensors, e.g. a module (its namedParameters) or [name, tensor] pairs. */
  names?: GraphNames;
}

export interface GraphNode {
  id: number;
  kind: 'function' | 'leaf' | 'output';
  label: string;
  shape: number[];
  depth: number;
}

/** A Function's class name as a reader knows the op: internal prefixes and suffixes off. */
const opName = (n: Node): string => n.name.replace(/^_+/, '').replace(/(.)Fn$/, '$1');

/** Tensor → name from a module or [name, tensor] pairs, checked before any work. */
function leafNames(src: GraphNames | undefined): Map<Tensor, string> {
  const names = new Map<Tensor, string>();
  if (src === undefined) return names;
  const bad = (): Error => new Error(`graph: opts.names must be a module or [name, tensor] pairs, got ${describe(src)}`);
  if (src === null || typeof src !== 'object') throw bad();
  const pairs: unknown = typeof (src as { namedParameters?: unknown }).namedParameters === 'function'
    ? (src as { namedParameters(): unknown }).namedParameters()
    : typeof (src as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function' ? [...(src as Iterable<unknown>)] : null;
  if (!Array.isArray(pairs)) throw bad();
  for (const p of pairs) {
    if (!Array.isArray(p) || typeof p[0] !== 'string' || !(p[1] instanceof Tensor)) throw bad();
    names.set(p[1], p[0]);
  }
  return names;
}

/** Graphs larger than this are cut: an SVG of thousands of boxes helps no one. */
const MAX_NODES = 400;

export class AutogradGraph {
  readonly nodes: GraphNode[] = [];
  /** [from, to]: the value of node `from` is an input of node `to`. */
  readonly edges: Array<[number, number]> = [];
  truncated = false;

  constructor(root: Tensor, opts: GraphOptions = {}) {
    const names = leafNames(opts.names);
    const out = this.add('output', root.gradFn ? 'output' : names.get(root) ?? 'tensor', root.shape);
    if (!root.gradFn) return;
    // Walk the graph once, giving every Node and leaf tensor one box.
    const ids = new Map<Node | Tensor, number>();
    const first = this.add('function', opName(root.gradFn), [...root.gradFn.outputs[root.outputIndex]?.shape ?? root.shape]);
    ids.set(root.gradFn, first);
    this.edges.push([first, out]);
    const queue: Node[] = [root.gradFn];
    while (queue.length) {
      const node = queue.shift()!;
      const to = ids.get(node)!;
      for (const e of node.next) {
        if (!e) continue;
        const key: Node | Tensor | null = e.node ?? e.leaf;
        if (!key) continue;
        let from = ids.get(key);
        if (from === undefined) {
          if (this.nodes.length >= MAX_NODES) { this.truncated = true; continue; }
          from = e.node
            ? this.add('function', opName(e.node), [...(e.node.outputs[e.index]?.shape ?? [])])
            : this.add('leaf', names.get(e.leaf!) ?? 'leaf', e.leaf!.shape);
          ids.set(key, from);
          if (e.node) queue.push(e.node);
        }
        this.edges.push([from, to]);
      }
    }
    this.assignDepths();
  }

  private add(kind: GraphNode['kind'], label: string, shape: readonly number[]): number {
    this.nodes.push({ id: this.nodes.length, kind, label, shape: [...shape], depth: 0 });
    return this.nodes.length - 1;
  }

  /** Depth = the longest path to the output, so every box sits above all its consumers. */
  private assignDepths(): void {
    const consumers = this.nodes.map(() => [] as number[]);
    for (const [f, t] of this.edges) consumers[f].push(t);
    const memo = new Map<number, number>();
    const depth = (id: number): number => {
      const known = memo.get(id);
      if (known !== undefined) return known;
      memo.set(id, 0); // a guard against cycles, which a tape never has
      let d = 0;
      for (const c of consumers[id]) d = Math.max(d, depth(c) + 1);
      memo.set(id, d);
      return d;
    };
    for (const n of this.nodes) n.depth = depth(n.id);
  }

  /** One line per box: its inputs, for a text-only frontend. */
  text(): string {
    const inputs = this.nodes.map(() => [] as number[]);
    for (const [f, t] of this.edges) inputs[t].push(f);
    const name = (n: GraphNode): string => `${n.label} ${shapeText(n.shape)}`;
    const lines = [...this.nodes].sort((a, b) => b.depth - a.depth || a.id - b.id)
      .map((n) => `${name(n)}${inputs[n.id].length ? ` <- ${inputs[n.id].map((i) => name(this.nodes[i])).join(', ')}` : ''}`);
    return `autograd graph: ${this.nodes.length} nodes${this.truncated ? ' (truncated)' : ''}\n${lines.join('\n')}`;
  }

  svg(): string {
    const maxDepth = Math.max(0, ...this.nodes.map((n) => n.depth));
    const rows: GraphNode[][] = Array.from({ length: maxDepth + 1 }, () => []);
    for (const n of this.nodes) rows[maxDepth - n.depth].push(n);
    const consumers = this.nodes.map(() => [] as number[]);
    for (const [f, t] of this.edges) consumers[f].push(t);
    const box = (n: GraphNode): number => Math.max(n.label.length, shapeText(n.shape).length) * 7 + 20;
    const gap = 16;
    const rowH = 70;
    const boxH = 38;
    const x = new Map<number, number>();
    // Bottom row first, then each row above ordered by where its consumers sit (one
    // barycenter pass), which removes most crossings in these tree-like graphs.
    const widths: number[] = [];
    for (let r = rows.length - 1; r >= 0; r--) {
      const row = rows[r];
      const bary = (n: GraphNode): number => {
        const cs = consumers[n.id].filter((c) => x.has(c));
        return cs.length ? cs.reduce((a, c) => a + x.get(c)!, 0) / cs.length : 0;
      };
      row.sort((a, b) => bary(a) - bary(b) || a.id - b.id);
      let cx = 0;
      for (const n of row) { x.set(n.id, cx + box(n) / 2); cx += box(n) + gap; }
      widths[r] = cx - gap;
    }
    const width = Math.max(...widths, 120) + 20;
    for (let r = 0; r < rows.length; r++) {
      const shift = 10 + (width - 20 - widths[r]) / 2;
      for (const n of rows[r]) x.set(n.id, x.get(n.id)! + shift);
    }
    const y = (n: GraphNode): number => 10 + (maxDepth - n.depth) * rowH;
    const height = 20 + maxDepth * rowH + boxH;
    const fill = { function: '#eef0f3', leaf: '#dbeafe', output: '#dcfce7' };
    const parts: string[] = [];
    for (const [f, t] of this.edges) {
      const a = this.nodes[f];
      const b = this.nodes[t];
      parts.push(`<line x1="${x.get(f)!.toFixed(1)}" y1="${y(a) + boxH}" x2="${x.get(t)!.toFixed(1)}" y2="${y(b) - 2}" stroke="#64748b" stroke-width="1.2" marker-end="url(#sg-arrow)"/>`);
    }
    for (const n of this.nodes) {
      const w = box(n);
      const left = x.get(n.id)! - w / 2;
      parts.push(`<g><rect x="${left.toFixed(1)}" y="${y(n)}" width="${w}" height="${boxH}" rx="5" fill="${fill[n.kind]}" stroke="#475569"/>` +
        `<text x="${x.get(n.id)!.toFixed(1)}" y="${y(n) + 16}" text-anchor="middle" font-weight="bold">${escapeHtml(n.label)}</text>` +
        `<text x="${x.get(n.id)!.toFixed(1)}" y="${y(n) + 31}" text-anchor="middle" fill="#475569">${shapeText(n.shape)}</text></g>`);
    }
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width.toFixed(0)}" height="${height}" viewBox="0 0 ${width.toFixed(0)} ${height}" font-family="sans-serif" font-size="11">` +
      `<defs><marker id="sg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker></defs>` +
      `${parts.join('')}</svg>`;
  }

  [Symbol.for('Jupyter.display')](): MimeBundle {
    return { 'text/plain': this.text(), 'image/svg+xml': this.svg() };
  }
}

/** The autograd graph that produced `t` (works before and after backward()), displayable
 * in Jupyter as an SVG; `names` labels leaves, e.g. `sg.graph(loss, { names: model })`. */
export function graph(t: Tensor, opts: GraphOptions = {}): AutogradGraph {
  if (!(t instanceof Tensor)) throw new Error(`graph: t must be a Tensor, got ${describe(t)}`);
  if (opts === null || typeof opts !== 'object') throw new Error(`graph: opts must be an object, got ${describe(opts)}`);
  return new AutogradGraph(t, opts);
}
