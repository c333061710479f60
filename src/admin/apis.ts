import { randomBytes } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Request, type Response, Router } from 'express';
import { checkDefinition } from '../config/api-spec';
import { quarantine } from '../containment/quarantine';
import { outputCounts } from '../coprocess/drivers/isolate';
import { ConfigError } from '../config/config-error';
import { readDefinitionFile } from '../config/load-apps';
import { apiIdProblem } from '../config/safe-names';
import type { Gateway } from '../gateway/gateway';
import { writeFileAtomic } from '../storage/atomic-file';
import { sendStatusMessage } from './respond';

/**
 * `/tyk/apis` in file mode, as Tyk does it: create, update and delete write `app_path`; the change
 * is live after a reload (`/tyk/reload`). Reads show the definitions being served.
 */
export function createApisRouter(gateway: Gateway): Router {
  const router = Router();
  // Every `/:apiId` route: the id becomes a file name under app_path, so it is checked first
  // (Express has already decoded `%2F`, `%2e` and `%00` in it).
  router.param('apiId', (_req, res, next, apiId: string) => {
    const problem = apiIdProblem(apiId);
    if (problem) return sendStatusMessage(res, 400, `api_id: ${problem}`);
    next();
  });
  const fileOf = (apiId: string): string => gateway.getApi(apiId)?.spec.file ?? join(gateway.config.app_path, `${apiId}.json`);

  const readBody = (req: Request, res: Response): Record<string, unknown> | undefined => {
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
      sendStatusMessage(res, 400, 'Request malformed');
      return undefined;
    }
    return req.body as Record<string, unknown>;
  };

  const save = async (res: Response, raw: Record<string, unknown>, apiId: string, action: 'added' | 'modified'): Promise<void> => {
    const file = fileOf(apiId);
    try {
      checkDefinition(raw, file);
    } catch (err) {
      sendStatusMessage(res, 400, (err as ConfigError).message);
      return;
    }
    await writeFileAtomic(file, `${JSON.stringify(raw, null, 2)}\n`);
    res.json({ key: apiId, status: 'ok', action });
  };

  router.get('/', (_req, res) => {
    res.json(gateway.listApis().map((api) => api.spec.definition));
  });

  router.post('/', async (req, res) => {
    const raw = readBody(req, res);
    if (!raw) return;
    if (typeof raw.api_id !== 'string' || raw.api_id === '') raw.api_id = randomBytes(16).toString('hex');
    const apiId = raw.api_id as string;
    const problem = apiIdProblem(apiId);
    if (problem) return sendStatusMessage(res, 400, `api_id: ${problem}`);
    if (gateway.getApi(apiId)) return sendStatusMessage(res, 409, `API ${apiId} already exists`);
    await save(res, raw, apiId, 'added');
  });

  router.get('/:apiId', (req, res) => {
    const api = gateway.getApi(req.params.apiId);
    if (!api) return sendStatusMessage(res, 404, 'API not found');
    res.set('X-Isogate-Generation', String(api.generation));
    res.json(api.spec.definition);
  });

  router.put('/:apiId', async (req, res) => {
    const { apiId } = req.params;
    const raw = readBody(req, res);
    if (!raw) return;
    if (!gateway.getApi(apiId)) {
      try {
        await readDefinitionFile(fileOf(apiId));
      } catch {
        return sendStatusMessage(res, 404, 'API not found');
      }
    }
    if (raw.api_id !== undefined && raw.api_id !== apiId) return sendStatusMessage(res, 400, `api_id: "${String(raw.api_id)}" does not match the path's "${apiId}"`);
    raw.api_id = apiId;
    await save(res, raw, apiId, 'modified');
  });

  router.delete('/:apiId', async (req, res) => {
    const { apiId } = req.params;
    try {
      await unlink(fileOf(apiId));
    } catch {
      return sendStatusMessage(res, 404, 'API not found');
    }
    res.json({ key: apiId, status: 'ok', action: 'deleted' });
  });

  /** Our extension: the loaded version of an API and its dispatcher's state. */
  // `status`: "serving", "quarantined", or "failed" with `error` (not served, or with
  // `answers: 500` when loaded in the failed-middleware state); a serving API
  // whose newer definition failed also carries `error`. `bundle`: the plugin bundle it runs;
  // `bundle_downloading`: its (new) bundle is on its way, "downloading" when nothing serves yet.
  router.get('/:apiId/runtime', (req, res) => {
    const api = gateway.getApi(req.params.apiId);
    const failure = gateway.failureOf(req.params.apiId);
    const downloading = gateway.isDownloading(req.params.apiId) ? { bundle_downloading: true } : {};
    if (!api) {
      if (failure) return res.json({ api_id: req.params.apiId, status: 'failed', file: failure.file, error: failure.error, ...downloading });
      if (gateway.isDownloading(req.params.apiId)) return res.json({ api_id: req.params.apiId, status: 'downloading', ...downloading });
      return sendStatusMessage(res, 404, 'API not found');
    }
    const held = quarantine.find(api.spec.apiId);
    if (api.failure) {
      // Loaded in the failed-middleware state (gateway config middleware_load_failure: "serve_500").
      return res.json({ api_id: api.spec.apiId, status: 'failed', answers: 500, file: api.failure.file, error: api.failure.error, generation: api.generation, driver: api.spec.driver });
    }
    res.json({
      api_id: api.spec.apiId,
      // Quarantined: its middleware aborted a worker; it answers 503 (src/containment).
      status: held ? 'quarantined' : 'serving',
      quarantine: held,
      ...(failure ? { error: failure.error } : {}),
      generation: api.generation,
      content_hash: api.spec.contentHash,
      driver: api.spec.driver,
      inflight: api.inflight,
      dispatcher: api.dispatcher?.stats?.(),
      output: outputCounts(api.spec.apiId),
      ...(api.spec.bundle ? { bundle: api.spec.bundle } : {}),
      ...downloading,
    });
  });

  return router;
}
