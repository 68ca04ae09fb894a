/**
 * TEMPORARY, until branch i16-browser splits @perturb/datasets and @perturb/flows as it split
 * @perturb/core: their builds still evaluate Node calls at import (tsup's ESM shim computes
 * `__dirname` with url/path; flows pulls in @perturb/core/node, whose atomic writes take the
 * host name, and its threaded wasm start asks for the core count), which throw in a browser. vite.config.ts points `os`, `path` and `url` here; the
 * page never calls the others. Delete this file and the alias once those packages are split.
 */
const nodeOnly = (name: string) => () => {
  throw new Error(`${name} is Node-only and was stubbed in the latent explorer's browser build`);
};

export const fileURLToPath = (): string => '/';
export const dirname = (): string => '/';
export const hostname = (): string => 'browser';
// core/node registers its threaded wasm start, which sizes itself by the cores: one means no threads.
export const availableParallelism = (): number => 1;
export const basename = nodeOnly('path.basename');
export const join = nodeOnly('path.join');
export const homedir = nodeOnly('os.homedir');
export default { fileURLToPath, dirname, hostname, basename, join, availableParallelism, homedir };
