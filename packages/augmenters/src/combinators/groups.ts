import { check, concatBatches, type Batch } from '@perturb/core';
import { gatherBatch } from '../batch-ops';
import type { BoundTransform } from './children';

/**
 * Runs `transforms[g]` on the samples whose group is `g` (a null transform passes them
 * unchanged) and returns every sample at its original position. Each child sees only its own
 * samples, so unpicked children cost nothing.
 */
export function transformGroups(
  batch: Batch,
  groups: readonly number[],
  transforms: readonly BoundTransform[],
): Batch {
  const members: number[][] = transforms.map(() => []);
  groups.forEach((group, sample) => members[group].push(sample));
  const whole = members.findIndex((m) => m.length === groups.length);
  if (whole >= 0) return transforms[whole]?.(batch) ?? batch;

  const parts: Batch[] = [];
  const order: number[] = [];
  members.forEach((samples, group) => {
    if (samples.length === 0) return;
    const subset = gatherBatch(batch, samples);
    const out = transforms[group]?.(subset) ?? subset;
    check(
      out.x.shape[0] === samples.length && out.y.shape[0] === samples.length,
      `an augmenter returned ${out.x.shape[0]} samples for ${samples.length}`,
      'augmenters used inside oneOf or randomApply must keep the batch size',
    );
    parts.push(out);
    order.push(...samples);
  });
  const positionOf = new Int32Array(order.length);
  order.forEach((sample, position) => (positionOf[sample] = position));
  return gatherBatch(concatBatches(parts), positionOf);
}
