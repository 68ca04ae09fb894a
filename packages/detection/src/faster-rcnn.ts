/**
 * Faster R-CNN (Ren et al., NeurIPS 2015) with a feature pyramid (Lin et al., CVPR 2017), as
 * torchvision's `fasterrcnn_resnet50_fpn` builds it, as a perturb `Module` with named feature
 * sites for A-FAN: a ResNet backbone, the pyramid, the region proposal network and the RoI head.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type ForwardOptions,
  type Model,
  Module,
  PerturbError,
  Rng,
  type Task,
  checkImageChannels,
  checkImageSides,
  depthToSpace,
  parseOptions,
  resnetStages,
  siteIndex,
  spaceToDepth,
} from '@perturb/core';
import { AnchorGenerator, Matcher } from './anchors';
import { BoxCoder } from './boxes';
import type { DetectorOutput } from './detector-output';
import {
  type FasterRcnnConfig,
  type FasterRcnnSettings,
  fasterRcnnOptionsSchema,
} from './faster-rcnn-options';
import { FeaturePyramid } from './fpn';
import { type ImageBoxes, imageBoxes } from './ground-truth';
import { filterProposals } from './nms';
import { multiScaleRoiAlign } from './roi-align';
import { BoxHead, type ImageRois, sampleRois } from './roi-heads';
import { type AnchorLabelling, RpnHead, labelAnchors } from './rpn';
import { detectionTask } from './task';

/** Options of {@link FasterRcnn}: the `fasterrcnn` options, the weights' stream and the data's shape. */
export type FasterRcnnOptions = FasterRcnnConfig & {
  /** Seeded stream for the weights. */
  rng: Rng;
  /** Object classes, without background (the class logits have one more column, background first). */
  numClasses: number;
  /** Image channels. Default 3. */
  inChannels?: number;
};

/** The feature sites of {@link FasterRcnn}, in forward order. */
export const FASTER_RCNN_SITES = [
  'stem',
  'layer1',
  'layer2',
  'layer3',
  'layer4',
  'fpn',
  'rpn',
  'roi',
] as const;
export type FasterRcnnSite = (typeof FASTER_RCNN_SITES)[number];

/**
 * The seed of the stream a forward pass samples anchors and RoIs from when its options bring
 * none (`new Rng(0)`, fresh at every pass, so such passes repeat exactly).
 */
export const DEFAULT_SAMPLING_SEED = 0;

/** Side of the square each RoI is pooled to (torchvision's `MultiScaleRoIAlign` output 7×7). */
const POOL = 7;
/** Bilinear samples per bin and axis in RoIAlign (torchvision: 2). */
const SAMPLING_RATIO = 2;
/** The pyramid level a RoI of `canonicalScale` pixels is pooled from (torchvision: 4). */
const CANONICAL_LEVEL = 4;
/** The RPN's box coder (weights 1, 1, 1, 1). */
const RPN_CODER = new BoxCoder();
const SITE_INDEX = { stem: 0, layer1: 1, layer2: 2, layer3: 3, layer4: 4, fpn: 5, rpn: 6, roi: 7 } as const;

/** What the RoI head reads besides the pooled features: the RoIs and the RPN's outputs. */
type RoiContext = Omit<DetectorOutput, 'rois'> & {
  rois: Omit<DetectorOutput['rois'], 'classLogits' | 'boxDeltas'>;
};

/**
 * What flows between steps. Before the pyramid, `maps` holds the backbone outputs the rest still
 * needs (the input, the stem's, or layer1…layerk); `levels` the pyramid levels; `shared` the RPN
 * head's shared features per level; at the RoIs, the pooled features and their context.
 */
interface Flow {
  maps?: tf.Tensor4D[];
  levels?: tf.Tensor4D[];
  shared?: tf.Tensor4D[];
  pooled?: tf.Tensor4D;
  context?: RoiContext;
}

