import { createClassifier } from '../factory';
import { describeClassifier } from '../testing/describe-classifier';

// 61,706 for 1 channel is the classic LeNet-5 count; 3 channels add 2·150 conv1 weights.
describeClassifier('lenet5', {
  create: (rng) => createClassifier('lenet5', { rng }),
  parameters: 62_006,
  names: ['block1.conv.weight', 'block1.conv.bias', 'classifier.fc3.weight'],
  input: [2, 32, 32, 3],
  siteShapes: { block1: [2, 14, 14, 6], block2: [2, 5, 5, 16] },
  backward: true,
});
describeClassifier('lenet5 (28×28, grayscale)', {
  create: (rng) => createClassifier('lenet5', { rng, inputSize: 28, inChannels: 1 }),
  parameters: 61_706,
  input: [2, 28, 28, 1],
  siteShapes: { block1: [2, 14, 14, 6], block2: [2, 5, 5, 16] },
});
