// `@perturb/flows/node`: flows from files (Node).
export { loadGlow } from './load-file';
