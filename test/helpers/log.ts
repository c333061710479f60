// Loggers for tests: one that keeps every line for the test to read, and a switch that silences
// the gateway's own logger for one suite (outages and rejected input are logged on purpose).
import pino, { type Logger } from 'pino';
import { logger as gatewayLogger } from '../../src/log/logger';

/** One parsed pino line: level and msg, plus whatever fields the code logged. */
export interface LogLine {
  level: number;
  msg: string;
  // Fields differ by call site; tests read the ones they expect.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

/** A debug-level pino logger whose lines land, parsed, in `lines`. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug', base: null }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

/** A logger that writes nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });

/** Call inside a describe(): the gateway logger is silent for that suite (ISOGATE_LOG_LEVEL overrides). */
export function quietLogs(): void {
  let saved: string;
  before(() => {
    saved = gatewayLogger.level;
    gatewayLogger.level = process.env.ISOGATE_LOG_LEVEL || 'silent';
  });
  after(() => {
    gatewayLogger.level = saved;
  });
}
