/** One Adam step of a multi-scale Glow, as `glow_peer.py --bench` times it. */
import { Rng } from '@perturb/core';
import { Glow, createFlowOptimizer, flowTrainingStep } from '@perturb/flows';
import type * as tf from '@tensorflow/tfjs-core';

export interface GlowStepSpec {
  levels: number;
  steps: number;
  hidden: number;
  batch: number;
  size: number;
}

export function glowStep(spec: GlowStepSpec): { step: () => void; dispose: () => void } {
  const rng = new Rng(0);
  const model = new Glow({
    inputShape: [spec.size, spec.size, 1],
    levels: spec.levels,
    steps: spec.steps,
    hidden: spec.hidden,
    rng: rng.child('flow'),
  });
  const x = rng.uniformTensor([spec.batch, spec.size, spec.size, 1]) as tf.Tensor4D;
  model.initialize(x);
  const optimizer = createFlowOptimizer(model, { kind: 'adam' });
  const noise = rng.child('dequantize');
  return {
    step: () => void flowTrainingStep(model, optimizer, x, { lr: 1e-3, rng: noise, gradClipNorm: 50 }),
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      x.dispose();
    },
  };
}
