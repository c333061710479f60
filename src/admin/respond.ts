import type { Response } from 'express';
import { ConfigError } from '../config/config-error';

/** Tyk's generic status object (`apiStatusMessage`). */
export interface ApiStatusMessage {
  status: 'ok' | 'error';
  message: string;
}

export type ModifyAction = 'added' | 'modified' | 'deleted';

/** Tyk's reply to a key create/update/delete (`apiModifyKeySuccess`); `key_hash` only when set. */
export interface ApiModifyKeySuccess {
  key: string;
  status: 'ok';
  action: ModifyAction;
  key_hash?: string;
}

/** Any JSON reply of the management API, with the status code. */
export function sendJson(res: Response, code: number, body: unknown): void {
  res.status(code).json(body);
}

function sendStatus(res: Response, code: number, status: ApiStatusMessage['status'], message: string): void {
  const body: ApiStatusMessage = { status, message };
  sendJson(res, code, body);
}

/** `{"status":"error","message":…}` — every management API failure. */
export function sendError(res: Response, code: number, message: string): void {
  sendStatus(res, code, 'error', message);
}

/** `{"status":…,"message":…}`: "ok" below 400, else "error" (Tyk's apiStatusMessage either way). */
export function sendStatusMessage(res: Response, code: number, message: string): void {
  sendStatus(res, code, code < 400 ? 'ok' : 'error', message);
}

function modifyResult(key: string, action: ModifyAction, keyHash?: string): ApiModifyKeySuccess {
  // Field order as Tyk writes it: key, status, action, key_hash.
  const body: ApiModifyKeySuccess = { key, status: 'ok', action };
  if (keyHash) body.key_hash = keyHash;
  return body;
}

export function sendModified(res: Response, key: string, action: ModifyAction, keyHash?: string): void {
  sendJson(res, 200, modifyResult(key, action, keyHash));
}

/**
 * The change itself is at fault — a definition, a middleware file, code that does not load (a
 * ConfigError, or a driver's MiddlewareSourceError, matched by name so admin/ needs no driver
 * import) — rather than the gateway: the caller's problem, answered 4xx with the message.
 */
export function isBadMiddleware(err: unknown): boolean {
  return err instanceof ConfigError || (err as Error)?.name === 'MiddlewareSourceError';
}
