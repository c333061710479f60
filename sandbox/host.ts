// The host's bindings, taken off the global object before any user code exists. They are ivm
// Callbacks: reaching one would be a path back into the host process (isolated-vm README,
// Security), so they live only in this module's closure.
import { BOOT_GLOBALS, type BootConfig, type GuestLogLevel } from '../src/protocol/isolate';
import { formatLogArgs, stringifyOrString } from './globals/format';
import { createOutputBudget } from './globals/output-budget';

type HostLog = (level: GuestLogLevel, message: string) => void;
type HostEmit = (name: string, payload: string) => void;
type HostWake = () => void;
type HostTimer = (delayMs: number) => void;
/** The ivm Reference to the host's call table (see src/coprocess/drivers/isolate/host-calls.ts). */
interface HostCallRef {
  applySyncPromise(receiver: undefined, args: [string, unknown[]], options: { arguments: { copy: true } }): unknown;
}

function take<T>(name: string): T | undefined {
  const g = globalThis as Record<string, unknown>;
  const value = g[name] as T | undefined;
  delete g[name];
  return value;
}

const hostLog = take<HostLog>(BOOT_GLOBALS.log);
const hostEmit = take<HostEmit>(BOOT_GLOBALS.emit);
const bootConfig = take<BootConfig>(BOOT_GLOBALS.config);
const hostCall = take<HostCallRef>(BOOT_GLOBALS.call);
const hostWake = take<HostWake>(BOOT_GLOBALS.wake);
const meter = take<SharedArrayBuffer>(BOOT_GLOBALS.meter);
const clock = take<SharedArrayBuffer>(BOOT_GLOBALS.clock);
const hostTimer = take<HostTimer>(BOOT_GLOBALS.timer);

/** What the host chose for this isolate (defaults: the gateway's, for a host that sends none). */
export const boot: BootConfig = {
  adapter: bootConfig?.adapter ?? 'coprocess',
  startWindowMs: bootConfig?.startWindowMs ?? 10,
  wasmBudgetBytes: bootConfig?.wasmBudgetBytes,
  logLinesPerS: bootConfig?.logLinesPerS ?? 1000,
  eventsPerS: bootConfig?.eventsPerS ?? 10000,
  hookTimeoutMs: bootConfig?.hookTimeoutMs ?? 1000,
};

const budget = createOutputBudget(meter, clock, boot.logLinesPerS, boot.eventsPerS);

/**
 * Send a log line to the host logger (fire-and-forget: the guest never waits on the host).
 * Over the API's budget the line is only counted: it is not even formatted.
 */
export function sendLog(level: GuestLogLevel, args: readonly unknown[]): void {
  if (hostLog && budget.log()) hostLog(level, formatLogArgs(args));
}

/** Fire a gateway event (fire-and-forget), within the API's event budget. */
export function sendEvent(name: unknown, payload: unknown): void {
  if (!hostEmit || !budget.event()) return;
  const text = typeof payload === 'string' ? payload : payload === undefined ? '' : stringifyOrString(payload);
  hostEmit(String(name), text);
}

/** Ask the host for an entry, to collect results that settled outside one (sandbox/batch.ts). */
export function sendWake(): void {
  if (hostWake) hostWake();
}

/** Ask the host to enter this isolate again in `delayMs` (the earliest timer; sandbox/globals/web/timers.ts). */
export function sendTimerWake(delayMs: number): void {
  if (hostTimer) hostTimer(delayMs);
}

/**
 * Call a host function synchronously: this isolate's thread waits while the host works
 * asynchronously (hooks are entered with an async apply, so the guest is never on Node's main
 * thread). Arguments are copied; the result must be a primitive (ivm offers no `result` copy
 * option here: anything else would arrive as a Reference). A host failure is thrown here.
 */
export function callHost(name: string, args: unknown[]): unknown {
  if (!hostCall) throw new Error(`host function "${name}" is not available in this isolate`);
  return hostCall.applySyncPromise(undefined, [name, args], { arguments: { copy: true } });
}
