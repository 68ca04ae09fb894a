import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module';
import type { Rng } from '../rng';
import { fanInUniform, heNormal } from './init';

/** Shape and initialization of a {@link Conv2d}. */
export interface Conv2dOptions {
  /** Kernel size (square). Default 3. */
  kernelSize?: number;
  /** Step between kernel positions, in both directions. Default 1. */
  stride?: number;
  /** `'same'`, `'valid'` or symmetric zero padding in pixels. Default `'same'`. */
  padding?: 'same' | 'valid' | number;
  /** Spacing between kernel taps (1: a plain convolution). Default 1. */
  dilation?: number;
  /** Add a bias. Default true. */
  bias?: boolean;
  /**
   * Weight init: `'he'` (N(0, 2/fanIn)), `'uniform'` (PyTorch default), `'zeros'`, or a number σ
   * for N(0, σ²) with a zero bias (detection heads start at σ = 0.01). Default `'he'`.
   */
  init?: 'he' | 'uniform' | 'zeros' | number;
}

/** 2-D convolution over NHWC inputs; the filter is stored HWIO, as tfjs expects. */
export class Conv2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly padding: 'same' | 'valid' | number;
  readonly dilation: number;

  constructor(rng: Rng, inChannels: number, outChannels: number, options: Conv2dOptions = {}) {
    super();
    const k = options.kernelSize ?? 3;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 'same';
    this.dilation = options.dilation ?? 1;
    const shape = [k, k, inChannels, outChannels];
    const fanIn = k * k * inChannels;
    const init = options.init ?? 'he';
    this.weight = this.addParameter(
      'weight',
      typeof init === 'number'
        ? rng.normalTensor(shape, 0, init)
        : init === 'zeros'
          ? tf.zeros(shape)
          : init === 'he'
            ? heNormal(rng, shape, fanIn)
            : fanInUniform(rng, shape, fanIn),
    );
    this.bias =
      (options.bias ?? true)
        ? this.addParameter(
            'bias',
            init === 'uniform' ? fanInUniform(rng, [outChannels], fanIn) : tf.zeros([outChannels]),
          )
        : null;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const pad =
      typeof this.padding === 'number'
        ? ([
            [0, 0],
            [this.padding, this.padding],
            [this.padding, this.padding],
            [0, 0],
          ] as [[number, number], [number, number], [number, number], [number, number]])
        : this.padding;
    const y = tf.conv2d(x, this.weight as tf.Tensor4D, this.stride, pad, 'NHWC', this.dilation);
    return this.bias ? tf.add<tf.Tensor4D>(y, this.bias as tf.Tensor) : y;
  }
}
