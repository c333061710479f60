import type { IncomingHttpHeaders } from 'node:http';

/** A virtual endpoint's answer as the step sends it (and the cache keeps it). */
export interface VirtualAnswer {
  status: number;
  /** Checked by checkPluginReply (src/pipeline/respond.ts): lower-case names, string values. */
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Entry {
  answer: VirtualAnswer;
  expiresAt: number;
  bytes: number;
}

/** Per API (our bound; Tyk's cache lives in Redis without one). */
export const VIRTUAL_CACHE_LIMITS = { maxEntries: 1000, maxBytes: 16 * 1024 * 1024, maxEntryBytes: 1024 * 1024 };

function sizeOf(answer: VirtualAnswer): number {
  let bytes = answer.body.length + 64;
  for (const [name, value] of Object.entries(answer.headers)) bytes += name.length + String(value).length;
  return bytes;
}

/**
 * The answers of one API version's virtual endpoints, least recently used first out, bounded
 * in entries and bytes; an answer bigger than maxEntryBytes is not kept. A reload starts empty.
 */
export class VirtualCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly limits = VIRTUAL_CACHE_LIMITS) {}

  get(key: string, now: number): VirtualAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= now) {
      this.bytes -= entry.bytes;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry.answer;
  }

  set(key: string, answer: VirtualAnswer, expiresAt: number): void {
    const bytes = sizeOf(answer);
    if (bytes > this.limits.maxEntryBytes) return;
    const prior = this.entries.get(key);
    if (prior) {
      this.entries.delete(key);
      this.bytes -= prior.bytes;
    }
    this.entries.set(key, { answer, expiresAt, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
