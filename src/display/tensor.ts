// How a tensor shows itself in Jupyter: shape, dtype, device, autograd state and a preview
// of its values (read back from the GPU, hence async).
import type { Tensor } from '../tensor/tensor.js';
import { escapeHtml, previewText, shapeText } from './format.js';

export type MimeBundle = Record<string, unknown>;

/** Above this many elements the display reads back no values: a preview is not worth a
 * multi-megabyte copy from the GPU. */
const MAX_PREVIEW_ELEMENTS = 1 << 20;

export function tensorSummary(t: Tensor): string {
  const parts = [`shape ${shapeText(t.shape)}`, t.dtype, t.device];
  if (t.requiresGrad) parts.push('requiresGrad');
  if (t.gradFn) parts.push(`gradFn ${t.gradFn.name}`);
  if (t.disposed) parts.push('disposed');
  return parts.join(' · ');
}

/** The mime bundle Deno's Jupyter kernel shows for a tensor. */
export async function displayTensor(t: Tensor): Promise<MimeBundle> {
  const summary = tensorSummary(t);
  let preview: string;
  if (t.disposed) preview = '(disposed: no values)';
  else if (t.numel > MAX_PREVIEW_ELEMENTS) preview = `(${t.numel} elements: too many to preview)`;
  else preview = previewText(await t.toArray(), t.shape, t.dtype);
  return {
    'text/plain': `Tensor ${summary}\n${preview}`,
    'text/html': `<div class="scattergrad-tensor"><div style="font-family:sans-serif;font-size:13px"><b>Tensor</b> ${escapeHtml(summary)}</div>` +
      `<pre style="margin:4px 0">${escapeHtml(preview)}</pre></div>`,
  };
}
