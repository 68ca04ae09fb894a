export { train } from './trainer';
export type { TrainOptions, TrainResult, EpochRecord, TrainStepProgress } from './trainer';
export { evaluate } from './evaluate';
export type { EvalResult } from './evaluate';
export { countCorrect } from '@perturb/core';
