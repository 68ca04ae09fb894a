/** The benchmark rows: each builds a step of ours and names the peer command that does the same. */
import { classifierStep } from './classifier-step';

export interface Benchmark {
  id: string;
  what: string;
  build: () => { step: () => void; dispose: () => void };
  peer: { script: string; args: string[] };
}

export const BENCHMARKS: Benchmark[] = [
  {
    id: 'resnet20',
    what: 'ResNet-20 SGD step, batch 128, 32×32×1',
    build: () => classifierStep({ model: 'resnet20', batch: 128, channels: 1, size: 32 }),
    peer: { script: 'resnet_peer.py', args: ['--bench', '--model', 'resnet20'] },
  },
  {
    id: 'resnet18',
    what: 'CIFAR ResNet-18 SGD step, batch 64, 32×32×3',
    build: () => classifierStep({ model: 'resnet18', batch: 64, channels: 3, size: 32 }),
    peer: { script: 'resnet_peer.py', args: ['--bench', '--model', 'resnet18', '--channels', '3', '--batch', '64'] },
  },
];
