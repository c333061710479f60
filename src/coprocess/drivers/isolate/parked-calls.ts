import type { Call } from './call-queue';

/**
 * While calls are parked, an empty entry this often. isolated-vm runs a task V8 posts for an
 * isolate (a finished WebAssembly compilation, say) only when something enters that isolate:
 * measured, about 1 in 15 such awaits never settled with nothing else arriving (one call per
 * entry as well). The runtime's wake-up (sandbox/batch.ts) covers the others at once.
 */
const POLL_MS = 25;

interface Parked {
  call: Call;
  /** The isolate whose heap holds the call's promise (an IsolateSlot; opaque here). */
  owner: object;
  timer: NodeJS.Timeout;
}

/**
 * Calls that began in the isolate but await a promise nothing in their entry settled
 * (src/protocol/isolate.ts BatchReport). Their result arrives with a later entry's report; isolated-vm's
 * `timeout` only bounds running code, not a wait on a promise, so each keeps a host deadline of its own.
 */
export class ParkedCalls {
  private readonly byId = new Map<number, Parked>();
  private pollTimer: NodeJS.Timeout | null = null;

  /** `enter` (an empty entry) runs every POLL_MS for as long as calls are parked. */
  constructor(private readonly enter: () => void) {}

  get size(): number {
    return this.byId.size;
  }

  /** Park `call`; `expire` runs if it is still parked after `ms`. */
  add(id: number, call: Call, owner: object, ms: number, expire: (call: Call) => void): void {
    const timer = setTimeout(() => {
      this.byId.delete(id);
      expire(call);
    }, Math.max(0, ms));
    this.byId.set(id, { call, owner, timer });
    this.poll();
  }

  /** Re-arm after an entry: one timer at most, none once nothing is parked. */
  poll(): void {
    if (this.pollTimer || this.byId.size === 0) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      if (this.byId.size > 0) this.enter();
    }, POLL_MS);
  }

  stopPolling(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  /** The parked call with this id, no longer parked; undefined if it expired or never parked. */
  take(id: number): Call | undefined {
    const parked = this.byId.get(id);
    if (!parked) return undefined;
    this.byId.delete(id);
    clearTimeout(parked.timer);
    return parked.call;
  }

  /** Remove and return every call parked in `owner` (its isolate is going away). */
  takeAll(owner: object): Call[] {
    const calls: Call[] = [];
    for (const [id, parked] of this.byId) {
      if (parked.owner !== owner) continue;
      this.byId.delete(id);
      clearTimeout(parked.timer);
      calls.push(parked.call);
    }
    return calls;
  }
}
