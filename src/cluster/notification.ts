import { createHash, timingSafeEqual } from 'node:crypto';

/** Tyk's pub/sub channel: isogate and Tyk nodes sharing a Redis hear each other. */
export const NOTIFICATION_CHANNEL = 'tyk.cluster.notifications';

/** Go's `crypto.SHA256` constant, which Tyk puts in `algorithm`. */
export const ALGORITHM_SHA256 = 5;

export const Commands = {
  groupReload: 'GroupReload',
  apiUpdated: 'ApiUpdated',
  apiAdded: 'ApiAdded',
  apiRemoved: 'ApiRemoved',
  policyChanged: 'PolicyChanged',
  keySpaceUpdate: 'KeySpaceUpdateNotification',
} as const;

/** Commands after which Tyk re-reads its API definitions (and policies, which isogate has none of). */
export const RELOAD_COMMANDS: ReadonlySet<string> = new Set([
  Commands.groupReload,
  Commands.apiUpdated,
  Commands.apiAdded,
  Commands.apiRemoved,
  Commands.policyChanged,
]);

export interface Notification {
  command: string;
  payload: string;
}

/** hex(sha256(command + payload + node_secret)), exactly as Tyk's `Notification.Sign`. */
export function signature(command: string, payload: string, nodeSecret: string): string {
  return createHash('sha256').update(command + payload + nodeSecret, 'utf8').digest('hex');
}

/** The JSON text published: Tyk's field names and order. */
export function encodeNotification(command: string, payload: string, nodeSecret: string): string {
  return JSON.stringify({ command, payload, signature: signature(command, payload, nodeSecret), algorithm: ALGORITHM_SHA256 });
}

export type Decoded =
  | { ok: true; notification: Notification; verified: boolean }
  | { ok: false; reason: string; command?: string };

/**
 * Parse and verify one message. A message that fails verification is refused unless
 * `allowInsecure` (Tyk's `allow_insecure_configs`), in which case it is accepted unverified.
 */
export function decodeNotification(text: string, nodeSecret: string, allowInsecure: boolean): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null) return { ok: false, reason: 'not a JSON object' };
  const { command, payload, signature: sig, algorithm } = raw as Record<string, unknown>;
  if (typeof command !== 'string' || command === '') return { ok: false, reason: 'no command' };
  if (payload !== undefined && typeof payload !== 'string') return { ok: false, reason: 'payload is not a string', command };
  const notification = { command, payload: payload ?? '' };
  const problem = verify(notification, sig, algorithm, nodeSecret);
  if (!problem) return { ok: true, notification, verified: true };
  if (allowInsecure) return { ok: true, notification, verified: false };
  return { ok: false, reason: problem, command };
}

function verify(n: Notification, sig: unknown, algorithm: unknown, nodeSecret: string): string | undefined {
  if (sig === undefined || sig === '') return 'unsigned';
  if (algorithm !== ALGORITHM_SHA256) return `unsupported signature algorithm ${JSON.stringify(algorithm)}`;
  if (typeof sig !== 'string') return 'bad signature';
  const expected = Buffer.from(signature(n.command, n.payload, nodeSecret), 'utf8');
  const given = Buffer.from(sig.toLowerCase(), 'utf8');
  // Constant time, so the signature cannot be guessed byte by byte from response timing.
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'bad signature';
}

/** KeySpaceUpdateNotification's payload: stored key names, comma-separated. */
export function keysOfPayload(payload: string): string[] {
  return payload
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
}
