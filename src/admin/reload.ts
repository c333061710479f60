import { type RequestHandler, Router } from 'express';
import type { Gateway, ReloadReport } from '../gateway/gateway';

function reply(report: ReloadReport | undefined): { status: string; message: string } {
  if (!report || report.errors.length === 0) return { status: 'ok', message: '' };
  return { status: 'ok', message: report.errors.join('\n') };
}

/**
 * `/tyk/reload`: queue a reload of every API (only changed ones are rebuilt); `?block=true` answers
 * once the new state is serving, with any per-API failures in `message` (those APIs keep their
 * previous version). `/tyk/reload/group` does the same here: one node, no cluster bus.
 */
export function createReloadRouter(gateway: Gateway): Router {
  const router = Router();
  const handler: RequestHandler = async (req, res) => {
    const pending = gateway.reload();
    if (req.query.block === 'true') {
      res.json(reply(await pending));
      return;
    }
    pending.catch(() => undefined);
    res.json(reply(undefined));
  };
  router.get('/', handler);
  router.get('/group', handler);
  return router;
}
