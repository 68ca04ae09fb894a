export { gaussianNoise } from './gaussian-noise';
export type { GaussianNoiseOptions } from './gaussian-noise';
