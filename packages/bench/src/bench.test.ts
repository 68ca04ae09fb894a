import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPeer } from './peers';
import { medianStepMs } from './timing';

describe('bench harness', () => {
  it('reports the median step time after warm-up', async () => {
    const durations = [50, 1, 30, 10, 20, 40];
    let call = 0;
    const median = await medianStepMs(
      () => new Promise((resolve) => setTimeout(resolve, durations[call++])),
      { warmup: 1, repeats: 5 },
    );
    expect(call).toBe(6);
    expect(median).toBeGreaterThanOrEqual(19);
    expect(median).toBeLessThan(29);
  });

  it("reads a peer's last JSON line and survives a failing peer", () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-bench-'));
    const peer = join(dir, 'peer.sh');
    writeFileSync(peer, '#!/bin/sh\necho warming up\necho \'{"ms_per_step": 12.5, "threads": 1}\'\n');
    chmodSync(peer, 0o755);
    expect(runPeer('/bin/sh', peer, ['--bench'], 1)).toEqual({ ms: 12.5, threads: 1 });
    const failing = join(dir, 'failing.sh');
    writeFileSync(failing, '#!/bin/sh\nexit 3\n');
    const result = runPeer('/bin/sh', failing, [], 2);
    expect(result.ms).toBeNull();
    expect(result.note).toMatch(/Command failed/);
  });
});
