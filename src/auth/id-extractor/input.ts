/** What an extractor may read from a request. Nothing here is consumed or modified. */
export interface ExtractInput {
  /**
   * Lower-case header names as Node gives them. Pass `req.headersDistinct` for Tyk's exact
   * "first value" rule: `req.headers` joins repeated headers with ", ".
   */
  headers: Record<string, string | string[] | undefined>;
  /** The raw query string, without the leading '?'. */
  query: string;
  /** Falls back to the `content-type` header when absent. */
  contentType?: string;
  /** When given, a urlencoded body is read only for POST, PUT and PATCH, as Go's ParseForm does. */
  method?: string;
  body: Uint8Array;
}

export function bodyText(body: Uint8Array): string {
  return Buffer.isBuffer(body)
    ? body.toString('utf8')
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}
