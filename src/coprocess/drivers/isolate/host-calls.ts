import ivm from 'isolated-vm';

/** What a host function learns about the guest call it serves. */
export interface HostCallContext {
  /**
   * Aborts when the guest call that asked (a hook, an event, top-level code) reaches its time
   * budget. ivm's `timeout` does not run while the guest is blocked on the host, so a host
   * function must honour this signal itself.
   */
  readonly signal: AbortSignal;
}

/**
 * A function the guest calls synchronously (sandbox/host.ts `callHost`) while the host does the
 * work asynchronously: the guest thread blocks in `applySyncPromise`, the Node event loop does
 * not. Arguments arrive copied (JSON-like values); the result must be a primitive (a string,
 * typically JSON text): `applySyncPromise` copies nothing else back. A rejection is thrown in
 * the guest as an Error with the same message.
 */
export type HostFunction = (args: unknown[], call: HostCallContext) => unknown;

export type HostFunctions = Readonly<Record<string, HostFunction>>;

/**
 * The host end of one isolate's synchronous host calls: a single ivm Reference the guest
 * invokes as `(name, args)`. One per isolate, because the time budget is per isolate: the
 * slot calls `begin` before every entry call (the queue runs one call at a time).
 */
export class HostCalls {
  readonly reference: ivm.Reference<(name: unknown, args: unknown) => Promise<unknown>>;
  /**
   * The same table for asynchronous calls (sandbox/host.ts `callHostAsync`): the guest gets a
   * promise and goes on running (other calls of its batch, other awaits); the answer, copied in,
   * may be any structured-clonable value (objects, Uint8Arrays). Used by `fetch`.
   */
  readonly asyncReference: ivm.Reference<(name: unknown, args: unknown) => Promise<unknown>>;
  private deadline = 0;

  constructor(functions: HostFunctions) {
    const table = new Map(Object.entries(functions));
    // Captures the table and this object only: never the slot or the dispatcher.
    this.reference = new ivm.Reference((name: unknown, args: unknown) => this.invoke(table, name, args, false));
    this.asyncReference = new ivm.Reference((name: unknown, args: unknown) => this.invoke(table, name, args, true));
  }

  /** Start the budget of the next guest call. */
  begin(timeoutMs: number): void {
    this.deadline = Date.now() + timeoutMs;
  }

  release(): void {
    for (const ref of [this.reference, this.asyncReference]) {
      try {
        ref.release();
      } catch {
        // already released with its isolate
      }
    }
  }

  private async invoke(table: Map<string, HostFunction>, name: unknown, args: unknown, objects: boolean): Promise<unknown> {
    const fn = table.get(String(name));
    if (!fn) throw new Error(`host function "${String(name)}" does not exist`);
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) throw new Error(`host function "${String(name)}": the call's time budget is used up`);
    const result = await fn(Array.isArray(args) ? args : [], { signal: AbortSignal.timeout(remaining) });
    if (!objects && result !== null && result !== undefined && typeof result === 'object') throw new Error(`host function "${String(name)}" returned an object; return JSON text`);
    return result;
  }
}
