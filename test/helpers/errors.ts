// The error a call fails with, for tests that assert on its fields; a call that succeeds fails
// the test. Errors here carry their own fields (reason, status, file, line...), read by the test.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyError = Error & Record<string, any>;

/** The rejection of `promise`; throws if it resolves. */
export async function rejectionOf<E extends Error = AnyError>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (err) {
    return err as E;
  }
  throw new Error('expected a rejection');
}

/** What `fn` throws; throws if it returns. */
export function thrownBy<E extends Error = AnyError>(fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    return err as E;
  }
  throw new Error('expected an error');
}
