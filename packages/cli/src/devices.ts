/**
 * GPUs for `perturb compare --devices 0,1,…`: every child sees exactly one device through
 * `CUDA_VISIBLE_DEVICES`, so children never initialize the same GPU by accident. Devices are
 * handed out least-used first, so with as many jobs as devices (the default) each child has a
 * device of its own, and with more jobs they share them evenly.
 */
import { PerturbError } from '@perturb/core';

/** What CUDA accepts for one device: its index, or its UUID (`GPU-…`, `MIG-…`). */
const DEVICE = /^(\d+|(GPU|MIG)-[\w-]+)$/;

/** Validates a `--devices` list (`0,1,3`): non-empty entries, each a device index or UUID, each once. */
export function parseDevices(text: string): string[] {
  const devices = text.split(',').map((item) => item.trim());
  const fix = 'list GPU indices (or UUIDs) separated by commas, each once, e.g. --devices 0,1';
  const bad = devices.find((device) => !DEVICE.test(device));
  if (bad !== undefined) {
    throw new PerturbError(
      `--devices "${text}" has ${bad === '' ? 'an empty entry' : `"${bad}", which is not a device`}`,
      fix,
    );
  }
  const twice = devices.find((device, i) => devices.indexOf(device) !== i);
  if (twice !== undefined) throw new PerturbError(`--devices "${text}" names device ${twice} twice`, fix);
  return devices;
}

/** Hands out devices to children, the least-used first (ties: the earliest listed). */
export class DevicePool {
  private readonly users: Map<string, number>;

  constructor(devices: readonly string[]) {
    this.users = new Map(devices.map((device) => [device, 0]));
  }

  /** A device for one more child; give it back with {@link release}. */
  acquire(): string {
    let best: string | undefined;
    for (const [device, count] of this.users) {
      if (best === undefined || count < this.users.get(best)!) best = device;
    }
    this.users.set(best!, this.users.get(best!)! + 1);
    return best!;
  }

  release(device: string): void {
    this.users.set(device, Math.max(0, (this.users.get(device) ?? 0) - 1));
  }
}
