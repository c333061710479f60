// setTimeout / clearTimeout / setInterval / clearInterval, bounded by the hook call that set
// them (sandbox/call-scope.ts): a timer never fires after its call ended, or later than
// hook_timeout_ms after the call began; a timer set beyond that is simply never run (the call then
// ends at its deadline, as any call awaiting a promise nothing settles). Callbacks run at the
// start of an entry (the host enters the isolate when the earliest one is due,
// src/coprocess/drivers/isolate/guest-timer.ts), so they run under the entry's ivm timeout like
// the hooks themselves. At most WEB_LIMITS.timersPerIsolate are pending at once.
import { WEB_LIMITS } from '../../../src/protocol/web';
import { currentScope, enterScope, onCallEnd, onEntry, type CallScope } from '../../call-scope';
import { sendLog, sendTimerWake } from '../../host';

interface Timer {
  id: number;
  due: number;
  callback: unknown;
  args: unknown[];
  scope: CallScope;
  /** Repeat period for setInterval, else -1. */
  every: number;
}

const now = Date.now;
const apply = Reflect.apply;
const timers = new Map<number, Timer>();
let nextId = 1;
/** When the host was last asked to enter (Infinity: no request outstanding). */
let requested = Infinity;

const fireable = (t: Timer): boolean => !t.scope.ended && t.due <= t.scope.deadline;

function askHost(): void {
  let earliest = Infinity;
  for (const t of timers.values()) if (fireable(t) && t.due < earliest) earliest = t.due;
  const t = now();
  if (earliest === Infinity || (earliest >= requested && requested > t)) return;
  requested = earliest;
  sendTimerWake(Math.max(0, earliest - t));
}

function sweep(): void {
  const t = now();
  for (const [id, timer] of timers) if (timer.scope.ended || timer.scope.deadline < t) timers.delete(id);
}

function add(callback: unknown, delay: unknown, args: unknown[], repeat: boolean): number {
  if (timers.size >= WEB_LIMITS.timersPerIsolate) sweep();
  if (timers.size >= WEB_LIMITS.timersPerIsolate) {
    throw new RangeError(`${repeat ? 'setInterval' : 'setTimeout'}: this isolate already has ${WEB_LIMITS.timersPerIsolate} pending timers`);
  }
  // A string callback would be eval: refused, as in strict hosts (Deno does the same).
  if (typeof callback !== 'function') throw new TypeError(`${repeat ? 'setInterval' : 'setTimeout'}: the callback must be a function`);
  let ms = Number(delay);
  if (!(ms >= 0)) ms = 0;
  const id = nextId++;
  timers.set(id, { id, due: now() + ms, callback, args, scope: currentScope(), every: repeat ? Math.max(ms, 1) : -1 });
  askHost();
  return id;
}

function clear(id: unknown): void {
  timers.delete(Number(id));
}

function runDue(): void {
  if (timers.size === 0) return;
  const t = now();
  requested = Infinity;
  const due: Timer[] = [];
  for (const timer of timers.values()) if (timer.due <= t) due.push(timer);
  due.sort((a, b) => a.due - b.due || a.id - b.id);
  for (const timer of due) {
    if (timers.get(timer.id) !== timer) continue; // cleared by an earlier callback
    if (!fireable(timer) || timer.scope.deadline < t) {
      timers.delete(timer.id);
      continue;
    }
    if (timer.every >= 0) timer.due = t + timer.every;
    else timers.delete(timer.id);
    enterScope(timer.scope);
    try {
      apply(timer.callback as (...args: unknown[]) => unknown, undefined, timer.args);
    } catch (error) {
      sendLog('error', ['Uncaught (in timer)', error]);
    }
  }
  sweep();
  askHost();
}

onEntry(runDue);
onCallEnd((scope) => {
  for (const [id, timer] of timers) if (timer.scope === scope) timers.delete(id);
});

export const setTimeout = (callback: unknown, delay?: unknown, ...args: unknown[]): number => add(callback, delay, args, false);
export const setInterval = (callback: unknown, delay?: unknown, ...args: unknown[]): number => add(callback, delay, args, true);
export const clearTimeout = (id?: unknown): void => clear(id);
export const clearInterval = (id?: unknown): void => clear(id);

/** Pending timers (for tests through a hook). */
export const pendingTimers = (): number => timers.size;
