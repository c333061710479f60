import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Gateway } from '../gateway/gateway';
import { createApisRouter } from './apis';
import { createBundleRouter } from './bundle-upload';
import { createKeysRouter } from './keys';
import { createMiddlewareRouter } from './middleware-files';
import { createPoliciesRouter } from './policies';
import { createQuarantineRouter } from './quarantine';
import { createReloadRouter } from './reload';
import { secretGuard } from './secret-guard';
import { createStatsRouter } from './stats';

/**
 * The management API (`/tyk/...`). Express earns its place here, off the proxy hot path: routing
 * with params, JSON bodies, and error handling for a few dozen requests a minute.
 */
export function createAdminApp(gateway: Gateway, secret: string): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use('/tyk', secretGuard(secret));
  // Uploads carry JS source or a zip, not JSON: mounted before the JSON parser.
  app.use('/tyk/apis/:apiId/middleware', createMiddlewareRouter(gateway));
  app.use('/tyk/apis/:apiId/bundle', createBundleRouter(gateway));
  app.use('/tyk/apis/:apiId/quarantine', createQuarantineRouter(gateway));
  app.use('/tyk', express.json({ limit: '5mb', strict: false, type: () => true }));
  app.use('/tyk/apis', createApisRouter(gateway));
  app.use('/tyk/reload', createReloadRouter(gateway));
  app.use('/tyk/stats', createStatsRouter(gateway));
  app.use('/tyk/policies', createPoliciesRouter(gateway));
  app.use(
    '/tyk/keys',
    createKeysRouter({
      store: gateway.store,
      config: gateway.config,
      events: gateway.events,
      // The store is the LRU-backed one, so this node's auth cache is already in step; the gateway
      // restarts the key's counters and tells the other nodes (Redis mode) to evict it.
      onKeyChanged: (storedKey) => gateway.keyChanged(storedKey),
      orgForApi: (apiId) => gateway.getApi(apiId)?.spec.orgId,
    }),
  );
  app.use((_req, res) => {
    res.status(404).json({ status: 'error', message: 'Not found' });
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed') return res.status(400).json({ status: 'error', message: 'Request malformed' });
    if (e.type === 'entity.too.large') return res.status(413).json({ status: 'error', message: 'Request too large' });
    if (e.status === 400 && e.type === 'encoding.unsupported') return res.status(400).json({ status: 'error', message: e.message });
    res.status(e.status && e.status >= 400 ? e.status : 500).json({ status: 'error', message: e.message ?? 'Internal error' });
  };
  app.use(onError);
  return app;
}
