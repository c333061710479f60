import { randomBytes } from 'node:crypto';
import express, { type ErrorRequestHandler, type Request, type Response, Router } from 'express';
import { hashKey, storageKey } from '../auth/key-hash';
import { candidateKeyNames, newKeyName } from '../auth/key-names';
import { applyKeyWrite } from '../auth/key-update';
import { positiveOrZero } from '../util/numbers';
import type { SessionState } from '../pipeline/session';
import { validateSessionBody } from '../auth/session-validate';
import type { GatewayConfig } from '../config/gateway-config';
import type { EventSink } from '../events/event';
import type { SessionStore } from '../storage/session-store';
import { sendError, sendJson, sendModified } from './respond';

export type KeyChange = 'updated' | 'deleted';

export interface KeysRouterOptions {
  store: SessionStore;
  config: Pick<GatewayConfig, 'hash_keys' | 'hash_key_function' | 'min_token_length'>;
  events: EventSink;
  /** Called after a key is stored or deleted, with its stored name: evict caches, reset counters. */
  onKeyChanged?(storedKey: string, change: KeyChange): unknown;
  /** The org of an API, so `?api_id=` resolves keys the way Tyk does (by that API's org). */
  orgForApi?(apiId: string): string | undefined;
  /** TTL in seconds a key is stored with; default its own `session_lifetime` (0 = none). */
  sessionLifetime?(session: SessionState): number;
  /** Tyk's `enable_hashed_keys_listing`: with `hash_keys`, GET /tyk/keys is refused unless set. */
  enableHashedKeysListing?: boolean;
  /** Clock, epoch ms (tests inject one). */
  now?: () => number;
}

interface FoundKey {
  keyName: string;
  storedKey: string;
  session: SessionState;
}

const BODY_LIMIT = '5mb';

/**
 * `/tyk/keys`: Tyk's key management API over the session store. Mount it behind the secret
 * check. Works whether or not a JSON body parser already ran in front of it.
 */
