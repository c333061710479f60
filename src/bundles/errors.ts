/**
 * Why a bundle cannot be used: fetch, extract, manifest or verification. The message is the
 * reason alone (Tyk's words where Tyk has them: `invalid checksum`, `Bundle isn't signed`); the
 * loader prefixes the API and the bundle name.
 */
export class BundleError extends Error {
  /** There is nothing of that name (the management API answers 404). */
  readonly notFound: boolean;

  constructor(message: string, options: { notFound?: boolean } = {}) {
    super(message);
    this.name = 'BundleError';
    this.notFound = options.notFound ?? false;
  }
}
