// WHATWG `Headers`, the part fetch needs: lowercase names, values joined with ", " (Set-Cookie
// kept apart for getSetCookie), CR/LF/NUL refused as the standard does. The host checks again
// (src/net/headers.ts): this is for the author's early TypeError, not the guard.

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;

export type HeadersInit = IsogateHeaders | [string, string][] | Record<string, string>;

function checkName(name: unknown): string {
  const text = String(name);
  if (!TOKEN.test(text)) throw new TypeError(`Headers: ${JSON.stringify(text)} is not a valid header name`);
  return text.toLowerCase();
}

function checkValue(name: string, value: unknown): string {
  // HTTP whitespace around a value is not part of it (Fetch: "normalize").
  const text = String(value).replace(/^[\t ]+|[\t ]+$/g, '');
  if (BAD_VALUE.test(text)) throw new TypeError(`Headers: the value of "${name}" contains CR, LF or NUL`);
  return text;
}

export class IsogateHeaders {
  private readonly list: [string, string][] = [];

  constructor(init?: HeadersInit) {
    if (init === undefined || init === null) return;
    if (init instanceof IsogateHeaders) {
      for (const [k, v] of init.list) this.list.push([k, v]);
    } else if (Array.isArray(init)) {
      for (const pair of init) {
        if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError('Headers: each entry must be a [name, value] pair');
        this.append(pair[0], pair[1]);
      }
    } else if (typeof init === 'object') {
      for (const key of Object.keys(init)) this.append(key, (init as Record<string, string>)[key]);
    } else throw new TypeError('Headers: init must be a Headers, an array of pairs or an object');
  }

  append(name: string, value: string): void {
    const key = checkName(name);
    this.list.push([key, checkValue(key, value)]);
  }

  set(name: string, value: string): void {
    const key = checkName(name);
    const text = checkValue(key, value);
    this.delete(key);
    this.list.push([key, text]);
  }

  delete(name: string): void {
    const key = checkName(name);
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i][0] === key) this.list.splice(i, 1);
  }

  get(name: string): string | null {
    const key = checkName(name);
    const values = this.list.filter(([k]) => k === key).map(([, v]) => v);
    return values.length === 0 ? null : values.join(', ');
  }

  getSetCookie(): string[] {
    return this.list.filter(([k]) => k === 'set-cookie').map(([, v]) => v);
  }

  has(name: string): boolean {
    const key = checkName(name);
    return this.list.some(([k]) => k === key);
  }

  /** Sorted by name, same names combined (Set-Cookie excepted), as the standard iterates. */
  *entries(): IterableIterator<[string, string]> {
    const names = [...new Set(this.list.map(([k]) => k))].sort();
    for (const name of names) {
      if (name === 'set-cookie') for (const v of this.getSetCookie()) yield [name, v];
      else yield [name, this.get(name)!];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  forEach(fn: (value: string, name: string, headers: IsogateHeaders) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Every pair in insertion order, for the host. */
  pairs(): [string, string][] {
    return this.list.map(([k, v]) => [k, v]);
  }
}
