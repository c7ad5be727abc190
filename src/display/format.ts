// Text helpers shared by the Jupyter displays: HTML escaping and a PyTorch-like preview of
// a tensor's values (long dimensions summarized as first 3, …, last 3).
import type { DType } from '../tensor/dtype.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Dimensions longer than this are shown as their first and last EDGE entries. */
const SUMMARIZE = 6;
const EDGE = 3;

/** How a number reads for this dtype: fixed 4 decimals as PyTorch's default, exponent
 * notation when the values span too many orders of magnitude for that. */
function numberFormat(dtype: DType, values: ArrayLike<number>): (x: number) => string {
  if (dtype === 'bool') return (x) => (x ? 'true' : 'false');
  if (dtype === 'int32') return (x) => String(x);
  let big = 0;
  let small = Infinity;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (!Number.isFinite(a) || a === 0) continue;
    big = Math.max(big, a);
    small = Math.min(small, a);
  }
  const sci = big >= 1e8 || (small < 1e-4 && big > 0);
  return (x) => (Number.isNaN(x) ? 'nan' : !Number.isFinite(x) ? (x > 0 ? 'inf' : '-inf') : sci ? x.toExponential(4) : x.toFixed(4));
}

/** The values (row-major, as toArray gives them) as nested brackets, e.g. [[1, 2], [3, 4]]. */
export function previewText(values: ArrayLike<number>, shape: readonly number[], dtype: DType): string {
  const fmt = numberFormat(dtype, values);
  if (shape.length === 0) return fmt(values[0]);
  const strides: number[] = [];
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) { strides[d] = s; s *= shape[d]; }
  const rec = (d: number, off: number, indent: string): string => {
    const n = shape[d];
    const idx = n > SUMMARIZE ? [...Array(EDGE).keys(), -1, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)] : [...Array(n).keys()];
    if (d === shape.length - 1) return `[${idx.map((i) => (i < 0 ? '…' : fmt(values[off + i]))).join(', ')}]`;
    const sep = `,${'\n'.repeat(shape.length - 1 - d)}${indent} `;
    return `[${idx.map((i) => (i < 0 ? '…' : rec(d + 1, off + i * strides[d], indent + ' '))).join(sep)}]`;
  };
  return rec(0, 0, '');
}
