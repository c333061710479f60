import type { Logger } from '../log/logger';
import type { HandlerKind } from './handler';

export type DropReason = 'queue_full' | 'handler_queue_full' | 'stopped' | 'shutdown_timeout';

/**
 * Turns drops into at most one warning per interval. Under overload drops come by the thousand
 * per second; a line per drop would turn an event backlog into a logging backlog. The first drop
 * after a quiet interval is reported at once, later ones are summed into the next line.
 */
export class DropReporter {
  private count = 0;
  private byReason: Partial<Record<DropReason, number>> = {};
  private byHandler: Partial<Record<HandlerKind, number>> = {};
  private total = 0;
  private lastReportAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  note(kind: HandlerKind, reason: DropReason, count = 1): void {
    this.count += count;
    this.total += count;
    this.byReason[reason] = (this.byReason[reason] ?? 0) + count;
    this.byHandler[kind] = (this.byHandler[kind] ?? 0) + count;
    const wait = this.lastReportAt + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), wait);
      // A pending summary must not keep an otherwise finished process alive.
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.count === 0) return;
    this.logger.warn(
      { dropped: this.count, reasons: this.byReason, handlers: this.byHandler, total_dropped: this.total },
      `event system dropped ${this.count} event deliveries`,
    );
    this.lastReportAt = this.now();
    this.count = 0;
    this.byReason = {};
    this.byHandler = {};
  }
}
