import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { secretMatches } from '../admin/secret-guard';
import { logger } from '../log/logger';
import { Messages } from '../pipeline/errors';
import { sendError, sendReply } from '../pipeline/respond';
import { normalisePath, requestTarget } from '../pipeline/url';
import type { GatewayMetrics } from './registry';

export const METRICS_PATH = '/metrics';

/**
 * On the main listener /metrics is management data: the gateway `secret` must come as
 * `X-Tyk-Authorization` (as for /tyk/...) or as `Authorization: Bearer <secret>` (what a
 * Prometheus scrape config's `authorization` section sends).
 */
export function scrapeAuthorized(req: IncomingMessage, secret: string): boolean {
  if (secretMatches(secret, headerValue(req, 'x-tyk-authorization'))) return true;
  const auth = headerValue(req, 'authorization');
  return auth !== undefined && auth.startsWith('Bearer ') && secretMatches(secret, auth.slice(7));
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? undefined : v;
}

/** Answer a scrape: GET or HEAD only; the text comes from prom-client through the one response path. */
export function serveMetrics(metrics: GatewayMetrics, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendError(res, 405, Messages.methodNotAllowed, { allow: 'GET, HEAD' });
    return;
  }
  metrics.text().then(
    (body) => sendReply(res, { status: 200, headers: { 'content-type': metrics.contentType }, body: req.method === 'HEAD' ? '' : body }),
    (err: unknown) => {
      logger.error({ err }, 'collecting metrics failed');
      sendError(res, 500, Messages.internalError);
    },
  );
}

/**
 * `metrics_listen_port`: a listener that serves /metrics only, without the secret (bind it where
 * only Prometheus reaches: `metrics_listen_address`, default the gateway's listen_address).
 */
export function startMetricsServer(metrics: GatewayMetrics, address: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const target = requestTarget(req.url ?? '/');
    const path = target && normalisePath(target.path);
    if (path !== METRICS_PATH) return sendError(res, 404, Messages.notFound);
    serveMetrics(metrics, req, res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      logger.info({ address: a.address, port: a.port }, `metrics on http://${a.address}:${a.port}${METRICS_PATH}`);
      resolve(server);
    });
  });
}
