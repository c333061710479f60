/**
 * A hook produced something that cannot be sent back (wrong shape, wrong type). Reported to the
 * host as DispatchError reason `bad_result`, unlike errors the user's code throws (`exception`).
 * Hook adapters (sandbox/adapters) throw it for results they cannot interpret.
 */
export class BadResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadResultError';
  }
}
