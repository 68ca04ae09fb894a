/**
 * What the Node entries add to the backend: the threaded wasm start and the core count. Imported
 * for its effect by `index.node.ts` (what `@perturb/core` is in Node) and `node.ts`.
 */
import { availableParallelism } from 'node:os';
import { registerNodeWasmThreads } from './backend';
import { threadShimSupports, withWasmThreadSupport } from './wasm-threads';

registerNodeWasmThreads({
  defaultThreads: availableParallelism,
  supports: threadShimSupports,
  start: withWasmThreadSupport,
});