export function createKeysRouter(options: KeysRouterOptions): Router {
  const { store, config, events } = options;
  const now = options.now ?? Date.now;
  const lifetime = options.sessionLifetime ?? ((s: SessionState) => positiveOrZero(s.session_lifetime));
  const router = Router();
  // body-parser skips a body that an outer parser already read, so this only acts standalone.
  const json = express.json({ limit: BODY_LIMIT, strict: false, type: () => true });

  /** Resolves once every worker sees the change: the answer goes out after it. */
  async function changed(storedKey: string, change: KeyChange): Promise<void> {
    await options.onKeyChanged?.(storedKey, change);
  }

  function fire(type: string, message: string, org: string, key: string): void {
    events.fire({ type, meta: { Message: message, Org: org, Key: key }, ...(org ? { orgId: org } : {}) });
  }

  /** The validated session of a write request, or undefined after answering 400. */
  function sessionFromBody(req: Request, res: Response): SessionState | undefined {
    // An outer JSON parser turns an empty body into {}; Tyk's decoder calls it malformed.
    if (!hasBody(req)) {
      sendError(res, 400, 'Request malformed');
      return undefined;
    }
    const result = validateSessionBody(req.body);
    if (!result.ok) {
      sendError(res, 400, result.message);
      return undefined;
    }
    return result.session;
  }

  /** Find a key as Tyk's SessionDetail does: by hash, or by its org-qualified then bare name. */
  async function findKey(key: string, orgId: string, byHash: boolean): Promise<FoundKey | undefined> {
    if (byHash) {
      const session = await store.get(key);
      return session && { keyName: key, storedKey: key, session };
    }
    for (const keyName of candidateKeyNames(key, orgId, config)) {
      const storedKey = storageKey(keyName, config);
      const session = await store.get(storedKey);
      if (session) return { keyName, storedKey, session };
    }
    return undefined;
  }

  /** `?hashed=` on a gateway without hash_keys is an error (Tyk), answered here; else whether set. */
  function byHash(req: Request, res: Response): boolean | undefined {
    if (query(req, 'hashed') === undefined) return false;
    if (!config.hash_keys) {
      sendError(res, 400, 'Key requested by hash but key hashing is not enabled');
      return undefined;
    }
    return true;
  }

  function orgOf(req: Request): string {
    const apiId = query(req, 'api_id');
    const fromApi = apiId ? options.orgForApi?.(apiId) : undefined;
    return fromApi ?? query(req, 'org_id') ?? '';
  }

  /** Stamp a new key's bookkeeping fields and store it under `keyName`. */
  async function addKey(res: Response, keyName: string, session: SessionState, message: string): Promise<void> {
    applyKeyWrite(session, undefined, { suppressReset: false, nowMs: now() });
    const storedKey = storageKey(keyName, config);
    await store.set(storedKey, session, lifetime(session));
    await changed(storedKey, 'updated');
    const org = session.org_id ?? '';
    fire('TokenCreated', message, org, keyName);
    sendModified(res, keyName, 'added', config.hash_keys ? hashKey(keyName) : undefined);
  }

  async function createRandom(req: Request, res: Response): Promise<void> {
    const session = sessionFromBody(req, res);
    if (!session) return;
    const keyName = newKeyName(session.org_id ?? '', randomBytes(16).toString('hex'), config);
    await addKey(res, keyName, session, 'Key generated.');
  }

  router.post('/create', json, createRandom);
  router.post('/', json, createRandom);

  router.post('/*key', json, async (req, res) => {
    const key = keyParam(req);
    if (key.length < config.min_token_length) {
      sendError(res, 400, `Key must be at least ${config.min_token_length} characters long`);
      return;
    }
    const session = sessionFromBody(req, res);
    if (!session) return;
    // Tyk stores a custom key under generateToken(org, key); clients may still present the bare key.
    await addKey(res, newKeyName(session.org_id ?? '', key, config), session, 'Key modified.');
  });

  router.put('/*key', json, async (req, res) => {
    const hashed = byHash(req, res);
    if (hashed === undefined) return;
    const session = sessionFromBody(req, res);
    if (!session) return;
    const found = await findKey(keyParam(req), session.org_id ?? '', hashed);
    if (!found) {
      sendError(res, 404, 'Key is not found');
      return;
    }
    applyKeyWrite(session, found.session, { suppressReset: query(req, 'suppress_reset') === '1', nowMs: now() });
    await store.set(found.storedKey, session, lifetime(session));
    await changed(found.storedKey, 'updated');
    fire('TokenUpdated', 'Key modified.', session.org_id ?? '', found.keyName);
    sendModified(res, found.keyName, 'modified');
  });

  router.get('/*key', async (req, res) => {
    const hashed = byHash(req, res);
    if (hashed === undefined) return;
    const found = await findKey(keyParam(req), orgOf(req), hashed);
    if (!found) {
      sendError(res, 404, 'Key not found');
      return;
    }
    sendJson(res, 200, found.session);
  });

  router.delete('/*key', async (req, res) => {
    const hashed = byHash(req, res);
    if (hashed === undefined) return;
    const orgId = orgOf(req);
    const found = await findKey(keyParam(req), orgId, hashed);
    if (!found || !(await store.delete(found.storedKey))) {
      sendError(res, 404, 'There is no such key found');
      return;
    }
    await changed(found.storedKey, 'deleted');
    fire('TokenDeleted', 'Key deleted.', found.session.org_id ?? orgId, found.keyName);
    sendModified(res, found.keyName, 'deleted');
  });

  router.get('/', async (req, res) => {
    if (config.hash_keys && !options.enableHashedKeysListing) {
      sendError(res, 404, 'Hashed key listing is disabled in config (enable_hashed_keys_listing)');
      return;
    }
    const all = await store.keys();
    // Tyk's `filter` (plain keys only): a key prefix, or an org id matching base64-JSON tokens.
    const filter = config.hash_keys ? undefined : query(req, 'filter');
    const keys = filter ? all.filter(matchesFilter(filter)) : all;
    sendJson(res, 200, { keys });
  });

  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const e = err as { type?: string; message?: string };
    if (e.type === 'entity.parse.failed') return sendError(res, 400, 'Request malformed');
    if (e.type === 'entity.too.large') return sendError(res, 413, 'Request too large');
    sendError(res, 500, 'Failed to process the key request');
  };
  router.use(onError);
  return router;
}

function matchesFilter(filter: string): (key: string) => boolean {
  // Base64 of `{"org":"<filter>"`, unpadded, minus its last two characters (they also encode
  // whatever follows), is the prefix of every token of that org — Tyk's own trick.
  const b64 = Buffer.from(`{"org":"${filter}"`, 'utf8').toString('base64').replace(/=+$/, '');
  const orgPrefix = b64.slice(0, -2);
  return (key) => key.startsWith(filter) || key.startsWith(orgPrefix);
}

/** The `*key` wildcard joined back: base64 key tokens may contain unescaped slashes. */
function keyParam(req: Request): string {
  const raw = (req.params as Record<string, string | string[]>).key;
  return Array.isArray(raw) ? raw.join('/') : raw;
}

function query(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}
