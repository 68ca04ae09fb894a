/**
 * `fromLayersModel`: a user's `tf.LayersModel` (Sequential or functional, built in code or
 * loaded with `tf.loadLayersModel`) as a perturb `Classifier`. The wrapper holds no weights of
 * its own: its parameters and buffers are the model's own variables, so the trainer's optimizer
 * updates the model in place and `model.save(...)` afterwards saves the trained weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, LayerVariable, SymbolicTensor } from '@tensorflow/tfjs-layers';
import { Module, PerturbError, parseOptions, z } from '@perturb/core';
import type { Classifier, ForwardOptions } from '@perturb/core';
import { ancestors, crossingAt, isModelInput, runGraph } from './layers-model-graph';

/** Options of {@link fromLayersModel}. */
export const layersModelSchema = z.strictObject({
  sites: z
    .array(z.string().min(1))
    .min(1)
    .describe('Names of the layers whose outputs are feature sites, in forward order. Required.'),
  numClasses: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Number of classes; checked against the model's output. Default: the output's width."),
});

/** Options of {@link fromLayersModel}. */
export type LayersModelOptions = z.input<typeof layersModelSchema>;

/**
 * Wraps `model` as a perturb `Classifier` split at the layers named in `sites`: `head(x, site)`
 * is that layer's output, `tail(features, site)` runs the rest of the model from it.
 *
 * The model needs one 4-D image input (NHWC) and one rank-2 output. `logits` are the output, or,
 * when the last layer is a `softmax` (a `tf.layers.softmax()` or an `activation` layer), that
 * layer's input: perturb's losses take logits. A site must output a 4-D feature map that alone
 * determines the logits, so no skip connection may cross it (pick the layer where the branches
 * join, e.g. the `add`). Every mismatch throws a one-line `PerturbError` naming the fix.
 *
 * Parameters are the model's trainable weights, buffers its non-trainable ones (BatchNorm's
 * moving mean and variance), named by their Keras names with dots (`conv1.kernel`,
 * `bn1.moving_mean`). In training mode BatchNorm normalizes with the batch statistics and
 * updates its moving averages with its own momentum, exactly as `model.fit` does.
 * `dispose()` disposes the model.
 */
export function fromLayersModel(model: LayersModel, options: LayersModelOptions): LayersClassifier {
  const settings = parseOptions(layersModelSchema, options, 'fromLayersModel options');
  return new LayersClassifier(model, settings.sites, settings.numClasses);
}

/** A `tf.LayersModel` as a perturb classifier; build one with {@link fromLayersModel}. */
export class LayersClassifier extends Module implements Classifier {
  readonly sites: readonly string[];
  readonly numClasses: number;
  private readonly input: SymbolicTensor;
  private readonly logitsTensor: SymbolicTensor;
  private readonly siteTensors: ReadonlyMap<string, SymbolicTensor>;

  /** Prefer {@link fromLayersModel}, which checks the options. */
  constructor(
    /** The wrapped model: it holds the weights, so save it with `model.save(handler)`. */
    readonly model: LayersModel,
    sites: readonly string[],
    numClasses?: number,
  ) {
    super();
    const { input, logits } = imageClassifierEnds(model);
    this.input = input;
    this.logitsTensor = logits;
    this.numClasses = checkedClassCount(model, logits, numClasses);
    this.sites = [...sites];
    this.siteTensors = new Map(sites.map((site) => [site, siteTensor(model, logits, site)]));
    stateNames(model.weights, model.name);
  }

  /** Logits `[batch, numClasses]` of NHWC images. */
  logits(x: tf.Tensor4D, options: Partial<ForwardOptions> = {}): tf.Tensor2D {
    this.checkInput(x);
    return this.run(this.logitsTensor, this.input, x, options) as tf.Tensor2D;
  }

