import type { GatewayEvent } from './event';
import type { EventHandler } from './handler';

/**
 * The pending events of one compiled handler, with their own in-flight count. One lane per
 * handler means a dead webhook only backs up its own lane (up to its cap) while log lines and
 * other receivers keep flowing.
 */
export class Lane {
  inFlight = 0;
  private items: GatewayEvent[] = [];
  private head = 0;

  constructor(readonly handler: EventHandler) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(event: GatewayEvent): void {
    this.items.push(event);
  }

  shift(): GatewayEvent | undefined {
    if (this.head >= this.items.length) return undefined;
    const event = this.items[this.head];
    this.head++;
    // Array.shift is O(n); a moving head with occasional compaction keeps a full lane O(1).
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return event;
  }

  /** Empties the lane, returning how many events were discarded. */
  clear(): number {
    const discarded = this.size;
    this.items = [];
    this.head = 0;
    return discarded;
  }
}
