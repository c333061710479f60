import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { specialAddress } from './address';
import { HttpAllowList } from './allow-list';
import { NetError, NetPermissionDenied } from './errors';

export interface NetAccessOptions {
  allow: HttpAllowList;
  /** The config key that grants access, for messages (e.g. `custom_middleware.limits.allow_net of API "a"`). */
  allowKey: string;
  /** Largest response body read; a bigger one fails the call. */
  maxResponseBytes: number;
  /** Requests in flight at once for this API; more are refused at once. */
  maxConcurrent: number;
  /** Redirect hops followed per request. Default 5. */
  maxRedirects?: number;
}

/** What the permission check found for one URL. */
export interface Permit {
  /** A literal allow_net entry names this host: its private addresses may be reached. */
  literal: boolean;
  /** `host:port` as shown in messages. */
  target: string;
}

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * One API's access to the network: its allow_net rules, its caps and its in-flight count. The
 * one gate every outbound request of a plugin passes (src/net/fetch.ts): `fetch` in isolates,
 * Tyk's TykMakeHttpRequest and TykBatchRequest.
 */
export class NetAccess {
  readonly maxResponseBytes: number;
  readonly maxConcurrent: number;
  readonly maxRedirects: number;
  private inFlight = 0;

  constructor(private readonly options: NetAccessOptions) {
    this.maxResponseBytes = options.maxResponseBytes;
    this.maxConcurrent = options.maxConcurrent;
    this.maxRedirects = options.maxRedirects ?? 5;
  }

  get allowKey(): string {
    return this.options.allowKey;
  }

  /** Check `url` against allow_net, and its host too when it is an IP literal. Throws NetError. */
  check(url: URL): Permit {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new NetError('TypeError', `${url.protocol} URLs are not supported (only http and https)`);
    if (url.username || url.password) throw new NetError('TypeError', 'URLs with credentials are not supported: send an Authorization header');
    const target = `${url.hostname}:${url.port || DEFAULT_PORT[url.protocol]}`;
    const rules = this.options.allow.match(url);
    if (rules.length === 0) {
      throw new NetPermissionDenied(target, `Requires net access to "${target}": list it in ${this.options.allowKey}`);
    }
    const permit = { literal: rules[0].literal, target };
    const ip = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (isIP(ip)) this.checkAddress(permit, ip);
    return permit;
  }

  /** A private, loopback or link-local address is reached only through a literal entry. */
  checkAddress(permit: Permit, address: string): void {
    if (permit.literal) return;
    const why = specialAddress(address);
    if (why !== undefined) {
      throw new NetPermissionDenied(permit.target, `Requires net access to "${permit.target}", which is ${address}, a ${why} address: such addresses are reached only when listed literally (e.g. "${permit.target}") in ${this.options.allowKey}`);
    }
  }

  /**
   * A `lookup` for Node's client that resolves the name and hands on only the addresses the
   * permit allows: the address connected to is the address checked (no window between the
   * check and the connect for DNS to change its answer).
   */
  lookupFor(permit: Permit): LookupFunction {
    return (hostname, options, callback) => {
      dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return callback(err, '', 0);
        let denied: NetError | undefined;
        const allowed = addresses.filter((a) => {
          try {
            this.checkAddress(permit, a.address);
            return true;
          } catch (e) {
            denied ??= e as NetError;
            return false;
          }
        });
        if (allowed.length === 0) return callback(denied ?? new NetError('TypeError', `${hostname} has no address`), '', 0);
        if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, allowed);
        callback(null, allowed[0].address, allowed[0].family);
      });
    };
  }

  /** Take one of the API's concurrent-request slots; the returned function gives it back. */
  acquire(): () => void {
    if (this.inFlight >= this.maxConcurrent) {
      throw new NetError('TypeError', `too many requests in flight: this API may have ${this.maxConcurrent} at once (custom_middleware.limits.net_max_concurrent, or isolate_options.net_max_concurrent)`);
    }
    this.inFlight++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.inFlight--;
      }
    };
  }
}

/** An API's network permissions and caps, resolved once when its definition loads (src/config/api-spec.ts). */
export interface ApiNetSpec {
  /** allow_net entries, already checked (allow-list.ts). */
  readonly allow: readonly string[];
  /** The entries are the API's own `limits.allow_net` (not a gateway default). */
  readonly fromApi: boolean;
  /** The key those entries came from, in messages: the one a user edits to allow a host. */
  readonly allowKey: string;
  readonly maxResponseBytes: number;
  readonly maxConcurrent: number;
}

/** An API's NetAccess: one per API build, so its concurrency cap spans the API's isolates. */
export function netAccessFor(net: ApiNetSpec): NetAccess {
  return new NetAccess({ allow: HttpAllowList.parse(net.allow), allowKey: net.allowKey, maxResponseBytes: net.maxResponseBytes, maxConcurrent: net.maxConcurrent });
}
