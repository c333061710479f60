import { logger } from '../log/logger';
import { type EntryPhase, type EntryTag, tagNames } from './entry-record';
import { middlewareFingerprint } from './fingerprint';

/**
 * An API whose middleware aborted a gateway worker. The supervisor decides (attribution.ts),
 * keeps the list across worker restarts and hands it to every new worker; a worker serves a
 * quarantined API with 503 and never enters its isolate, until the middleware changes or an
 * operator releases it (`DELETE /tyk/apis/{id}/quarantine`).
 */
export interface QuarantineEntry extends EntryTag {
  /** When the supervisor decided, ISO 8601. */
  since: string;
  /** What the API was doing: its isolate's start (top-level code) or a hook/event call. */
  phase: EntryPhase;
  /** How the API was identified (see attribution.ts). */
  attribution: 'culprit' | 'only-busy' | 'repeat';
  /** Human-readable cause, e.g. the worker's signal and isolated-vm's message. */
  reason: string;
}

/** Worker → supervisor. */
export type QuarantineMessage =
  | { isogate: 'quarantine-lift'; key: EntryTag; why: 'released' | 'middleware changed' }
  | { isogate: 'quarantine-add'; entry: QuarantineEntry };

export function isQuarantineMessage(msg: unknown): msg is QuarantineMessage {
  const m = msg as QuarantineMessage | null;
  return typeof m === 'object' && m !== null && (m.isogate === 'quarantine-lift' || m.isogate === 'quarantine-add');
}

/** Two tags that name the same API (and, with `code`, the same middleware). */
export function sameApi(a: EntryTag, b: EntryTag): boolean {
  return a.api !== undefined ? a.api === b.api : a.api_sha256 === b.api_sha256;
}

/** This worker's view of the quarantine list. */
class Quarantine {
  private entries: QuarantineEntry[] = [];

  /** Take what the supervisor handed over (the worker calls this before loading APIs). */
  load(entries: readonly QuarantineEntry[]): void {
    this.entries = entries.filter((e) => typeof e?.code === 'string' && (typeof e.api === 'string' || typeof e.api_sha256 === 'string'));
  }

  list(): readonly QuarantineEntry[] {
    return this.entries;
  }

  find(apiId: string): QuarantineEntry | undefined {
    return this.entries.find((e) => tagNames(e, apiId));
  }

  /**
   * The entry holding `apiId` if it still runs the middleware that aborted the worker. An entry
   * for other code is lifted here: the middleware changed.
   */
  holds(apiId: string, sources: readonly { filename: string; code: string }[]): QuarantineEntry | undefined {
    const entry = this.find(apiId);
    if (!entry) return undefined;
    if (entry.code === middlewareFingerprint(sources)) return entry;
    this.remove(entry, 'middleware changed');
    logger.info({ api_id: apiId }, `api ${apiId}: middleware changed; quarantine lifted`);
    return undefined;
  }

  /** Operator release; returns the entry that was lifted. */
  release(apiId: string): QuarantineEntry | undefined {
    const entry = this.find(apiId);
    if (entry) this.remove(entry, 'released');
    return entry;
  }

  /** Put an entry back (a release whose rebuild failed). */
  add(entry: QuarantineEntry): void {
    if (this.entries.some((e) => sameApi(e, entry))) return;
    this.entries.push(entry);
    send({ isogate: 'quarantine-add', entry });
  }

  private remove(entry: QuarantineEntry, why: 'released' | 'middleware changed'): void {
    this.entries = this.entries.filter((e) => e !== entry);
    const key: EntryTag = entry.api !== undefined ? { api: entry.api, code: entry.code } : { api_sha256: entry.api_sha256, code: entry.code };
    send({ isogate: 'quarantine-lift', key, why });
  }
}

function send(message: QuarantineMessage): void {
  // Without a supervisor (--no-supervisor, tests in process) there is nobody to tell.
  process.send?.(message);
}

export const quarantine = new Quarantine();
