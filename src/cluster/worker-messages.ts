/**
 * The messages of the workers of one gateway, carried by node:cluster IPC through the
 * supervisor (worker-relay.ts, worker-link.ts). `command` and `payload` are the cluster
 * notification's (notification.ts): the workers of one gateway act on the same commands as the
 * nodes of a Redis cluster.
 */

/** Worker → primary → every other serving worker. */
export interface BusMessage {
  isogate: 'bus';
  id: string;
  command: string;
  payload: string;
}

/** Worker → primary: the message is applied here (for a reload: the reload finished). */
export interface BusAck {
  isogate: 'bus-ack';
  id: string;
}

/** Primary → the sender: every worker serving when it was sent has applied it (or is gone). */
export interface BusDone {
  isogate: 'bus-done';
  id: string;
  workers: number;
}

function tagged(msg: unknown, tag: string): boolean {
  return typeof msg === 'object' && msg !== null && (msg as { isogate?: unknown }).isogate === tag && typeof (msg as { id?: unknown }).id === 'string';
}

export const isBusMessage = (msg: unknown): msg is BusMessage =>
  tagged(msg, 'bus') && typeof (msg as BusMessage).command === 'string' && typeof (msg as BusMessage).payload === 'string';
export const isBusAck = (msg: unknown): msg is BusAck => tagged(msg, 'bus-ack');
export const isBusDone = (msg: unknown): msg is BusDone => tagged(msg, 'bus-done');
