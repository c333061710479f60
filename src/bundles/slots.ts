/**
 * At most `size` tasks at once, the rest waiting in arrival order. A gateway with a thousand
 * bundle APIs starts a thousand downloads: without a bound they would open as many connections
 * to the bundle server and as many extraction threads (each a V8 instance of its own).
 */
export class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next task, or give it back.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
