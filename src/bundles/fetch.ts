import http from 'node:http';
import https from 'node:https';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BundleError } from './errors';
import type { MaybePermanent } from './retry';

export interface FetchOptions {
  /** The whole exchange, headers and body (Go's http.Client.Timeout; Tyk: 5 s). */
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** `bundle_insecure_skip_verify`. */
  readonly insecureSkipVerify: boolean;
  readonly signal?: AbortSignal;
}

export const BUNDLE_FETCH_TIMEOUT_MS = 5000;
/** Go's client follows up to 10 redirects; bundle stores (S3, release pages) often redirect once. */
const MAX_REDIRECTS = 5;

class FetchError extends BundleError implements MaybePermanent {
  constructor(message: string, readonly permanent: boolean) {
    super(message);
  }
}

/** The URL as it may appear in a log line: no user or password. */
export function displayUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/** `bundle_base_url` with the bundle name path-joined (each segment percent-encoded). */
export function bundleUrl(base: string, name: string): URL {
  const url = new URL(base);
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  url.pathname = path + name.split('/').map(encodeURIComponent).join('/');
  return url;
}

async function readFileCapped(url: URL, maxBytes: number): Promise<Buffer> {
  const where = displayUrl(url);
  let handle;
  try {
    handle = await open(fileURLToPath(url), 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FetchError(`GET ${where}: ${code === 'ENOENT' ? 'file not found' : code ?? (err as Error).message}`, code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES');
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new FetchError(`GET ${where}: not a file`, true);
    if (info.size > maxBytes) throw new FetchError(`GET ${where}: ${info.size} bytes, more than bundle_options.max_download_bytes (${maxBytes})`, true);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function getOnce(url: URL, options: FetchOptions, redirects: number, deadline: number): Promise<Buffer> {
  const where = displayUrl(url);
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const fail = (err: FetchError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const req = client.get(url, { rejectUnauthorized: !options.insecureSkipVerify, signal: options.signal, headers: { 'user-agent': 'isogate bundle downloader' } }, (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        let next: URL;
        try {
          next = new URL(res.headers.location, url);
        } catch {
          return fail(new FetchError(`GET ${where}: redirect to an invalid location`, true));
        }
        if (next.protocol !== 'http:' && next.protocol !== 'https:') return fail(new FetchError(`GET ${where}: redirect to ${next.protocol} refused`, true));
        if (redirects >= MAX_REDIRECTS) return fail(new FetchError(`GET ${where}: more than ${MAX_REDIRECTS} redirects`, true));
        settled = true;
        clearTimeout(timer);
        getOnce(next, options, redirects + 1, deadline).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        // A server error or a rate limit may pass; any other answer will not.
        return fail(new FetchError(`GET ${where}: HTTP ${status} ${res.statusMessage ?? ''}`.trimEnd(), !(status >= 500 || status === 429 || status === 408)));
      }
      const declared = Number(res.headers['content-length']);
      if (declared > options.maxBytes) return fail(new FetchError(`GET ${where}: ${declared} bytes, more than bundle_options.max_download_bytes (${options.maxBytes})`, true));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) return fail(new FetchError(`GET ${where}: more than bundle_options.max_download_bytes (${options.maxBytes}) bytes`, true));
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(Buffer.concat(chunks, size));
      });
      res.on('error', (err) => fail(new FetchError(`GET ${where}: ${err.message}`, false)));
      res.on('close', () => {
        if (!res.complete) fail(new FetchError(`GET ${where}: the connection closed mid-body`, false));
      });
    });
    const timer = setTimeout(() => fail(new FetchError(`GET ${where}: no complete answer within ${options.timeoutMs / 1000} s`, false)), Math.max(0, deadline - Date.now()));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // An untrusted certificate stays untrusted: no point retrying (see bundle_insecure_skip_verify).
      const permanent = options.signal?.aborted === true || /CERT|ERR_TLS|SELF_SIGNED/.test(err.code ?? '');
      fail(new FetchError(`GET ${where}: ${err.code ?? err.message}${err.code && err.message && !err.message.includes(err.code) ? ` (${err.message})` : ''}`, permanent));
    });
  });
}

/** One attempt at fetching a bundle (http, https or file). Errors say URL and why; see withRetries. */
export function fetchBundle(url: URL, options: FetchOptions): Promise<Buffer> {
  if (url.protocol === 'file:') return readFileCapped(url, options.maxBytes);
  if (url.protocol === 'http:' || url.protocol === 'https:') return getOnce(url, options, 0, Date.now() + options.timeoutMs);
  return Promise.reject(new FetchError(`${displayUrl(url)}: scheme ${url.protocol} is not supported`, true));
}
