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

/**
 * Send every line the process logger (and its children, which share its stream) writes to
 * `onLine` instead of stdout, until the returned function is called. For CLI commands that
 * report what a run logged in their own format (`isogate test-hook`).
 */
export function captureLogLines(onLine: (line: string) => void): () => void {
  const stream = (logger as unknown as Record<symbol, { write: (chunk: string) => boolean }>)[pino.symbols.streamSym]!;
  const write = stream.write;
  stream.write = (chunk: string) => {
    for (const line of String(chunk).split('\n')) if (line) onLine(line);
    return true;
  };
  return () => {
    stream.write = write;
  };
}
