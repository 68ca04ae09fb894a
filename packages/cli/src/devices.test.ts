import { describe, expect, it } from 'vitest';
import { DevicePool, parseDevices } from './devices';

describe('--devices', () => {
  it('accepts device indices and UUIDs, each once', () => {
    expect(parseDevices('0, 1,3')).toEqual(['0', '1', '3']);
    expect(parseDevices('GPU-8f2c1e4a-0b1d')).toEqual(['GPU-8f2c1e4a-0b1d']);
    const fix = 'list GPU indices (or UUIDs) separated by commas, each once, e.g. --devices 0,1';
    expect(() => parseDevices('0,,1')).toThrow(`--devices "0,,1" has an empty entry. ${fix}`);
    expect(() => parseDevices('0,gpu1')).toThrow(
      `--devices "0,gpu1" has "gpu1", which is not a device. ${fix}`,
    );
    expect(() => parseDevices('1,0,1')).toThrow(`--devices "1,0,1" names device 1 twice. ${fix}`);
  });

  it('hands out the least-used device first, so children spread evenly', () => {
    const pool = new DevicePool(['2', '5']);
    expect([pool.acquire(), pool.acquire(), pool.acquire()]).toEqual(['2', '5', '2']);
    pool.release('5');
    expect(pool.acquire()).toBe('5');
    pool.release('2');
    pool.release('2');
    expect(pool.acquire()).toBe('2');
  });
});
