import cluster, { type Worker } from 'node:cluster';
import { logger } from '../log/logger';
import { EXIT_CONFIG } from './worker';

/**
 * The process model. A V8 fatal out-of-memory inside any isolate (one huge allocation) aborts
 * the whole process and isolated-vm cannot catch it; so the gateway runs in a worker process
 * and this primary restarts it. A crash costs the requests in flight on that worker; serving
 * resumes as soon as the new worker has loaded (typically well under a second).
 */
export function superviseWorker(env: Record<string, string>): Promise<number> {
  let stopping = false;
  let worker: Worker | undefined;
  const recentCrashes: number[] = [];
  // A startup failure of the very first worker (bad config, Redis unreachable) ends the process
  // with a clear error; once the gateway has served, every exit is retried with backoff.
  let everReady = false;
  return new Promise((resolve) => {
    const fork = () => {
      worker = cluster.fork(env);
      worker.on('message', (msg) => {
        if (msg === 'isogate:ready') everReady = true;
      });
      worker.on('exit', (code, signal) => {
        worker = undefined;
        if (stopping) return resolve(code ?? 0);
        if (code === EXIT_CONFIG && !everReady) {
          logger.fatal('the gateway could not start (see the error above); not restarting');
          return resolve(1);
        }
        const now = Date.now();
        recentCrashes.push(now);
        while (recentCrashes.length && recentCrashes[0]! < now - 60_000) recentCrashes.shift();
        const delay = Math.min(5000, 100 * 2 ** Math.max(0, recentCrashes.length - 1));
        logger.error({ code, signal, restart_in_ms: delay }, 'gateway worker died; restarting it');
        setTimeout(fork, delay);
      });
    };
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'supervisor stopping the gateway worker');
      if (!worker) return resolve(0);
      worker.send('isogate:stop');
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    fork();
  });
}
