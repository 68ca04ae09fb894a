import { Rng, initBackend } from '@perturb/core';
import { beforeAll, expect, it } from 'vitest';
import { createClassifier } from './factory';
import { summarizeParameters } from './summary';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

it('groups trainable parameters by name prefix, leaving BatchNorm statistics out', () => {
  const model = createClassifier('lenet5', { rng: new Rng(0), inChannels: 1 });
  expect(summarizeParameters(model)).toEqual({
    total: 61_706,
    groups: [
      { name: 'block1', count: 156 },
      { name: 'block2', count: 2416 },
      { name: 'classifier', count: 59_134 },
    ],
  });
  expect(summarizeParameters(model, 2).groups.map((g) => g.name)).toEqual([
    'block1.conv',
    'block2.conv',
    'classifier.fc1',
    'classifier.fc2',
    'classifier.fc3',
  ]);
  model.dispose();
});

it('counts gamma and beta but not running statistics', () => {
  const model = createClassifier('resnet20', { rng: new Rng(0) });
  const stem = summarizeParameters(model).groups[0];
  expect(stem).toEqual({ name: 'stem', count: 3 * 3 * 3 * 16 + 2 * 16 });
  model.dispose();
});
