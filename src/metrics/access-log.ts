import { hashKey } from '../auth/key-hash';
import type { GatewayConfig } from '../config/gateway-config';
import { logger, type Logger } from '../log/logger';
import type { RequestState } from '../pipeline/request-state';

/**
 * `access_log`: one structured pino line per request (component "access"), sampled by
 * `sample_rate`. It never holds a key: `key_hash` is the stored key name with `hash_keys` (what
 * /tyk/keys shows), else the first 16 hex digits of the key's SHA-256. No query string either
 * (tokens travel there), only the path.
 */
export class AccessLog {
  private readonly log: Logger;
  private readonly rate: number;
  private readonly hashed: boolean;

  constructor(config: Pick<GatewayConfig, 'access_log' | 'hash_keys'>, log: Logger = logger) {
    this.log = log.child({ component: 'access' });
    this.rate = config.access_log.sample_rate;
    this.hashed = config.hash_keys;
  }

  /** Called once per request after its answer (or the client's departure). */
  record(state: RequestState, status: number, sent: boolean, totalMs: number): void {
    if (this.rate < 1 && Math.random() >= this.rate) return;
    const key = state.sessionKey;
    this.log.info({
      api_id: state.spec.apiId,
      method: state.method,
      path: state.path,
      status: sent ? status : 0,
      total_ms: round(totalMs),
      upstream_ms: state.upstreamMs === undefined ? undefined : round(state.upstreamMs),
      hook_ms: round(state.hookMs),
      key_hash: key ? (this.hashed ? key : hashKey(key, 'sha256').slice(0, 16)) : undefined,
      traceparent: state.traceparent,
    }, 'request');
  }
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** The access log the config asks for, or undefined (the default: off). */
export function accessLogFor(config: Pick<GatewayConfig, 'access_log' | 'hash_keys'>): AccessLog | undefined {
  return config.access_log.enabled && config.access_log.sample_rate > 0 ? new AccessLog(config) : undefined;
}
