/**
 * The host end of one isolate's timers (sandbox/globals/web/timers.ts). Timers live in the
 * guest; the guest only asks to be entered again after `delay` ms, and the callbacks then run
 * inside that entry, under its ivm timeout like any hook (never in a task of their own, which
 * no timeout would cover). One Node timer per isolate: the earliest asked for.
 */
export class GuestTimerWake {
  private timer: NodeJS.Timeout | null = null;
  private due = Infinity;
  private disposed = false;

  /** `wake` enters the isolate (the dispatcher's wake-up, as for a parked call that settled). */
  constructor(private readonly wake: () => void) {}

  /** The guest's request (an ignored ivm Callback: the guest never waits for it). */
  request(delayMs: unknown): void {
    if (this.disposed) return;
    const delay = Number(delayMs);
    // The guest never asks beyond its hooks' deadline; anything odd is clamped, not trusted.
    const ms = Number.isFinite(delay) ? Math.min(Math.max(0, delay), 60_000) : 0;
    const due = Date.now() + ms;
    if (this.timer && due >= this.due) return;
    if (this.timer) clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.due = Infinity;
      this.wake();
    }, ms);
    this.timer.unref?.();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
