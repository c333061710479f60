import type { NetAccess } from '../../../net/access';
import { netFetch } from '../../../net/fetch';
import { canonicalHeaderName } from '../../../pipeline/headers';
import { bodyText, goHeaders } from './http-request';

/** One reply of Tyk's BatchReplyUnit: what a failed request gets is the zero value. */
interface BatchReply {
  relative_url: string;
  code: number;
  headers: Record<string, string[]> | null;
  body: string;
}

interface BatchItem {
  method: string;
  headers: Record<string, string>;
  body: string;
  url: string;
}

const FAILED: BatchReply = { relative_url: '', code: 0, headers: null, body: '' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decode Tyk's BatchRequestStructure as Go's json.Unmarshal would: a wrong type anywhere fails
 * the whole batch (`null` is the zero value). Throws with Tyk's message.
 */
function decode(json: string): { items: BatchItem[]; serial: boolean } {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`Could not decode batch request, decoding failed: ${(err as Error).message}`);
  }
  const bad = (what: string) => new Error(`Could not decode batch request, decoding failed: ${what}`);
  if (raw === null) return { items: [], serial: false };
  if (!isObject(raw)) throw bad('the batch must be a JSON object');
  const str = (v: unknown, what: string): string => {
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw bad(`${what} must be a string`);
    return v;
  };
  const serial = raw.suppress_parallel_execution ?? false;
  if (typeof serial !== 'boolean' && serial !== null) throw bad('suppress_parallel_execution must be a boolean');
  const list = raw.requests ?? [];
  if (!Array.isArray(list)) throw bad('requests must be an array');
  const items = list.map((r: unknown, i: number): BatchItem => {
    if (r === null) return { method: '', headers: {}, body: '', url: '' };
    if (!isObject(r)) throw bad(`requests[${i}] must be an object`);
    const headers: Record<string, string> = {};
    if (r.headers !== undefined && r.headers !== null) {
      if (!isObject(r.headers)) throw bad(`requests[${i}].headers must be an object of strings`);
      for (const [k, v] of Object.entries(r.headers)) headers[canonicalHeaderName(k)] = str(v, `requests[${i}].headers.${k}`);
    }
    return { method: str(r.method, `requests[${i}].method`), headers, body: str(r.body, `requests[${i}].body`), url: str(r.relative_url, `requests[${i}].relative_url`) };
  });
  return { items, serial: serial === true };
}

/**
 * TykBatchRequest on the host (Tyk's ManualBatchRequest): every request of the batch through the
 * API's network layer, in parallel (at most net_max_concurrent at once) unless `suppress_parallel_execution`. Tyk answers the
 * parallel replies in the order they finish, and a request that fails (refused by allow_net
 * here, too) as the empty reply `{"relative_url":"","code":0,"headers":null,"body":""}`.
 * Throws (the plugin gets undefined) for JSON Tyk cannot decode. `log` receives each failure.
 */
export async function batchRequest(json: string, signal: AbortSignal, access: NetAccess, log: (message: string) => void): Promise<string> {
  const { items, serial } = decode(json);
  const one = async (item: BatchItem): Promise<BatchReply> => {
    try {
      const headers = Object.entries(item.headers);
      const body = item.body === '' ? undefined : new Uint8Array(Buffer.from(item.body, 'utf8'));
      const reply = await netFetch(access, { method: item.method || 'GET', url: item.url, headers, body }, signal);
      return { relative_url: item.url, code: reply.status, headers: goHeaders(reply), body: bodyText(reply) };
    } catch (err) {
      log(`TykBatchRequest: ${item.url}: ${(err as Error).message}`);
      return FAILED;
    }
  };
  const replies: BatchReply[] = [];
  // Parallel, but never more at once than the API's net_max_concurrent (more would be refused).
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) replies.push(await one(items[next++]));
  };
  const lanes = serial ? 1 : Math.min(items.length, access.maxConcurrent);
  await Promise.all(Array.from({ length: lanes }, lane));
  return JSON.stringify(replies);
}
