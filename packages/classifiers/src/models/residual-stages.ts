import type { Rng } from '@perturb/core';
import { Stage } from '../layers/stage';
import type { FeatureLayer } from '../layers/stage';

/** Builds one residual block: `(rng, inChannels, outChannels, stride) → block`. */
export type BlockFactory = (
  rng: Rng,
  inChannels: number,
  outChannels: number,
  stride: number,
) => FeatureLayer;

/** Widths and depths of the residual stages of a CIFAR-style ResNet. */
export interface ResidualLayout {
  /** Output channels of each stage. */
  widths: readonly number[];
  /** Number of blocks in each stage. */
  blocks: readonly number[];
  /**
   * Site and state name of stage i is `${sitePrefix}${i + 1}`, e.g. `'layer'` → `layer1`; its
   * blocks but the last are the sites `layer1.block0`, ….
   */
  sitePrefix: string;
}

/**
 * The residual stages of a CIFAR-style ResNet: every stage but the first starts with a
 * stride-2 block, so a 32×32 input leaves stage i at 32/2^(i−1).
 */
export function residualStages(
  rng: Rng,
  inChannels: number,
  layout: ResidualLayout,
  makeBlock: BlockFactory,
): Array<readonly [string, Stage]> {
  let channels = inChannels;
  return layout.widths.map((width, i) => {
    const name = `${layout.sitePrefix}${i + 1}`;
    const blocks = Array.from({ length: layout.blocks[i] }, (_, j) => {
      const block = makeBlock(rng.child(`${name}.block${j}`), channels, width, j === 0 && i > 0 ? 2 : 1);
      channels = width;
      return block;
    });
    return [name, new Stage(blocks)] as const;
  });
}
