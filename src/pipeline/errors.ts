/** Every message the gateway itself answers with, spelled as Tyk spells them: the one table. */
export const Messages = {
  middlewareError: 'Middleware error',
  keyNotAuthorised: 'Key not authorised',
  forbidden: 'Forbidden',
  authFieldMissing: 'Authorization field missing',
  accessDisallowed: 'Access to this API has been disallowed',
  keyExpired: 'Key has expired, please renew',
  keyInactive: 'Key is inactive, please renew',
  rateLimited: 'Rate limit exceeded',
  quotaExceeded: 'Quota exceeded',
  jsvmError: 'Internal Server Error',
  /** Tyk's answer when an API's driver is not loaded (unknown, switched off, misconfigured). */
  driverNotLoaded: 'Internal Server Error',
  notFound: 'Not Found',
  tooLarge: 'Request is too large',
  badRequest: 'Bad Request',
  notImplemented: 'Not Implemented',
  httpVersionNotSupported: 'HTTP Version Not Supported',
  serviceUnavailable: 'Service Unavailable',
  upstreamDown: 'There was a problem proxying the request',
  upstreamTimeout: 'Upstream service reached hard timeout.',
  virtualEndpointError: 'Error during virtual endpoint execution. Contact Administrator for more details.',
  /** Our extension (src/containment): the API's middleware aborted a gateway worker. */
  quarantined: 'This API is quarantined: its middleware crashed the gateway',
  /** Tyk's management-API refusal, also for /metrics on the main listener without the secret. */
  adminForbidden: 'Attempted administrative access with invalid or missing key!',
  methodNotAllowed: 'Method Not Allowed',
  internalError: 'Internal Server Error',
} as const;

/** A failure that ends the request with Tyk's error template. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers?: Record<string, string>,
    /** The request stream is in an unknown state (a body cut short): answer, then close the connection. */
    readonly closeConnection = false,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/**
 * 413 for a request body over the API's limit. The connection is closed after it rather than
 * drained: what the client still sends is never read.
 */
export function bodyTooLarge(): GatewayError {
  return new GatewayError(413, Messages.tooLarge, undefined, true);
}
