/**
 * How the network layer fails, by kind: the guest's `fetch` rejects with an error of the same
 * name (sandbox/globals/fetch/fetch.ts), Tyk's natives log the message and answer undefined.
 */
export type NetErrorName = 'PermissionDenied' | 'TypeError' | 'TimeoutError';

export class NetError extends Error {
  constructor(readonly kind: NetErrorName, message: string) {
    super(message);
    this.name = kind;
  }
}

/** Refused by allow_net: names the host (with its port) and the key that would allow it. */
export class NetPermissionDenied extends NetError {
  constructor(readonly target: string, message: string) {
    super('PermissionDenied', message);
  }
}

/** Any failure as the guest sees it: an abort at the hook's deadline is a TimeoutError. */
export function asNetError(err: unknown, signal: AbortSignal): NetError {
  if (err instanceof NetError) return err;
  if (signal.aborted) return new NetError('TimeoutError', 'the request was cut at the hook\'s deadline');
  const message = err instanceof Error ? err.message : String(err);
  return new NetError('TypeError', `fetch failed: ${message}`);
}
