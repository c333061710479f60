/**
 * A first-in first-out queue with a moving head: `Array.shift` is O(n), so a long queue (a
 * backed-up event lane, the calls waiting for a busy isolate) would pay for every element on
 * every take. The head moves instead, and the array is compacted once the dead prefix is at
 * least half of it.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Put items back at the front, in their order (`items[0]` becomes the head). */
  unshift(items: readonly T[]): void {
    if (items.length === 0) return;
    if (items.length <= this.head) {
      this.head -= items.length;
      for (let i = 0; i < items.length; i++) this.items[this.head + i] = items[i];
    } else {
      this.items = [...items, ...this.items.slice(this.head)];
      this.head = 0;
    }
  }

  /** Empties the queue, returning how many items it held. */
  clear(): number {
    const discarded = this.size;
    this.items = [];
    this.head = 0;
    return discarded;
  }
}
