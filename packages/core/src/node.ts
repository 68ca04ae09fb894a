// `@perturb/core/node`: what only Node can do — files (atomic writes, checkpoints, safetensors
// and image grids by path, a run's folder), the run lock, and the threaded wasm start, which
// importing this entry registers (as importing `@perturb/core` in Node does).
import './node-platform';

export { writeFileAtomic, removeStaleTempFiles } from './atomic';
export { makeFolder } from './make-folder';
export {
  saveSafetensors,
  loadSafetensors,
  saveCheckpoint,
  readCheckpoint,
  loadCheckpoint,
  rebuildFromCheckpoint,
} from './checkpoint-files';
export { writeImageGrid } from './image-grid-file';
export { runFolder } from './run-folder';
export { lockRunFolder, withRunLock, runLockHolder, RUN_LOCK } from './run-lock';
export type { RunLock, RunLockHolder } from './run-lock';
