import type { EntryRecordContents, RecordedEntry } from './entry-record';
import { type QuarantineEntry, sameApi } from './quarantine';

/** Signals with which a process dies when V8 or isolated-vm gives up (abort, crash). */
const ABORT_SIGNALS = new Set(['SIGABRT', 'SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGTRAP']);

/** Did the worker abort (rather than exit, or get killed from outside)? */
export function abortedExit(code: number | null, signal: string | null): boolean {
  if (signal) return ABORT_SIGNALS.has(signal);
  // A shell or wrapper reports a signal death as 128 + n: SIGABRT 134, SIGSEGV 139.
  return code === 134 || code === 139;
}

export interface Attribution {
  entry: RecordedEntry;
  how: QuarantineEntry['attribution'];
}

/**
 * Who aborted the worker, from its entry record. Only certain answers quarantine an API:
 * 1. the culprit slot, which isolated-vm's catastrophic-error handler writes for the exact
 *    isolate that failed (hook calls are asynchronous, so the handler gets to run);
 * 2. else, the only isolate that was busy;
 * 3. else, if several were busy, the one API that was also busy at the previous abort.
 * Anything less certain quarantines nobody: the supervisor then restarts with back-off, as for
 * any crash, rather than take an innocent API offline.
 */
export function attribute(record: EntryRecordContents, previousBusy: readonly RecordedEntry[]): Attribution | undefined {
  if (record.culprit) return { entry: record.culprit, how: 'culprit' };
  const busy = dedupe(record.busy);
  if (busy.length === 1) return { entry: busy[0]!, how: 'only-busy' };
  if (busy.length > 1) {
    const again = busy.filter((e) => previousBusy.some((p) => sameApi(p, e) && p.code === e.code));
    if (again.length === 1) return { entry: again[0]!, how: 'repeat' };
  }
  return undefined;
}

/** One entry per API and code (an API may be starting a new isolate beside its old one). */
function dedupe(entries: readonly RecordedEntry[]): RecordedEntry[] {
  const out: RecordedEntry[] = [];
  for (const e of entries) if (!out.some((o) => sameApi(o, e) && o.code === e.code)) out.push(e);
  return out;
}

/** The quarantine entry for an attribution. */
export function quarantineEntryFor(attribution: Attribution, code: number | null, signal: string | null): QuarantineEntry {
  const { entry, how } = attribution;
  const died = signal ? `signal ${signal}` : `exit code ${code}`;
  const doing = entry.phase === 'start' ? 'starting its isolate (top-level middleware code)' : 'in a hook or event call';
  const reason = `the gateway worker aborted (${died}) while this API was ${doing}${entry.message ? `: ${entry.message}` : ''}`;
  const key = entry.api !== undefined ? { api: entry.api } : { api_sha256: entry.api_sha256 };
  return { ...key, code: entry.code, since: new Date().toISOString(), phase: entry.phase, attribution: how, reason };
}
