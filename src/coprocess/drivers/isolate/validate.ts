import { IsolateSlot } from './isolate-slot';
import type { ResolvedOptions } from './options';
import { asSourceError, MiddlewareSourceError } from './source-error';

/** Throw a MiddlewareSourceError listing every hook name that does not resolve to a hook. */
export async function checkHookNames(slot: IsolateSlot, options: ResolvedOptions): Promise<void> {
  const names = [...new Set(options.hookNames)];
  if (names.length === 0) return;
  const problems = (await slot.checkHooks(names, options.startupTimeoutMs)).filter((problem) => problem !== '');
  if (problems.length === 0) return;
  const files = options.sources.map((s) => s.filename).join(', ') || 'no files';
  throw new MiddlewareSourceError(`${problems.join('; ')} (middleware: ${files})`);
}

/**
 * A new isolate running `options.sources` in which every name of `options.hookNames` is a hook.
 * Otherwise a MiddlewareSourceError naming file, line and column, or the missing function, and
 * nothing left behind. Validation, the first build and every reload go through here.
 */
export async function createCheckedSlot(options: ResolvedOptions, serial: number): Promise<IsolateSlot> {
  const slot = await IsolateSlot.create(options, serial).catch((err: unknown) => {
    throw asSourceError(err);
  });
  try {
    await checkHookNames(slot, options);
  } catch (err) {
    slot.dispose();
    throw err;
  }
  return slot;
}
