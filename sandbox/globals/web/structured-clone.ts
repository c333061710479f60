// structuredClone for the isolate (V8 exposes its serializer to embedders only). It follows
// HTML's StructuredSerialize for the types a hook can meet: primitives, wrappers, Date, RegExp,
// ArrayBuffer and views, Map, Set, Error, arrays and plain objects, keeping shared and cyclic
// references. Class instances arrive as plain objects (as in browsers); functions, symbols,
// promises, weak collections and the like are refused with DataCloneError, as browsers do.
// `transfer` is not supported.
import { domError } from './dom-exception';

type Cloner = (value: object, memory: Map<object, unknown>) => unknown;

const toStringTag = (value: object): string => Object.prototype.toString.call(value).slice(8, -1);
const ERRORS: Readonly<Record<string, ErrorConstructor>> = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
const VIEWS: Readonly<Record<string, new (buffer: ArrayBuffer, offset: number, length: number) => ArrayBufferView>> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

function cloneValue(value: unknown, memory: Map<object, unknown>): unknown {
  if (typeof value === 'function') throw domError('DataCloneError', `structuredClone: ${String((value as { name?: string }).name || 'function')} could not be cloned`);
  if (typeof value === 'symbol') throw domError('DataCloneError', 'structuredClone: a Symbol could not be cloned');
  if (typeof value !== 'object' || value === null) return value;
  const seen = memory.get(value);
  if (seen !== undefined) return seen;
  return cloneObject(value, memory);
}

function copyProperties(from: object, to: Record<string, unknown>, memory: Map<object, unknown>): void {
  for (const key of Object.keys(from)) to[key] = cloneValue((from as Record<string, unknown>)[key], memory);
}

const cloners: Readonly<Record<string, Cloner>> = {
  Boolean: (v, m) => remember(v, m, Object(Boolean.prototype.valueOf.call(v))),
  Number: (v, m) => remember(v, m, Object(Number.prototype.valueOf.call(v))),
  String: (v, m) => remember(v, m, Object(String.prototype.valueOf.call(v))),
  BigInt: (v, m) => remember(v, m, Object(BigInt.prototype.valueOf.call(v))),
  Date: (v, m) => remember(v, m, new Date(Date.prototype.getTime.call(v))),
  RegExp: (v, m) => remember(v, m, new RegExp((v as RegExp).source, (v as RegExp).flags)),
  ArrayBuffer: (v, m) => remember(v, m, ArrayBuffer.prototype.slice.call(v, 0)),
  DataView: (v, m) => {
    const view = v as DataView;
    const buffer = cloneValue(view.buffer, m) as ArrayBuffer;
    return remember(v, m, new DataView(buffer, view.byteOffset, view.byteLength));
  },
  Map: (v, m) => {
    const out = remember(v, m, new Map());
    for (const [key, item] of Array.from(Map.prototype.entries.call(v) as IterableIterator<[unknown, unknown]>)) out.set(cloneValue(key, m), cloneValue(item, m));
    return out;
  },
  Set: (v, m) => {
    const out = remember(v, m, new Set());
    for (const item of Array.from(Set.prototype.values.call(v) as IterableIterator<unknown>)) out.add(cloneValue(item, m));
    return out;
  },
  Array: (v, m) => {
    const source = v as unknown[];
    const out = remember(v, m, new Array(source.length)) as unknown[];
    copyProperties(source, out as unknown as Record<string, unknown>, m);
    return out;
  },
  Error: (v, m) => {
    const source = v as Error;
    const name = String(source.name);
    const Ctor = Object.prototype.hasOwnProperty.call(ERRORS, name) ? ERRORS[name] : Error;
    const out = remember(v, m, new Ctor(String(source.message)));
    if (source.stack !== undefined) out.stack = String(source.stack);
    if ('cause' in source) (out as { cause?: unknown }).cause = cloneValue(source.cause, m);
    return out;
  },
  Object: (v, m) => {
    const out = remember(v, m, {} as Record<string, unknown>);
    copyProperties(v, out, m);
    return out;
  },
};

function remember<T>(from: object, memory: Map<object, unknown>, to: T): T {
  memory.set(from, to);
  return to;
}

function cloneObject(value: object, memory: Map<object, unknown>): unknown {
  const tag = toStringTag(value);
  if (ArrayBuffer.isView(value) && tag !== 'DataView') {
    const Ctor = VIEWS[tag];
    if (!Ctor) throw domError('DataCloneError', `structuredClone: ${tag} could not be cloned`);
    const view = value as ArrayBufferView & { length: number };
    const buffer = cloneValue(view.buffer, memory) as ArrayBuffer;
    return remember(value, memory, new Ctor(buffer, view.byteOffset, view.length));
  }
  if (tag === 'SharedArrayBuffer') throw domError('DataCloneError', 'structuredClone: a SharedArrayBuffer could not be cloned');
  const cloner = Object.prototype.hasOwnProperty.call(cloners, tag) ? cloners[tag] : undefined;
  // Promises, WeakMaps, proxies of functions, generators, ...: not serializable.
  if (!cloner || (tag === 'Object' && typeof value === 'function')) throw domError('DataCloneError', `structuredClone: #<${tag}> could not be cloned`);
  return cloner(value, memory);
}

export function structuredClone(value: unknown, options?: { transfer?: unknown[] }): unknown {
  if (options?.transfer && options.transfer.length > 0) throw domError('DataCloneError', 'structuredClone: transfer is not supported in isogate isolates');
  return cloneValue(value, new Map());
}
