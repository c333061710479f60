import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { ConfigError } from '../config/config-error';

/**
 * The embedded store's two LMDB environments under `storage.path`:
 * - `sessions/`: sessions and plugin data. Default LMDB sync mode: a write's promise resolves
 *   once committed, and the store then awaits `flushed` (fsync), so a management write is on
 *   disk before the management API answers.
 * - `counters/`: rate and quota counters, written on the request path. `noSync`: commits go to
 *   the shared memory map and the OS page cache without an fsync, so they survive any process
 *   dying (a worker kill, a gateway restart) but not an OS crash or power loss, which may lose
 *   the counts of the last seconds. An fsync per request would cost milliseconds (measured with
 *   bench/micro/store.mjs).
 * LMDB's write lock lives in each environment's `lock.mdb` and is shared by every process that
 * opens it: every worker of a gateway opens the same folders and writes in turn.
 */
export interface EmbeddedEnvs {
  path: string;
  sessions: RootDatabase;
  counters: RootDatabase;
}

/** What LMDB writes at byte 24 of each of its two meta pages (MDB_meta.mm_magic). */
const LMDB_MAGIC = 0xbeefc0de;

/**
 * Open (creating if needed) the store at `path`. Anything wrong — a folder that cannot be
 * created or written, a data file that is not LMDB's — is a ConfigError naming storage.path.
 */
export function openEmbeddedEnvs(path: string, source: string): EmbeddedEnvs {
  const fail = (what: string, err?: unknown): never => {
    throw new ConfigError(`${source}: storage.path: ${path}: ${what}${err ? `: ${(err as Error).message}` : ''} (remove the folder to start with an empty store)`);
  };
  const sessionsDir = join(path, 'sessions');
  const countersDir = join(path, 'counters');
  for (const dir of [sessionsDir, countersDir]) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      accessSync(dir, constants.W_OK | constants.R_OK);
    } catch (err) {
      fail('cannot create or write the embedded store folder', err);
    }
    // LMDB maps the file without checking it first: a damaged file ends the process with SIGSEGV
    // instead of an error, so its header is checked here.
    const problem = damagedDataFile(join(dir, 'data.mdb'));
    if (problem) fail(`the embedded store file ${join(dir, 'data.mdb')} is damaged (${problem})`);
  }
  let sessions: RootDatabase | undefined;
  let counters: RootDatabase | undefined;
  try {
    sessions = open({ path: sessionsDir, maxDbs: 4 });
    counters = open({ path: countersDir, maxDbs: 4, noSync: true });
    // A probe write: a read-only file (or a full disk) shows now, not at the first key.
    const probe = `probe-${process.pid}`;
    sessions.transactionSync(() => {
      sessions!.putSync(probe, 1);
      sessions!.removeSync(probe);
    });
    counters.transactionSync(() => {
      counters!.putSync(probe, 1);
      counters!.removeSync(probe);
    });
  } catch (err) {
    void sessions?.close();
    void counters?.close();
    fail('cannot open the embedded store', err);
  }
  return { path, sessions: sessions!, counters: counters! };
}

/** Why `file` is not an LMDB data file, or undefined (also when it does not exist yet). */
export function damagedDataFile(file: string): string | undefined {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return undefined;
  }
  if (size === 0) return undefined; // created but never written: LMDB initialises it
  const head = Buffer.alloc(64);
  const fd = openSync(file, 'r');
  try {
    if (readSync(fd, head, 0, 64, 0) < 64) return 'shorter than one page';
    if (head.readUInt32LE(24) !== LMDB_MAGIC) return 'no LMDB header';
    // The page size is kept in the first meta page (the free list's md_pad); the second meta page starts there.
    const pageSize = head.readUInt32LE(48);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return 'bad page size';
    if (size < 2 * pageSize) return 'shorter than its two meta pages';
    const second = Buffer.alloc(4);
    readSync(fd, second, 0, 4, pageSize + 24);
    if (second.readUInt32LE(0) !== LMDB_MAGIC) return 'second meta page damaged';
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** LMDB refuses keys over 1978 bytes: longer names are stored under their SHA-256 (the name goes into the value). */
const MAX_PLAIN_KEY_BYTES = 1024;

/**
 * The LMDB key of a stored name. Prefixed so a plain name can never equal a hashed one; `long`
 * tells the caller to keep the name in the value (keys() must list names, not hashes).
 */
export function lmdbKey(name: string): { key: string; long: boolean } {
  if (Buffer.byteLength(name) <= MAX_PLAIN_KEY_BYTES) return { key: `k:${name}`, long: false };
  return { key: `h:${createHash('sha256').update(name).digest('hex')}`, long: true };
}
