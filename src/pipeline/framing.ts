import type { IncomingMessage } from 'node:http';
import { HEADER_NAME_TOKEN } from '../protocol/header-names';
import { GatewayError, Messages } from './errors';

/**
 * Request framing that Node's parser lets through but RFC 9112 does not. Node (without
 * insecureHTTPParser, which the gateway never sets) already answers 400 and closes for
 * Content-Length with Transfer-Encoding, two Content-Lengths, a Content-Length list,
 * obs-fold, bare LF line ends, CR/LF/NUL in a field value, a Transfer-Encoding that does not
 * end in chunked, and a missing Host on HTTP/1.1 (test/hostile-framing.test.ts pins each).
 * What it accepts and this refuses, closing the connection since the body's end is unknown:
 * - an HTTP version other than 1.x (`HTTP/2.0` spoken as text, HTTP/0.9-style lines): 505;
 * - Transfer-Encoding on an HTTP/1.0 request (§6.1: the framing is faulty): 400;
 * - Transfer-Encoding other than exactly `chunked` (`gzip, chunked` is decoded by Node as
 *   chunked but still gzip-coded; an empty value or `,chunked` is malformed): 501 for a list
 *   of codings the gateway does not implement, 400 for anything else;
 * - more than one Host field line (§3.2): 400, since Node keeps only the first and an
 *   upstream may read the other.
 */
export function framingError(req: IncomingMessage): GatewayError | undefined {
  if (req.httpVersionMajor !== 1) return new GatewayError(505, Messages.httpVersionNotSupported, undefined, true);
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    if (req.httpVersionMinor === 0) return new GatewayError(400, Messages.badRequest, undefined, true);
    if (te.trim().toLowerCase() !== 'chunked') {
      const codings = te.split(',').map((s) => s.trim());
      const wellFormed = codings.every((s) => HEADER_NAME_TOKEN.test(s));
      return new GatewayError(wellFormed ? 501 : 400, wellFormed ? Messages.notImplemented : Messages.badRequest, undefined, true);
    }
  }
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1) return new GatewayError(400, Messages.badRequest, undefined, true);
  }
  return undefined;
}
