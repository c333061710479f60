/**
 * Event names fired by the gateway itself, spelled exactly as Tyk spells them so that existing
 * `event_handlers` sections keep matching. `MiddlewareError` is ours: Tyk has no event for a
 * failing plugin hook, and operators want one.
 */
export const EventNames = {
  AuthFailure: 'AuthFailure',
  KeyExpired: 'KeyExpired',
  QuotaExceeded: 'QuotaExceeded',
  // Lower-case "l" is Tyk's spelling; "RateLimitExceeded" would silently never match.
  RatelimitExceeded: 'RatelimitExceeded',
  TokenCreated: 'TokenCreated',
  TokenUpdated: 'TokenUpdated',
  TokenDeleted: 'TokenDeleted',
  MiddlewareError: 'MiddlewareError',
} as const;

export type BuiltinEventName = (typeof EventNames)[keyof typeof EventNames];

export type KeyFailureEventName =
  | typeof EventNames.AuthFailure
  | typeof EventNames.KeyExpired
  | typeof EventNames.QuotaExceeded
  | typeof EventNames.RatelimitExceeded;

export type TokenEventName = typeof EventNames.TokenCreated | typeof EventNames.TokenUpdated | typeof EventNames.TokenDeleted;

/** The `Message` Tyk puts in each built-in event's meta; receivers and plugins match on these. */
export const DefaultEventMessages: Readonly<Record<KeyFailureEventName | TokenEventName, string>> = {
  AuthFailure: 'Auth Failure',
  KeyExpired: 'Attempted access from expired key.',
  QuotaExceeded: 'Key Quota Limit Exceeded',
  RatelimitExceeded: 'Key Rate Limit Exceeded',
  // Tyk uses the same text for creation and update.
  TokenCreated: 'Key modified.',
  TokenUpdated: 'Key modified.',
  TokenDeleted: 'Key deleted.',
};
