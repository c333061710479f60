import type { UrlAnswer, UrlRecord } from '../../../../protocol/web';
import type { HostFunction } from '../host-calls';

// The guest's URL class (sandbox/globals/web/url.ts) keeps only these components; every parse
// and every setter runs here, in Node's WHATWG URL parser, so the isolate has no URL parser of
// its own to disagree with the one the gateway (and fetch) use.
const SETTABLE: ReadonlySet<string> = new Set(['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash']);

/** Inputs longer than this are refused rather than parsed (a URL that big is an attack or a bug). */
const MAX_URL_CHARS = 64 * 1024;

function record(url: URL): UrlRecord {
  const { href, origin, protocol, username, password, host, hostname, port, pathname, search, hash } = url;
  return { href, origin, protocol, username, password, host, hostname, port, pathname, search, hash };
}

function text(value: unknown, what: string): string {
  const s = String(value);
  if (s.length > MAX_URL_CHARS) throw new TypeError(`${what} is longer than ${MAX_URL_CHARS} characters`);
  return s;
}

function answer(args: unknown[]): UrlAnswer {
  const [op] = args;
  try {
    if (op === 'parse') {
      const input = text(args[1], 'URL');
      const base = args[2] === undefined ? undefined : text(args[2], 'base URL');
      return { v: record(new URL(input, base)) };
    }
    if (op === 'set') {
      const url = new URL(text(args[1], 'URL'));
      const property = String(args[2]);
      if (!SETTABLE.has(property)) return { e: `URL has no settable property "${property}"` };
      (url as unknown as Record<string, string>)[property] = text(args[3], `URL.${property}`);
      return { v: record(url) };
    }
    return { e: `unknown URL operation "${String(op)}"` };
  } catch (err) {
    return { e: (err as Error).message };
  }
}

export const urlHost: HostFunction = (args) => JSON.stringify(answer(args));
