// Cases the fuzzer once failed on, kept as regression tests (replayed by fuzz.test.ts).
import type { FuzzCase } from './gen.js';

export const REGRESSIONS: Record<string, FuzzCase> = {
  // pow(0, b < 0) was 0 on WebGPU (WGSL leaves it undefined); +Inf on the CPU. Here through
  // the gradient of a base that is 0: b·0^(b-1).
  'pow: zero base, negative exponent (gradient)': {
    seed: 3454562423, input: { shape: [4], dtype: 'float32', seed: 269772224, layout: 'o' },
    ops: [{ kind: 'binary', seed: 3233943002, fn: 'pow', other: 'tensor', scalar: 3, swap: true, mask: [0, 0, 2, 0], grow: 65, drop: 0, layout: 'p' }],
  },
  'pow: zero base in float16': {
    seed: 2730565422, input: { shape: [], dtype: 'float16', seed: 3039965940, layout: 'c' },
    ops: [
      { kind: 'unary', seed: 0, fn: 'silu' },
      { kind: 'binary', seed: 2963712177, fn: 'pow', other: 'tensor', scalar: 3, swap: true, mask: [0, 0, 0, 0], grow: 3, drop: 0, layout: 'p' },
    ],
  },
  // maximum/minimum dropped NaN on WebGPU (WGSL max is maxNum); the CPU propagated it.
  'maximum: NaN from pow of a negative base propagates': {
    seed: 2647363656, input: { shape: [], dtype: 'float32', seed: 2647363656, layout: 'c' },
    ops: [
      { kind: 'binary', seed: 941039104, fn: 'pow', other: 'tensor', scalar: 3, swap: true, mask: [2, 1, 0, 2], grow: 64, drop: 0, layout: 'p' },
      { kind: 'binary', seed: 1190392516, fn: 'maximum', other: 'tensor', scalar: 1.5, swap: false, mask: [0, 0, 0, 0], grow: 2, drop: 0, layout: 'c' },
    ],
  },
  'minimum: NaN from the mean of an empty tensor propagates': {
    seed: 3961473303, input: { shape: [0], dtype: 'float32', seed: 754475554, layout: 'c' },
    ops: [
      { kind: 'reduce', seed: 0, fn: 'mean', all: false, dims: [2, 2, 1], neg: false, keepdim: false },
      { kind: 'binary', seed: 1444878346, fn: 'minimum', other: 'tensor', scalar: 3, swap: false, mask: [0, 0, 0, 0], grow: 2, drop: 0, layout: 'o' },
    ],
  },
  // abs's gradient at NaN was sign(NaN)·g = 0 on WebGPU, NaN on the CPU.
  'abs: gradient at NaN': {
    seed: 11043903, input: { shape: [0], dtype: 'float16', seed: 1185535625, layout: 'c' },
    ops: [
      { kind: 'reduce', seed: 0, fn: 'mean', all: true, dims: [0, 1, 0], neg: true, keepdim: false },
      { kind: 'binary', seed: 976826228, fn: 'add', other: 'tensor', scalar: -0.5, swap: false, mask: [0, 0, 1, 2], grow: 65, drop: 1, layout: 'p' },
      { kind: 'unary', seed: 0, fn: 'abs' },
    ],
  },
};
