import express, { type Request, type Response, Router } from 'express';
import { BundleError } from '../bundles/errors';
import { isBadMiddleware, sendStatusMessage } from './respond';
import type { Gateway } from '../gateway/gateway';
import { knownApiParam } from './middleware-files';

/** A bad bundle or definition is the client's problem (400); anything else is ours (500). */
function failed(res: Response, err: unknown): void {
  const e = err as Error;
  if (e instanceof BundleError || isBadMiddleware(e)) return sendStatusMessage(res, 400, e.message);
  sendStatusMessage(res, 500, e.message);
}

/**
 * Bundle upload (our extension): `PUT /tyk/apis/{api_id}/bundle` with a zip as the body. It is
 * extracted and verified as a downloaded bundle is (checksum always; signature when the gateway
 * has `public_key_path`), the API is built from it, and only then does it become the API's bundle
 * and the API's isolate is swapped without dropping requests. `GET` shows the API's bundle,
 * `DELETE` removes the upload (the API goes back to its `custom_middleware_bundle` or
 * `custom_middleware`).
 */
export function createBundleRouter(gateway: Gateway): Router {
  const router = Router({ mergeParams: true });
  const raw = express.raw({ type: () => true, limit: gateway.config.bundle_options.max_download_bytes });

  const knownApi = (req: Request, res: Response) => knownApiParam(gateway, req, res);

  router.get('/', async (req, res) => {
    const apiId = await knownApi(req, res);
    if (!apiId) return;
    const bundle = gateway.getApi(apiId)?.spec.bundle;
    if (!bundle) return sendStatusMessage(res, 404, 'This API is not serving a bundle');
    res.json({ api_id: apiId, bundle });
  });

  router.put('/', raw, async (req, res) => {
    const apiId = await knownApi(req, res);
    if (!apiId) return;
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (body.length === 0) return sendStatusMessage(res, 400, 'the upload is empty: send the bundle zip as the body');
    try {
      const { runtime, staged } = await gateway.changeBundle(apiId, body);
      res.json({ status: 'ok', action: 'uploaded', api_id: apiId, generation: runtime.generation, checksum: staged.verified?.checksum, signature_verified: staged.verified?.signatureVerified ?? false, bundle: runtime.spec.bundle });
    } catch (err) {
      failed(res, err);
    }
  });

  router.delete('/', async (req, res) => {
    const apiId = await knownApi(req, res);
    if (!apiId) return;
    try {
      const { runtime } = await gateway.changeBundle(apiId, null);
      res.json({ status: 'ok', action: 'deleted', api_id: apiId, generation: runtime.generation });
    } catch (err) {
      if (err instanceof BundleError && err.notFound) return sendStatusMessage(res, 404, err.message);
      failed(res, err);
    }
  });

  return router;
}