/**
 * Faster R-CNN with an FPN on a ResNet. `logits(x)` maps NHWC images `[N, H, W, inChannels]`
 * (sides multiples of the coarsest pyramid stride, {@link FasterRcnn.sizeMultiple}) to a
 * {@link DetectorOutput}.
 *
 * - Backbone: ResNet-18/34/50 stages `stem`, `layer1`…`layer4` (core's `resnetStages`).
 * - Pyramid: laterals over layer1…layer4, top-down nearest 2× upsampling, 3×3 outputs and a
 *   max-pooled fifth level.
 * - RPN: a shared 3×3 conv + ReLU and 1×1 objectness/deltas per anchor on every level; anchors
 *   of one size and several aspect ratios per level; proposals decoded, clipped, the best
 *   `rpnPreNmsTopN` per level, NMS 0.7 within levels, the best `rpnPostNmsTopN` kept.
 * - With `targets` (the batch), each image's anchors are matched (0.7/0.3, low-quality matches)
 *   and sampled (`rpnBatchSizePerImage`, `rpnPositiveFraction`) into `rpn.labels`; in training
 *   the RoIs are the proposals plus the ground-truth boxes, matched at 0.5 and sampled
 *   (`roiSamples`, `roiPositiveFraction`). Both samples are drawn from `options.rng` (children
 *   `rpn`/`roi`, then `image-i`), or from `new Rng(DEFAULT_SAMPLING_SEED)` without one. Otherwise
 *   the RoIs are the kept proposals, padded to `rpnPostNmsTopN` (`rois.valid` 0 on padding).
 * - RoI head: each RoI pooled 7×7 by RoIAlign from the level its size maps to, two fully
 *   connected layers with ReLU, class logits (background first) and class-specific deltas.
 *
 * Feature sites, with `tail(head(x, s), s)` equal to `logits(x)` for the same options: `stem`,
 * `layer1`…`layer4`, `fpn` (the pyramid), `rpn` (the RPN head's shared features) and `roi`
 * (the pooled RoIs, `[N, R·7, 7, fpnChannels]`). A site whose tail still needs earlier outputs
 * carries them in its one tensor, each moved space-to-depth to the site's resolution and
 * concatenated on channels, finest first: `layerk` holds layer1…layerk; `fpn` the five levels
 * at the coarsest level's resolution; `rpn` the five levels' shared features, then the four
 * pyramid levels the RoIs are pooled from. So a perturbation there reaches everything the rest of
 * the network reads. `roi` cannot carry the RoIs and RPN outputs the head's remainder returns: its
 * tail takes them from the latest `head(x, 'roi', …)`, which the model holds until the next one
 * (or `dispose()`).
 */
export class FasterRcnn extends Module implements Model<DetectorOutput> {
  readonly sites: readonly FasterRcnnSite[] = FASTER_RCNN_SITES;
  readonly numClasses: number;
  /** What the outputs mean: the detection task over the model's object classes. */
  readonly task: Task;
  readonly inChannels: number;
  /** The options with their defaults. */
  readonly settings: FasterRcnnSettings;
  /** Image sides must be multiples of this: the stride of the coarsest pyramid level. */
  readonly sizeMultiple: number;

  private readonly stages: Array<{ forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D }>;
  /** Input pixels per pixel of the stem and layer1…layer4. */
  private readonly stageStrides: number[];
  private readonly stageChannels: number[];
  private readonly pyramid: FeaturePyramid;
  private readonly rpnHead: RpnHead;
  private readonly boxHead: BoxHead;
  private readonly anchorGenerator: AnchorGenerator;
  private readonly anchorLabelling: AnchorLabelling;
  private roiCache: RoiContext | null = null;

