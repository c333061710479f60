import { Fifo } from './fifo';

/** Raised for calls a queue refuses or abandons; dispatchers map it to `unavailable`. */
export class QueueRejection extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueRejection';
  }
}

interface Task {
  run: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
}

/**
 * One task at a time, in arrival order, for a plugin host that serves one call at a time (the
 * Python driver): a call's deadline then starts when its hook does. A task whose request was
 * aborted before its turn is dropped without running.
 */
export class SerialQueue {
  private readonly waiting = new Fifo<Task>();
  private running = false;

  constructor(private readonly maxLength: number) {}

  /** Waiting tasks (not counting the running one). */
  get length(): number {
    return this.waiting.size;
  }

  push<T>(run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.waiting.size >= this.maxLength) return Promise.reject(new QueueRejection(`call queue is full (${this.maxLength} waiting)`));
    if (signal?.aborted) return Promise.reject(new QueueRejection('call abandoned: the request was aborted'));
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ run, resolve: resolve as (value: unknown) => void, reject, signal });
      if (!this.running) void this.pump();
    });
  }

  /** Reject every waiting task (the running one is left to finish). */
  rejectWaiting(reason: Error): void {
    for (let task = this.waiting.shift(); task !== undefined; task = this.waiting.shift()) task.reject(reason);
  }

  private async pump(): Promise<void> {
    this.running = true;
    for (let task = this.waiting.shift(); task !== undefined; task = this.waiting.shift()) {
      if (task.signal?.aborted) {
        task.reject(new QueueRejection('call abandoned: the request was aborted'));
        continue;
      }
      try {
        task.resolve(await task.run());
      } catch (err) {
        task.reject(err);
      }
    }
    this.running = false;
  }
}
