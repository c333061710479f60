import type ivm from 'isolated-vm';
import type { GuestEntries, GuestSource, GuestSourceFailure } from '../../../protocol/isolate';
import { withDeadline } from './deadline';
import type { IsolateSource } from './options';
import { guestSourceError, sourceErrorFrom } from './source-error';

type LoadSourcesRef = ivm.Reference<NonNullable<GuestEntries['loadSources']>>;

/**
 * Hand an API's middleware to a runtime that compiles it itself (Lua: V8 cannot). One call for
 * all files, so that a file may `require` one listed after it; the files share the startup
 * budget. Throws a MiddlewareSourceError naming the file and line of the first problem.
 */
export async function loadGuestSources(
  loadSources: ivm.Reference<unknown>,
  sources: readonly IsolateSource[],
  timeoutMs: number,
  onTopLevel?: (filename: string) => void,
): Promise<void> {
  const files: GuestSource[] = sources.map((s) => ({ filename: s.filename, code: s.code }));
  const names = files.map((f) => f.filename).join(', ') || 'middleware';
  // One call runs every file's top-level code: an abort during it is blamed on all of them.
  onTopLevel?.(names);
  let failure: GuestSourceFailure | undefined;
  try {
    failure = await withDeadline(
      (loadSources as LoadSourcesRef).apply(undefined, [files], { arguments: { copy: true }, result: { copy: true }, timeout: timeoutMs }),
      timeoutMs,
      `${names}: top-level code`,
    );
  } catch (err) {
    // Time or memory ran out: the guest cannot say which file was running.
    throw sourceErrorFrom(err, names, 'run');
  }
  if (failure) throw guestSourceError(failure);
}
