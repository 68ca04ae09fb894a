import { PerturbError } from '@perturb/core';
import { PreActBlock } from '../blocks/preact';
import { plainConv } from '../layers/conv-bn';
import { PooledLinear } from '../layers/pooled-linear';
import type { ClassifierOptions } from '../options';
import { SitedClassifier } from '../sited';
import { residualStages } from './residual-stages';
import type { ResidualLayout } from './residual-stages';

/** Options of `PreActResNet`. */
export interface PreActResNetOptions extends ClassifierOptions, ResidualLayout {
  /** Output channels of the stem conv. */
  stemWidth: number;
}

/**
 * Pre-activation ResNet (He et al. 2016b): a bare 3×3 conv stem, stages of `PreActBlock`s, a
 * final BN → ReLU, global average pool and a linear layer. Sites: `stem`, then per stage its
 * blocks but the last (`layer1.block0`, …) and the stage itself (its last block's output).
 */
export class PreActResNet extends SitedClassifier {
  constructor(options: PreActResNetOptions) {
    const { rng, numClasses = 10, inChannels = 3, stemWidth, widths } = options;
    // A bare conv: pre-activation blocks normalize their own input.
    const stemConv = plainConv(rng.child('stem'), inChannels, stemWidth, 3, 1);
    const stages = residualStages(
      rng,
      stemWidth,
      options,
      (r, cin, cout, stride) => new PreActBlock(r, cin, cout, stride),
    );
    const top = new PooledLinear(rng.child('classifier'), widths[widths.length - 1], numClasses, {
      batchNorm: true,
    });
    super(numClasses, inChannels, [['stem', stemConv], ...stages], top);
  }
}

/** PreAct-ResNet-18: 64/128/256/512 channels, [2, 2, 2, 2] blocks, sites `stem`, `layer1.block0`, `layer1`, … `layer4`. */
export function preActResNet18(options: ClassifierOptions): PreActResNet {
  return new PreActResNet({
    ...options,
    stemWidth: 64,
    widths: [64, 128, 256, 512],
    blocks: [2, 2, 2, 2],
    sitePrefix: 'layer',
  });
}

/** Options of `WideResNet`. */
export interface WideResNetOptions extends ClassifierOptions {
  /** Total depth 6n+4 (n blocks per stage). Default 28. */
  depth?: number;
  /** Width multiplier k of the 16/32/64 stage widths. Default 10. */
  widenFactor?: number;
}

/**
 * WideResNet-depth-k (Zagoruyko & Komodakis 2016): a 16-channel stem, three stages of
 * (depth−4)/6 pre-activation blocks with 16k/32k/64k channels, sites `stem`, then
 * `stageI.blockJ` for every block but a stage's last, and `stageI`.
 * Dropout inside blocks is left out (the paper's default for CIFAR is none).
 */
export class WideResNet extends PreActResNet {
  constructor(options: WideResNetOptions) {
    const { depth = 28, widenFactor = 10 } = options;
    if (!Number.isInteger(depth) || depth < 10 || (depth - 4) % 6 !== 0) {
      throw new PerturbError(
        `WideResNet depth ${depth} is not of the form 6n+4`,
        'use 16, 22, 28, 40 or another 6n+4 ≥ 10',
      );
    }
    const n = (depth - 4) / 6;
    const widths = [16, 32, 64].map((w) => w * widenFactor);
    super({ ...options, stemWidth: 16, widths, blocks: [n, n, n], sitePrefix: 'stage' });
  }
}
