import { Router } from 'express';
import { isolateCounts, outputSummary } from '../coprocess/drivers/isolate';
import { quarantine } from '../containment/quarantine';
import cluster from 'node:cluster';
import { type Gateway, workerCount } from '../gateway/gateway';

/**
 * `GET /tyk/stats` (our extension): what an operator checks at 3 a.m. — memory, live isolates
 * (must equal the hooked APIs that have served traffic), the auth cache, the event queue and
 * the middleware output dropped over its budget.
 */
export function createStatsRouter(gateway: Gateway): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    const mem = process.memoryUsage();
    res.json({
      pid: process.pid,
      // Which worker answered (1 … worker_count; 0 without the supervisor) and of how many.
      worker: { id: cluster.worker?.id ?? 0, workers: workerCount() },
      uptime_s: Math.round(process.uptime()),
      memory: { rss: mem.rss, heap_used: mem.heapUsed, external: mem.external, array_buffers: mem.arrayBuffers },
      isolates: isolateCounts(),
      apis: gateway.listApis().length,
      auth_cache: gateway.authCache.stats(),
      events: gateway.events.stats(),
      // Middleware log lines and TykTriggerEvent calls: sent, and dropped over the per-API budget.
      guest_output: outputSummary(),
      // APIs whose middleware aborted a worker (503 until changed or released).
      quarantined: quarantine.list(),
    });
  });
  return router;
}
