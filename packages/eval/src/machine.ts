// The machine a report is written on, for its provenance (Node: it reads the CPU).
import { availableParallelism, cpus } from 'node:os';

/** This machine's CPU model and logical core count, e.g. `AMD EPYC 7B13, 2 cores`. */
export function machineDescription(): string {
  const model = cpus()[0]?.model.trim() || 'unknown CPU';
  return `${model}, ${availableParallelism()} cores`;
}
