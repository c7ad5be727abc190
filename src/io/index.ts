// Saving and loading tensors: the safetensors format, as bytes (browser and Node) and as files (Node).
export { serializeSafetensors, parseSafetensors } from './safetensors.js';
export type { ParseOptions, Safetensors, SafetensorsEntry } from './safetensors.js';
export { saveSafetensors, loadSafetensors } from './file.js';
