import type { Worker } from 'node:cluster';
import { logger } from '../log/logger';
import { type BusMessage, isBusAck, isBusMessage } from './worker-messages';

/** A worker that neither answers nor dies within this long is not waited for (a reload stuck on a bundle server). */
const ACK_TIMEOUT_MS = 60_000;

interface InFlight {
  from: Worker;
  waiting: Set<Worker>;
  timer: NodeJS.Timeout;
  /** The sender's own id for the message. */
  id: string;
  /** How many workers it went to. */
  count: number;
}

/**
 * The supervisor's half of the workers' bus: a message from one worker goes to every other
 * serving worker, and the sender hears `bus-done` once all of them applied it, so a management
 * request on any worker answers only after every worker sees its change. A worker that exits
 * meanwhile is no longer waited for (its successor reads the shared store and app_path afresh).
 */
export class WorkerRelay {
  private readonly inFlight = new Map<string, InFlight>();

  constructor(private readonly serving: () => Worker[]) {}

  /** Handle a worker's message; false if it is not the bus's. */
  onMessage(from: Worker, msg: unknown): boolean {
    if (isBusMessage(msg)) {
      this.relay(from, msg);
      return true;
    }
    if (isBusAck(msg)) {
      const entry = this.inFlight.get(msg.id);
      if (entry) {
        entry.waiting.delete(from);
        this.settle(msg.id, entry);
      }
      return true;
    }
    return false;
  }

  /** A worker exited: nothing waits for it, and what it sent needs no answer. */
  gone(worker: Worker): void {
    for (const [id, entry] of this.inFlight) {
      if (entry.from === worker) {
        clearTimeout(entry.timer);
        this.inFlight.delete(id);
        continue;
      }
      entry.waiting.delete(worker);
      this.settle(id, entry);
    }
  }

  private relay(from: Worker, msg: BusMessage): void {
    const targets = this.serving().filter((w) => w !== from && w.isConnected());
    const key = `${from.id}:${msg.id}`;
    const timer = setTimeout(() => {
      const entry = this.inFlight.get(key);
      if (!entry) return;
      logger.warn({ command: msg.command, waiting: [...entry.waiting].map((w) => w.process.pid) }, 'workers did not confirm a change in time; answering without them');
      entry.waiting.clear();
      this.settle(key, entry);
    }, ACK_TIMEOUT_MS);
    timer.unref();
    const entry: InFlight = { from, waiting: new Set(targets), timer, id: msg.id, count: targets.length };
    this.inFlight.set(key, entry);
    for (const w of targets) w.send({ ...msg, id: key });
    this.settle(key, entry);
  }

  private settle(key: string, entry: InFlight): void {
    if (entry.waiting.size > 0) return;
    clearTimeout(entry.timer);
    this.inFlight.delete(key);
    if (entry.from.isConnected()) entry.from.send({ isogate: 'bus-done', id: entry.id, workers: entry.count });
  }
}
