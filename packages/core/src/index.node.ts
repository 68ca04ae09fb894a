// `@perturb/core` as Node loads it (the package's `node` export condition): the same surface as
// `index.ts`, with the threaded wasm start registered.
import './node-platform';

export * from './index';
