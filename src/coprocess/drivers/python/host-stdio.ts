import type { Readable } from 'node:stream';
import { Budget } from './budget';
import { MAX_LOG_MESSAGE } from './gateway-calls';

/** How much of the host's last output is kept to explain a crash (a traceback before start-up, a fatal error). */
const TAIL_BYTES = 4096;

/**
 * The host's fd 1 and 2. print() and tracebacks normally reach the gateway as log lines over
 * the channel; these carry only what bypasses Python's sys.stdout (C extensions, faulthandler,
 * os.write, an interpreter that fails before the host runs). Read under a byte budget (reading
 * pauses beyond it, so the writer blocks in its own process), cut into lines of at most
 * MAX_LOG_MESSAGE, and the last few KiB kept for the crash report.
 */
export class HostStdio {
  private tailText = '';
  private partial = '';
  private readonly bytes: Budget;

  constructor(
    streams: (Readable | null | undefined)[],
    bytesPerSecond: number,
    private readonly line: (text: string) => void,
  ) {
    this.bytes = new Budget(bytesPerSecond);
    for (const stream of streams) {
      if (!stream) continue;
      stream.setEncoding('utf8');
      stream.on('error', () => undefined);
      stream.on('data', (text: string) => this.onData(stream, text));
    }
  }

  /** The last output, for "the plugin process exited: …" messages. */
  tail(): string {
    return this.tailText.trim();
  }

  private onData(stream: Readable, text: string): void {
    const wait = this.bytes.charge(Buffer.byteLength(text));
    if (wait > 0) {
      stream.pause();
      setTimeout(() => stream.resume(), wait).unref();
    }
    this.tailText = (this.tailText + text).slice(-TAIL_BYTES);
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    while (this.partial.length > MAX_LOG_MESSAGE) {
      lines.push(this.partial.slice(0, MAX_LOG_MESSAGE));
      this.partial = this.partial.slice(MAX_LOG_MESSAGE);
    }
    for (const l of lines) if (l.trim() !== '') this.line(l);
  }
}
