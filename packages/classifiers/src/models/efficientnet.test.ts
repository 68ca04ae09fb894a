import { createClassifier } from '../factory';
import { describeClassifier } from '../testing/describe-classifier';

// torchvision's efficientnet_b0 has 5,288,548 parameters at 1000 classes; at 10 classes
// 5,288,548 − 1,281,000 + 12,810 = 4,020,358 (also from scripts/reference_counts.py).
describeClassifier('efficientnet-b0', {
  create: (rng) => createClassifier('efficientnet-b0', { rng }),
  parameters: 4_020_358,
  names: [
    'stage1.block0.depthwise.conv.weight',
    'stage2.block0.expand.conv.weight',
    'stage2.block0.se.reduce.bias',
    'stage7.block0.project.bn.beta',
    'top.conv.weight',
  ],
  input: [2, 8, 8, 3],
  siteShapes: {
    stem: [2, 8, 8, 32],
    stage2: [2, 4, 4, 24],
    stage3: [2, 2, 2, 40],
    stage6: [2, 1, 1, 192],
    top: [2, 1, 1, 1280],
  },
  backward: true,
});
