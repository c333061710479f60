/**
 * `jsvm_http_allow`: where `TykMakeHttpRequest` may go. Tyk lets JS plugins call any URL; here
 * a plugin reaches only what the gateway config lists, so a plugin cannot be used to probe the
 * internal network or the gateway's own management API. No list means no outbound requests.
 *
 * Entries:
 *   `https://api.example.com`      that scheme, host and port (the scheme's default port)
 *   `http://127.0.0.1:8080`        that scheme, host and port
 *   `api.example.com`              http or https, any port
 *   `api.example.com:8443`         http or https, that port
 *   `*.example.com`, `https://*.example.com`   any subdomain (not the domain itself)
 *   `*`                            anywhere (http and https only, as always)
 * Hosts are matched by name as written in the URL (no DNS resolution).
 */

interface Rule {
  scheme?: 'http' | 'https';
  /** Lowercase host, `*` for any, or `.suffix` for subdomains. */
  host: string;
  /** Port as text; undefined = any. */
  port?: string;
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
  private constructor(private readonly rules: readonly Rule[]) {}

  static readonly none = new HttpAllowList([]);

  /** Parse the config entries; throws AllowListError naming the bad entry. */
  static parse(entries: readonly string[] | undefined): HttpAllowList {
    return new HttpAllowList((entries ?? []).map((entry, index) => parseEntry(entry, index)));
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  allows(url: URL): boolean {
    const scheme = url.protocol === 'http:' ? 'http' : url.protocol === 'https:' ? 'https' : undefined;
    if (!scheme) return false;
    const host = url.hostname.toLowerCase();
    const port = url.port || DEFAULT_PORT[scheme];
    return this.rules.some((rule) => {
      if (rule.scheme && rule.scheme !== scheme) return false;
      if (rule.port !== undefined && rule.port !== port) return false;
      if (rule.host === '*') return true;
      return rule.host.startsWith('.') ? host.endsWith(rule.host) && host.length > rule.host.length : host === rule.host;
    });
  }
}

function parseEntry(entry: unknown, index: number): Rule {
  if (typeof entry !== 'string') throw new AllowListError(index, 'must be a string');
  const match = ENTRY.exec(entry.trim());
  if (!match) {
    throw new AllowListError(index, `"${entry}" is not an http(s) origin or host pattern (e.g. "https://api.example.com", "*.example.com", "127.0.0.1:8080")`);
  }
  const scheme = match[1]?.toLowerCase() as Rule['scheme'];
  const rawHost = match[2].toLowerCase();
  const host = rawHost.startsWith('*.') ? rawHost.slice(1) : rawHost;
  const port = match[3] ?? (scheme ? DEFAULT_PORT[scheme] : undefined);
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw new AllowListError(index, `"${entry}": port out of range`);
  return { scheme, host, port: port === undefined ? undefined : String(Number(port)) };
}
