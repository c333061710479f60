import pino from 'pino';
import { logger } from './logger';

/** A control character other than tab: it would end the line or rewrite the terminal. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/g;

function escaped(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * Tyk's JSVM `rawlog`: the text as it is, on a line of its own, in the gateway log's stream
 * (no JSON record around it). Line breaks and other control characters inside it are written
 * escaped (`\n`), so one plugin's text can never start a line that reads as another API's record.
 * The guest's output budget and 16 KiB cap apply before it gets here (sandbox/host.ts sendLog).
 */
export function writeRawLine(text: string): void {
  const stream = (logger as unknown as Record<symbol, { write(line: string): void } | undefined>)[pino.symbols.streamSym];
  const line = `${text.replace(CONTROL, escaped)}\n`;
  if (stream) stream.write(line);
  else process.stdout.write(line);
}
