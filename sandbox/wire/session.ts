// Which session goes back to the gateway. Hooks that got no session (pre, auth_check) are handed
// an empty one to fill in, so that `session.rate = …` works; an untouched placeholder must still
// read as "no session" on the wire. Shared by the JS and Lua adapters.
import { isEmptyMessage, normaliseMessage } from './normalise';
import { SessionStateSchema } from './schema';

/**
 * `session` as it should be sent: null for none; as it is when `keep` (the gateway sent it, the
 * hook returned it, or it is an auth_check's); otherwise only if the hook filled something in.
 */
export function sessionToSend(session: unknown, keep: boolean): unknown {
  if (session === null || session === undefined) return null;
  if (keep) return session;
  const normalised = normaliseMessage(SessionStateSchema, session, 'session');
  return isEmptyMessage(normalised) ? null : normalised;
}
