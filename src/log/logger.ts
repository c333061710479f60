import pino from 'pino';

export type Logger = pino.Logger;

/**
 * The process-wide logger. JSON lines on stdout; `ISOGATE_LOG_LEVEL` overrides the level.
 * Children carry `api_id` / `component` so an operator can grep one API's lines.
 */
export const logger: Logger = pino({
  level: process.env.ISOGATE_LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
});
