import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Messages the gateway itself answers with, spelled as Tyk spells them. */
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
  notFound: 'Not Found',
  tooLarge: 'Request is too large',
  upstreamDown: 'There was a problem proxying the request',
  upstreamTimeout: 'Upstream service reached hard timeout.',
  /** Our extension (src/containment): the API's middleware aborted a gateway worker. */
  quarantined: 'This API is quarantined: its middleware crashed the gateway',
} as const;

/** A failure that ends the request with Tyk's error template. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

let generatorHeader = true;
export function setGeneratorHeader(enabled: boolean): void {
  generatorHeader = enabled;
}

/** Tyk's `error.json` template: exactly `{\n    "error": "<message>"\n}`. */
export function errorBody(message: string): string {
  return `{\n    "error": ${JSON.stringify(message)}\n}`;
}

/** The one place that writes an error response. */
export function sendError(res: ServerResponse, status: number, message: string, headers?: OutgoingHttpHeaders): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(message);
  if (headers) for (const [k, v] of Object.entries(headers)) if (v !== undefined) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  if (generatorHeader) res.setHeader('X-Generator', 'tyk.io');
  res.statusCode = status;
  res.end(body);
}
