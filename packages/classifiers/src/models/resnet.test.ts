import { createClassifier } from '../factory';
import { describeClassifier } from '../testing/describe-classifier';

// Reference counts (10 classes, 3 input channels): the PyTorch peer's, from scripts/reference_counts.py.
describeClassifier('resnet20', {
  create: (rng) => createClassifier('resnet20', { rng }),
  parameters: 272_474,
  names: [
    'stem.conv.weight',
    'stage1.block0.conv1.weight',
    'stage2.block0.shortcut.conv.weight',
    'stage3.block2.bn2.runningVar',
    'classifier.fc.bias',
  ],
  input: [2, 8, 8, 3],
  siteShapes: { stem: [2, 8, 8, 16], stage1: [2, 8, 8, 16], stage2: [2, 4, 4, 32], stage3: [2, 2, 2, 64] },
  backward: true,
});
describeClassifier('resnet32', {
  create: (rng) => createClassifier('resnet32', { rng }),
  parameters: 466_906,
});
describeClassifier('resnet44', {
  create: (rng) => createClassifier('resnet44', { rng }),
  parameters: 661_338,
});
describeClassifier('resnet56', {
  create: (rng) => createClassifier('resnet56', { rng }),
  // Every one of its block-level sites split and joined again (the battery's site tests).
  input: [1, 4, 4, 3],
  parameters: 855_770,
});
describeClassifier('resnet110', {
  create: (rng) => createClassifier('resnet110', { rng }),
  // Every one of its block-level sites split and joined again (the battery's site tests).
  input: [1, 4, 4, 3],
  parameters: 1_730_714,
});
describeClassifier('resnet18', {
  create: (rng) => createClassifier('resnet18', { rng }),
  parameters: 11_173_962,
  names: ['layer1.block1.conv2.weight', 'layer4.block0.shortcut.bn.gamma'],
  input: [2, 8, 8, 3],
  siteShapes: {
    stem: [2, 8, 8, 64],
    layer1: [2, 8, 8, 64],
    layer2: [2, 4, 4, 128],
    layer3: [2, 2, 2, 256],
    layer4: [2, 1, 1, 512],
  },
});
// As kuangliu/pytorch-cifar's ResNet34.
describeClassifier('resnet34', {
  create: (rng) => createClassifier('resnet34', { rng }),
  parameters: 21_282_122,
});
