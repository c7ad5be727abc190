// indexAdd's float sums on the GPU in index order, so that an embedding's gradient (what
// indexSelect's backward adds) is the same every run and equal to the CPU's bit for bit.
// Adding with float atomics would be one dispatch, but the order the additions land in
// would change from run to run, and with it the last bits of the gradient and the whole
// training run after it (PyTorch's CUDA embedding backward sorts for the same reason).
//
// The index entries are sorted by target (stable: bitonic.ts with the position as the
// tie-break), then the first entry of each run of equal targets folds the run's source
// slices into its target, one invocation per element of the slice.
import { Tensor } from '../tensor/tensor.js';
import { wgslType } from '../tensor/dtype.js';
import { f32Bits } from '../backend/webgpu.js';
import { bitonicSort } from './bitonic.js';
import { enableF16 } from './rows.js';

const WG = 256;
const NONE = 0xffffffff;

/**
 * out (contiguous, offset 0) += alpha · src scattered along `dim` by the 1-D int32 `index`
 * (read with stride `iStride`): the slice i of src at dim goes into slice index[i] of out.
 * src is contiguous with out's shape but index.numel at dim. Entries out of range are skipped.
 */
export function indexAddSorted(out: Tensor, dim: number, index: Tensor, iStride: number, src: Tensor, alpha: number): void {
  const gpu = out.storage.gpu!;
  const n = index.numel;
  const size = out.shape[dim];
  const outer = out.shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const inner = out.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  if (n === 0 || outer * inner === 0) return;
  let P = 1;
  while (P < n) P *= 2;
  const keys = Tensor.empty([P], 'int32', 'webgpu', 'indexAdd');
  const pos = Tensor.empty([P], 'int32', 'webgpu', 'indexAdd');
  try {
    gpu.dispatch({
      key: 'index_fold:targets',
      wgsl: targetsWgsl,
      inputs: [index.buffer],
      outputs: [keys.buffer, pos.buffer],
      uniforms: [n, P, size, index.offset, iStride],
      workgroups: Math.ceil(P / WG),
    });
    bitonicSort(keys, pos, 1, P);
    const T = wgslType(out.dtype);
    gpu.dispatch({
      key: `index_fold:sum:${T}`,
      wgsl: () => foldWgsl(T),
      inputs: [src.buffer, keys.buffer, pos.buffer],
      outputs: [out.buffer],
      uniforms: [outer * n * inner, n, inner, size, src.offset, f32Bits(alpha)],
      workgroups: Math.ceil((outer * n * inner) / WG),
    });
  } finally {
    keys.dispose();
    pos.dispose();
  }
}

/** Each index entry's target row, or NONE when out of range (and for the padding to P). */
function targetsWgsl(): string {
  return `struct U { n: u32, P: u32, size: u32, offI: u32, sI: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> K: array<u32>;
@group(0) @binding(3) var<storage, read_write> Q: array<u32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * ${WG}u;
  if (t >= u.P) { return; }
  Q[t] = t;
  if (t >= u.n) { K[t] = ${NONE}u; return; }
  let j = I[u.offI + t * u.sI];
  K[t] = select(${NONE}u, u32(j), j >= 0 && u32(j) < u.size);
}
`;
}

/** One invocation per (outer, entry, inner) element; the first entry of a run sums it. */
function foldWgsl(T: string): string {
  // float16 rounds after every addition, as the CPU stores each partial sum.
  const add = T === 'f16' ? 'f32(f16(acc + v))' : 'acc + v';
  return `${enableF16(T)}struct U { total: u32, n: u32, inner: u32, size: u32, offS: u32, alpha: f32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> S: array<${T}>;
@group(0) @binding(2) var<storage, read> K: array<u32>;
@group(0) @binding(3) var<storage, read> Q: array<u32>;
@group(0) @binding(4) var<storage, read_write> O: array<${T}>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = gid.x + gid.y * nwg.x * ${WG}u;
  if (g >= u.total) { return; }
  let i = g % u.inner;
  let t = (g / u.inner) % u.n;
  let o = g / (u.inner * u.n);
  let k = K[t];
  if (k == ${NONE}u || (t > 0u && K[t - 1u] == k)) { return; }
  let at = (o * u.size + k) * u.inner + i;
  var acc = f32(O[at]);
  for (var q = t; q < u.n && K[q] == k; q++) {
    let v = f32(S[u.offS + (o * u.n + Q[q]) * u.inner + i]) * u.alpha;
    acc = ${add};
  }
  O[at] = ${T}(acc);
}
`;
}
