import { logger } from '../log/logger';

let installed = false;

/**
 * The gateway process's last resort. Node ends a process on an uncaught exception or an
 * unhandled rejection; here either is logged once, with its stack, and the process keeps
 * serving: request handling has its own guards (pipeline/respond.ts lastResort), so what
 * reaches this point is a stray callback, and one stray callback must not take every API and
 * every in-flight request down with it. (A fatal V8 error inside an isolate is not an
 * exception and still ends the worker; the supervisor restarts it, see cli/supervisor.ts.)
 */
export function installProcessGuards(): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (err) => {
    logger.error({ err }, `uncaught exception (the gateway keeps serving): ${err?.message ?? String(err)}`);
  });
  process.on('unhandledRejection', (reason) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    logger.error({ err: reason }, `unhandled promise rejection (the gateway keeps serving): ${message}`);
  });
}
