import { type RequestHandler, Router } from 'express';
import type { Gateway, ReloadReport } from '../gateway/gateway';

function reply(report: ReloadReport | undefined): { status: string; message: string } {
  if (!report || report.errors.length === 0) return { status: 'ok', message: '' };
  return { status: 'ok', message: report.errors.join('\n') };
}

/**
 * `/tyk/reload`: queue a reload of every API (only changed ones are rebuilt); `?block=true` answers
 * once the new state is serving, with any per-API failures in `message` (those APIs keep their
 * previous version). `/tyk/reload/group` also publishes GroupReload to the other nodes in Redis
 * mode; alone it is the same as `/tyk/reload`.
 */
export function createReloadRouter(gateway: Gateway): Router {
  const router = Router();
  const reload = async (block: boolean): Promise<ReloadReport | undefined> => {
    const pending = gateway.reload();
    if (block) return pending;
    pending.catch(() => undefined);
    return undefined;
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
