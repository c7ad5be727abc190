// The examples' charts as Vega-Lite specs: one builder per chart, shared by the demo's SVG
// files (rendered headlessly with vega in Node), the browser page (vega-embed) and the
// notebooks (Jupyter renders the Vega-Lite mime type itself). The builders are plain data:
// this module imports nothing, so it loads in Node, Deno and the browser alike.

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const BLUE = '#2a6fdb';
const ORANGE = '#d9480f';
// One look for every chart: readable fonts, no chart border, titles clear of tick labels.
const CONFIG = {
  background: 'white',
  font: 'sans-serif',
  view: { stroke: null },
  title: { fontSize: 15, fontWeight: 'normal', anchor: 'start', offset: 12 },
  axis: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 'normal', titlePadding: 10, gridColor: '#eee', domainColor: '#888', tickColor: '#888' },
  legend: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 'normal' },
  header: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 'normal' },
};

/**
 * Centered moving average over 2·half + 1 points, narrowed symmetrically near the ends (the
 * first and last points stay as they are): smooths without lag or a pull at the edges.
 */
export function movingAverage(values, half) {
  return values.map((_, i) => {
    const h = Math.min(half, i, values.length - 1 - i);
    let sum = 0;
    for (let j = i - h; j <= i + h; j++) sum += values[j];
    return sum / (2 * h + 1);
  });
}

/**
 * The training loss: every step as a thin line, its moving average on top, and the loss of
 * guessing uniformly among `vocab` characters (ln vocab nats) as a labelled rule.
 * `curve` is [[step, loss], …]; opts: { title, vocab (or classes), yTitle, width, height }.
 */
export function lossSpec(curve, opts = {}) {
  const { title = 'training loss', vocab, width = 560, height = 280, yTitle = 'cross-entropy (nats per character)' } = opts;
  const half = Math.max(1, Math.round(curve.length / 40));
  const smooth = movingAverage(curve.map((p) => p[1]), half);
  const values = curve.map(([step, loss], i) => ({ step, loss, smoothed: smooth[i] }));
  const baseline = vocab ? Math.log(vocab) : null;
  const x = { field: 'step', type: 'quantitative', title: 'training step', scale: { domainMin: 0, nice: true }, axis: { tickMinStep: 1, format: 'd', tickCount: 8 } };
  const y = { type: 'quantitative', title: yTitle, scale: { zero: false, nice: true }, axis: { tickCount: 6 } };
  const layer = [
    { mark: { type: 'line', color: BLUE, opacity: 0.35, strokeWidth: 1, interpolate: 'linear' }, encoding: { x, y: { ...y, field: 'loss' }, tooltip: [{ field: 'step' }, { field: 'loss', format: '.3f' }] } },
    { mark: { type: 'line', color: BLUE, strokeWidth: 2.5 }, encoding: { x, y: { ...y, field: 'smoothed' } } },
  ];
  if (baseline !== null) {
    layer.push(
      { data: { values: [{ baseline }] }, mark: { type: 'rule', color: ORANGE, strokeDash: [6, 4] }, encoding: { y: { field: 'baseline', type: 'quantitative' } } },
      {
        data: { values: [{ baseline, label: `uniform guess: ln ${vocab} = ${baseline.toFixed(2)}` }] },
        mark: { type: 'text', color: ORANGE, align: 'right', baseline: 'bottom', dy: -4, fontSize: 12 },
        encoding: { y: { field: 'baseline', type: 'quantitative' }, x: { value: width }, text: { field: 'label' } },
      },
    );
  }
  return {
    $schema: SCHEMA, width, height, config: CONFIG,
    title: { text: title, subtitle: `thin line: every step · thick line: mean of the ${2 * half + 1} steps around each`, subtitleColor: '#5b6475' },
    data: { values }, layer,
    resolve: { scale: { y: 'shared' } },
  };
}

/**
 * Tokens routed to each expert, one panel per layer: zero-based bars labelled with their
 * counts. `counts` is [layer][expert]; opts: { title, width (of one panel), height }.
 */
