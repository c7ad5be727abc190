// torch.linalg's functions, as `sg.linalg.vectorNorm`, `sg.linalg.matrixNorm`, `sg.linalg.cross`.
export { vectorNorm, matrixNorm } from '../ops/norms.js';
export { linalgCross as cross } from '../ops/linalg.js';
