/**
 * @perturb/optim: optimizers and learning-rate schedules with PyTorch's update rules, each with
 * the zod schema that checks its settings (for configs and editors).
 */
export { createOptimizer, globalNorm, optimizerSchema, OPTIMIZER_NAMES } from './optimizers';
export type {
  Optimizer,
  OptimizerConfig,
  ResolvedOptimizerConfig,
  OptimizerLayout,
  OptimizerOptions,
  StepHyper,
} from './optimizers';
export { createSchedule, scheduleSchema, SCHEDULE_NAMES } from './schedules';
export type { Schedule, ScheduleConfig, ScheduleOptions } from './schedules';
