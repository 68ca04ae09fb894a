// `@perturb/vaegan/node`: VAE-GANs from files (Node).
export { loadVaeGan } from './load-file';
