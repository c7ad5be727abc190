// The Tensor methods of the indexing, selection and linear-algebra ops (indexing.ts,
// select.ts, dims.ts's shorthands, norms.ts, distance.ts, linalg.ts), installed on the
// prototype as methods.ts installs the core ones: each a one-liner onto its sg.* function.
import { Tensor } from './tensor.js';
import * as D from '../ops/dims.js';
import * as IX from '../ops/indexing.js';
import * as SE from '../ops/select.js';
import { bernoulli } from '../ops/random.js';
import * as NO from '../ops/norms.js';
import { dist } from '../ops/distance.js';
import * as LA from '../ops/linalg.js';

declare module './tensor.js' {
  interface Tensor {
    take(index: Tensor): Tensor;
    takeAlongDim(indices: Tensor, dim?: number | null): Tensor;
    indexFill(dim: number, index: Tensor, value: number | boolean | Tensor): Tensor;
    indexCopy(dim: number, index: Tensor, source: Tensor): Tensor;
    maskedScatter(mask: Tensor, source: Tensor): Tensor;
    expandAs(other: Tensor): Tensor;
    viewAs(other: Tensor): Tensor;
    reshapeAs(other: Tensor): Tensor;
    typeAs(other: Tensor): Tensor;
    ravel(): Tensor;
    fliplr(): Tensor;
    flipud(): Tensor;
    rot90(k?: number, dims?: number[]): Tensor;
    /** Async: the output's size depends on the values. */
    nonzero(opts?: { asTuple?: boolean }): Promise<Tensor | Tensor[]>;
    argwhere(): Promise<Tensor>;
    maskedSelect(mask: Tensor): Promise<Tensor>;
    unique(opts?: SE.UniqueOptions): Promise<Tensor | Tensor[]>;
    bincount(weights?: Tensor | null | { minlength?: number }, minlength?: number): Promise<Tensor>;
    histc(bins?: number, min?: number, max?: number): Tensor;
    bernoulli(p?: number | { seed?: number }, opts?: { seed?: number }): Tensor;
    // linalg and norms (norms.ts, distance.ts, linalg.ts)
    norm(p?: number | 'fro' | 'nuc', dim?: number | number[] | null, keepdim?: boolean): Tensor;
    dist(other: Tensor, p?: number): Tensor;
    outer(vec2: Tensor): Tensor;
    dot(other: Tensor): Tensor;
    mv(vec: Tensor): Tensor;
    mm(mat2: Tensor): Tensor;
    addmm(mat1: Tensor, mat2: Tensor, opts?: LA.AddmmOptions): Tensor;
    addmv(mat: Tensor, vec: Tensor, opts?: LA.AddmmOptions): Tensor;
    baddbmm(batch1: Tensor, batch2: Tensor, opts?: LA.AddmmOptions): Tensor;
    diag(diagonal?: number): Tensor;
    diagonal(offset?: number, dim1?: number, dim2?: number): Tensor;
    diagEmbed(offset?: number, dim1?: number, dim2?: number): Tensor;
    trace(): Tensor;
    cross(other: Tensor, dim?: number | null): Tensor;
    kron(other: Tensor): Tensor;
  }
}

const methods: ThisType<Tensor> & Record<string, (...args: never[]) => unknown> = {
  take(index: Tensor): Tensor { return IX.take(this, index); },
  takeAlongDim(indices: Tensor, dim?: number | null): Tensor { return IX.takeAlongDim(this, indices, dim); },
  indexFill(dim: number, index: Tensor, value: number | boolean | Tensor): Tensor { return IX.indexFill(this, dim, index, value); },
  indexCopy(dim: number, index: Tensor, source: Tensor): Tensor { return IX.indexCopy(this, dim, index, source); },
  maskedScatter(mask: Tensor, source: Tensor): Tensor { return IX.maskedScatter(this, mask, source); },
  expandAs(other: Tensor): Tensor { return D.expandAs(this, other); },
  viewAs(other: Tensor): Tensor { return D.viewAs(this, other); },
  reshapeAs(other: Tensor): Tensor { return D.reshapeAs(this, other); },
  typeAs(other: Tensor): Tensor { return D.typeAs(this, other); },
  ravel(): Tensor { return D.ravel(this); },
  fliplr(): Tensor { return D.fliplr(this); },
  flipud(): Tensor { return D.flipud(this); },
  rot90(k?: number, dims?: number[]): Tensor { return D.rot90(this, k, dims); },
  nonzero(opts?: { asTuple?: boolean }): Promise<Tensor | Tensor[]> { return SE.nonzero(this, opts); },
  argwhere(): Promise<Tensor> { return SE.argwhere(this); },
  maskedSelect(mask: Tensor): Promise<Tensor> { return SE.maskedSelect(this, mask); },
  unique(opts?: SE.UniqueOptions): Promise<Tensor | Tensor[]> { return SE.unique(this, opts); },
  bincount(weights?: Tensor | null | { minlength?: number }, minlength?: number): Promise<Tensor> { return SE.bincount(this, weights, minlength); },
  histc(bins?: number, min?: number, max?: number): Tensor { return SE.histc(this, bins, min, max); },
  bernoulli(p?: number | { seed?: number }, opts?: { seed?: number }): Tensor { return bernoulli(this, p, opts); },
  // linalg and norms
  norm(p: number | 'fro' | 'nuc' = 2, dim?: number | number[] | null, keepdim = false): Tensor { return NO.norm(this, p, dim, keepdim); },
  dist(other: Tensor, p = 2): Tensor { return dist(this, other, p); },
  outer(vec2: Tensor): Tensor { return LA.outer(this, vec2); },
  dot(other: Tensor): Tensor { return LA.dot(this, other); },
  mv(vec: Tensor): Tensor { return LA.mv(this, vec); },
  mm(mat2: Tensor): Tensor { return LA.mm(this, mat2); },
  addmm(mat1: Tensor, mat2: Tensor, opts?: LA.AddmmOptions): Tensor { return LA.addmm(this, mat1, mat2, opts); },
  addmv(mat: Tensor, vec: Tensor, opts?: LA.AddmmOptions): Tensor { return LA.addmv(this, mat, vec, opts); },
  baddbmm(batch1: Tensor, batch2: Tensor, opts?: LA.AddmmOptions): Tensor { return LA.baddbmm(this, batch1, batch2, opts); },
  diag(diagonal = 0): Tensor { return LA.diag(this, diagonal); },
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor { return LA.diagonal(this, offset, dim1, dim2); },
  diagEmbed(offset = 0, dim1 = -2, dim2 = -1): Tensor { return LA.diagEmbed(this, offset, dim1, dim2); },
  trace(): Tensor { return LA.trace(this); },
  cross(other: Tensor, dim?: number | null): Tensor { return LA.cross(this, other, dim); },
  kron(other: Tensor): Tensor { return LA.kron(this, other); },
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true });
}