  /** The output of the layer `site` for NHWC images. */
  head(x: tf.Tensor4D, site: string, options: Partial<ForwardOptions> = {}): tf.Tensor4D {
    this.checkInput(x);
    return this.run(this.site(site), this.input, x, options) as tf.Tensor4D;
  }

  /** Logits from the output of the layer `site`, as `head(x, site)` returns it. */
  tail(features: tf.Tensor4D, site: string, options: Partial<ForwardOptions> = {}): tf.Tensor2D {
    return this.run(this.logitsTensor, this.site(site), features, options) as tf.Tensor2D;
  }

  /** The model's trainable weights, by dotted Keras name (`conv1.kernel`). */
  override namedParameters(): Array<[string, tf.Variable]> {
    return named(this.model.trainableWeights, this.model.name);
  }

  /** The model's non-trainable weights (BatchNorm moving statistics, frozen layers). */
  override namedBuffers(): Array<[string, tf.Variable]> {
    return named(this.model.nonTrainableWeights, this.model.name);
  }

  /** Disposes the model and with it every weight. */
  override dispose(): void {
    this.model.dispose();
  }

  private run(
    fetch: SymbolicTensor,
    from: SymbolicTensor,
    value: tf.Tensor,
    options: Partial<ForwardOptions>,
  ): tf.Tensor {
    const training = options.training ?? this.training;
    return tf.tidy(() => runGraph(fetch, new Map([[from.id, value]]), training));
  }

  private site(site: string): SymbolicTensor {
    const tensor = this.siteTensors.get(site);
    if (!tensor) {
      throw new PerturbError(
        `the classifier wrapping "${this.model.name}" has no feature site "${site}"`,
        `use one of ${this.sites.map((s) => `'${s}'`).join(', ')}, or wrap the model again with it in sites`,
      );
    }
    return tensor;
  }

  private checkInput(x: tf.Tensor): void {
    const [, height, width, channels] = this.input.shape;
    const fits =
      x.rank === 4 && [height, width, channels].every((d, i) => d === null || d === x.shape[i + 1]);
    if (!fits) {
      throw new PerturbError(
        `"${this.model.name}" takes NHWC images of shape ${shapeText(this.input.shape)} but got [${x.shape}]`,
        'pass images of the shape the model was built for',
      );
    }
  }
}

/** The model's one image input and the tensor that holds its logits. */
function imageClassifierEnds(model: LayersModel): { input: SymbolicTensor; logits: SymbolicTensor } {
  const { inputs, outputs } = model;
  if (!inputs || !outputs) {
    throw new PerturbError(
      `the model "${model.name}" is not built`,
      'give its first layer an inputShape (or call model.build) before wrapping it',
    );
  }
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new PerturbError(
      `the model "${model.name}" has ${inputs.length} inputs and ${outputs.length} outputs`,
      'wrap a model with one image input and one output of class scores',
    );
  }
  const [input] = inputs;
  if (input.rank !== 4) {
    throw new PerturbError(
      `the model "${model.name}" takes inputs of shape ${shapeText(input.shape)}, not NHWC images`,
      'wrap an image classifier whose input shape is [height, width, channels]',
    );
  }
  const [output] = outputs;
  if (output.rank !== 2) {
    throw new PerturbError(
      `the model "${model.name}" outputs shape ${shapeText(output.shape)}, not [batch, classes]`,
      'wrap a classifier whose last layer outputs one score per class (e.g. a dense layer)',
    );
  }
  return { input, logits: logitsOf(model, output) };
}

/** The output itself, or a final softmax's input: perturb's losses take logits. */
function logitsOf(model: LayersModel, output: SymbolicTensor): SymbolicTensor {
  const last = output.sourceLayer;
  const activation = (last.getConfig() as { activation?: unknown }).activation;
  const separateSoftmax =
    last.getClassName() === 'Softmax' || (last.getClassName() === 'Activation' && activation === 'softmax');
  if (separateSoftmax) return output.inputs[0];
  if (activation === 'softmax') {
    throw new PerturbError(
      `the last layer "${last.name}" of "${model.name}" applies softmax inside, but perturb trains on logits`,
      `build "${last.name}" with activation 'linear' and add tf.layers.softmax() after it (perturb then uses its input as logits)`,
    );
  }
  return output;
}

