import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { Messages } from '../pipeline/errors';

const FORBIDDEN = { status: 'error', message: Messages.adminForbidden };

/** Whether `given` equals the gateway `secret`, compared in constant time. */
export function secretMatches(secret: string, given: string | undefined): boolean {
  const expected = Buffer.from(secret);
  const bytes = Buffer.from(given ?? '');
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

/** Tyk's management API guard: `X-Tyk-Authorization` must equal the gateway `secret`. */
export function secretGuard(secret: string): RequestHandler {
  return (req, res, next) => {
    if (secretMatches(secret, req.get('x-tyk-authorization'))) return next();
    res.status(403).json(FORBIDDEN);
  };
}
