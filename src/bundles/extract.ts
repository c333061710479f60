import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BundleError } from './errors';
import type { ExtractReply, ExtractRequest } from './extract-worker';
import { Slots } from './slots';

export interface ExtractLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/** An honest archive within the caps inflates in well under this; a hostile one is stopped. */
const EXTRACT_TIMEOUT_MS = 60_000;
/** Extraction threads at once: they compete for the cores that serve requests. */
const workers = new Slots(Math.max(1, Math.min(4, availableParallelism() - 1)));

/**
 * Unzip `zip` into the empty folder `dest` in a worker thread (extract-worker.ts), so that the
 * inflating never blocks the thread that serves requests. `zip` is consumed: when it owns its
 * memory, that memory is transferred to the worker and `zip` is empty afterwards. Zip-slip entries (`..`, absolute
 * paths, symlinks, devices), NUL/CR in names, too many entries and too many bytes are refused.
 * Returns the files written (bundle-relative); on failure `dest` may hold a partial extraction,
 * which the caller deletes.
 */
export function extractZip(zip: Uint8Array, dest: string, limits: ExtractLimits, signal?: AbortSignal): Promise<string[]> {
  return workers.run(() => extractInWorker(zip, dest, limits, signal));
}

function extractInWorker(zip: Uint8Array, dest: string, limits: ExtractLimits, signal?: AbortSignal): Promise<string[]> {
  if (signal?.aborted) return Promise.reject(new BundleError('extraction cancelled: the gateway is stopping'));
  // The bytes move to the worker: copying tens of MiB here would stall this thread (≈ 60-90 ms for
  // 23 MiB on the test machine). A buffer that shares its memory (Node's pool) is copied; it is small.
  const owned = zip.byteLength > 0 && zip.byteOffset === 0 && zip.byteLength === zip.buffer.byteLength && zip.buffer instanceof ArrayBuffer;
  const moved = owned ? zip : new Uint8Array(zip);
  const request: ExtractRequest = { zip: moved, dest, maxEntries: limits.maxEntries, maxBytes: limits.maxBytes };
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'extract-worker.js'), { workerData: request, transferList: [moved.buffer as ArrayBuffer] });
    let settled = false;
    const finish = (err: Error | undefined, files?: string[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // Settle only once the worker is gone, so nothing writes into `dest` after the caller cleans up.
      void worker.terminate().catch(() => undefined).then(() => (err ? reject(err) : resolve(files!)));
    };
    const timer = setTimeout(() => finish(new BundleError(`extraction took longer than ${EXTRACT_TIMEOUT_MS / 1000} s — refused as a zip bomb`)), EXTRACT_TIMEOUT_MS);
    const onAbort = () => finish(new BundleError('extraction cancelled: the gateway is stopping'));
    signal?.addEventListener('abort', onAbort);
    worker.once('message', (reply: ExtractReply) => finish(reply.ok ? undefined : new BundleError(reply.message), reply.ok ? reply.files : undefined));
    worker.once('error', (err) => finish(new BundleError(`extraction failed: ${err.message}`)));
    worker.once('exit', (code) => finish(new BundleError(`extraction stopped (worker exit code ${code})`)));
  });
}