function checkedClassCount(
  model: LayersModel,
  logits: SymbolicTensor,
  numClasses: number | undefined,
): number {
  const width = logits.shape[1];
  if (width === null || (numClasses !== undefined && numClasses !== width)) {
    throw new PerturbError(
      `numClasses is ${numClasses} but the model "${model.name}" outputs ${shapeText(logits.shape)}`,
      width === null
        ? 'give the output layer a fixed number of units'
        : `use numClasses: ${width}, or leave it out`,
    );
  }
  return width;
}

/** The symbolic output of the layer `site`, checked to be a feature site of the model. */
function siteTensor(model: LayersModel, logits: SymbolicTensor, site: string): SymbolicTensor {
  const graph = ancestors(logits);
  const candidates = graph.filter((t) => t.sourceLayer.name === site);
  const layerNames = model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name);
  if (candidates.length === 0) {
    throw new PerturbError(
      `the model "${model.name}" has no layer "${site}" on the way to its logits`,
      `use one of its layers: ${layerNames.join(', ')}`,
    );
  }
  if (candidates.length > 1) {
    throw new PerturbError(
      `the layer "${site}" of "${model.name}" is applied ${candidates.length} times, so its output is no single site`,
      'choose a layer that is applied once',
    );
  }
  const [tensor] = candidates;
  if (isModelInput(tensor) || tensor.rank !== 4) {
    throw new PerturbError(
      isModelInput(tensor)
        ? `"${site}" is the input of "${model.name}", not a feature site`
        : `the layer "${site}" outputs shape ${shapeText(tensor.shape)}, not a 4-D feature map`,
      `choose a layer with a [batch, height, width, channels] output: ${featureLayers(graph, model).join(', ')}`,
    );
  }
  const crossing = crossingAt(logits, tensor);
  if (crossing) {
    throw new PerturbError(
      `the tail from "${site}" cannot be computed from its output alone: layer "${crossing.layer}" also takes "${crossing.from}" from before it (a skip connection crosses the site)`,
      `choose a layer where the branches have joined, e.g. "${crossing.layer}"`,
    );
  }
  return tensor;
}

/** Layers with 4-D outputs, in the model's order: what a site may be. */
function featureLayers(graph: readonly SymbolicTensor[], model: LayersModel): string[] {
  const fourD = new Set(graph.filter((t) => t.rank === 4 && !isModelInput(t)).map((t) => t.sourceLayer.name));
  return model.layers.map((l) => l.name).filter((name) => fourD.has(name));
}

/** A symbolic shape as messages print it: `[batch,6,6,2]`. */
function shapeText(shape: ReadonlyArray<number | null>): string {
  return `[${shape.map((d) => d ?? 'batch').join(',')}]`;
}

/** `[name, variable]` pairs under the names {@link stateNames} gives. */
function named(weights: readonly LayerVariable[], modelName: string): Array<[string, tf.Variable]> {
  const names = stateNames(weights, modelName);
  return weights.map((w, i) => [names[i], w.read() as tf.Variable]);
}

/**
 * State names of the weights: the Keras names (`conv1/kernel`, the names `model.save` writes)
 * with dots for slashes, as perturb's state dicts are written. Throws if two weights would share one.
 */
function stateNames(weights: readonly LayerVariable[], modelName: string): string[] {
  const names = weights.map((w) => w.originalName.replaceAll('/', '.'));
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) {
    throw new PerturbError(
      `two weights of "${modelName}" are both named "${repeated}"`,
      'give every layer of the model a unique name',
    );
  }
  return names;
}
