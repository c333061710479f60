import { logger } from '../log/logger';
import { type ClusterHandlers, applyNotification } from './cluster-bus';
import { isBusDone, isBusMessage } from './worker-messages';

const log = logger.child({ component: 'workers' });

/**
 * A worker's half of the workers' bus (the supervisor relays, worker-relay.ts). `send` resolves
 * once every other serving worker has applied the notification: a key change has left their
 * auth caches, a reload has finished. Only under the supervisor with more than one worker; a
 * worker alone needs no link.
 */
export class WorkerLink {
  private seq = 0;
  private readonly waiting = new Map<string, () => void>();
  private readonly listener = (msg: unknown) => this.onMessage(msg);

  constructor(private readonly handlers: ClusterHandlers) {
    process.on('message', this.listener);
  }

  send(command: string, payload: string): Promise<void> {
    const id = String(++this.seq);
    return new Promise<void>((resolve) => {
      this.waiting.set(id, resolve);
      try {
        process.send!({ isogate: 'bus', id, command, payload });
      } catch (err) {
        // The supervisor is gone (the process is ending): nobody else to tell.
        this.waiting.delete(id);
        log.warn({ err: (err as Error).message, command }, 'could not tell the other workers');
        resolve();
      }
    });
  }

  close(): void {
    process.off('message', this.listener);
    for (const resolve of this.waiting.values()) resolve();
    this.waiting.clear();
  }

  private onMessage(msg: unknown): void {
    if (isBusDone(msg)) {
      const resolve = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      resolve?.();
    } else if (isBusMessage(msg)) {
      applyNotification(msg.command, msg.payload, this.handlers)
        .catch((err: Error) => log.error({ err: err.message, command: msg.command }, 'applying a change from another worker failed'))
        .finally(() => process.send?.({ isogate: 'bus-ack', id: msg.id }));
    }
  }
}
