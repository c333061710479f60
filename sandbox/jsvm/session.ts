// Sessions as Tyk's JSVM exchanges them: Tyk session JSON (snake_case, meta_data of any JSON
// type), carried in Object.metadata under reserved keys (see the shared protocol file) so that
// nothing is flattened into proto strings on the way.
import { JSVM_METADATA } from '../../src/protocol/jsvm';
import { BadResultError } from '../errors';
import { isPlain, jsonEqual, type Plain } from './values';

/**
 * The session argument of a hook: the request's session when the host sent one (post and
 * post_key_auth hooks with `require_session`), else Tyk's empty session object. `sent` is the
 * JSON as received: the plugin may mutate the session object, yet Tyk compares SessionMeta with
 * the session as the gateway holds it.
 */
export function sessionIn(metadata: Record<string, string> | null | undefined): { session: Plain; sent?: string } {
  const json = metadata?.[JSVM_METADATA.session];
  if (json === undefined || json === '') return { session: {} };
  const parsed: unknown = JSON.parse(json);
  return { session: isPlain(parsed) ? parsed : {}, sent: json };
}

/** What JSON would make of a value (functions and undefined dropped), or a BadResultError. */
function asJson(value: unknown, path: string): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new BadResultError(`${path}: cannot be encoded as JSON: ${(error as Error).message}`);
  }
  return json === undefined ? undefined : JSON.parse(json);
}

/**
 * The returned SessionMeta as JSON when it differs from the meta_data of the session `sent`, else
 * undefined. Tyk replaces meta_data wholesale with it, so a missing SessionMeta empties
 * meta_data; an empty and an absent meta_data count as equal here, which only saves a pointless write.
 */
export function changedSessionMeta(sent: string, sessionMeta: unknown): string | undefined {
  const next = asJson(sessionMeta, 'SessionMeta') ?? {};
  if (!isPlain(next)) throw new BadResultError('SessionMeta: expected an object (the session meta_data)');
  const original: unknown = JSON.parse(sent);
  const before = isPlain(original) && isPlain(original.meta_data) ? original.meta_data : {};
  return jsonEqual(before, next) ? undefined : JSON.stringify(next);
}

/** The session an auth hook returned through ReturnAuthData (Tyk decodes a missing one as an empty session). */
export function returnedSession(session: unknown): string {
  const value = asJson(session, 'Session') ?? {};
  if (!isPlain(value)) throw new BadResultError('Session: expected an object (Tyk session JSON)');
  return JSON.stringify(value);
}
