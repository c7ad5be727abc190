// A bitonic sort of (key, position) pairs of u32 on the GPU, rows of a power-of-two length P
// in global memory, one dispatch per merge step: sort.ts sorts rows with it, scatter.ts
// groups sources by target. The position breaks ties, so every pair is distinct and the
// network's result is the stable order.
import type { Tensor } from '../tensor/tensor.js';

const WG = 256;

// Rows of up to LOCAL pairs sort in workgroup memory: one dispatch for the whole network.
const LOCAL = 2 * WG;

/** Sorts each row of `keys` and `pos` (int32 tensors of rows·P words, read as u32) in place. */
export function bitonicSort(keys: Tensor, pos: Tensor, rows: number, P: number): void {
  const gpu = keys.storage.gpu!;
  if (P <= 1) return;
  if (P <= LOCAL) {
    gpu.dispatch({ key: 'bitonic:local', wgsl: localWgsl, inputs: [], outputs: [keys.buffer, pos.buffer], uniforms: [rows, P, 0, 0], workgroups: rows });
    return;
  }
  for (let k = 2; k <= P; k *= 2) {
    for (let j = k / 2; j >= 1; j /= 2) {
      gpu.dispatch({
        key: 'bitonic:step',
        wgsl: stepWgsl,
        inputs: [],
        outputs: [keys.buffer, pos.buffer],
        uniforms: [rows * (P / 2), P, k, j],
        workgroups: Math.ceil((rows * (P / 2)) / WG),
      });
    }
  }
}

/** One compare-exchange step (k, j) of the bitonic network, one invocation per pair. */
function stepWgsl(): string {
  return `struct U { pairs: u32, P: u32, k: u32, j: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> K: array<u32>;
@group(0) @binding(2) var<storage, read_write> Q: array<u32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.pairs) { return; }
  let half = u.P / 2u;
  let base = (i / half) * u.P;
  let t = i % half;
  let a = (t / u.j) * 2u * u.j + t % u.j;
  let b = a + u.j;
  let up = (a & u.k) == 0u;
  let ka = K[base + a];
  let kb = K[base + b];
  let qa = Q[base + a];
  let qb = Q[base + b];
  let greater = ka > kb || (ka == kb && qa > qb);
  if (greater == up) {
    K[base + a] = kb; K[base + b] = ka;
    Q[base + a] = qb; Q[base + b] = qa;
  }
}
`;
}


/** A workgroup per row: the row in workgroup memory, every step of the network with barriers between. */
function localWgsl(): string {
  return `struct U { rows: u32, P: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> K: array<u32>;
@group(0) @binding(2) var<storage, read_write> Q: array<u32>;
var<workgroup> sk: array<u32, ${LOCAL}>;
var<workgroup> sq: array<u32, ${LOCAL}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.rows) { return; }
  let base = row * u.P;
  for (var e = lid; e < u.P; e += ${WG}u) { sk[e] = K[base + e]; sq[e] = Q[base + e]; }
  workgroupBarrier();
  for (var k = 2u; k <= u.P; k <<= 1u) {
    for (var j = k >> 1u; j > 0u; j >>= 1u) {
      if (lid < u.P / 2u) {
        let a = (lid / j) * 2u * j + lid % j;
        let b = a + j;
        let ka = sk[a];
        let kb = sk[b];
        let qa = sq[a];
        let qb = sq[b];
        if ((ka > kb || (ka == kb && qa > qb)) == ((a & k) == 0u)) {
          sk[a] = kb; sk[b] = ka;
          sq[a] = qb; sq[b] = qa;
        }
      }
      workgroupBarrier();
    }
  }
  for (var e = lid; e < u.P; e += ${WG}u) { K[base + e] = sk[e]; Q[base + e] = sq[e]; }
}
`;
}
