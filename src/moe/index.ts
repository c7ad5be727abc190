// The scattered mixture-of-experts op and its routing.
export { scatteredExperts, ScatteredExperts } from './scattered-experts.js';
export type { ScatteredExpertsOptions } from './scattered-experts.js';
export { flattenSortCount } from './routing.js';
export type { FlattenSortCountResult } from './routing.js';
