// queueMicrotask and performance.now().
//
// performance.now() is Date.now() relative to the isolate's start, in steps of
// WEB_LIMITS.clockResolutionMs (1 ms, Date.now()'s own). That is deliberate: every API's code shares
// the CPU, caches and the gateway with every other tenant, and a sub-millisecond clock is the
// instrument of cache- and timing-side-channel attacks (why browsers coarsen and jitter theirs).
// A hook can still measure what a hook needs to (milliseconds of a call it makes).
import { WEB_LIMITS } from '../../../src/protocol/web';
import { sendLog } from '../../host';

const now = Date.now;
const resolved = Promise.resolve();
const then = Promise.prototype.then;
const origin = now();

export function queueMicrotask(callback: unknown): void {
  if (typeof callback !== 'function') throw new TypeError('queueMicrotask: the callback must be a function');
  Reflect.apply(then, resolved, [
    () => {
      try {
        (callback as () => void)();
      } catch (error) {
        // HTML "reports the exception": it must not reject anything of the caller's.
        sendLog('error', ['Uncaught (in queueMicrotask)', error]);
      }
    },
  ]);
}

export const performance = Object.freeze({
  timeOrigin: origin,
  now: (): number => Math.floor((now() - origin) / WEB_LIMITS.clockResolutionMs) * WEB_LIMITS.clockResolutionMs,
  toJSON: () => ({ timeOrigin: origin }),
});
