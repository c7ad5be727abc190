// Jupyter display: installs Symbol.for('Jupyter.display') on Tensor and Module (Deno's
// kernel calls it and awaits the mime bundle), the way tensor/methods.ts installs op
// methods, so neither class needs to know about notebooks.
import { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { displayTensor, type MimeBundle } from './tensor.js';
import { displayModule } from './module.js';
import { AutogradGraph, graph, type GraphOptions } from './graph.js';

export { displayTensor, displayModule, graph, AutogradGraph };
export type { MimeBundle, GraphOptions };
export { VegaLite, vegaLite, lossChart, VEGA_LITE_MIME } from './chart.js';
export type { LossChartOptions } from './chart.js';

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** The autograd graph that produced this tensor, displayable in Jupyter as an SVG. */
    graph(opts?: GraphOptions): AutogradGraph;
  }
}

const DISPLAY = Symbol.for('Jupyter.display');
Object.defineProperty(Tensor.prototype, DISPLAY, { value(this: Tensor) { return displayTensor(this); }, configurable: true, writable: true });
Object.defineProperty(Module.prototype, DISPLAY, { value(this: Module) { return displayModule(this); }, configurable: true, writable: true });
Object.defineProperty(Tensor.prototype, 'graph', { value(this: Tensor, opts?: GraphOptions) { return graph(this, opts); }, configurable: true, writable: true });
