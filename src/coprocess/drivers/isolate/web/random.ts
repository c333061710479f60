import { randomBytes } from 'node:crypto';
import { WEB_LIMITS } from '../../../../protocol/web';
import type { HostFunction } from '../host-calls';

/**
 * crypto.getRandomValues' source: the host's CSPRNG. The guest asks for at most the spec's
 * quota per call (sandbox/globals/web/random.ts enforces it there with QuotaExceededError, and
 * buffers small requests); anything else is refused here too.
 */
export const randomHost: HostFunction = (args) => {
  const n = Number(args[0]);
  if (!Number.isInteger(n) || n < 0 || n > WEB_LIMITS.randomBytesPerCall) throw new RangeError(`random bytes: length must be an integer in 0..${WEB_LIMITS.randomBytesPerCall}`);
  return randomBytes(n).toString('base64');
};
