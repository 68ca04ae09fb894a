/**
 * `checkFlowLayer`: the battery every `FlowLayer` must pass, for this package's tests and for
 * anyone writing a new layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FlowLayer } from './flow-layer';
import { logAbsDet, matrix } from './linalg';

/** Options of `checkFlowLayer`. */
export interface CheckFlowLayerOptions {
  /** Largest allowed |inverse(forward(x)) − x| and |logdet_fwd + logdet_inv|. Default 1e-4. */
  tolerance?: number;
  /** Largest allowed |logdet − log|det J|| against the numerical Jacobian. Default 1e-3. */
  jacobianTolerance?: number;
  /**
   * Build the Jacobian of the first sample with one `tf.grad` per output and compare its
   * log|det| (float64 LU on the host) with the layer's logdet. Costs D backward passes, so use
   * small inputs (e.g. 1×4×4×2). Default true when one sample has at most 256 values.
   */
  jacobian?: boolean;
  /** The condition [N, E] of a conditional layer, passed to every forward and inverse. Default none. */
  condition?: tf.Tensor2D;
}

/** The measured errors of `checkFlowLayer`. */
export interface FlowLayerReport {
  /** max |inverse(forward(x)).x − x|. */
  inverseError: number;
  /** max |forward logdet + inverse logdet| over the batch. */
  logdetSumError: number;
  /** |logdet − log|det J|| for the first sample, or null if the Jacobian was not built. */
  jacobianError: number | null;
}

/**
 * Checks that `layer` is a bijection with a correct log-determinant on `x`: the output has as
 * many values as the input and a logdet of shape [N], the inverse reconstructs x, the inverse's
 * logdet cancels the forward's, and (optionally) the logdet matches log|det| of the Jacobian.
 * Throws an Error naming the first failed property; returns the measured errors.
 */
export function checkFlowLayer(
  layer: FlowLayer,
  x: tf.Tensor4D,
  options: CheckFlowLayerOptions = {},
): FlowLayerReport {
  const tolerance = options.tolerance ?? 1e-4;
  const { condition } = options;
  const perSampleSize = x.size / x.shape[0];
  const report = tf.tidy(() => {
    const { y, logdet } = layer.forward(x, condition);
    if (y.size !== x.size) fail(`forward maps ${x.size} values to ${y.size}`);
    if (logdet.rank !== 1 || logdet.shape[0] !== x.shape[0])
      fail(`logdet has shape [${logdet.shape}], expected [${x.shape[0]}]`);
    const back = layer.inverse(y, condition);
    if (!tf.util.arraysEqual(back.x.shape, x.shape))
      fail(`inverse returns shape [${back.x.shape}] for input [${x.shape}]`);
    return {
      inverseError: tf.max(tf.abs(tf.sub(back.x, x))).dataSync()[0],
      logdetSumError: tf.max(tf.abs(tf.add(logdet, back.logdet))).dataSync()[0],
      logdet0: logdet.dataSync()[0],
    };
  });
  if (!(report.inverseError <= tolerance))
    fail(`inverse(forward(x)) differs from x by ${report.inverseError}`);
  if (!(report.logdetSumError <= tolerance))
    fail(`forward and inverse logdets do not cancel (off by ${report.logdetSumError})`);

  let jacobianError: number | null = null;
  if (options.jacobian ?? perSampleSize <= 256) {
    const first = tf.tidy(() => tf.slice(x, [0, 0, 0, 0], [1, ...x.shape.slice(1)]) as tf.Tensor4D);
    const firstCondition = condition && tf.slice(condition, [0, 0], [1, condition.shape[1]]);
    const jacobianLogdet = logAbsDet(numericalJacobian(layer, first, firstCondition));
    tf.dispose([first, firstCondition ?? []]);
    jacobianError = Math.abs(report.logdet0 - jacobianLogdet);
    if (!(jacobianError <= (options.jacobianTolerance ?? 1e-3))) {
      fail(`logdet ${report.logdet0} differs from log|det J| = ${jacobianLogdet} of the numerical Jacobian`);
    }
  }
  return { inverseError: report.inverseError, logdetSumError: report.logdetSumError, jacobianError };
}

/** The D×D Jacobian of one sample (row i = ∂y_i/∂x), one reverse-mode pass per output. */
function numericalJacobian(layer: FlowLayer, x: tf.Tensor4D, condition: tf.Tensor2D | undefined) {
  const d = x.size;
  const rows = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const row = tf.tidy(() => {
      const select = tf.tensor1d(Float32Array.from({ length: d }, (_, k) => (k === i ? 1 : 0)));
      const gradient = tf.grad((input: tf.Tensor) =>
        tf.sum(tf.mul(tf.reshape(layer.forward(input as tf.Tensor4D, condition).y, [d]), select)),
      );
      return gradient(x).dataSync();
    });
    rows.set(row, i * d);
  }
  return matrix(d, rows);
}

function fail(problem: string): never {
  throw new Error(`flow layer check failed: ${problem}`);
}
