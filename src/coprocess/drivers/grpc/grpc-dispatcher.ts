import { decodeObject, encodeEvent, encodeObject } from '../../codec';
import { DispatchError, type CoprocessObject, type DispatchOptions, type Dispatcher } from '../../dispatcher';
import { logger as rootLogger, type Logger } from '../../../log/logger';
import type { GrpcConnection } from './connection';
import { assertUsableReply } from './validate';

export interface GrpcDispatcherOptions {
  apiId: string;
  /** Deadline of each hook call: the API's `limits.hook_timeout_ms`, else `isolate_options.hook_timeout_ms`. */
  timeoutMs: number;
  /**
   * Deadline of each DispatchEvent call. Events are sent off the request path, so a slow handler
   * need not be cut at the hook deadline; a bound still keeps a stuck server from piling up calls.
   */
  eventTimeoutMs?: number;
  logger?: Logger;
}

const DEFAULT_EVENT_TIMEOUT_MS = 10_000;

/**
 * The `grpc` driver for one API: each hook is one unary `coprocess.Dispatcher/Dispatch` call on
 * the gateway's shared connection. Holds no resources of its own, so creating one per API (and
 * per reload) is free, and disposing it never touches the shared channel.
 */
export class GrpcDispatcher implements Dispatcher {
  readonly driver = 'grpc';
  private readonly timeoutMs: number;
  private readonly eventTimeoutMs: number;
  private readonly log: Logger;
  private disposed = false;

  constructor(
    private readonly connection: GrpcConnection,
    options: GrpcDispatcherOptions,
  ) {
    this.timeoutMs = options.timeoutMs;
    this.eventTimeoutMs = options.eventTimeoutMs ?? DEFAULT_EVENT_TIMEOUT_MS;
    this.log = (options.logger ?? rootLogger).child({ component: 'grpc-dispatcher', api_id: options.apiId });
  }

  async dispatch(object: CoprocessObject, options: DispatchOptions = {}): Promise<CoprocessObject> {
    if (this.disposed) throw new DispatchError('gRPC dispatcher is disposed', 'unavailable');
    const request = encode(object);
    const reply = await this.connection.call('Dispatch', request, { timeoutMs: this.timeoutMs, signal: options.signal, traceparent: options.traceparent });
    const decoded = decode(reply);
    assertUsableReply(object.hook_type, decoded);
    return decoded;
  }

  /** Tyk only logs DispatchEvent failures; the event source never waits on or sees them. */
  async dispatchEvent(payload: string): Promise<void> {
    if (this.disposed) return;
    try {
      await this.connection.call('DispatchEvent', encodeEvent(payload), { timeoutMs: this.eventTimeoutMs });
    } catch (error) {
      this.log.warn({ err: error, target: this.connection.target }, 'gRPC DispatchEvent failed');
    }
  }

  /** As in Tyk: the plugin server owns its code, so there is nothing to reload on this side. */
  async reload(): Promise<void> {}

  /** Calls already in flight finish on the shared channel; later calls are refused. */
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

function encode(object: CoprocessObject): Uint8Array {
  try {
    return encodeObject(object);
  } catch (error) {
    throw new DispatchError(`cannot encode the coprocess Object: ${(error as Error).message}`, 'exception', { cause: error });
  }
}

function decode(reply: Uint8Array): CoprocessObject {
  try {
    return decodeObject(reply);
  } catch (error) {
    throw new DispatchError(`gRPC plugin reply is not a coprocess.Object: ${(error as Error).message}`, 'bad_result', { cause: error });
  }
}
