import { createClassifier } from '../factory';
import { describeClassifier } from '../testing/describe-classifier';
import { WideResNet } from './preact-resnet';

// kuangliu/pytorch-cifar's PreActResNet18 (11,171,146) plus the final BN of He et al. (2016b).
describeClassifier('preact-resnet18', {
  create: (rng) => createClassifier('preact-resnet18', { rng }),
  parameters: 11_172_170,
  names: ['stem.weight', 'layer2.block0.shortcut.weight', 'classifier.bn.gamma', 'classifier.fc.weight'],
  input: [2, 8, 8, 3],
});
// 36,479,194: the count of xternalz/WideResNet-pytorch at 10 classes (published as 36.5M).
describeClassifier('wrn-28-10', {
  create: (rng) => createClassifier('wrn-28-10', { rng }),
  parameters: 36_479_194,
});
// A tiny WideResNet (reference count for 1 channel from scripts/reference_counts.py) exercises the same pre-activation code through a backward pass.
describeClassifier('WideResNet-10-2', {
  create: (rng) => new WideResNet({ rng, depth: 10, widenFactor: 2, inChannels: 1 }),
  parameters: 303_418,
  input: [2, 8, 8, 1],
  siteShapes: { stem: [2, 8, 8, 16], stage1: [2, 8, 8, 32], stage2: [2, 4, 4, 64], stage3: [2, 2, 2, 128] },
  backward: true,
});
