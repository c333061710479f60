/**
 * Turn Tyk's `coprocess_grpc_server` value into a grpc-js target.
 *
 * Tyk strips a `tcp://` prefix and hands everything else to gRPC unchanged (`unix:///abs.sock`,
 * `dns:///host:port`, plain `host:port`). One difference is deliberate: grpc-js reads
 * `unix://rel/x.sock` as authority `rel` plus path `x.sock` and would silently dial the wrong
 * file, so a `unix://` target without an absolute path is rewritten to `unix:rel/x.sock`.
 */
export function parseGrpcTarget(raw: string): string {
  const value = raw.trim();
  if (value === '') throw new Error('coprocess_grpc_server is empty');
  if (value.startsWith('tcp://')) {
    const hostPort = value.slice('tcp://'.length).replace(/\/+$/, '');
    if (hostPort === '') throw new Error(`coprocess_grpc_server "${raw}" has no host:port`);
    return hostPort;
  }
  if (value.startsWith('unix://')) {
    const path = value.slice('unix://'.length);
    if (path === '') throw new Error(`coprocess_grpc_server "${raw}" has no socket path`);
    return path.startsWith('/') ? value : `unix:${path}`;
  }
  return value;
}
