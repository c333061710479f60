// URL and URLSearchParams. Parsing is the host's (Node's WHATWG URL, through a host call: see
// src/coprocess/drivers/isolate/web/url.ts), so the isolate has no URL parser of its own.
// URLSearchParams is application/x-www-form-urlencoded, which the URL Standard defines as a
// split on & and =; it lives here, on the runtime's UTF-8 codec.
import { WEB_CALLS, type UrlAnswer, type UrlRecord } from '../../../src/protocol/web';
import { callHost } from '../../host';
import { decodeUtf8, encodeUtf8 } from '../../text/utf8';

const parse = JSON.parse;

function ask(args: unknown[]): UrlRecord {
  const answer = parse(String(callHost(WEB_CALLS.url, args))) as UrlAnswer;
  if ('e' in answer) throw new TypeError(`Invalid URL: ${answer.e}`);
  return answer.v;
}

// ---- application/x-www-form-urlencoded -------------------------------------------------------

const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Percent-decode (with + as space), then UTF-8 decode with replacement characters. */
function decodeComponent(text: string): string {
  const spaced = text.indexOf('+') >= 0 ? text.replace(/\+/g, ' ') : text;
  if (spaced.indexOf('%') < 0) return spaced;
  const bytes = encodeUtf8(spaced);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 37 && i + 2 < bytes.length) {
      const hi = hexValue(bytes[i + 1]);
      const lo = hexValue(bytes[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = b;
  }
  return decodeUtf8(out.subarray(0, n));
}

/** The urlencoded byte serializer: unreserved *-._ stay, space is +, the rest %XX of UTF-8. */
function encodeComponent(text: string): string {
  const bytes = encodeUtf8(toScalarString(text));
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if ((b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b === 42 || b === 45 || b === 46 || b === 95) out += String.fromCharCode(b);
    else if (b === 32) out += '+';
    else out += '%' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

/** USVString conversion: lone surrogates become U+FFFD. */
function toScalarString(value: unknown): string {
  const s = String(value);
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function parseQuery(query: string): [string, string][] {
  const list: [string, string][] = [];
  for (const piece of query.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = eq < 0 ? piece : piece.slice(0, eq);
    const value = eq < 0 ? '' : piece.slice(eq + 1);
    list.push([decodeComponent(name), decodeComponent(value)]);
  }
  return list;
}

const owners = new WeakMap<IsogateURLSearchParams, IsogateURL>();

export class IsogateURLSearchParams {
  #list: [string, string][] = [];

  constructor(init: unknown = '') {
    if (typeof init === 'object' && init !== null) {
      const iterator = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
      if (typeof iterator === 'function') {
        for (const pair of init as Iterable<unknown>) {
          const items = Array.from(pair as Iterable<unknown>);
          if (items.length !== 2) throw new TypeError('URLSearchParams: each pair must have exactly two items');
          this.#list.push([toScalarString(items[0]), toScalarString(items[1])]);
        }
      } else {
        for (const key of Object.keys(init)) this.#list.push([toScalarString(key), toScalarString((init as Record<string, unknown>)[key])]);
      }
    } else {
      const text = toScalarString(init);
      this.#list = parseQuery(text.startsWith('?') ? text.slice(1) : text);
    }
  }

  /** Used by URL: replace the list without telling the owner (it is the owner that changed). */
  static replace(params: IsogateURLSearchParams, query: string): void {
    params.#list = parseQuery(query);
  }

  get size(): number {
    return this.#list.length;
  }

  #update(): void {
    const owner = owners.get(this);
    if (owner) IsogateURL.setQuery(owner, this.toString());
  }

  append(name: unknown, value: unknown): void {
    this.#list.push([toScalarString(name), toScalarString(value)]);
    this.#update();
  }

  delete(name: unknown, value?: unknown): void {
    const n = toScalarString(name);
    const v = value === undefined ? undefined : toScalarString(value);
    this.#list = this.#list.filter(([k, x]) => !(k === n && (v === undefined || x === v)));
    this.#update();
  }

  get(name: unknown): string | null {
    const n = toScalarString(name);
    const found = this.#list.find(([k]) => k === n);
    return found ? found[1] : null;
  }

  getAll(name: unknown): string[] {
    const n = toScalarString(name);
    return this.#list.filter(([k]) => k === n).map(([, v]) => v);
  }

  has(name: unknown, value?: unknown): boolean {
    const n = toScalarString(name);
    const v = value === undefined ? undefined : toScalarString(value);
    return this.#list.some(([k, x]) => k === n && (v === undefined || x === v));
  }

  set(name: unknown, value: unknown): void {
    const n = toScalarString(name);
    const v = toScalarString(value);
    const index = this.#list.findIndex(([k]) => k === n);
    if (index < 0) this.#list.push([n, v]);
    else {
      this.#list[index] = [n, v];
      this.#list = this.#list.filter(([k], i) => i <= index || k !== n);
    }
    this.#update();
  }

  sort(): void {
    // Stable sort by UTF-16 code units, as the standard says.
    this.#list = this.#list.map((pair, i) => [pair, i] as const).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map(([pair]) => pair);
    this.#update();
  }

  forEach(callback: (value: string, name: string, params: IsogateURLSearchParams) => void, thisArg?: unknown): void {
    for (const [k, v] of [...this.#list]) callback.call(thisArg, v, k, this);
  }

  *entries(): IterableIterator<[string, string]> {
    for (const [k, v] of this.#list) yield [k, v];
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.#list) yield k;
  }

  *values(): IterableIterator<string> {
    for (const [, v] of this.#list) yield v;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  toString(): string {
    return this.#list.map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`).join('&');
  }

  get [Symbol.toStringTag](): string {
    return 'URLSearchParams';
  }
}

export class IsogateURL {
  #record: UrlRecord;
  #params: IsogateURLSearchParams;

  constructor(input: unknown, base?: unknown) {
    const href = input instanceof IsogateURL ? input.href : String(input);
    const baseHref = base === undefined ? undefined : base instanceof IsogateURL ? base.href : String(base);
    this.#record = ask(baseHref === undefined ? ['parse', href] : ['parse', href, baseHref]);
    this.#params = new IsogateURLSearchParams(this.#record.search);
    owners.set(this.#params, this);
  }

  static canParse(input: unknown, base?: unknown): boolean {
    try {
      new IsogateURL(input, base);
      return true;
    } catch {
      return false;
    }
  }

  static parse(input: unknown, base?: unknown): IsogateURL | null {
    try {
      return new IsogateURL(input, base);
    } catch {
      return null;
    }
  }

  /** URLSearchParams changed: the query follows (an empty list clears it, as the standard says). */
  static setQuery(url: IsogateURL, query: string): void {
    url.#record = ask(['set', url.#record.href, 'search', query]);
  }

  #set(property: keyof UrlRecord, value: unknown): void {
    const record = ask(['set', this.#record.href, property, toScalarString(value)]);
    const queryChanged = record.search !== this.#record.search;
    this.#record = record;
    if (queryChanged) IsogateURLSearchParams.replace(this.#params, record.search.slice(1));
  }

  get href(): string {
    return this.#record.href;
  }
  set href(value: string) {
    // A bad href throws TypeError and changes nothing, as the standard says.
    const record = ask(['parse', toScalarString(value)]);
    this.#record = record;
    IsogateURLSearchParams.replace(this.#params, record.search.slice(1));
  }
  get origin(): string {
    return this.#record.origin;
  }
  get protocol(): string {
    return this.#record.protocol;
  }
  set protocol(value: string) {
    this.#set('protocol', value);
  }
  get username(): string {
    return this.#record.username;
  }
  set username(value: string) {
    this.#set('username', value);
  }
  get password(): string {
    return this.#record.password;
  }
  set password(value: string) {
    this.#set('password', value);
  }
  get host(): string {
    return this.#record.host;
  }
  set host(value: string) {
    this.#set('host', value);
  }
  get hostname(): string {
    return this.#record.hostname;
  }
  set hostname(value: string) {
    this.#set('hostname', value);
  }
  get port(): string {
    return this.#record.port;
  }
  set port(value: string) {
    this.#set('port', value);
  }
  get pathname(): string {
    return this.#record.pathname;
  }
  set pathname(value: string) {
    this.#set('pathname', value);
  }
  get search(): string {
    return this.#record.search;
  }
  set search(value: string) {
    this.#set('search', value);
  }
  get searchParams(): IsogateURLSearchParams {
    return this.#params;
  }
  get hash(): string {
    return this.#record.hash;
  }
  set hash(value: string) {
    this.#set('hash', value);
  }
  toString(): string {
    return this.#record.href;
  }
  toJSON(): string {
    return this.#record.href;
  }
  get [Symbol.toStringTag](): string {
    return 'URL';
  }
}
