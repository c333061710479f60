import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const FORBIDDEN = { status: 'error', message: 'Attempted administrative access with invalid or missing key!' };

/** Tyk's management API guard: `X-Tyk-Authorization` must equal the gateway `secret`. */
export function secretGuard(secret: string): RequestHandler {
  const expected = Buffer.from(secret);
  return (req, res, next) => {
    const given = Buffer.from(req.get('x-tyk-authorization') ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    res.status(403).json(FORBIDDEN);
  };
}
