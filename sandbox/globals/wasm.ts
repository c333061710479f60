// WebAssembly inside an API's isolate (`allow_wasm`, off by default).
//
// Off: the `WebAssembly` global is deleted before any user code runs. It is V8's only way in:
// every Wasm object (Module, Instance, Memory, Table, …) is made through that namespace, the
// runtime keeps no reference to it, guests cannot make a new realm (no ShadowRealm, no
// contexts), and `%`-intrinsics need --allow-natives-syntax, which the gateway never sets.
//
// On: V8 allocates Wasm memory outside isolated-vm's accounting (see wasm-binary.ts), so the
// memories are budgeted here. Every memory reserves its *maximum* size against the API's budget
// (memory_limit_mb): a memory without a maximum is given the rest of the budget as its maximum,
// a module's own memories are capped in its bytes before V8 compiles them, and a memory or
// instance that would take the total past the budget is refused with a RangeError. Reserving the
// maximum is what makes `memory.grow` from inside Wasm safe: it needs no JavaScript, and V8
// refuses it past the maximum (it returns -1). A reservation is returned once the garbage
// collector has freed every object that can keep its memory alive (the Memory, or the Instance
// and the memories it exports); when the budget looks full, garbage is collected first.
//
// Module, Instance, Memory, compile and instantiate are replaced by wrappers; the originals stay
// in this closure, and the prototypes' `constructor` points at the wrappers, so no guest can
// reach an unbudgeted constructor. compileStreaming/instantiateStreaming are removed.
import { copyBufferSource, intrinsics as i } from './intrinsics';
import { type CappedModule, capModuleMemories, WASM_PAGE, WasmBudgetError, WasmParseError } from './wasm-binary';

type Ctor = (new (...args: unknown[]) => object) & { prototype: object };
interface WasmNamespace {
  Module: Ctor & Record<string, unknown>;
  Instance: Ctor;
  Memory: Ctor;
  CompileError: new (message: string) => Error;
  [name: string]: unknown;
}

/** One reservation; returned once every object that can keep its memory alive is garbage. */
interface Reservation {
  pages: number;
  memories: number;
  pending: number;
}

/** What a module's instances allocate: the memories it defines and their capped maxima. */
interface ModuleMemories {
  pages: number;
  memories: number;
}

/**
 * Live Wasm memories per isolate. Each one also reserves about 10 GiB of *virtual* address
 * space (V8's guard regions), whatever its size, and the process has ~128 TiB for all isolates:
 * without a count, one API could exhaust it and every other API's Wasm would fail to allocate.
 */
const MAX_LIVE_MEMORIES = 8;

/** A weak reference to one object keeping a reservation. */
interface Hold {
  ref: WeakRef<object>;
  reservation: Reservation;
}

