// Pictures for the page's cells: a bar chart and the router's probabilities with each token's
// choices outlined (Vega-Lite specs, as the demo's charts), and an autograd graph (an SVG
// string: a graph layout is not what a charting grammar draws).
import { barsSpec, routingSpec } from '../lm/charts.mjs';

const esc = (s) => String(s).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
const svg = (w, h, body) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">${body}</svg>`;

/** One bar per value, labelled expert 0, expert 1, …: a Vega-Lite spec (plot() draws it). */
export function bars(values, title = '') {
  return barsSpec(values, { title });
}

/** probs [T, E] as a heat map (tokens across, experts down), chosen cells outlined: a Vega-Lite spec. */
export function routing(probs, choices, T, E) {
  return routingSpec(probs, choices, T, E);
}

/**
 * The autograd graph behind `root`, output at the top, leaves at the bottom. `names` maps a
 * label to each leaf tensor, e.g. { x, w }.
 */
export function graph(root, names = {}) {
  const leafName = new Map(Object.entries(names).map(([k, t]) => [t, k]));
  const depth = new Map(); // node or leaf tensor -> row (its longest path from the root)
  const edges = new Map(); // node -> the producers (or leaves) of its inputs
  const visit = (n, d) => {
    if ((depth.get(n) ?? -1) >= d) return;
    depth.set(n, d);
    if (!n.next) return;
    if (!edges.has(n)) edges.set(n, n.next.filter(Boolean).map((e) => e.node ?? e.leaf));
    for (const child of edges.get(n)) visit(child, d + 1);
  };
  if (!root.gradFn) return svg(300, 30, '<text x="4" y="20">(no graph: nothing here requires grad)</text>');
  visit(root.gradFn, 0);
  const rows = [];
  for (const [n, d] of depth) (rows[d] ??= []).push(n);
  const bw = 110, bh = 26, gapY = 22, w = Math.max(...rows.map((r) => r.length)) * (bw + 30) + 40, h = rows.length * (bh + gapY) + 10;
  const pos = new Map();
  rows.forEach((row, d) => row.forEach((n, i) => pos.set(n, [w / 2 + (i - (row.length - 1) / 2) * (bw + 30), 8 + d * (bh + gapY)])));
  let body = '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#8a94a6"/></marker></defs>';
  for (const [a, children] of edges) for (const b of children) {
    const [ax, ay] = pos.get(a), [bx, by] = pos.get(b);
    body += `<line x1="${ax}" y1="${ay + bh}" x2="${bx}" y2="${by - 1}" stroke="#8a94a6" marker-end="url(#arrow)"/>`;
  }
  for (const [n, [x, y]] of pos) {
    const leaf = !n.next;
    const label = leaf ? `${leafName.get(n) ?? 'leaf'} ${JSON.stringify(n.shape)}` : `${n.name.replace(/^_/, '') || 'Unary'}Backward`;
    body += `<rect x="${x - bw / 2}" y="${y}" width="${bw}" height="${bh}" rx="5" fill="${leaf ? '#e8f5ea' : '#eef3fc'}" stroke="${leaf ? '#3aa655' : '#2a6fdb'}"/>`;
    body += `<text x="${x}" y="${y + 17}" text-anchor="middle">${esc(label)}</text>`;
  }
  return svg(w, h, body);
}
