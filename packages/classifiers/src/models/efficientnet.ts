import { MBConv } from '../blocks/mbconv';
import { convBn } from '../layers/conv-bn';
import { PooledLinear } from '../layers/pooled-linear';
import { Stage } from '../layers/stage';
import type { FeatureLayer } from '../layers/stage';
import type { ClassifierOptions } from '../options';
import { SitedClassifier } from '../sited';

/** Options of `EfficientNetB0`. */
export interface EfficientNetB0Options extends ClassifierOptions {
  /**
   * Stride of the stem conv. Default 1: on 32×32 inputs the ImageNet stride 2 would leave 1×1
   * maps in the last stages; with 1 they end at 2×2. Use 2 for ImageNet-sized inputs.
   */
  stemStride?: 1 | 2;
}

/** [expand ratio, kernel, stride of the first block, output channels, blocks] of B0 (Tan & Le 2019, Table 1). */
const B0_STAGES: ReadonlyArray<readonly [number, number, number, number, number]> = [
  [1, 3, 1, 16, 1],
  [6, 3, 2, 24, 2],
  [6, 5, 2, 40, 2],
  [6, 3, 2, 80, 3],
  [6, 5, 1, 112, 3],
  [6, 5, 2, 192, 4],
  [6, 3, 1, 320, 1],
];
const STEM_WIDTH = 32;
const TOP_WIDTH = 1280;

/**
 * EfficientNet-B0 (Tan & Le 2019): 3×3 stem (32 ch) → BN → swish, seven stages of MBConv
 * blocks with squeeze-excitation, a 1×1 conv to 1280 channels → BN → swish, global average
 * pool and a linear layer; the layout of torchvision's `efficientnet_b0`, without its dropout
 * and stochastic depth. Sites: `stem`, per stage its MBConv blocks but the last
 * (`stage2.block0`, …) and the stage itself, then `top` (the 1280-channel features): 18 in all.
 */
export class EfficientNetB0 extends SitedClassifier {
  constructor(options: EfficientNetB0Options) {
    const { rng, numClasses = 10, inChannels = 3, stemStride = 1 } = options;
    const sites: Array<readonly [string, FeatureLayer]> = [
      [
        'stem',
        convBn(rng.child('stem'), inChannels, STEM_WIDTH, { stride: stemStride, activation: 'swish' }),
      ],
    ];
    let channels = STEM_WIDTH;
    B0_STAGES.forEach(([expandRatio, kernelSize, stride, width, blocks], i) => {
      const name = `stage${i + 1}`;
      const stage = Array.from({ length: blocks }, (_, j) => {
        const spec = {
          inChannels: channels,
          outChannels: width,
          expandRatio,
          kernelSize,
          stride: j === 0 ? stride : 1,
        };
        channels = width;
        return new MBConv(rng.child(`${name}.block${j}`), spec);
      });
      sites.push([name, new Stage(stage)]);
    });
    sites.push([
      'top',
      convBn(rng.child('top'), channels, TOP_WIDTH, { kernelSize: 1, activation: 'swish' }),
    ]);
    super(numClasses, inChannels, sites, new PooledLinear(rng.child('classifier'), TOP_WIDTH, numClasses));
  }
}
