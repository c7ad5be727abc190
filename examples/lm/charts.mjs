// Small SVG charts for the demo: no dependencies, readable in any browser or image viewer.

const esc = (s) => String(s).replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]);

/** Line chart of [step, loss] points. */
export function lossChart(points, title) {
  const w = 640, h = 340, pad = 48;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys) * 0.95, Math.max(...ys) * 1.02];
  const px = (x) => pad + ((w - 2 * pad) * (x - x0)) / (x1 - x0 || 1);
  const py = (y) => h - pad - ((h - 2 * pad) * (y - y0)) / (y1 - y0 || 1);
  const path = points.map(([x, y], i) => `${i ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => y0 + f * (y1 - y0));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>
${yTicks.map((y) => `<line x1="${pad}" x2="${w - pad}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/><text x="${pad - 6}" y="${py(y) + 4}" text-anchor="end">${y.toFixed(2)}</text>`).join('\n')}
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#444"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#444"/>
<text x="${pad}" y="${h - pad + 16}" text-anchor="middle">${x0}</text>
<text x="${w - pad}" y="${h - pad + 16}" text-anchor="middle">${x1}</text>
<text x="${w / 2}" y="${h - 10}" text-anchor="middle">training step</text>
<text x="14" y="${h / 2}" transform="rotate(-90 14 ${h / 2})" text-anchor="middle">cross-entropy (nats/char)</text>
<path d="${path}" fill="none" stroke="#2a6fdb" stroke-width="2"/>
</svg>
`;
}

/** Grouped bars: tokens routed to each expert, one group per layer. */
export function expertChart(counts) {
  const w = 640, h = 300, pad = 48;
  const layers = counts.length;
  const experts = counts[0]?.length ?? 0;
  const max = Math.max(1, ...counts.flat());
  const groupW = (w - 2 * pad) / Math.max(1, layers);
  const barW = (groupW * 0.8) / Math.max(1, experts);
  const colors = ['#2a6fdb', '#e07b39', '#3aa655', '#b84fc9', '#c9a227', '#4fb8c9', '#c94f6d', '#7a7a7a'];
  let bars = '';
  counts.forEach((row, l) => {
    const gx = pad + l * groupW + groupW * 0.1;
    row.forEach((v, e) => {
      const bh = ((h - 2 * pad) * v) / max;
      bars += `<rect x="${(gx + e * barW).toFixed(1)}" y="${(h - pad - bh).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="${colors[e % colors.length]}"><title>layer ${l}, expert ${e}: ${v}</title></rect>\n`;
    });
    bars += `<text x="${(gx + groupW * 0.4).toFixed(1)}" y="${h - pad + 16}" text-anchor="middle">layer ${l}</text>\n`;
  });
  const legend = Array.from({ length: experts }, (_, e) =>
    `<rect x="${pad + e * 80}" y="30" width="10" height="10" fill="${colors[e % colors.length]}"/><text x="${pad + e * 80 + 14}" y="39">expert ${e}</text>`).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="18" text-anchor="middle" font-size="14">tokens routed to each expert</text>
${legend}
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#444"/>
<text x="${pad - 6}" y="${pad + 4}" text-anchor="end">${max}</text>
${bars}</svg>
`;
}
