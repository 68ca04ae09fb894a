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

/** Announces all of `data`, sends `sent` bytes, then neither more nor an end: a stalled mirror. */
function stall(data: Uint8Array, sent: number): Route {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Length': data.length });
    res.write(data.subarray(0, sent));
  };
}

/** `first` for the first `times` requests, then `then`. */
function failing(times: number, first: Route, then: Route): Route {
  let seen = 0;
  return (req, res) => (seen++ < times ? first : then)(req, res);
}

const serverError: Route = (_req, res) => res.writeHead(500, 'Internal Server Error').end('oops');

/** Retries without waiting, so the tests stay fast. */
const quick = { retryDelayMs: 0 };

/** Announces all of `data` but sends only `sent` bytes, then drops the connection. */
function cutOff(data: Uint8Array, sent: number): Route {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Length': data.length });
    // The wait lets the client read the bytes first: a fetch body that errors drops what it has
    // received but not yet handed over. Long enough for a client starved by a loaded machine.
    res.write(data.subarray(0, sent), () => setTimeout(() => res.socket?.destroy(), 500));
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
afterAll(() => {
  server.closeAllConnections(); // stalled responses would keep it open
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
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

  it('resumes a truncated transfer with a Range request on the next run', async () => {
    routes.set('/big.bin', cutOff(content, 40_000));
    const dest = join(tempDir(), 'big.bin');
    const request = { url: `${base}/big.bin`, dest, sha256: sha256(content), bytes: content.length };
    const error = await downloadFile({ ...request, retries: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PerturbError);
    expect((error as PerturbError).problem).toMatch(
      `download of ${base}/big.bin failed after 1 attempt: interrupted after 40000 of 100000 bytes`,
    );
    expect((error as PerturbError).fix).toMatch(
      /run again \(a partial download resumes\).*place it at .*big\.bin$/,
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
    await expect(downloadFile({ ...request, retries: 0 })).rejects.toThrow(/interrupted/);
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

  it('reports an HTTP error status once the retries are spent', async () => {
    routes.set('/broken.bin', serverError);
    const dir = tempDir();
    const error = await downloadFile({
      url: `${base}/broken.bin`,
      dest: join(dir, 'broken.bin'),
      sha256: sha256(content),
      retries: 2,
      ...quick,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PerturbError);
    expect((error as PerturbError).problem).toBe(
      `download of ${base}/broken.bin failed after 3 attempts: HTTP 500 Internal Server Error`,
    );
    expect((error as PerturbError).fix).toMatch(/PERTURB_DATA_MIRROR/);
    expect(requests).toHaveLength(3);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('does not retry a file the server does not have', async () => {
    const error = await downloadFile({
      url: `${base}/absent.bin`,
      dest: join(tempDir(), 'absent.bin'),
      sha256: sha256(content),
      ...quick,
    }).catch((e: unknown) => e);
    expect((error as PerturbError).problem).toBe(
      `download of ${base}/absent.bin failed after 1 attempt: HTTP 404 Not Found`,
    );
    expect(requests).toHaveLength(1);
  });

  it('retries after HTTP 500, then succeeds', async () => {
    routes.set('/flaky.bin', failing(2, serverError, serve(content)));
    const dest = join(tempDir(), 'flaky.bin');
    await downloadFile({ url: `${base}/flaky.bin`, dest, sha256: sha256(content), ...quick });
    expect(readFileSync(dest).equals(content)).toBe(true);
    expect(requests).toHaveLength(3);
  });

  it('resumes a cut transfer within the same call', async () => {
    routes.set('/cut.bin', failing(1, cutOff(content, 40_000), serve(content)));
    const dest = join(tempDir(), 'cut.bin');
    const request = { url: `${base}/cut.bin`, dest, sha256: sha256(content), bytes: content.length };
    await downloadFile({ ...request, ...quick });
    expect(requests.map((r) => r.range)).toEqual([undefined, 'bytes=40000-']);
    expect(readFileSync(dest).equals(content)).toBe(true);
  });

  it('gives up on a stalled body after the idle time-out, and resumes', async () => {
    routes.set('/stalled.bin', failing(1, stall(content, 40_000), serve(content)));
    const dest = join(tempDir(), 'stalled.bin');
    const request = { url: `${base}/stalled.bin`, dest, sha256: sha256(content), idleTimeoutMs: 500 };
    await downloadFile({ ...request, ...quick });
    expect(requests.map((r) => r.range)).toEqual([undefined, 'bytes=40000-']);
    expect(readFileSync(dest).equals(content)).toBe(true);

    routes.set('/stalled-forever.bin', stall(content, 40_000));
    const forever = join(tempDir(), 'forever.bin');
    const error = await downloadFile({
      ...request,
      url: `${base}/stalled-forever.bin`,
      dest: forever,
      retries: 1,
      ...quick,
    }).catch((e: unknown) => e);
    expect((error as PerturbError).problem).toBe(
      `download of ${base}/stalled-forever.bin failed after 2 attempts: interrupted after 40000 of 100000 bytes (no data for 500 ms)`,
    );
    expect(statSync(`${forever}.part`).size).toBe(40_000);
  });

  it('gives up on a server that never answers after the connect time-out', async () => {
    routes.set('/silent.bin', () => {}); // reads the request, never answers
    const started = Date.now();
    const error = await downloadFile({
      url: `${base}/silent.bin`,
      dest: join(tempDir(), 'silent.bin'),
      sha256: sha256(content),
      connectTimeoutMs: 100,
      retries: 2,
      retryDelayMs: 50,
    }).catch((e: unknown) => e);
    expect((error as PerturbError).problem).toBe(
      `download of ${base}/silent.bin failed after 3 attempts: no response within 100 ms`,
    );
    // Three time-outs and two waits of 50 then 100 ms: the back-off doubles. (Less a few ms:
    // Date.now's whole milliseconds can round the timers' exact sum down.)
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 100 + 150 - 10);
    expect(requests).toHaveLength(3);
  });

  it('reports a server it cannot reach', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(
      downloadFile({
        url: `http://127.0.0.1:${port}/x.bin`,
        dest: join(tempDir(), 'x.bin'),
        sha256: sha256(content),
        retries: 1,
        ...quick,
      }),
    ).rejects.toThrow(/failed after 2 attempts: cannot reach the server \(.*ECONNREFUSED/);
  });

  it('refuses options it cannot use, naming the default', async () => {
    const request = { url: `${base}/good.bin`, dest: join(tempDir(), 'y.bin'), sha256: sha256(content) };
    await expect(downloadFile({ ...request, retries: -1 })).rejects.toThrow(
      /download option retries is -1. Pass a whole number ≥ 0 \(default 3\)/,
    );
    await expect(downloadFile({ ...request, idleTimeoutMs: 0 })).rejects.toThrow(
      /idleTimeoutMs is 0. Pass a whole number ≥ 1 \(default 60000\)/,
    );
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
    const spec: IdxSpec = { ...mnist, examples: { train: 3, test: 0 }, remote: { train: remote, test: [] } };
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
