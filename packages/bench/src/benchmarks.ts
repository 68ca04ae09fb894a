/** The benchmark rows: each builds a step of ours and names the peer command that does the same. */
import { afanStep, latentAdversarialStep } from './augmented-step';
import { classifierStep } from './classifier-step';
import { deeplabPeerArgs, deeplabStep, type DeepLabStepSpec } from './deeplab-step';
import { fasterRcnnPeerArgs, fasterRcnnStep, type FasterRcnnStepSpec } from './fasterrcnn-step';
import { glowStep } from './glow-step';
import { layersResNetStep } from './layers-resnet';
import { rawOpsResNetStep } from './rawops-resnet';

export interface Benchmark {
  id: string;
  what: string;
  build: () => { step: () => unknown; dispose: () => void };
  peer: { script: string; args: string[] };
  /** A row of perturb's own that does the same work: the run times it too and reports the ratio. */
  baseline?: string;
}

const RESNET20_INPUT = { batch: 128, channels: 1, size: 32 };
const DEEPLAB: DeepLabStepSpec = {
  batch: 16,
  size: 64,
  classes: 11,
  blocks: [2, 2, 2, 2],
  outputStride: 16,
  asppChannels: 128,
};
/** The `fasterrcnn` model's defaults (sized for 64×64 Fashion-MNIST scenes) on scene-sized inputs. */
const FASTER_RCNN: FasterRcnnStepSpec = {
  batch: 8,
  size: 64,
  classes: 10,
  objects: 3,
  model: {
    width: 16,
    blocks: [2, 2, 2, 2],
    stem: 'cifar',
    fpnChannels: 64,
    anchorSizes: [12, 18, 27, 40, 60],
    aspectRatios: [0.5, 1, 2],
    rpnPreNmsTopNTrain: 200,
    rpnPostNmsTopNTrain: 100,
    rpnPreNmsTopNTest: 100,
    rpnPostNmsTopNTest: 50,
    rpnBatchSizePerImage: 256,
    roiSamples: 64,
    representationSize: 256,
    canonicalScale: 112,
  },
};
const RESNET20_PEER = { script: 'resnet_peer.py', args: ['--bench', '--model', 'resnet20'] };

export const BENCHMARKS: Benchmark[] = [
  {
    id: 'resnet20',
    what: 'ResNet-20 SGD step, batch 128, 32×32×1',
    build: () => classifierStep({ model: 'resnet20', ...RESNET20_INPUT }),
    peer: RESNET20_PEER,
  },
  {
    id: 'resnet20-rawops',
    what: 'ResNet-20 in raw tf ops (tf.conv2d, tf.moments, tf.batchNorm), SGD step, batch 128, 32×32×1',
    build: () => rawOpsResNetStep(RESNET20_INPUT),
    peer: RESNET20_PEER,
    baseline: 'resnet20',
  },
  {
    id: 'resnet20-layers',
    what: 'ResNet-20 in tf.layers (functional), tf.variableGrads + SGD step, batch 128, 32×32×1',
    build: () => layersResNetStep(RESNET20_INPUT),
    peer: RESNET20_PEER,
    baseline: 'resnet20',
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
  {
    id: 'deeplabv3plus',
    what:
      'DeepLabV3+ SGD step, ResNet-18 backbone (ImageNet stem, width 64, dilated), output stride 16, ' +
      'ASPP/decoder 128 channels, 11 classes, per-pixel CE, batch 16, 64×64×1',
    build: () => deeplabStep(DEEPLAB),
    peer: { script: 'deeplab_peer.py', args: ['--bench', ...deeplabPeerArgs(DEEPLAB)] },
  },
  {
    id: 'fasterrcnn',
    what:
      'Faster R-CNN SGD step (forward against the boxes, RPN + RoI losses, backward, update), ResNet-18 ' +
      'width 16 (CIFAR stem) + FPN 64, 256 anchors/64 RoIs sampled an image, 10 classes, 3 boxes an image, batch 8, 64×64×1',
    build: () => fasterRcnnStep(FASTER_RCNN),
    peer: { script: 'fasterrcnn_peer.py', args: ['--bench', ...fasterRcnnPeerArgs(FASTER_RCNN)] },
  },
];
