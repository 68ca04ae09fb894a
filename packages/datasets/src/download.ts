/**
 * Downloading one file with node's `fetch`: resumable (HTTP Range onto `<dest>.part`), verified
 * (SHA-256), atomic (the `.part` file is renamed onto `dest` only once verified, so `dest` never
 * exists half-written) and patient within bounds: a server that does not answer or stops sending
 * is given up after a time-out, and a failed transfer is retried, resuming, after a growing wait.
 * Streamed to disk rather than buffered, hence no `writeFileAtomic`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PerturbError } from '@perturb/core';
import { makeFolder } from '@perturb/core/node';
import type { ProgressListener } from './progress';

/** How long a download waits and how often it tries again. */
export interface DownloadOptions {
  /** Milliseconds to connect and receive the response's headers. Default 30,000. */
  readonly connectTimeoutMs?: number;
  /** Milliseconds without a byte of the body before the transfer is given up. Default 60,000. */
  readonly idleTimeoutMs?: number;
  /**
   * Further attempts after a failed one, each resuming where the last stopped. Only failures
   * that may pass are retried: no connection, a time-out, a cut transfer, HTTP 408, 429 and 5xx.
   * Default 3.
   */
  readonly retries?: number;
  /** Milliseconds before the first retry, doubled before each next one. Default 1,000. */
  readonly retryDelayMs?: number;
}

/** The defaults of `DownloadOptions`. */
export const DOWNLOAD_DEFAULTS: Readonly<Required<DownloadOptions>> = {
  connectTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  retries: 3,
  retryDelayMs: 1_000,
};

/** What to download and how to check it. */
export interface DownloadRequest extends DownloadOptions {
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

/** Why one attempt failed, and whether another one may succeed. */
class AttemptFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const sizeOf = (path: string): number => (existsSync(path) ? statSync(path).size : 0);

/** Statuses that say "not now" rather than "not here": worth another attempt. */
const isTransient = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** One `AbortController` with a deadline that can be moved, and the reason it fired. */
class Deadline {
  readonly controller = new AbortController();
  reason: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** Aborts in `ms` milliseconds unless moved or cleared, recording `reason`. */
  set(ms: number, reason: string): void {
    this.clear();
    this.timer = setTimeout(() => {
      this.reason = reason;
      this.controller.abort();
    }, ms);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/**
 * Fetches the rest of `url` onto `part`, resuming from the bytes already there. Returns once the
 * server has sent everything; throws an `AttemptFailure` (keeping the part file) otherwise.
 */
async function transfer(
  request: DownloadRequest,
  part: string,
  { connectTimeoutMs, idleTimeoutMs }: Required<DownloadOptions>,
): Promise<void> {
  const { url, onProgress } = request;
  let offset = sizeOf(part);
  if (request.bytes !== undefined && offset >= request.bytes) return;
  const deadline = new Deadline();
  deadline.set(connectTimeoutMs, `no response within ${connectTimeoutMs} ms`);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
      signal: deadline.controller.signal,
    });
  } catch (error) {
    deadline.clear();
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new AttemptFailure(deadline.reason ?? `cannot reach the server (${cause})`, true);
  }
  if (response.status === 416 && offset > 0) {
    // Nothing left to send: the part file is whole.
    deadline.clear();
    await response.body?.cancel();
    return;
  }
  if (!response.ok || !response.body) {
    deadline.clear();
    await response.body?.cancel();
    const status = `HTTP ${response.status} ${response.statusText}`.trim();
    throw new AttemptFailure(status, isTransient(response.status));
  }
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
  const stalled = `no data for ${idleTimeoutMs} ms`;
  try {
    deadline.set(idleTimeoutMs, stalled);
    for await (const chunk of response.body) {
      await file.write(chunk);
      received += chunk.length;
      deadline.set(idleTimeoutMs, stalled);
      report(false);
    }
    await file.sync();
  } catch (error) {
    throw interrupted(received, totalBytes, deadline.reason ?? (error as Error).message);
  } finally {
    deadline.clear();
    await file.close();
  }
  if (end !== undefined && received < end) throw interrupted(received, end, 'connection closed early');
  report(true);
}

function interrupted(received: number, total: number | undefined, why: string): AttemptFailure {
  return new AttemptFailure(
    `interrupted after ${received}${total ? ` of ${total}` : ''} bytes (${why})`,
    true,
  );
}

/** `request`'s options, every default filled in and checked. */
function downloadSettings(request: DownloadOptions): Required<DownloadOptions> {
  const settings = {
    connectTimeoutMs: request.connectTimeoutMs ?? DOWNLOAD_DEFAULTS.connectTimeoutMs,
    idleTimeoutMs: request.idleTimeoutMs ?? DOWNLOAD_DEFAULTS.idleTimeoutMs,
    retries: request.retries ?? DOWNLOAD_DEFAULTS.retries,
    retryDelayMs: request.retryDelayMs ?? DOWNLOAD_DEFAULTS.retryDelayMs,
  };
  for (const [key, value] of Object.entries(settings)) {
    const positive = key !== 'retries' && key !== 'retryDelayMs';
    if (!Number.isInteger(value) || value < (positive ? 1 : 0)) {
      throw new PerturbError(
        `download option ${key} is ${value}`,
        `Pass a whole number ${positive ? '≥ 1' : '≥ 0'} (default ${DOWNLOAD_DEFAULTS[key as keyof DownloadOptions]})`,
      );
    }
  }
  return settings;
}

/**
 * Downloads `request.url` to `request.dest` unless `dest` already exists, resuming a previous
 * partial transfer. A failed attempt is retried, resuming, up to `retries` times after waits of
 * `retryDelayMs`, twice that, four times…; then one `PerturbError` says what happened, keeping
 * what was received for the next run. On a checksum mismatch the partial file is deleted and
 * nothing is left at `dest`.
 */
export async function downloadFile(request: DownloadRequest): Promise<void> {
  const { url, dest, sha256 } = request;
  const settings = downloadSettings(request);
  if (existsSync(dest)) return;
  makeFolder(dirname(dest)); // Node's recursive mkdirSync can hang on a path like /proc/x
  const part = `${dest}.part`;
  for (let attempt = 1; ; attempt++) {
    try {
      await transfer(request, part, settings);
      break;
    } catch (error) {
      if (!(error instanceof AttemptFailure)) throw error;
      if (!error.retryable || attempt > settings.retries) {
        throw new PerturbError(
          `download of ${url} failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${error.message}`,
          `Check the network connection or the mirror (PERTURB_DATA_MIRROR or the mirror option) and run again (a partial download resumes), or download the file yourself and place it at ${dest}`,
        );
      }
      await sleep(settings.retryDelayMs * 2 ** (attempt - 1));
    }
  }
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
