/**
 * A token bucket: `perSecond` tokens, a burst of one second's worth, refilled continuously.
 * Counts what it refused so the gateway can say how much a plugin lost.
 */
export class Budget {
  private tokens: number;
  private at: number;
  dropped = 0;

  constructor(
    readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perSecond;
    this.at = now();
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.at) * this.perSecond) / 1000);
    this.at = now;
  }

  /** Take `cost` tokens if there are that many; false (and counted as dropped) otherwise. */
  take(cost = 1): boolean {
    this.refill();
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return true;
    }
    this.dropped++;
    return false;
  }

  /** Take `cost` tokens even into debt; returns how many ms until the bucket is positive again. */
  charge(cost: number): number {
    this.refill();
    this.tokens -= cost;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.perSecond);
  }
}
