import { Router } from 'express';
import { apiIdProblem } from '../config/safe-names';
import { quarantine } from '../containment/quarantine';
import type { Gateway } from '../gateway/gateway';
import { isBadMiddleware, sendError, sendJson } from './respond';

/**
 * `DELETE /tyk/apis/{api_id}/quarantine` (our extension): an operator lets an API
 * whose middleware aborted a worker run its code again. The API is rebuilt from its current
 * files (new code is tried in the validation child first); if that fails, it stays quarantined.
 * `GET` shows the entry.
 */
export function createQuarantineRouter(gateway: Gateway): Router {
  const router = Router({ mergeParams: true });
  // The one api_id rule of every management route (config/safe-names.ts).
  router.use((req, res, next) => {
    const problem = apiIdProblem((req.params as { apiId?: string }).apiId);
    if (problem) return sendError(res, 400, `api_id: ${problem}`);
    next();
  });

  router.get('/', (req, res) => {
    const apiId = (req.params as { apiId: string }).apiId;
    const entry = quarantine.find(apiId);
    if (!entry) return sendError(res, 404, `API ${apiId} is not quarantined`);
    sendJson(res, 200, { api_id: apiId, quarantine: entry });
  });

  router.delete('/', async (req, res) => {
    const apiId = (req.params as { apiId: string }).apiId;
    const entry = quarantine.release(apiId);
    if (!entry) return sendError(res, 404, `API ${apiId} is not quarantined`);
    if (!gateway.getApi(apiId)) return sendJson(res, 200, { status: 'ok', message: 'quarantine released', api_id: apiId });
    try {
      // Same files, rebuilt now that the quarantine no longer holds them.
      const runtime = await gateway.changeMiddleware(apiId, new Map(), async () => undefined);
      sendJson(res, 200, { status: 'ok', message: 'quarantine released', api_id: apiId, generation: runtime.generation });
    } catch (err) {
      quarantine.add(entry);
      const message = `quarantine kept: the API could not be rebuilt: ${(err as Error).message}`;
      // The middleware itself is the problem (it still fails, or still aborts the validation child): 409.
      sendError(res, isBadMiddleware(err) ? 409 : 500, message);
    }
  });

  return router;
}
