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
  // What Go's url.Parse refuses ("missing protocol scheme"): Tyk then does not load the driver.
  if (value.includes('://') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new Error(`coprocess_grpc_server "${raw}" has no valid scheme`);
  if (value.startsWith('tcp://')) {
    const hostPort = value.slice('tcp://'.length).replace(/\/+$/, '');
    if (hostPort === '') throw new Error(`coprocess_grpc_server "${raw}" has no host:port`);
    if (!parsesAsHostPort(hostPort)) throw new Error(`coprocess_grpc_server "${raw}" is not a valid tcp://host:port address`);
    return hostPort;
  }
  if (value.startsWith('unix://')) {
    const path = value.slice('unix://'.length);
    if (path === '') throw new Error(`coprocess_grpc_server "${raw}" has no socket path`);
    return path.startsWith('/') ? value : `unix:${path}`;
  }
  return value;
}

/** A `host:port` (IPv6 in brackets) that an URL parser accepts, with nothing after it. */
function parsesAsHostPort(hostPort: string): boolean {
  if (/[/?#@\s]/.test(hostPort)) return false;
  try {
    const url = new URL(`http://${hostPort}`);
    return url.hostname !== '';
  } catch {
    return false;
  }
}
