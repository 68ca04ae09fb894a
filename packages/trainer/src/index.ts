export { train, readMetrics } from './trainer';
export type { TrainOptions, TrainData, TrainResult, EpochRecord } from './trainer';
export { evaluate } from './evaluate';
export type { EvalResult } from './evaluate';
export { createOptimizer, globalNorm } from './optimizers';

export type { Optimizer, OptimizerConfig, OptimizerLayout, OptimizerOptions, StepHyper } from './optimizers';
export { createSchedule } from './schedules';
export type { Schedule, ScheduleConfig, ScheduleOptions } from './schedules';
export { countCorrect } from './loss';