  constructor(options: FasterRcnnOptions) {
    super();
    const { rng, numClasses, inChannels = 3, ...config } = options;
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new PerturbError(
        `numClasses must be an integer ≥ 1, got ${numClasses}`,
        'count the object classes without background (the model adds it)',
      );
    }
    const settings = parseOptions(fasterRcnnOptionsSchema, config, 'fasterrcnn options');
    this.settings = settings;
    this.numClasses = numClasses;
    this.task = detectionTask(numClasses);
    this.inChannels = inChannels;
    const stages = resnetStages({ rng, inChannels, ...settings });
    this.stages = stages.map((stage) => this.addModule(stage.name, stage.module));
    this.stageStrides = stages.map((stage) => stage.stride);
    this.stageChannels = stages.map((stage) => stage.channels);
    this.sizeMultiple = 2 * this.stageStrides[4];
    this.pyramid = this.addModule(
      'fpn',
      new FeaturePyramid(rng.child('fpn'), this.stageChannels.slice(1), settings.fpnChannels),
    );
    this.anchorGenerator = new AnchorGenerator({
      sizes: settings.anchorSizes,
      aspectRatios: [settings.aspectRatios],
    });
    this.rpnHead = this.addModule(
      'rpn',
      new RpnHead(
        rng.child('rpn'),
        settings.fpnChannels,
        settings.anchorSizes[0].length * settings.aspectRatios.length,
      ),
    );
    this.anchorLabelling = {
      matcher: new Matcher({ highThreshold: 0.7, lowThreshold: 0.3, allowLowQualityMatches: true }),
      sampler: {
        batchSizePerImage: settings.rpnBatchSizePerImage,
        positiveFraction: settings.rpnPositiveFraction,
      },
    };
    this.boxHead = this.addModule(
      'boxHead',
      new BoxHead(
        rng.child('boxHead'),
        POOL * POOL * settings.fpnChannels,
        settings.representationSize,
        numClasses,
      ),
    );
  }

  /** The detector's outputs for NHWC images. */
  logits(x: tf.Tensor4D, options: Partial<ForwardOptions> = {}): DetectorOutput {
    this.checkInput(x);
    return tf.tidy(() => this.finish(this.run({ maps: [x] }, 0, SITE_INDEX.roi, options)));
  }

  /** Features at `site` (see the class comment for what each holds). */
  head(x: tf.Tensor4D, site: string, options: Partial<ForwardOptions> = {}): tf.Tensor4D {
    this.checkInput(x);
    const index = siteIndex('FasterRcnn', FASTER_RCNN_SITES, site);
    let context: RoiContext | undefined;
    const features = tf.tidy(() => {
      const flow = this.run({ maps: [x] }, 0, index, options);
      if (!flow.context) return this.pack(flow, index);
      context = flow.context;
      for (const t of tf.tensor_util.getTensorsInContainer(context)) tf.keep(t);
      return flow.pooled!;
    });
    if (context) {
      if (this.roiCache) tf.dispose(this.roiCache);
      this.roiCache = context;
    }
    return features;
  }

  /** The outputs from features at `site`, as `head` returns them. */
  tail(features: tf.Tensor4D, site: string, options: Partial<ForwardOptions> = {}): DetectorOutput {
    const index = siteIndex('FasterRcnn', FASTER_RCNN_SITES, site);
    this.checkFeatures(features, index);
    return tf.tidy(() => {
      if (index === SITE_INDEX.roi)
        return this.finish({ pooled: features, context: cloneContext(this.roiCache!) });
      return this.finish(this.run(this.unpack(features, index), index + 1, SITE_INDEX.roi, options));
    });
  }

  override dispose(): void {
    if (this.roiCache) tf.dispose(this.roiCache);
    this.roiCache = null;
    super.dispose();
  }

  /** Steps `from`…`to` (site indices) of the forward pass. */
  private run(state: Flow, from: number, to: number, options: Partial<ForwardOptions>): Flow {
    const training = options.training ?? this.training;
    let flow = state;
    for (let i = from; i <= to; i++) flow = this.step(flow, i, training, options);
    return flow;
  }

  private step(flow: Flow, index: number, training: boolean, options: Partial<ForwardOptions>): Flow {
    if (index <= SITE_INDEX.layer4) {
      const maps = flow.maps!;
      const out = this.stages[index].forward(maps[maps.length - 1], training);
      // layer2…layer4 keep the finer stages for the pyramid; the stem's output is used up.
      return { maps: index >= SITE_INDEX.layer2 ? [...maps, out] : [out] };
    }
    if (index === SITE_INDEX.fpn) return { levels: this.pyramid.forward(flow.maps!) };
    if (index === SITE_INDEX.rpn) {
      const levels = flow.levels!;
      return { shared: levels.map((level) => this.rpnHead.features(level)), levels: levels.slice(0, 4) };
    }
    return this.regionsOfInterest(flow.shared!, flow.levels!, training, options);
  }

  /** The RPN's outputs, the RoIs (sampled in training with targets) and their pooled features. */
  private regionsOfInterest(
    shared: tf.Tensor4D[],
    levels: tf.Tensor4D[],
    training: boolean,
    options: Partial<ForwardOptions>,
  ): Flow {
    const s = this.settings;
    const n = shared[0].shape[0];
    const imageSize: [number, number] = [
      levels[0].shape[1] * this.stageStrides[1],
      levels[0].shape[2] * this.stageStrides[1],
    ];
    const predictions = shared.map((t) => this.rpnHead.predict(t));
    const objectness = tf.concat(
      predictions.map((p) => p.objectness),
      1,
    );
    const deltas = tf.concat(
      predictions.map((p) => p.deltas),
      1,
    );
    const featureSizes = shared.map((t) => [t.shape[1], t.shape[2]] as [number, number]);
    const anchorValues = this.anchorGenerator.generate(imageSize, featureSizes);
    const total = anchorValues.length / 4;
    const anchors = tf.tensor2d(anchorValues, [total, 4]);
    const perLocation = this.anchorGenerator.anchorsPerLocation();
    const anchorsPerLevel = featureSizes.map(([h, w], l) => h * w * perLocation[l]);
    // Proposals are constants (torchvision detaches them): decoded and selected on the host.
    const decoded = tf.tidy(() =>
      RPN_CODER.decode(tf.reshape(deltas, [n * total, 4]), tf.tile(anchors, [n, 1])),
    );
    const proposalValues = decoded.dataSync();
    const scores = objectness.dataSync();
    const truth = options.targets ? imageBoxes(options.targets, n, 'FasterRcnn') : null;
    const rng = options.rng ?? new Rng(DEFAULT_SAMPLING_SEED);
    const sampling = training && truth !== null;
    const perImage = (i: number) => ({
      proposals: filterProposals(
        proposalValues.subarray(4 * i * total, 4 * (i + 1) * total),
        scores.subarray(i * total, (i + 1) * total),
        anchorsPerLevel,
        imageSize,
        {
          preNmsTopN: training ? s.rpnPreNmsTopNTrain : s.rpnPreNmsTopNTest,
          postNmsTopN: training ? s.rpnPostNmsTopNTrain : s.rpnPostNmsTopNTest,
          nmsThreshold: s.rpnNmsThreshold,
        },
      ).boxes,
      truth: truth?.[i],
    });
    const images = Array.from({ length: n }, (_, i) => perImage(i));
    const rois: ImageRois[] = images.map(({ proposals, truth: gt }, i) =>
      sampling
        ? sampleRois(
            proposals,
            gt!,
            { batchSizePerImage: s.roiSamples, positiveFraction: s.roiPositiveFraction },
            rng.child('roi').child(`image-${i}`),
          )
        : { boxes: proposals },
    );
    const r = sampling ? s.roiSamples : training ? s.rpnPostNmsTopNTrain : s.rpnPostNmsTopNTest;
    const padded = padRois(rois, r);
    const pooled = multiScaleRoiAlign(levels, padded.boxes, padded.imageIndex, {
      outputSize: POOL,
      samplingRatio: SAMPLING_RATIO,
      imageSize,
      canonicalScale: s.canonicalScale,
      canonicalLevel: CANONICAL_LEVEL,
    });
    const c = pooled.shape[3];
    const rpn: RoiContext['rpn'] = {
      anchors,
      objectness: objectness as tf.Tensor2D,
      deltas: deltas as tf.Tensor3D,
    };
    if (truth) {
      const labelled = truth.map((gt: ImageBoxes, i) =>
        labelAnchors(anchorValues, gt, this.anchorLabelling, rng.child('rpn').child(`image-${i}`)),
      );
      rpn.labels = tf.tensor2d(
        concatArrays(
          labelled.map((l) => l.labels),
          Int32Array,
        ),
        [n, total],
        'int32',
      );
      rpn.matchedBoxes = tf.tensor3d(
        concatArrays(
          labelled.map((l) => l.matchedBoxes),
          Float32Array,
        ),
        [n, total, 4],
      );
    }
    return {
      pooled: tf.reshape(pooled, [n, r * POOL, POOL, c]),
      context: {
        imageSize,
        rpn,
        rois: {
          boxes: tf.tensor3d(padded.boxes, [n, r, 4]),
          valid: tf.tensor2d(padded.valid, [n, r]),
          ...(sampling
            ? {
                labels: tf.tensor2d(padded.labels, [n, r], 'int32'),
                matchedBoxes: tf.tensor3d(padded.matchedBoxes, [n, r, 4]),
              }
            : {}),
        },
      },
    };
  }

  /** The box head's scores of the pooled RoIs, with the context they came with. */
  private finish(flow: Flow): DetectorOutput {
    const context = flow.context!;
    const scored = this.boxHead.forward(flow.pooled!, POOL);
    return { ...context, rois: { ...context.rois, ...scored } };
  }

  /** The tensors the tail of site `index` reads, finest first, and how far each moves to depth. */
  private layout(index: number): { channels: number[]; blocks: number[] } {
    const c = this.settings.fpnChannels;
    if (index <= SITE_INDEX.layer4) {
      const first = index === 0 ? 0 : 1;
      const kept = Array.from({ length: index - first + 1 }, (_, k) => first + k);
      return {
        channels: kept.map((k) => this.stageChannels[k]),
        blocks: kept.map((k) => this.stageStrides[index] / this.stageStrides[k]),
      };
    }
    const levelBlocks = [16, 8, 4, 2, 1];
    if (index === SITE_INDEX.fpn) return { channels: levelBlocks.map(() => c), blocks: levelBlocks };
    const blocks = [...levelBlocks, ...levelBlocks.slice(0, 4)];
    return { channels: blocks.map(() => c), blocks };
  }

  private tensorsOf(flow: Flow, index: number): tf.Tensor4D[] {
    if (index <= SITE_INDEX.layer4) return flow.maps!;
    return index === SITE_INDEX.fpn ? flow.levels! : [...flow.shared!, ...flow.levels!];
  }

  private pack(flow: Flow, index: number): tf.Tensor4D {
    const { blocks } = this.layout(index);
    const tensors = this.tensorsOf(flow, index);
    if (tensors.length === 1) return tensors[0];
    return tf.concat(
      tensors.map((t, i) => spaceToDepth(t, blocks[i])),
      3,
    );
  }

  private unpack(features: tf.Tensor4D, index: number): Flow {
    const { channels, blocks } = this.layout(index);
    const parts =
      channels.length === 1
        ? [features]
        : (tf.split(
            features,
            channels.map((c, i) => c * blocks[i] ** 2),
            3,
          ) as tf.Tensor4D[]);
    const tensors = parts.map((part, i) => depthToSpace(part, blocks[i]));
    if (index <= SITE_INDEX.layer4) return { maps: tensors };
    if (index === SITE_INDEX.fpn) return { levels: tensors };
    return { shared: tensors.slice(0, 5), levels: tensors.slice(5) };
  }

  private checkFeatures(features: tf.Tensor4D, index: number): void {
    const site = FASTER_RCNN_SITES[index];
    if (index === SITE_INDEX.roi) {
      const cache = this.roiCache;
      if (!cache) {
        throw new PerturbError(
          "tail(features, 'roi') needs the RoIs of a head(x, 'roi') call, and there was none",
          "call head(x, 'roi', options) first; its tail takes the RoIs and RPN outputs from the latest one",
        );
      }
      const [n, r] = cache.rois.valid.shape;
      const expected = [n, r * POOL, POOL, this.settings.fpnChannels];
      if (features.rank !== 4 || features.shape.some((d, i) => d !== expected[i])) {
        throw new PerturbError(
          `features for site "roi" must have shape [${expected}] (the latest head(x, 'roi')), got [${features.shape}]`,
          "pass what the latest head(x, 'roi') returned, perturbed but not reshaped",
        );
      }
      return;
    }
    const { channels, blocks } = this.layout(index);
    const expected = channels.reduce((sum, c, i) => sum + c * blocks[i] ** 2, 0);
    if (features.rank !== 4 || features.shape[3] !== expected) {
      throw new PerturbError(
        `features for site "${site}" must have ${expected} channels, got shape [${features.shape}]`,
        `pass what head(x, '${site}') returns`,
      );
    }
  }

  private checkInput(x: tf.Tensor4D): void {
    checkImageChannels('FasterRcnn', x, this.inChannels);
    checkImageSides('FasterRcnn', x, this.sizeMultiple, 'its coarsest pyramid stride');
  }
}

