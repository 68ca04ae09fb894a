/**
 * Downloading one file with node's `fetch`: resumable (HTTP Range onto `<dest>.part`), verified
 * (SHA-256) and atomic (the `.part` file is renamed onto `dest` only once verified, so `dest`
 * never exists half-written). Streamed to disk rather than buffered, hence no `writeFileAtomic`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PerturbError } from '@perturb/core';
import type { ProgressListener } from './progress';

/** What to download and how to check it. */
export interface DownloadRequest {
  readonly url: string;
  /** Final path; the transfer goes to `<dest>.part` until verified. */
  readonly dest: string;
  /** Expected SHA-256, lowercase hex. */
  readonly sha256: string;
  /** Expected size, to tell an interrupted transfer from a finished one. Default: the server's. */
  readonly bytes?: number;
  /** Receives progress reports. Default: none. */
  readonly onProgress?: ProgressListener;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const sizeOf = (path: string): number => (existsSync(path) ? statSync(path).size : 0);

function httpError(url: string, status: number, statusText: string): PerturbError {
  return new PerturbError(
    `download of ${url} failed: HTTP ${status} ${statusText}`.trim(),
    'Try again later, point PERTURB_DATA_MIRROR (or the mirror option) at a working mirror, or download the file yourself and set PERTURB_DATA',
  );
}

/**
 * Fetches the rest of `url` onto `part`, resuming from the bytes already there. Returns once the
 * server has sent everything; throws a `PerturbError` (keeping the part file) if cut off.
 */
async function transfer(request: DownloadRequest, part: string): Promise<void> {
  const { url, onProgress } = request;
  let offset = sizeOf(part);
  if (request.bytes !== undefined && offset >= request.bytes) return;
  let response: Response;
  try {
    response = await fetch(url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {} });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new PerturbError(
      `cannot reach ${url} (${cause})`,
      'Check the network connection or the mirror URL, then run again',
    );
  }
  if (response.status === 416 && offset > 0) return; // nothing left to send: the part file is whole
  if (!response.ok || !response.body) throw httpError(url, response.status, response.statusText);
  // A server that ignores Range answers 200 with the whole file: start over.
  if (response.status !== 206) offset = 0;
  const length = Number(response.headers.get('content-length') ?? NaN);
  // The server's length tells an interrupted transfer from a complete one (even of a wrong file,
  // which the checksum then rejects); the expected size is the fallback and the progress total.
  const serverEnd = Number.isFinite(length) ? offset + length : undefined;
  const end = serverEnd ?? request.bytes;
  const totalBytes = request.bytes ?? serverEnd;
  const file = await open(part, offset > 0 ? 'a' : 'w');
  const started = Date.now();
  let received = offset;
  const report = (done: boolean) => {
    const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
    onProgress?.({
      url,
      receivedBytes: received,
      totalBytes,
      bytesPerSecond: (received - offset) / seconds,
      done,
    });
  };
  try {
    for await (const chunk of response.body) {
      await file.write(chunk);
      received += chunk.length;
      report(false);
    }
    await file.sync();
  } catch (error) {
    throw interrupted(url, received, totalBytes, (error as Error).message);
  } finally {
    await file.close();
  }
  if (end !== undefined && received < end) throw interrupted(url, received, end, 'connection closed early');
  report(true);
}

function interrupted(url: string, received: number, total: number | undefined, why: string): PerturbError {
  return new PerturbError(
    `download of ${url} was interrupted after ${received}${total ? ` of ${total}` : ''} bytes (${why})`,
    'Run again to resume where it stopped',
  );
}

/**
 * Downloads `request.url` to `request.dest` unless `dest` already exists, resuming a previous
 * partial transfer. On a checksum mismatch the partial file is deleted and nothing is left at `dest`.
 */
export async function downloadFile(request: DownloadRequest): Promise<void> {
  const { url, dest, sha256 } = request;
  if (existsSync(dest)) return;
  mkdirSync(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  await transfer(request, part);
  const actual = await sha256Of(part);
  if (actual !== sha256.toLowerCase()) {
    rmSync(part, { force: true });
    throw new PerturbError(
      `${url} has SHA-256 ${actual}, expected ${sha256}; the download was deleted`,
      'The server sent a different file: check PERTURB_DATA_MIRROR (or the mirror option), or download the file yourself and set PERTURB_DATA',
    );
  }
  renameSync(part, dest);
}
