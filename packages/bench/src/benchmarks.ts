/** The benchmark rows: each builds a step of ours and names the peer command that does the same. */
import { afanStep, latentAdversarialStep } from './augmented-step';
import { classifierStep } from './classifier-step';
import { glowStep } from './glow-step';

export interface Benchmark {
  id: string;
  what: string;
  build: () => { step: () => unknown; dispose: () => void };
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
    peer: {
      script: 'resnet_peer.py',
      args: ['--bench', '--model', 'resnet18', '--channels', '3', '--batch', '64'],
    },
  },
  {
    id: 'glow',
    what: 'Glow L=3, K=8, width 128 Adam step, batch 64, 32×32×1',
    build: () => glowStep({ levels: 3, steps: 8, hidden: 128, batch: 64, size: 32 }),
    peer: { script: 'glow_peer.py', args: ['--bench', '--levels', '3', '--steps', '8', '--hidden', '128'] },
  },
  {
    id: 'latent-adv-1',
    what: 'ResNet-20 step with LA-Glow adversarial (1 PGD step), batch 64',
    build: () => latentAdversarialStep(1),
    peer: { script: 'latent_adv_peer.py', args: ['--pgd-steps', '1'] },
  },
  {
    id: 'latent-adv-3',
    what: 'ResNet-20 step with LA-Glow adversarial (3 PGD steps), batch 64',
    build: () => latentAdversarialStep(3),
    peer: { script: 'latent_adv_peer.py', args: ['--pgd-steps', '3'] },
  },
  {
    id: 'afan',
    what: 'ResNet-20 step with A-FAN (stage 1, PGD-5, A-FN), batch 64',
    build: () => afanStep(),
    peer: { script: 'latent_adv_peer.py', args: ['--afan'] },
  },
];
