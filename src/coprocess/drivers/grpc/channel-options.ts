import type { ChannelOptions } from '@grpc/grpc-js';
import type { GatewayConfig } from '../../../config/gateway-config';
import { isPositiveNumber } from '../../../util/numbers';

export type CoprocessOptions = GatewayConfig['coprocess_options'];

/**
 * Keep-alive pings only while calls are in flight, every 30 s: often enough to notice a plugin
 * host that vanished mid-call, yet within what gRPC servers tolerate by default (Go and C-core
 * servers answer idle pings more often than every 5 min with GOAWAY "too_many_pings").
 */
const KEEPALIVE = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 0,
} as const;

/**
 * grpc-js reconnects on its own, but its default backoff grows to 120 s, so a plugin server
 * restarted after a long outage could stay unreachable for minutes. Capping the backoff at 1 s
 * makes it reachable again within ~1-2 s; a refused loopback connect costs next to nothing.
 */
const RECONNECT = {
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 1_000,
} as const;

/** Channel options for the shared plugin-server connection, from `coprocess_options`. */
export function channelOptionsFrom(options: CoprocessOptions): ChannelOptions {
  const channel: ChannelOptions = { ...KEEPALIVE, ...RECONNECT };
  // As in Tyk, 0 or absent keeps gRPC's defaults (4 MiB receive, unlimited send).
  if (isPositiveNumber(options.grpc_recv_max_size)) channel['grpc.max_receive_message_length'] = options.grpc_recv_max_size;
  if (isPositiveNumber(options.grpc_send_max_size)) channel['grpc.max_send_message_length'] = options.grpc_send_max_size;
  if (options.grpc_authority) channel['grpc.default_authority'] = options.grpc_authority;
  return channel;
}
