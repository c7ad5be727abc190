// The TF.js peer, bundled by bench/run.mjs into dist/bench/tfjs.js so that the GPU machine
// (whose node_modules holds only `webgpu`) can run it without the 69 MB of packages.
export * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-webgpu';
