export { train } from './trainer';
export type { TrainOptions, TrainData, TrainResult, EpochRecord, TrainStepProgress } from './trainer';
export { evaluate } from './evaluate';
export type { EvalResult } from './evaluate';
export { countCorrect } from './loss';
