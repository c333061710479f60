import { type RequestHandler, Router } from 'express';
import type { LoadFailure } from '../config/load-apps';
import type { Gateway } from '../gateway/gateway';

interface ReloadReply {
  status: 'ok' | 'error';
  message: string;
  /** APIs (or files) that failed to load or build, with the reason; those APIs are not served, or keep their previous version. */
  failed?: { file: string; api_id?: string; error: string }[];
}

/**
 * Tyk's `{status, message}` exactly when everything loaded; otherwise `status` is "error",
 * `message` has one line per failure and `failed` lists them as data.
 */
function reply(failures: readonly LoadFailure[]): ReloadReply {
  if (failures.length === 0) return { status: 'ok', message: '' };
  const failed = failures.map((f) => ({ file: f.file, ...(f.apiId !== undefined ? { api_id: f.apiId } : {}), error: f.error }));
  return { status: 'error', message: failed.map((f) => f.error).join('\n'), failed };
}

/**
 * `/tyk/reload`: queue a reload of every API (only changed ones are rebuilt); `?block=true` answers
 * once the new state is serving, with that reload's failures (those APIs are not served, or keep
 * their previous version). Without `block` the answer lists the failures known so far (from the
 * last reload finished). `/tyk/reload/group` also publishes GroupReload to the other nodes in
 * Redis mode; alone it is the same as `/tyk/reload`.
 */
export function createReloadRouter(gateway: Gateway): Router {
  const router = Router();
  // Every worker of this gateway reloads; `block` also waits for the others to finish theirs.
  const reload = async (block: boolean): Promise<readonly LoadFailure[]> => {
    const { report, others } = gateway.reloadAllWorkers();
    if (block) {
      const [done] = await Promise.all([report, others]);
      return done.failed;
    }
    report.catch(() => undefined);
    return gateway.failedApis;
  };
  const local: RequestHandler = async (req, res) => {
    res.json(reply(await reload(req.query.block === 'true')));
  };
  const group: RequestHandler = async (req, res) => {
    // This node reloads directly rather than on its own notification's echo, so it reloads even
    // when Redis is away; the other nodes then need to be told.
    const published = gateway.publishGroupReload().then(
      () => undefined,
      (err: Error) => err,
    );
    const report = await reload(req.query.block === 'true');
    const failed = await published;
    if (failed) {
      res.status(503).json({ status: 'error', message: `reloaded this node only: could not notify the other nodes: ${failed.message}` });
      return;
    }
    res.json(reply(report));
  };
  router.get('/', local);
  router.get('/group', group);
  return router;
}
