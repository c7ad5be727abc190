// Charts for notebooks as Vega-Lite specs, which Jupyter renders natively from the
// 'application/vnd.vegalite.v5+json' mime type: no plotting code ships with scattergrad.
import { describe } from '../tensor/shape.js';
import type { MimeBundle } from './tensor.js';

export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';

/** A displayable wrapper around any Vega-Lite v5 spec. */
export class VegaLite {
  constructor(readonly spec: Record<string, unknown>, readonly alt = 'a Vega-Lite chart') {}
  [Symbol.for('Jupyter.display')](): MimeBundle {
    return { [VEGA_LITE_MIME]: this.spec, 'text/plain': this.alt };
  }
}

export function vegaLite(spec: Record<string, unknown>, alt?: string): VegaLite {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new Error(`vegaLite: spec must be a Vega-Lite spec object, got ${describe(spec)}`);
  if (alt !== undefined && typeof alt !== 'string') throw new Error(`vegaLite: alt must be a string, got ${describe(alt)}`);
  return new VegaLite(spec, alt);
}

export interface LossChartOptions {
  title?: string;
  /** A horizontal reference line, e.g. ln(vocab) for a uniform guess. */
  baseline?: number;
  baselineLabel?: string;
  /** Window of the trailing moving average drawn over the raw losses (0: none). */
  smooth?: number;
  width?: number;
  height?: number;
}

/** A loss curve (one value per step) with an optional moving average and baseline. */
export function lossChart(losses: readonly number[], opts: LossChartOptions = {}): VegaLite {
  if (!Array.isArray(losses) || losses.some((l) => typeof l !== 'number')) throw new Error(`lossChart: losses must be an array of numbers, got ${describe(losses)}`);
  if (opts === null || typeof opts !== 'object') throw new Error(`lossChart: opts must be an object, got ${describe(opts)}`);
  const count = (k: 'smooth' | 'width' | 'height', min: number): void => {
    const v = opts[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new Error(`lossChart: opts.${k} must be an integer >= ${min}, got ${describe(v)}`);
  };
  count('smooth', 0);
  count('width', 1);
  count('height', 1);
  if (opts.baseline !== undefined && !Number.isFinite(opts.baseline)) throw new Error(`lossChart: opts.baseline must be a finite number, got ${describe(opts.baseline)}`);
  for (const k of ['title', 'baselineLabel'] as const) {
    if (opts[k] !== undefined && typeof opts[k] !== 'string') throw new Error(`lossChart: opts.${k} must be a string, got ${describe(opts[k])}`);
  }
  const win = Math.max(1, opts.smooth ?? Math.round(losses.length / 20));
  const values = losses.map((loss, i) => {
    const from = Math.max(0, i - win + 1);
    const part = losses.slice(from, i + 1);
    return { step: i + 1, loss, smoothed: part.reduce((a, b) => a + b, 0) / part.length };
  });
  const x = { field: 'step', type: 'quantitative', title: 'step', axis: { tickMinStep: 1 } };
  const layers: Record<string, unknown>[] = [
    { mark: { type: 'line', color: '#9ecae9', strokeWidth: 1 }, encoding: { x, y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { zero: false } } } },
  ];
  if (win > 1) layers.push({ mark: { type: 'line', color: '#1f77b4', strokeWidth: 2 }, encoding: { x, y: { field: 'smoothed', type: 'quantitative', title: 'loss' } } });
  if (opts.baseline !== undefined) {
    layers.push({
      data: { values: [{ y: opts.baseline, label: opts.baselineLabel ?? `baseline ${opts.baseline.toFixed(3)}` }] },
      layer: [
        { mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] }, encoding: { y: { field: 'y', type: 'quantitative', title: 'loss' } } },
        { mark: { type: 'text', align: 'right', dy: -6, color: '#d62728' }, encoding: { y: { field: 'y', type: 'quantitative', title: 'loss' }, x: { value: opts.width ?? 480 }, text: { field: 'label' } } },
      ],
    });
  }
  const last = losses.length ? losses[losses.length - 1].toFixed(4) : 'none';
  return new VegaLite({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title ?? 'training loss',
    width: opts.width ?? 480,
    height: opts.height ?? 240,
    data: { values },
    layer: layers,
  }, `loss chart: ${losses.length} steps, last loss ${last}`);
}