/** Every image's RoIs in one flat list of R per image: zero boxes, label −1 and valid 0 on padding. */
function padRois(rois: ImageRois[], r: number) {
  const n = rois.length;
  const out = {
    boxes: new Float32Array(n * r * 4),
    valid: new Float32Array(n * r),
    labels: new Int32Array(n * r).fill(-1),
    matchedBoxes: new Float32Array(n * r * 4),
    imageIndex: Int32Array.from({ length: n * r }, (_, k) => Math.floor(k / r)),
  };
  rois.forEach((roi, i) => {
    const count = Math.min(roi.boxes.length / 4, r);
    out.boxes.set(roi.boxes.subarray(0, 4 * count), 4 * i * r);
    out.valid.fill(1, i * r, i * r + count);
    if (roi.labels) out.labels.set(roi.labels.subarray(0, count), i * r);
    if (roi.matchedBoxes) out.matchedBoxes.set(roi.matchedBoxes.subarray(0, 4 * count), 4 * i * r);
  });
  return out;
}

function concatArrays<T extends Float32Array | Int32Array>(parts: T[], Type: { new (length: number): T }): T {
  const out = new Type(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Copies of the context's tensors (the cache stays the model's). */
function cloneContext(context: RoiContext): RoiContext {
  const copy = <T extends tf.Tensor | undefined>(t: T): T => (t ? (tf.clone(t) as T) : t);
  const { rpn, rois } = context;
  return {
    imageSize: context.imageSize,
    rpn: {
      anchors: copy(rpn.anchors),
      objectness: copy(rpn.objectness),
      deltas: copy(rpn.deltas),
      ...(rpn.labels ? { labels: copy(rpn.labels), matchedBoxes: copy(rpn.matchedBoxes) } : {}),
    },
    rois: {
      boxes: copy(rois.boxes),
      valid: copy(rois.valid),
      ...(rois.labels ? { labels: copy(rois.labels), matchedBoxes: copy(rois.matchedBoxes) } : {}),
    },
  };
}
