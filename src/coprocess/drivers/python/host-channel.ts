import type { Readable, Writable } from 'node:stream';
import { Budget } from './budget';

/**
 * The gateway's end of a plugin host's channel (fd 3 of the host, a socketpair Node creates for
 * `stdio: 'pipe'`): one JSON object per line each way (host/_isogate_host/channel.py).
 *
 * Everything from the host is plugin-controlled input. Lines are bounded (a longer one is a
 * protocol violation and costs the process its life); bytes are metered, and past the budget
 * the gateway simply stops reading for a while: the host's writes then block in its own
 * process, and only that API's hooks slow down or time out. Nothing is buffered without bound
 * on the gateway's side.
 */
export interface HostChannelOptions {
  /** Longest line accepted from the host. */
  maxLineBytes: number;
  /** Bytes per second read from the host before reading pauses. */
  bytesPerSecond: number;
  onMessage(message: Record<string, unknown>): void;
  /** The host broke the protocol (a line too long, not a JSON object): it will be killed. */
  onViolation(problem: string): void;
}

export class HostChannel {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private readonly bytes: Budget;
  private resumeTimer?: NodeJS.Timeout;
  private broken = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly options: HostChannelOptions,
  ) {
    this.bytes = new Budget(options.bytesPerSecond);
    input.on('data', (chunk: Buffer) => this.onData(chunk));
    // A write to a host that just died fails with EPIPE: its exit is handled where it is seen.
    input.on('error', () => undefined);
    output.on('error', () => undefined);
  }

  send(message: Record<string, unknown>): void {
    if (this.broken || this.output.destroyed || this.output.writableEnded) return;
    this.output.write(`${JSON.stringify(message)}\n`);
  }

  close(): void {
    this.broken = true;
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.input.destroy();
    if ((this.output as unknown) !== this.input) this.output.destroy();
  }

  private violation(problem: string): void {
    if (this.broken) return;
    this.close();
    this.options.onViolation(problem);
  }

  private onData(chunk: Buffer): void {
    if (this.broken) return;
    const wait = this.bytes.charge(chunk.length);
    if (wait > 0 && !this.resumeTimer) {
      this.input.pause();
      this.resumeTimer = setTimeout(() => {
        this.resumeTimer = undefined;
        if (!this.broken) this.input.resume();
      }, wait);
      this.resumeTimer.unref();
    }
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.bufferedBytes + piece.length > this.options.maxLineBytes) return this.violation(`a line over ${this.options.maxLineBytes} bytes`);
      const line = this.bufferedBytes > 0 ? Buffer.concat([...this.buffered, piece]) : piece;
      this.buffered = [];
      this.bufferedBytes = 0;
      if (!this.parse(line)) return;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) return;
    if (this.bufferedBytes + rest.length > this.options.maxLineBytes) return this.violation(`a line over ${this.options.maxLineBytes} bytes`);
    // Copied: `chunk` may be a slice of a pooled buffer that Node reuses.
    this.buffered.push(Buffer.from(rest));
    this.bufferedBytes += rest.length;
  }

  private parse(line: Buffer): boolean {
    let message: unknown;
    try {
      message = JSON.parse(line.toString('utf8'));
    } catch {
      this.violation('a line that is not JSON');
      return false;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.violation('a line that is not a JSON object');
      return false;
    }
    this.options.onMessage(message as Record<string, unknown>);
    return !this.broken;
  }
}
