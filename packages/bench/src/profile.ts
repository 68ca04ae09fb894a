/** Where a step's time goes: kernel wall time summed by kernel name, from `tf.profile`. */
import * as tf from '@tensorflow/tfjs-core';

export interface KernelTime {
  kernel: string;
  calls: number;
  ms: number;
}

/** Runs `step` once under `tf.profile` and returns kernel times, largest first. */
export async function profileStep(step: () => unknown): Promise<KernelTime[]> {
  const info = await tf.profile(() => {
    step();
  });
  const byName = new Map<string, KernelTime>();
  for (const kernel of info.kernels) {
    const entry = byName.get(kernel.name) ?? { kernel: kernel.name, calls: 0, ms: 0 };
    entry.calls += 1;
    entry.ms += typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    byName.set(kernel.name, entry);
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms);
}

/** A Markdown table of the `top` most expensive kernels. */
export function kernelTable(times: KernelTime[], top = 15): string {
  const total = times.reduce((sum, t) => sum + t.ms, 0);
  return [
    `| kernel | calls | ms | share |`,
    `| --- | ---: | ---: | ---: |`,
    ...times
      .slice(0, top)
      .map(
        (t) => `| ${t.kernel} | ${t.calls} | ${t.ms.toFixed(0)} | ${((100 * t.ms) / total).toFixed(1)}% |`,
      ),
    `| all kernels | ${times.reduce((sum, t) => sum + t.calls, 0)} | ${total.toFixed(0)} | |`,
    '',
  ].join('\n');
}
