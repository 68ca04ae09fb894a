import type { Module } from '@perturb/core';

/** Trainable scalars of a module, in total and per group of parameter names. */
export interface ParameterSummary {
  total: number;
  /** Groups in registration order, e.g. `{ name: 'stage1', count: 14336 }`. */
  groups: Array<{ name: string; count: number }>;
}

/**
 * Counts trainable scalars (conv and linear weights and biases, BatchNorm gamma and beta; not
 * running statistics), grouped by the first `depth` components of the dotted names.
 * @param depth name components per group. Default 1 (`stem`, `stage1`, …, `classifier`).
 */
export function summarizeParameters(module: Module, depth = 1): ParameterSummary {
  const groups = new Map<string, number>();
  let total = 0;
  for (const [name, variable] of module.namedParameters()) {
    const group = name.split('.').slice(0, depth).join('.');
    groups.set(group, (groups.get(group) ?? 0) + variable.size);
    total += variable.size;
  }
  return { total, groups: [...groups].map(([name, count]) => ({ name, count })) };
}
