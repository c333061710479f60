/** Raised for calls the queue refuses or abandons; the dispatcher maps it to `unavailable`. */
export class QueueRejection extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueRejection';
  }
}

interface Task<T = unknown> {
  run: () => Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  cancelled: boolean;
}

/**
 * Strict FIFO with one task running at a time. One call in flight per isolate is what keeps
 * ivm's external-memory accounting honest (ISOLATED-VM-NOTES §B2: two or more queued async
 * calls with large payloads trip false "memory limit" disposals); it also gives hooks the
 * single-threaded semantics their global state assumes.
 */
export class CallQueue {
  private tasks: (Task | undefined)[] = [];
  private head = 0;
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly maxLength: number) {}

  /** Waiting tasks (not counting the running one). */
  get length(): number {
    return this.tasks.length - this.head;
  }

  get busy(): boolean {
    return this.running;
  }

  push<T>(run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.length >= this.maxLength) return Promise.reject(new QueueRejection(`call queue is full (${this.maxLength} waiting)`));
    if (signal?.aborted) return Promise.reject(new QueueRejection('call abandoned: the request was aborted'));
    return new Promise<T>((resolve, reject) => {
      const task: Task<T> = { run, resolve, reject, signal, cancelled: false };
      if (signal) {
        // Only a waiting call can be dropped; a running one must finish (or time out) in the isolate.
        task.onAbort = () => {
          if (task.cancelled) return;
          task.cancelled = true;
          reject(new QueueRejection('call abandoned: the request was aborted'));
        };
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.tasks.push(task as Task);
      if (!this.running) void this.pump();
    });
  }

  /** Resolves true once nothing is queued or running, false if `ms` passes first. */
  idle(ms: number): Promise<boolean> {
    if (!this.running && this.length === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Reject every waiting task (the running one is left to finish). */
  rejectWaiting(reason: Error): void {
    while (this.length > 0) {
      const task = this.shift();
      if (task && !task.cancelled) {
        task.cancelled = true;
        task.reject(reason);
      }
    }
  }

  private shift(): Task | undefined {
    const task = this.tasks[this.head];
    this.tasks[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.tasks.length) {
      this.tasks = this.tasks.slice(this.head);
      this.head = 0;
    }
    if (task?.signal && task.onAbort) task.signal.removeEventListener('abort', task.onAbort);
    return task;
  }

  private async pump(): Promise<void> {
    this.running = true;
    while (this.length > 0) {
      const task = this.shift();
      if (!task || task.cancelled) continue;
      try {
        task.resolve(await task.run());
      } catch (err) {
        task.reject(err);
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
