/**
 * ResNet-20 built with the `tf.layers` functional API (conv2d, batchNormalization, activation,
 * add, globalAveragePooling2d, dense) as a TensorFlow.js user writes it without perturb, trained
 * with a custom step (`tf.variableGrads` of the model's trainable weights, then SGD).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fixedBatch, sgdTraining, type StepSpec, type TimedStep } from './classifier-step';

type Symbolic = tfl.SymbolicTensor;

/**
 * Seeds every layer's initializer from one counter, so a build gives the same weights; a layer
 * left on its default initializer would draw from `Math.random` and make the step's losses
 * differ from run to run.
 */
function seeds(first: number) {
  let next = first;
  return {
    heNormal: () => tfl.initializers.heNormal({ seed: next++ }),
    glorotUniform: () => tfl.initializers.glorotUniform({ seed: next++ }),
  };
}

/** ResNet-20 (3 stages of 3 basic blocks, 16/32/64 channels, 1×1 conv shortcuts) as a `tf.LayersModel`. */
export function layersResNet20(size: number, inChannels: number, numClasses: number): tfl.LayersModel {
  const init = seeds(1);
  const convBn = (x: Symbolic, filters: number, kernelSize: number, strides: number): Symbolic => {
    const conv = tfl.layers.conv2d({
      filters,
      kernelSize,
      strides,
      padding: 'same',
      useBias: false,
      kernelInitializer: init.heNormal(),
    });
    // PyTorch's and perturb's BatchNorm settings, so the three rows do the same work.
    const bn = tfl.layers.batchNormalization({ epsilon: 1e-5, momentum: 0.9 });
    return bn.apply(conv.apply(x)) as Symbolic;
  };
  const relu = (x: Symbolic) => tfl.layers.activation({ activation: 'relu' }).apply(x) as Symbolic;
  const input = tfl.input({ shape: [size, size, inChannels] });
  let h = relu(convBn(input, 16, 3, 1));
  let cin = 16;
  [16, 32, 64].forEach((cout, stage) => {
    for (let b = 0; b < 3; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const y = convBn(relu(convBn(h, cout, 3, stride)), cout, 3, 1);
      const skip = stride !== 1 || cin !== cout ? convBn(h, cout, 1, stride) : h;
      h = relu(tfl.layers.add().apply([y, skip]) as Symbolic);
      cin = cout;
    }
  });
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(h) as Symbolic;
  const logits = tfl.layers
    .dense({ units: numClasses, kernelInitializer: init.glorotUniform() })
    .apply(pooled) as Symbolic;
  return tfl.model({ inputs: input, outputs: logits });
}

/** One SGD step of {@link layersResNet20} in training mode (batch statistics, moving averages updated). */
export function layersResNetStep(spec: StepSpec): TimedStep {
  const { x, y } = fixedBatch(spec);
  const model = layersResNet20(spec.size, spec.channels, 10);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return sgdTraining(
    variables,
    () => {
      const logits = model.apply(x, { training: true }) as tf.Tensor2D;
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    },
    () => {
      model.dispose();
      tf.dispose([x, y]);
    },
  );
}
