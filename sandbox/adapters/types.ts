// The seam between the generic runtime (decode, encode, entries, globals) and a calling
// convention. `coprocess` is the native isolate driver; Tyk's JSVM compatibility layer
// (sandbox/jsvm/) registers another adapter that turns the same decoded Object into Tyk's
// PascalCase JSVM objects and back. The host picks the adapter per isolate (BootConfig.adapter).
import type { GuestSource, GuestSourceFailure } from '../../src/protocol/isolate';
import type { DecodedObject } from '../wire/codec';

/** Tyk's DispatchEvent payload (coprocess `Event.payload`, parsed). */
export interface EventPayload {
  message: { Type: string; Meta: unknown; TimeStamp: string; [extra: string]: unknown };
  handler_name: string;
  spec: { APIID: string; OrgID: string; [extra: string]: unknown };
}

/** What an adapter may use from the runtime. */
export interface HookAdapterContext {
  /** User value by name: script globals (incl. top-level let/const), then module exports. */
  lookup(name: string): unknown;
  /** The user function named `name`, or throws an Error naming it. */
  resolveFunction(name: string): (...args: unknown[]) => unknown;
}

/**
 * The Object to send back: a plain object or the decoded message with proto field names
 * (`hook_type`, `hook_name`, `request`, `session`, `metadata`, `spec`, `response`). The runtime
 * normalises it (see wire/normalise.ts) before encoding, so adapters need not coerce types.
 */
export type ObjectLike = Record<string, unknown> | DecodedObject;

export interface HookAdapter {
  /** Called once, when this adapter is selected, before any user code runs (e.g. install globals). */
  install?(context: HookAdapterContext): void;
  /**
   * Run the hook named by `object.hook_name`. Throw BadResultError (sandbox/errors) for a result
   * that cannot be interpreted; anything else thrown counts as the hook's own exception.
   */
  dispatch(object: DecodedObject, context: HookAdapterContext): ObjectLike | Promise<ObjectLike>;
  /** Deliver an event to the handler named by `event.handler_name`. */
  event(event: EventPayload, context: HookAdapterContext): void | Promise<void>;
  /** Why `name` cannot serve as a hook ('' if it can): used to validate uploads. */
  checkHook(name: string, context: HookAdapterContext): string;
  /**
   * For adapters of another language (Lua): compile and run the API's middleware files, and
   * return the first problem. JS adapters leave this out: the host has V8 compile JS files.
   */
  loadSources?(sources: readonly GuestSource[]): GuestSourceFailure | undefined;
  /** Exercise the adapter on sample input while the host builds the runtime's code cache. */
  warmUp?(): void;
}
