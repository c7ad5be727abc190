// How a module shows itself in Jupyter: its parameter table (name, shape, dtype, count)
// and the total, as a summary of the model a reader can check at a glance.
import type { Module } from '../nn/module.js';
import { escapeHtml, shapeText } from './format.js';
import type { MimeBundle } from './tensor.js';

export function displayModule(m: Module): MimeBundle {
  const rows = m.namedParameters().map(([name, p]) => ({ name, shape: shapeText(p.shape), dtype: p.dtype, device: p.device, count: p.numel }));
  const total = rows.reduce((a, r) => a + r.count, 0);
  const title = `${m.constructor.name}: ${rows.length} parameter tensor${rows.length === 1 ? '' : 's'}, ${total.toLocaleString('en-US')} parameters`;
  const w = Math.max(4, ...rows.map((r) => r.name.length));
  const ws = Math.max(5, ...rows.map((r) => r.shape.length));
  const plain = [title, ...rows.map((r) => `  ${r.name.padEnd(w)}  ${r.shape.padEnd(ws)}  ${r.dtype.padEnd(7)}  ${String(r.count).padStart(9)}`)].join('\n');
  const td = 'style="padding:2px 10px;text-align:left"';
  const tdr = 'style="padding:2px 10px;text-align:right"';
  const html = `<div class="scattergrad-module" style="font-family:sans-serif;font-size:13px"><b>${escapeHtml(title)}</b>` +
    `<table><thead><tr><th ${td}>name</th><th ${td}>shape</th><th ${td}>dtype</th><th ${td}>device</th><th ${tdr}>count</th></tr></thead><tbody>` +
    rows.map((r) => `<tr><td ${td}><code>${escapeHtml(r.name)}</code></td><td ${td}>${r.shape}</td><td ${td}>${r.dtype}</td><td ${td}>${r.device}</td><td ${tdr}>${r.count.toLocaleString('en-US')}</td></tr>`).join('') +
    `<tr><td ${td}><b>total</b></td><td></td><td></td><td></td><td ${tdr}><b>${total.toLocaleString('en-US')}</b></td></tr></tbody></table></div>`;
  return { 'text/plain': plain, 'text/html': html };
}
