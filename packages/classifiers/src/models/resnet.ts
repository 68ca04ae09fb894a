import { PerturbError } from '@perturb/core';
import { BasicBlock } from '../blocks/basic';
import { convBn } from '../layers/conv-bn';
import { PooledLinear } from '../layers/pooled-linear';
import type { ClassifierOptions } from '../options';
import { SitedClassifier } from '../sited';
import { residualStages } from './residual-stages';
import type { ResidualLayout } from './residual-stages';

/** Options of `ResNet`: the layout plus the common classifier options. */
export interface ResNetOptions extends ClassifierOptions, ResidualLayout {}

/**
 * CIFAR-style post-activation ResNet (He et al. 2016a): 3×3 conv stem (width `widths[0]`) →
 * BN → ReLU, no max-pool, then stages of `BasicBlock`s, global average pool and a linear
 * layer. Sites: `stem`, then per stage its blocks but the last (`stage1.block0`, …) and the stage
 * itself (its last block's output). Matches the PyTorch peer layer for layer.
 */
export class ResNet extends SitedClassifier {
  constructor(options: ResNetOptions) {
    const { rng, numClasses = 10, inChannels = 3, widths } = options;
    const stem = convBn(rng.child('stem'), inChannels, widths[0]);
    const stages = residualStages(
      rng,
      widths[0],
      options,
      (r, cin, cout, stride) => new BasicBlock(r, cin, cout, stride),
    );
    const top = new PooledLinear(rng.child('classifier'), widths[widths.length - 1], numClasses);
    super(numClasses, inChannels, [['stem', stem], ...stages], top);
  }
}

/**
 * CIFAR ResNet-18 (11,173,962 parameters at 10 classes, 3 channels) or ResNet-34. Sites `stem`,
 * then `layer1.block0`, `layer1`, … `layer4` (ResNet-18: 9 sites).
 */
export function cifarResNet(depth: 18 | 34, options: ClassifierOptions): ResNet {
  const blocks = depth === 18 ? [2, 2, 2, 2] : [3, 4, 6, 3];
  return new ResNet({ ...options, widths: [64, 128, 256, 512], blocks, sitePrefix: 'layer' });
}

/**
 * The CIFAR ResNets of He et al. (2016a, §4.2): depth 6n+2, three stages of n blocks with
 * 16/32/64 channels (ResNet-20, -32, -44, -56, -110), sites `stem`, `stage1..3`. Shortcuts
 * are option B (1×1 conv + BN), as in the PyTorch peer, not the paper's parameter-free option A.
 * Sites: `stem`, then `stageI.blockJ` for J < n − 1 and `stageI` (3n + 1 in all: ResNet-20 has 10,
 * ResNet-56 28).
 */
export function heResNet(depth: number, options: ClassifierOptions): ResNet {
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
    throw new PerturbError(
      `ResNet depth ${depth} is not of the form 6n+2`,
      'use 20, 32, 44, 56, 110 or another 6n+2 ≥ 8',
    );
  }
  const n = (depth - 2) / 6;
  return new ResNet({ ...options, widths: [16, 32, 64], blocks: [n, n, n], sitePrefix: 'stage' });
}