export function expertsSpec(counts, opts = {}) {
  const { title = 'tokens routed to each expert', width = Math.max(120, 520 / Math.max(1, counts.length)), height = 220 } = opts;
  const values = counts.flatMap((row, l) => row.map((tokens, e) => ({ layer: `layer ${l}`, expert: e, tokens })));
  return {
    $schema: SCHEMA, title, config: CONFIG,
    data: { values },
    facet: { column: { field: 'layer', type: 'nominal', title: null, header: { labelOrient: 'top', labelFontSize: 13 } } },
    spec: {
      width, height,
      encoding: {
        x: { field: 'expert', type: 'ordinal', title: 'expert', axis: { labelAngle: 0 } },
        y: { field: 'tokens', type: 'quantitative', title: 'tokens routed', scale: { zero: true, nice: true }, axis: { tickCount: 5, format: ',d' } },
      },
      layer: [
        { mark: { type: 'bar', color: BLUE, cornerRadiusEnd: 2 }, encoding: { tooltip: [{ field: 'layer' }, { field: 'expert' }, { field: 'tokens' }] } },
        { mark: { type: 'text', baseline: 'bottom', dy: -3, fontSize: 11, color: '#333' }, encoding: { text: { field: 'tokens', type: 'quantitative', format: ',' } } },
      ],
    },
  };
}

/** One bar per value, labelled "expert i" and with its count (the page's routing cell). */
export function barsSpec(values, opts = {}) {
  const { title = '', width = 320, height = 180, what = 'expert' } = opts;
  return {
    $schema: SCHEMA, title, width, height, config: CONFIG,
    data: { values: Array.from(values, (v, i) => ({ name: `${what} ${i}`, value: v })) },
    encoding: {
      x: { field: 'name', type: 'nominal', title: null, axis: { labelAngle: 0 } },
      y: { field: 'value', type: 'quantitative', title: 'rows', scale: { zero: true, nice: true }, axis: { tickMinStep: 1, format: 'd' } },
    },
    layer: [
      { mark: { type: 'bar', color: BLUE }, encoding: { tooltip: [{ field: 'name' }, { field: 'value' }] } },
      { mark: { type: 'text', baseline: 'bottom', dy: -3, color: '#333' }, encoding: { text: { field: 'value', type: 'quantitative' } } },
    ],
  };
}

/**
 * The router's probabilities as a heat map, tokens across and experts down, each token's
 * chosen experts outlined. `probs` is [T·E] row-major, `choices` [T·k] expert indices.
 */
export function routingSpec(probs, choices, T, E, opts = {}) {
  const k = choices.length / T;
  const chosen = new Set(Array.from(choices, (e, i) => `${Math.floor(i / k)},${e}`));
  const values = [];
  for (let t = 0; t < T; t++) for (let e = 0; e < E; e++) values.push({ token: t, expert: `expert ${e}`, p: probs[t * E + e], chosen: chosen.has(`${t},${e}`) });
  const { title = `router probabilities: token → expert (outlined: the token's top-${k})`, cell = 20 } = opts;
  return {
    $schema: SCHEMA, title, config: CONFIG, width: T * cell, height: E * cell,
    data: { values },
    mark: { type: 'rect', strokeWidth: 2 },
    encoding: {
      x: { field: 'token', type: 'ordinal', title: 'token', scale: { paddingInner: 0.12 }, axis: { labelAngle: 0, values: Array.from({ length: Math.ceil(T / 4) }, (_, i) => 4 * i) } },
      y: { field: 'expert', type: 'nominal', title: null, scale: { paddingInner: 0.12 } },
      color: { field: 'p', type: 'quantitative', title: 'probability', scale: { scheme: 'blues', domain: [0, 1] } },
      stroke: { condition: { test: 'datum.chosen', value: ORANGE }, value: null },
      tooltip: [{ field: 'token' }, { field: 'expert' }, { field: 'p', format: '.3f' }, { field: 'chosen' }],
    },
  };
}

/** Renders a Vega-Lite spec to an SVG string (Node and Deno; needs vega and vega-lite). */
export async function toSvg(spec) {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
