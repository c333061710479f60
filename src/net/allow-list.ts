/**
 * Where a plugin may reach over the network: `limits.allow_net` of an API, else the gateway's
 * `isolate_options.allow_net` (and, for Tyk JSVM plugins, its older name `jsvm_http_allow`).
 * Tyk lets JS plugins call any URL; here a plugin reaches only what the config lists, so it
 * cannot probe the internal network or the gateway's own management API. No list, no network.
 *
 * Entries:
 *   `https://api.example.com`      that scheme, host and port (the scheme's default port)
 *   `http://127.0.0.1:8080`        that scheme, host and port
 *   `api.example.com`              http or https, any port
 *   `api.example.com:8443`         http or https, that port
 *   `*.example.com`, `https://*.example.com`   any subdomain (not the domain itself)
 *   `*`                            anywhere (http and https only, as always)
 * Hosts match the URL's host after WHATWG normalisation (`0x7f000001` is `127.0.0.1`). An
 * entry naming one host exactly is *literal*: only a literal entry opens loopback, private and
 * link-local addresses (address.ts); `*` and `*.domain` never do (src/net/access.ts).
 */

export interface AllowRule {
  scheme?: 'http' | 'https';
  /** Lowercase normalised host, `*` for any, or `.suffix` for subdomains. */
  host: string;
  /** Port as text; undefined = any. */
  port?: string;
  /** Names exactly one host (not `*`, not `*.domain`). */
  literal: boolean;
}

const DEFAULT_PORT = { http: '80', https: '443' } as const;
const ENTRY = /^(?:(https?):\/\/)?(\*|\*\.[^\s:/*[\]]+|\[[0-9a-f:.]+\]|[^\s:/*[\]]+)(?::(\d{1,5}))?\/?$/i;

export class AllowListError extends Error {
  constructor(readonly index: number, message: string) {
    super(message);
    this.name = 'AllowListError';
  }
}

export class HttpAllowList {
  private constructor(private readonly rules: readonly AllowRule[]) {}

  static readonly none = new HttpAllowList([]);

  /** Parse the config entries; throws AllowListError naming the bad entry. */
  static parse(entries: readonly string[] | undefined): HttpAllowList {
    return new HttpAllowList((entries ?? []).map((entry, index) => parseEntry(entry, index)));
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** The rules that admit `url`, literal ones first; empty when none does. */
  match(url: URL): AllowRule[] {
    const scheme = url.protocol === 'http:' ? 'http' : url.protocol === 'https:' ? 'https' : undefined;
    if (!scheme) return [];
    const host = url.hostname.toLowerCase();
    const port = url.port || DEFAULT_PORT[scheme];
    const hits = this.rules.filter((rule) => {
      if (rule.scheme && rule.scheme !== scheme) return false;
      if (rule.port !== undefined && rule.port !== port) return false;
      if (rule.host === '*') return true;
      return rule.host.startsWith('.') ? host.endsWith(rule.host) && host.length > rule.host.length : host === rule.host;
    });
    return hits.sort((a, b) => Number(b.literal) - Number(a.literal));
  }

  allows(url: URL): boolean {
    return this.match(url).length > 0;
  }
}

/** A literal host as the WHATWG URL parser writes it (`0x7f000001` → `127.0.0.1`, IPv6 compressed). */
function normaliseHost(raw: string): string | undefined {
  try {
    return new URL(`http://${raw}/`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function parseEntry(entry: unknown, index: number): AllowRule {
  if (typeof entry !== 'string') throw new AllowListError(index, 'must be a string');
  const match = ENTRY.exec(entry.trim());
  if (!match) {
    throw new AllowListError(index, `"${entry}" is not an http(s) origin or host pattern (e.g. "https://api.example.com", "*.example.com", "127.0.0.1:8080")`);
  }
  const scheme = match[1]?.toLowerCase() as AllowRule['scheme'];
  const rawHost = match[2].toLowerCase();
  const port = match[3] ?? (scheme ? DEFAULT_PORT[scheme] : undefined);
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw new AllowListError(index, `"${entry}": port out of range`);
  const portText = port === undefined ? undefined : String(Number(port));
  if (rawHost === '*') return { scheme, host: '*', port: portText, literal: false };
  if (rawHost.startsWith('*.')) {
    const suffix = normaliseHost(rawHost.slice(2));
    if (!suffix) throw new AllowListError(index, `"${entry}": "${rawHost.slice(2)}" is not a host name`);
    return { scheme, host: `.${suffix}`, port: portText, literal: false };
  }
  const host = normaliseHost(rawHost);
  if (!host) throw new AllowListError(index, `"${entry}": "${rawHost}" is not a host name`);
  return { scheme, host, port: portText, literal: true };
}
