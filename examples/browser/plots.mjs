// Pictures for the page's cells: a bar chart (a Vega-Lite spec, as the demo's charts), the
// router's probabilities with each token's choices outlined, and an autograd graph (SVG strings:
// a heat map with outlines and a graph layout are simpler drawn directly).
import { barsSpec } from '../lm/charts.mjs';

const COLORS = ['#2a6fdb', '#e07b39', '#3aa655', '#b84fc9', '#c9a227', '#4fb8c9', '#c94f6d', '#7a7a7a'];
const esc = (s) => String(s).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
const svg = (w, h, body) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">${body}</svg>`;

/** One bar per value, labelled expert 0, expert 1, …: a Vega-Lite spec (plot() draws it). */
export function bars(values, title = '') {
  return barsSpec(values, { title });
}

/** probs [T, E] as a heat map (tokens across, experts down), chosen cells outlined. */
export function routing(probs, choices, T, E) {
  const cell = 22, left = 66, top = 26, bottom = 22;
  const w = left + T * cell + 10, h = top + E * cell + bottom;
  const k = choices.length / T;
  let body = `<text x="${left}" y="16" font-size="13">router probabilities: token → expert (outlined: the token's top-${k})</text>`;
  for (let e = 0; e < E; e++) {
    body += `<text x="${left - 8}" y="${top + e * cell + 15}" text-anchor="end">expert ${e}</text>`;
    for (let t = 0; t < T; t++) {
      const p = probs[t * E + e];
      const chosen = Array.from(choices.subarray(t * k, t * k + k)).includes(e);
      const shade = Math.round(255 - 200 * p);
      body += `<rect x="${left + t * cell}" y="${top + e * cell}" width="${cell - 2}" height="${cell - 2}" fill="rgb(${shade},${shade + Math.round(0.15 * (255 - shade))},255)"` +
        `${chosen ? ' stroke="#d9480f" stroke-width="2"' : ''}><title>token ${t} → expert ${e}: ${p.toFixed(3)}</title></rect>`;
    }
  }
  for (let t = 0; t < T; t += 4) body += `<text x="${left + t * cell + cell / 2 - 1}" y="${h - 6}" text-anchor="middle" fill="#5b6475">t${t}</text>`;
  return svg(w, h, body);
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
