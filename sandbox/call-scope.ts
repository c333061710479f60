// Which hook call the guest is running, and until when it may run: what ties a timer (and any
// other guest resource with a lifetime) to the call that made it. sandbox/batch.ts reports
// calls beginning and ending; code outside any call (a file's top-level code, a timer of it)
// gets a scope of its own with the same budget.
import { boot } from './host';

export interface CallScope {
  /** The call id (src/protocol/isolate.ts batches), -1 outside any call. */
  readonly id: number;
  /** Date.now() after which nothing of this call may run. */
  readonly deadline: number;
  ended: boolean;
}

const now = Date.now;
const budget = (): number => boot.hookTimeoutMs ?? 1000;
const active = new Map<number, CallScope>();
const endListeners: ((scope: CallScope) => void)[] = [];
const entryListeners: (() => void)[] = [];
let current: CallScope | null = null;

/** The scope code running now belongs to. */
export function currentScope(): CallScope {
  if (current === null || current.ended) current = { id: -1, deadline: now() + budget(), ended: false };
  return current;
}

/** Run the code that follows (a timer callback and what it schedules) as part of `scope`. */
export function enterScope(scope: CallScope): void {
  current = scope;
}

export function beginCall(id: number): void {
  const scope: CallScope = { id, deadline: now() + budget(), ended: false };
  active.set(id, scope);
  current = scope;
}

export function endCall(id: number): void {
  const scope = active.get(id);
  if (!scope) return;
  active.delete(id);
  scope.ended = true;
  for (let i = 0; i < endListeners.length; i++) endListeners[i](scope);
}

/** An entry begins (before its calls start): due timers run here, inside the entry's timeout. */
export function beginEntry(): void {
  // Calls interrupted by a timeout never end: their scopes lapse with their deadline.
  const t = now();
  for (const [id, scope] of active) if (scope.deadline < t) endCall(id);
  for (let i = 0; i < entryListeners.length; i++) entryListeners[i]();
}

export function onCallEnd(listener: (scope: CallScope) => void): void {
  endListeners.push(listener);
}

export function onEntry(listener: () => void): void {
  entryListeners.push(listener);
}
