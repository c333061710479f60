// Built-ins captured while the runtime loads, before any user code exists. Code that enforces a
// limit inside the guest (sandbox/globals/wasm.ts) runs later, in a realm the user's code can
// change: `Math.min`, `Array.prototype.push`, the array iterator behind destructuring and
// spreading, typed-array getters, `Promise.prototype.then` may all have been replaced. Such code
// uses only these captured functions, typed-array element access and plain arithmetic.

const { apply, construct, defineProperty, getOwnPropertyDescriptor, getPrototypeOf } = Reflect;

/** `fn` as a plain function of (receiver, ...args). Rest parameters and Reflect.apply use no iterator. */
function uncurry<A extends unknown[], R>(fn: (...args: A) => R): (self: unknown, ...args: A) => R {
  return (self: unknown, ...args: A) => apply(fn, self, args) as R;
}

function getter(proto: object, name: string): (self: unknown) => unknown {
  const descriptor = getOwnPropertyDescriptor(proto, name);
  const get = descriptor?.get;
  if (!get) throw new Error(`intrinsics: ${name} has no getter`);
  return (self: unknown) => apply(get, self, []);
}

const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype) as object;

// The isolate driver sets V8's --expose-gc (src/coprocess/drivers/isolate/live-isolates.ts), so
// contexts get a `gc()` global. User code must not have it (a full GC on demand); the Wasm budget
// uses it to reclaim the reservations of memories that are already garbage.
// V8 installs it non-configurable, so it is overwritten and frozen rather than deleted.
const g = globalThis as { gc?: () => void };
const collectGarbage = typeof g.gc === 'function' ? g.gc : undefined;
if (collectGarbage) defineProperty(g, 'gc', { value: undefined, writable: false });

export const intrinsics = {
  apply,
  construct,
  defineProperty,
  getOwnPropertyDescriptor,
  ObjectKeys: Object.keys,
  Uint8Array,
  Error,
  TypeError,
  RangeError,
  isView: ArrayBuffer.isView,
  typedArrayBuffer: getter(TypedArrayPrototype, 'buffer') as (self: unknown) => ArrayBufferLike,
  typedArrayByteOffset: getter(TypedArrayPrototype, 'byteOffset') as (self: unknown) => number,
  typedArrayByteLength: getter(TypedArrayPrototype, 'byteLength') as (self: unknown) => number,
  dataViewBuffer: getter(DataView.prototype, 'buffer') as (self: unknown) => ArrayBufferLike,
  dataViewByteOffset: getter(DataView.prototype, 'byteOffset') as (self: unknown) => number,
  dataViewByteLength: getter(DataView.prototype, 'byteLength') as (self: unknown) => number,
  arrayBufferByteLength: getter(ArrayBuffer.prototype, 'byteLength') as (self: unknown) => number,
  sharedArrayBufferByteLength: getter(SharedArrayBuffer.prototype, 'byteLength') as (self: unknown) => number,
  typedArraySet: uncurry(Uint8Array.prototype.set as (array: ArrayLike<number>, offset?: number) => void),
  weakMapGet: uncurry(WeakMap.prototype.get as (key: object) => unknown),
  weakMapSet: uncurry(WeakMap.prototype.set as (key: object, value: unknown) => WeakMap<object, unknown>),
  weakMapHas: uncurry(WeakMap.prototype.has as (key: object) => boolean),
  promiseReject: Promise.reject.bind(Promise) as (reason: unknown) => Promise<never>,
  promiseResolve: Promise.resolve.bind(Promise) as <T>(value: T) => Promise<T>,
  Number,
  Boolean,
  ceil: Math.ceil,
  WeakMap,
  WeakRef,
  Set,
  weakRefDeref: uncurry(WeakRef.prototype.deref as () => object | undefined),
  setAdd: uncurry(Set.prototype.add as (value: unknown) => Set<unknown>),
  setDelete: uncurry(Set.prototype.delete as (value: unknown) => boolean),
  setForEach: uncurry(Set.prototype.forEach as (fn: (value: unknown) => void) => void),
  /** A full garbage collection of this isolate, when V8 exposes one. */
  collectGarbage,
} as const;

/** A fresh private copy of the bytes of an ArrayBuffer, SharedArrayBuffer, typed array or DataView. */
export function copyBufferSource(source: unknown, what: string): Uint8Array {
  const i = intrinsics;
  let buffer: ArrayBufferLike;
  let offset = 0;
  let length: number;
  if (i.isView(source)) {
    try {
      buffer = i.typedArrayBuffer(source);
      offset = i.typedArrayByteOffset(source);
      length = i.typedArrayByteLength(source);
    } catch {
      buffer = i.dataViewBuffer(source);
      offset = i.dataViewByteOffset(source);
      length = i.dataViewByteLength(source);
    }
  } else {
    try {
      length = i.arrayBufferByteLength(source);
    } catch {
      try {
        length = i.sharedArrayBufferByteLength(source);
      } catch {
        throw new i.TypeError(`${what}: Argument 0 must be a buffer source`);
      }
    }
    buffer = source as ArrayBufferLike;
  }
  const copy = new i.Uint8Array(length);
  i.typedArraySet(copy, new i.Uint8Array(buffer, offset, length), 0);
  return copy;
}
