import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { unzipSync } from 'fflate';
import { BundleError } from './errors';
import { bundlePathProblem, normaliseBundlePath } from './paths';
import { entryTypeProblem, zipEntryTypes } from './zip-modes';

// Runs in a worker thread (extract.ts): inflating is CPU work whose cost a hostile archive
// chooses, so it never runs on the thread that serves requests, and it is killed on a deadline.

export interface ExtractRequest {
  zip: Uint8Array;
  /** An empty folder to write into. */
  dest: string;
  maxEntries: number;
  maxBytes: number;
}

export type ExtractReply = { ok: true; files: string[] } | { ok: false; message: string };

const DIR_TYPE = 0o040000;

/**
 * Every check happens in fflate's filter, before the entry is inflated: the output buffer is
 * sized from the declared size, which is capped here, and an entry that lies about its size is
 * cut at the declared size (fflate never grows a buffer it was given), so memory stays bounded.
 */
function extract(req: ExtractRequest): string[] {
  const types = zipEntryTypes(req.zip, req.maxEntries);
  const names = new Set<string>();
  let index = 0;
  let total = 0;
  const files = unzipSync(req.zip, {
    filter(info) {
      const i = index++;
      if (i >= types.length) throw new BundleError('not a zip file (more entries than its central directory declares)');
      const label = `entry ${JSON.stringify(info.name)}`;
      const typeProblem = entryTypeProblem(types[i]!);
      if (typeProblem) throw new BundleError(`${label} ${typeProblem}`);
      const isDir = info.name.endsWith('/') || types[i] === DIR_TYPE;
      const raw = info.name.endsWith('/') ? info.name.slice(0, -1) : info.name;
      const problem = bundlePathProblem(raw);
      if (problem) throw new BundleError(`${label} ${problem}`);
      if (isDir) return false;
      const name = normaliseBundlePath(raw);
      if (names.has(name)) throw new BundleError(`${label} appears twice`);
      names.add(name);
      if (info.compression !== 0 && info.compression !== 8) throw new BundleError(`${label} uses compression method ${info.compression} (only stored and deflate are supported)`);
      const size = info.compression === 0 ? info.size : info.originalSize;
      total += size;
      if (total > req.maxBytes) throw new BundleError(`expands to more than bundle_options.max_uncompressed_bytes (${req.maxBytes} bytes) — refused as a zip bomb`);
      return true;
    },
  });
  for (const [raw, data] of Object.entries(files)) {
    const name = normaliseBundlePath(raw.endsWith('/') ? raw.slice(0, -1) : raw);
    const path = join(req.dest, name);
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      // wx: never through an existing file or link; the folder is new and only this loop writes it.
      writeFileSync(path, data, { flag: 'wx', mode: 0o644 });
    } catch (err) {
      throw new BundleError(`entry ${JSON.stringify(name)} cannot be written: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return [...names];
}

function reply(req: ExtractRequest): ExtractReply {
  try {
    return { ok: true, files: extract(req) };
  } catch (err) {
    if (err instanceof BundleError) return { ok: false, message: err.message };
    return { ok: false, message: `not a usable zip file (${(err as Error).message})` };
  }
}

if (parentPort) parentPort.postMessage(reply(workerData as ExtractRequest));
