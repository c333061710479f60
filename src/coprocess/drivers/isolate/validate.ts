import type { IsolateSlot } from './isolate-slot';
import type { ResolvedOptions } from './options';
import { MiddlewareSourceError } from './source-error';

/** Throw a MiddlewareSourceError listing every hook name that does not resolve to a hook. */
export async function checkHookNames(slot: IsolateSlot, options: ResolvedOptions): Promise<void> {
  const names = [...new Set(options.hookNames)];
  if (names.length === 0) return;
  const problems = (await slot.checkHooks(names, options.startupTimeoutMs)).filter((problem) => problem !== '');
  if (problems.length === 0) return;
  const files = options.sources.map((s) => s.filename).join(', ') || 'no files';
  throw new MiddlewareSourceError(`${problems.join('; ')} (middleware: ${files})`);
}
