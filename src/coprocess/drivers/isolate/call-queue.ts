import { Fifo } from '../../../util/fifo';
import type { CallKind } from '../../../protocol/isolate';

export { QueueRejection } from '../../../util/serial-queue';

/** A hook or event call waiting for the API's isolate, or sent to it and not yet answered. */
export interface Call {
  kind: CallKind;
  /** Encoded once at submission; may be a view into a shared pool: it is only ever copied. */
  payload: Uint8Array;
  signal: AbortSignal | undefined;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** Work that needs the isolate to itself, between two entries (warm-up, a reload's swap). */
export interface Control {
  kind: 0;
  run: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

export type Queued = Call | Control;

/** Limits of one batch (isolate-dispatcher.ts BATCH_LIMITS). */
export interface BatchLimits {
  maxCalls: number;
  maxBytes: number;
}

export const ABANDONED = 'call abandoned: the request was aborted';

/**
 * The calls waiting for one isolate, in arrival order. The dispatcher takes them in batches: all
 * that wait (up to the limits) go into one entry, because the isolate runs one entry at a time
 * and an entry's fixed cost (≈ 40 µs of hand-off, bench/README.md) is most of a small hook's.
 *
 * A call whose request was aborted is dropped when its turn comes, without running: this costs
 * no listener per call, and its caller, gone with the client, waits for nothing.
 */
export class CallQueue {
  private readonly waiting = new Fifo<Queued>();

  constructor(
    private readonly maxLength: number,
    /** Told of every call dropped because its request was aborted. */
    private readonly abandon: (call: Call) => void,
  ) {}

  /** Waiting calls and control tasks. */
  get length(): number {
    return this.waiting.size;
  }

  get full(): boolean {
    return this.waiting.size >= this.maxLength;
  }

  push(item: Queued): void {
    this.waiting.push(item);
  }

  /** Calls taken but not started go back to the head, in their order. */
  putBack(calls: readonly Call[]): void {
    this.waiting.unshift(calls);
  }

  /**
   * The next unit of work: a control task alone, or the longest run of calls at the head that
   * fits `limits` (at least one call, however large). Undefined when nothing waits.
   */
  take(limits: BatchLimits): Control | Call[] | undefined {
    let head = this.dropAbandoned();
    if (head === undefined) return undefined;
    if (head.kind === 0) return this.waiting.shift() as Control;
    const calls: Call[] = [];
    let bytes = 0;
    while (head !== undefined && head.kind !== 0 && calls.length < limits.maxCalls) {
      if (calls.length > 0 && bytes + head.payload.length > limits.maxBytes) break;
      this.waiting.shift();
      calls.push(head);
      bytes += head.payload.length;
      head = this.dropAbandoned();
    }
    return calls;
  }

  /** Reject every waiting item. */
  rejectWaiting(reason: Error): void {
    for (let item = this.waiting.shift(); item !== undefined; item = this.waiting.shift()) item.reject(reason);
  }

  /** Drop aborted calls off the head; the head left, if any. */
  private dropAbandoned(): Queued | undefined {
    let head = this.waiting.peek();
    while (head !== undefined && head.kind !== 0 && head.signal?.aborted) {
      this.waiting.shift();
      this.abandon(head);
      head = this.waiting.peek();
    }
    return head;
  }
}