export function installWasmPolicy(budgetBytes: number | undefined): void {
  const g = globalThis as Record<string, unknown>;
  if (budgetBytes === undefined) {
    delete g.WebAssembly;
    return;
  }
  const WA = g.WebAssembly as WasmNamespace | undefined;
  if (!WA) return;
  const budgetPages = Math.floor(budgetBytes / WASM_PAGE);
  const Orig = { Module: WA.Module, Instance: WA.Instance, Memory: WA.Memory };
  const CompileError = WA.CompileError;
  const memoryBuffer = i.getOwnPropertyDescriptor(Orig.Memory.prototype, 'buffer')!.get!;
  const instanceExports = i.getOwnPropertyDescriptor(Orig.Instance.prototype, 'exports')!.get!;
  /** Module → the memories it defines. Only modules made here are in it. */
  const modulePages = new i.WeakMap<object, ModuleMemories>();
  let reservedPages = 0;
  let liveMemories = 0;

  const holds = new i.Set<Hold>();

  function hold(reservation: Reservation, target: object): void {
    reservation.pending++;
    i.setAdd(holds, { ref: new i.WeakRef(target), reservation });
  }

  /** Return the reservations whose objects the garbage collector has freed. */
  function sweep(): void {
    i.setForEach(holds, (value) => {
      const h = value as Hold;
      if (i.weakRefDeref(h.ref) !== undefined) return;
      i.setDelete(holds, h);
      if (--h.reservation.pending === 0) release(h.reservation);
    });
  }

  function fits(pages: number, memories: number): boolean {
    return pages <= budgetPages - reservedPages && memories <= MAX_LIVE_MEMORIES - liveMemories;
  }

  /**
   * Room for `pages` and `memories` more: garbage memories are reclaimed first (a full GC if V8 exposes one,
   * then a sweep), so a plugin that instantiates per call keeps working. The GC comes before
   * the sweep because deref() keeps a live target alive until the current job ends.
   */
  function hasRoom(pages: number, memories: number): boolean {
    if (fits(pages, memories)) return true;
    i.collectGarbage?.();
    sweep();
    return fits(pages, memories);
  }

  function reserve(need: ModuleMemories, what: string): Reservation {
    if (!hasRoom(need.pages, need.memories)) {
      if (need.memories > MAX_LIVE_MEMORIES - liveMemories) {
        throw new i.RangeError(`${what}: an API may have at most ${MAX_LIVE_MEMORIES} live WebAssembly memories`);
      }
      throw new i.RangeError(
        `${what}: ${need.pages} pages (${need.pages * 64} KiB) of Wasm memory would exceed this API's budget of ${budgetPages} pages (memory_limit_mb); ${reservedPages} pages are reserved by live memories`,
      );
    }
    reservedPages += need.pages;
    liveMemories += need.memories;
    return { pages: need.pages, memories: need.memories, pending: 0 };
  }

  function release(reservation: Reservation): void {
    reservedPages -= reservation.pages;
    liveMemories -= reservation.memories;
  }

  function isMemory(value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    try {
      i.apply(memoryBuffer, value, []);
      return true;
    } catch {
      return false;
    }
  }

  /** Keep `reservation` until the instance and every memory it exports are garbage. */
  function holdForInstance(reservation: Reservation, instance: object): void {
    if (reservation.memories === 0) return;
    const exports = i.apply(instanceExports, instance, []) as Record<string, unknown>;
    const names = i.ObjectKeys(exports);
    hold(reservation, instance);
    for (let n = 0; n < names.length; n++) {
      const value = exports[names[n]!];
      if (isMemory(value)) hold(reservation, value as object);
    }
  }

  function cap(bytes: unknown, what: string): CappedModule {
    const copy = copyBufferSource(bytes, what);
    try {
      return capModuleMemories(copy, i.typedArrayByteLength(copy), budgetPages);
    } catch (err) {
      if (err instanceof WasmParseError) throw new CompileError(`${what}: ${err.message}`);
      if (err instanceof WasmBudgetError) throw new i.RangeError(`${what}: ${err.message}`);
      throw err;
    }
  }

  function memoriesOf(module: unknown, what: string): ModuleMemories {
    if (typeof module !== 'object' || module === null || !i.weakMapHas(modulePages, module)) {
      throw new i.TypeError(`${what}: Argument 0 must be a WebAssembly.Module`);
    }
    return i.weakMapGet(modulePages, module) as ModuleMemories;
  }

  function requireNew(target: unknown, what: string): void {
    if (target === undefined) throw new i.TypeError(`${what} must be invoked with 'new'`);
  }

  const Module = function Module(this: unknown, bytes: unknown): object {
    requireNew(new.target, 'WebAssembly.Module');
    const capped = cap(bytes, 'WebAssembly.Module()');
    const module = i.construct(Orig.Module, [capped.bytes], new.target) as object;
    i.weakMapSet(modulePages, module, { pages: capped.memoryPages, memories: capped.memories });
    return module;
  };

  const Instance = function Instance(this: unknown, module: unknown, imports?: unknown): object {
    requireNew(new.target, 'WebAssembly.Instance');
    const reservation = reserve(memoriesOf(module, 'WebAssembly.Instance()'), 'WebAssembly.Instance()');
    let instance: object;
    try {
      instance = i.construct(Orig.Instance, [module, imports], new.target) as object;
    } catch (err) {
      release(reservation);
      throw err;
    }
    holdForInstance(reservation, instance);
    return instance;
  };

  const Memory = function Memory(this: unknown, descriptor: unknown): object {
    requireNew(new.target, 'WebAssembly.Memory');
    if (typeof descriptor !== 'object' || descriptor === null) throw new i.TypeError('WebAssembly.Memory(): Argument 0 must be a memory descriptor');
    // Each property is read once (a getter could answer differently the second time); the
    // original gets a fresh descriptor of plain values, with no prototype to inherit keys from.
    const d = descriptor as { initial?: unknown; maximum?: unknown; shared?: unknown };
    const initial = i.Number(d.initial);
    const rawMax = d.maximum;
    const requestedMax = rawMax === undefined ? undefined : i.Number(rawMax);
    const shared = i.Boolean(d.shared);
    // A memory without a maximum takes the rest of the budget: reclaim garbage first.
    hasRoom(requestedMax === undefined || !(requestedMax <= budgetPages) ? budgetPages : requestedMax, 1);
    const available = budgetPages - reservedPages;
    const maximum = requestedMax === undefined || requestedMax > available ? available : requestedMax;
    const plain = { __proto__: null, initial, maximum, shared };
    const validInitial = initial >= 0;
    if (validInitial && initial > available && (requestedMax === undefined || requestedMax >= initial)) {
      throw new i.RangeError(
        `WebAssembly.Memory(): ${initial} pages (${initial * 64} KiB) would exceed this API's Wasm budget of ${budgetPages} pages (memory_limit_mb); ${reservedPages} pages are reserved by live memories`,
      );
    }
    if (!validInitial || !(maximum >= initial)) {
      // An invalid descriptor: the original throws V8's own error for it.
      i.construct(Orig.Memory, [plain], new.target);
      throw new i.TypeError('WebAssembly.Memory(): invalid memory descriptor');
    }
    const reservation = reserve({ pages: i.ceil(maximum), memories: 1 }, 'WebAssembly.Memory()');
    let memory: object;
    try {
      memory = i.construct(Orig.Memory, [plain], new.target) as object;
    } catch (err) {
      release(reservation);
      throw err;
    }
    hold(reservation, memory);
    return memory;
  };

  // The async forms compile and instantiate synchronously (on the isolate's thread, never the
  // host's): V8's asynchronous paths resolve promises with Module objects, and resolution looks
  // up `then`, which user code can define on Object.prototype to swap the module under us.
  // Everything is registered before any promise exists.
  function compile(bytes: unknown): Promise<unknown> {
    try {
      return i.promiseResolve(i.construct(Module, [bytes]));
    } catch (err) {
      return i.promiseReject(err);
    }
  }

  function instantiate(source: unknown, imports?: unknown): Promise<unknown> {
    try {
      if (typeof source === 'object' && source !== null && i.weakMapHas(modulePages, source)) {
        return i.promiseResolve(i.construct(Instance, [source, imports]));
      }
      const module = i.construct(Module, [source]);
      return i.promiseResolve({ module, instance: i.construct(Instance, [module, imports]) });
    } catch (err) {
      return i.promiseReject(err);
    }
  }

  const replace = (name: string, fn: unknown, original?: Ctor): void => {
    if (original) {
      i.defineProperty(fn as object, 'prototype', { value: original.prototype, writable: false, enumerable: false, configurable: false });
      i.defineProperty(original.prototype, 'constructor', { value: fn, writable: true, enumerable: false, configurable: true });
    }
    i.defineProperty(WA, name, { value: fn, writable: true, enumerable: false, configurable: true });
  };
  for (const name of ['exports', 'imports', 'customSections']) (Module as unknown as Record<string, unknown>)[name] = Orig.Module[name];
  replace('Module', Module, Orig.Module);
  replace('Instance', Instance, Orig.Instance);
  replace('Memory', Memory, Orig.Memory);
  replace('compile', compile);
  replace('instantiate', instantiate);
  delete WA.compileStreaming;
  delete WA.instantiateStreaming;
}
