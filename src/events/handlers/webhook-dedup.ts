/**
 * Remembers recently sent webhooks (by checksum) for their `event_timeout`, in memory. Tyk keeps
 * these in Redis; one gateway process only needs to stop flooding a receiver from itself.
 * Bounded: when full, expired entries go first, then the oldest, so an event storm with ever
 * different bodies cannot grow memory without limit.
 */
export class WebhookDedup {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.expiries.size;
  }

  /** True if the caller may send (and the window starts now); false inside an earlier window. */
  claim(checksum: string, ttlMs: number): boolean {
    const now = this.now();
    const expiresAt = this.expiries.get(checksum);
    if (expiresAt !== undefined && expiresAt > now) return false;
    // Re-insert so Map order approximates age for eviction.
    this.expiries.delete(checksum);
    if (this.expiries.size >= this.maxEntries) this.evict(now);
    this.expiries.set(checksum, now + ttlMs);
    return true;
  }

  /** Gives the window back after a failed send, so the next identical event can try again. */
  release(checksum: string): void {
    this.expiries.delete(checksum);
  }

  clear(): void {
    this.expiries.clear();
  }

  private evict(now: number): void {
    for (const [checksum, expiresAt] of this.expiries) {
      if (expiresAt <= now) this.expiries.delete(checksum);
    }
    for (const checksum of this.expiries.keys()) {
      if (this.expiries.size < this.maxEntries) break;
      this.expiries.delete(checksum);
    }
  }
}
