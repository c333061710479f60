import { Client, connectivityState, credentials, Metadata, type ChannelOptions } from '@grpc/grpc-js';
import { DispatchError } from '../../dispatcher';
import { channelOptionsFrom, type CoprocessOptions } from './channel-options';
import { dispatchErrorFromStatus } from './errors';
import { parseGrpcTarget } from './target';

/** The two RPCs of Tyk's `coprocess.Dispatcher` service. */
export type DispatcherMethod = 'Dispatch' | 'DispatchEvent';

export interface UnaryCallOptions {
  /** Deadline for this call; absent, 0 or negative = none (Tyk sets none). */
  timeoutMs?: number;
  /** Aborting cancels the call on the wire (the server sees CANCELLED). */
  signal?: AbortSignal;
  /** W3C traceparent of the request, sent as call metadata so the plugin server joins the trace. */
  traceparent?: string;
}

// The codec runs outside grpc-js: the caller hands over encoded bytes and decodes the reply
// itself, so a reply that is not an Object can be told apart from a transport failure.
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const asIs = (bytes: Buffer): Buffer => bytes;

/**
 * The gateway's one channel to the plugin server (Tyk also keeps a single connection). Created
 * once from `coprocess_options`; every API's GrpcDispatcher holds a reference and multiplexes
 * its calls over it. Only the gateway closes it, at shutdown.
 */
export class GrpcConnection {
  readonly target: string;
  private readonly client: Client;
  private closed = false;

  constructor(server: string, channelOptions: ChannelOptions = {}) {
    this.target = parseGrpcTarget(server);
    this.client = new Client(this.target, credentials.createInsecure(), channelOptions);
  }

  /** The shared connection for `coprocess_options`; throws if no server is configured. */
  static fromConfig(options: CoprocessOptions): GrpcConnection {
    if (!options.coprocess_grpc_server) {
      throw new Error('coprocess_options.coprocess_grpc_server is not set: the grpc driver has no plugin server');
    }
    return new GrpcConnection(options.coprocess_grpc_server, channelOptionsFrom(options));
  }

  /** One unary call with pre-encoded bytes; resolves with the reply bytes or rejects with DispatchError. */
  call(method: DispatcherMethod, request: Uint8Array, options: UnaryCallOptions = {}): Promise<Buffer> {
    const { signal, timeoutMs, traceparent } = options;
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new DispatchError(`gRPC ${method} failed: connection to ${this.target} is closed`, 'unavailable'));
        return;
      }
      if (signal?.aborted) {
        reject(cancelled(method));
        return;
      }
      const deadline = timeoutMs !== undefined && timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
      const onAbort = (): void => call.cancel();
      const call = this.client.makeUnaryRequest(
        `/coprocess.Dispatcher/${method}`,
        asBuffer,
        asIs,
        request,
        callMetadata(traceparent),
        { deadline },
        (error, reply) => {
          signal?.removeEventListener('abort', onAbort);
          if (error) reject(signal?.aborted ? cancelled(method) : dispatchErrorFromStatus(method, error));
          else resolve(reply ?? Buffer.alloc(0));
        },
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Resolves true once the channel is connected, false if it is not within `timeoutMs`. Calls do
   * not need this (they connect on demand); it lets startup log whether the server is reachable.
   */
  waitForReady(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      this.client.waitForReady(Date.now() + timeoutMs, (error) => resolve(!error));
    });
  }

  /** True while the channel has a live connection to the plugin server. */
  isConnected(): boolean {
    return !this.closed && this.client.getChannel().getConnectivityState(false) === connectivityState.READY;
  }

  /** Gateway shutdown only: new calls fail with 'unavailable'. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}

function callMetadata(traceparent: string | undefined): Metadata {
  const metadata = new Metadata();
  if (traceparent !== undefined) metadata.set('traceparent', traceparent);
  return metadata;
}

function cancelled(method: DispatcherMethod): DispatchError {
  return new DispatchError(`gRPC ${method} cancelled: the client went away`, 'exception');
}
