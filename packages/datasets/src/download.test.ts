import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PerturbError } from '@perturb/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IdxSpec } from './catalog';
import { DATASETS } from './catalog';
import { downloadFile } from './download';
import { encodeIdx } from './idx';
import { loadDataset } from './load';
import { readLocated } from './locate';
import type { DownloadProgress } from './progress';
import { formatBytes } from './progress';
import { resolveSpec } from './resolve';
import { tempDir } from './testing/fixtures';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const content = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 13) % 256);

type Route = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Route>();
const requests: { url: string; range?: string }[] = [];
let server: Server;
let base: string;

/** Serves `data`, honouring `Range: bytes=N-` unless `ignoreRange`. */
function serve(data: Uint8Array, options: { ignoreRange?: boolean } = {}): Route {
  return (req, res) => {
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (match && !options.ignoreRange) {
      const start = Number(match[1]);
      res.writeHead(206, {
        'Content-Length': data.length - start,
        'Content-Range': `bytes ${start}-${data.length - 1}/${data.length}`,
      });
      res.end(data.subarray(start));
    } else {
      res.writeHead(200, { 'Content-Length': data.length });
      res.end(data);
    }
  };
}

/** Announces all of `data` but sends only `sent` bytes, then drops the connection. */
function cutOff(data: Uint8Array, sent: number): Route {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Length': data.length });
    res.write(data.subarray(0, sent), () => setTimeout(() => res.socket?.destroy(), 20));
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', range: req.headers.range });
    const route = routes.get(req.url ?? '');
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  routes.clear();
  requests.length = 0;
});

describe('downloadFile', () => {
  it('downloads, verifies and moves a file into place, reporting progress', async () => {
    routes.set('/good.bin', serve(content));
    const dest = join(tempDir(), 'sub', 'good.bin');
    const reports: DownloadProgress[] = [];
    await downloadFile({
      url: `${base}/good.bin`,
      dest,
      sha256: sha256(content),
      bytes: content.length,
      onProgress: (p) => reports.push(p),
    });
    expect(readFileSync(dest).equals(content)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
    const last = reports.at(-1)!;
    expect(last).toMatchObject({ done: true, receivedBytes: content.length, totalBytes: content.length });
    expect(formatBytes(50_000)).toBe('50.0 kB');
    // An existing file is not fetched again.
    await downloadFile({ url: `${base}/good.bin`, dest, sha256: sha256(content) });
    expect(requests).toHaveLength(1);
  });

  it('resumes a truncated transfer with a Range request', async () => {
    routes.set('/big.bin', cutOff(content, 40_000));
    const dest = join(tempDir(), 'big.bin');
    const request = { url: `${base}/big.bin`, dest, sha256: sha256(content), bytes: content.length };
    const error = await downloadFile(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PerturbError);
    expect((error as PerturbError).message).toMatch(
      /interrupted after 40000 of 100000 bytes.*Run again to resume/,
    );
    expect(statSync(`${dest}.part`).size).toBe(40_000);
    expect(existsSync(dest)).toBe(false);

    routes.set('/big.bin', serve(content));
    const reports: DownloadProgress[] = [];
    await downloadFile({ ...request, onProgress: (p) => reports.push(p) });
    expect(requests.at(-1)!.range).toBe('bytes=40000-');
    expect(reports[0].receivedBytes).toBeGreaterThan(40_000);
    expect(readFileSync(dest).equals(content)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('starts over when the server ignores Range', async () => {
    routes.set('/norange.bin', cutOff(content, 30_000));
    const dest = join(tempDir(), 'norange.bin');
    const request = { url: `${base}/norange.bin`, dest, sha256: sha256(content), bytes: content.length };
    await expect(downloadFile(request)).rejects.toThrow(/interrupted/);
    routes.set('/norange.bin', serve(content, { ignoreRange: true }));
    await downloadFile(request);
    expect(readFileSync(dest).equals(content)).toBe(true);
  });

  it('rejects a wrong checksum, leaving nothing behind', async () => {
    routes.set('/bad.bin', serve(content));
    const dir = tempDir();
    const dest = join(dir, 'bad.bin');
    await expect(downloadFile({ url: `${base}/bad.bin`, dest, sha256: 'ab'.repeat(32) })).rejects.toThrow(
      new RegExp(
        `bad\\.bin has SHA-256 ${sha256(content)}, expected ${'ab'.repeat(32)}; the download was deleted`,
      ),
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports an HTTP error status', async () => {
    routes.set('/broken.bin', (_req, res) => res.writeHead(500, 'Internal Server Error').end('oops'));
    const dir = tempDir();
    const error = await downloadFile({
      url: `${base}/broken.bin`,
      dest: join(dir, 'broken.bin'),
      sha256: sha256(content),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PerturbError);
    expect((error as PerturbError).problem).toBe(
      `download of ${base}/broken.bin failed: HTTP 500 Internal Server Error`,
    );
    expect((error as PerturbError).fix).toMatch(/PERTURB_DATA_MIRROR/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('download through dataset resolution', () => {
  it('downloads a missing dataset from a mirror into the cache, then finds it there', async () => {
    const images = gzipSync(encodeIdx([3, 28, 28], new Uint8Array(3 * 784).fill(9)));
    const labels = gzipSync(encodeIdx([3], Uint8Array.of(4, 0, 4)));
    const mnist = DATASETS.mnist as IdxSpec;
    const remote = [
      { fileName: `${mnist.files.train.images}.gz`, bytes: images.length, sha256: sha256(images) },
      { fileName: `${mnist.files.train.labels}.gz`, bytes: labels.length, sha256: sha256(labels) },
    ];
    const spec: IdxSpec = { ...mnist, remote: { train: remote, test: [] } };
    routes.set(`/mnist/${remote[0].fileName}`, serve(images));
    routes.set(`/mnist/${remote[1].fileName}`, serve(labels));
    const cacheDir = tempDir();
    const options = { cacheDir, useSystemDirs: false, download: true, mirror: `${base}/`, progress: false };
    const resolved = await resolveSpec(spec, options);
    expect(resolved.source).toBe('download');
    expect(Array.from(readLocated(spec, resolved.files, 'train').labels)).toEqual([4, 0, 4]);
    expect(readdirSync(join(cacheDir, 'mnist')).sort()).toEqual(remote.map((r) => r.fileName).sort());
    expect((await resolveSpec(spec, options)).source).toBe('cache');
    expect(requests.map((r) => r.url)).toEqual(remote.map((r) => `/mnist/${r.fileName}`));
  });

  it('refuses a mirror file that does not match the published Fashion-MNIST checksum', async () => {
    const wrong = gzipSync(encodeIdx([1], Uint8Array.of(1)));
    routes.set('/fashion-mnist/train-images-idx3-ubyte.gz', serve(wrong));
    const cacheDir = tempDir();
    await expect(
      loadDataset('fashion-mnist', {
        cacheDir,
        useSystemDirs: false,
        download: true,
        mirror: base,
        progress: false,
      }),
    ).rejects.toThrow(/train-images-idx3-ubyte\.gz has SHA-256 .*expected 3aede38d/);
    expect(readdirSync(join(cacheDir, 'fashion-mnist'))).toEqual([]);
  });
});
