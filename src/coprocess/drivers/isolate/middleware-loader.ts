import { posix } from 'node:path';
import ivm from 'isolated-vm';
import { importTarget, missingImport } from './import-specifier';
import type { IsolateSource } from './options';
import { MiddlewareSourceError, sourceErrorFrom } from './source-error';
import { withDeadline } from './deadline';

/**
 * Global the load wrappers call once their module's evaluation, top-level awaits included, is
 * done (see `evaluate`). Present only while files load.
 */
const LOADED_GLOBAL = '__isogateModuleLoaded';
/** The specifier a load wrapper imports its module by (never a file name: those are absolute). */
const WRAPPED = 'isogate:wrapped';

/** Syntax V8 rejects in a classic script but accepts in a module. */
const MODULE_SYNTAX = /\bimport\b|\bexport\b/;

interface Loaded {
  readonly source: IsolateSource;
  script?: ivm.Script;
  module?: ivm.Module;
}

function key(filename: string): string {
  return posix.normalize(filename.replace(/\\/g, '/')).replace(/^(\.\/)+/, '');
}

/**
 * Loads an API's middleware files into one context, in order. Classic scripts share the global
 * scope (Tyk JSVM style); ES modules may import each other by relative path, and their exports
 * are handed to the runtime so that exported functions can be hooks. Only the API's own files
 * can be imported: there is no filesystem or package resolution inside an isolate.
 */
export class MiddlewareLoader {
  private readonly files = new Map<string, Loaded>();
  private readonly byModule = new Map<ivm.Module, Loaded>();
  private readonly registered = new Set<ivm.Module>();
  /** Load wrapper → the module it evaluates. */
  private readonly wrapped = new Map<ivm.Module, ivm.Module>();
  /** Wrapper id → resolve of the wait for it (the wrapper ran: its module finished). */
  private readonly waiting = new Map<number, () => void>();
  private wrappers = 0;

  constructor(
    private readonly isolate: ivm.Isolate,
    private readonly context: ivm.Context,
    sources: readonly IsolateSource[],
    private readonly registerModule: ivm.Reference<(namespace: object) => void>,
    private readonly timeoutMs: number,
    /** Called before each file's top-level code runs (the validation child reports it, see src/containment). */
    private readonly onTopLevel?: (filename: string) => void,
  ) {
    for (const source of sources) {
      if (typeof source?.filename !== 'string' || typeof source.code !== 'string') {
        throw new MiddlewareSourceError('middleware sources must be {filename, code} strings');
      }
      const name = key(source.filename);
      if (this.files.has(name)) throw new MiddlewareSourceError(`${source.filename}: two middleware files have this name`, source.filename);
      this.files.set(name, { source });
    }
  }

  async loadAll(): Promise<void> {
    const loadedCallback = new ivm.Callback((id: unknown) => this.waiting.get(Number(id))?.(), { ignored: true });
    try {
      await this.context.global.set(LOADED_GLOBAL, loadedCallback);
      for (const loaded of this.files.values()) await this.load(loaded);
    } finally {
      await this.context.global.delete(LOADED_GLOBAL).catch(() => undefined);
      this.release();
    }
  }

  private async load(loaded: Loaded): Promise<void> {
    const { filename } = loaded.source;
    const module = await this.compile(loaded);
    this.onTopLevel?.(filename);
    if (!module) {
      try {
        await withDeadline(loaded.script!.run(this.context, { timeout: this.timeoutMs }), this.timeoutMs, `${filename}: top-level code`);
      } catch (err) {
        throw sourceErrorFrom(err, filename, 'run');
      }
      return;
    }
    let namespace: ivm.Reference;
    try {
      await module.instantiate(this.context, (specifier, referrer) => this.resolve(specifier, referrer));
      namespace = await this.evaluate(module, filename);
    } catch (err) {
      if (err instanceof MiddlewareSourceError) throw err;
      throw sourceErrorFrom(err, filename, 'run');
    }
    try {
      await this.register(module, namespace);
    } finally {
      namespace.release();
    }
  }

  /**
   * Run a module's top-level code, top-level `await`s included, within the startup budget.
   * ivm's evaluate returns once the code is suspended on an await that microtasks cannot settle
   * (a host call still in flight, a timer), without saying so. So a small wrapper module that
   * imports it is evaluated instead: V8 runs the wrapper's body only after the module (and its
   * imports) finished, and the body tells the host. No word within the budget: a load error
   * naming the file; a rejection that happens during the call is thrown by evaluate itself.
   */
  private async evaluate(module: ivm.Module, filename: string): Promise<ivm.Reference> {
    const started = Date.now();
    const id = ++this.wrappers;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    this.waiting.set(id, done);
    // It also hands out the module's namespace: ivm gives `namespace` only for a module it
    // evaluated itself, and a module imported by another file was evaluated by V8 as a dependency.
    const wrapper = await this.isolate.compileModule(`import * as ns from ${JSON.stringify(WRAPPED)};\nexport { ns };\nglobalThis.${LOADED_GLOBAL}(${id});\n`, { filename: `${filename} (load)` });
    this.wrapped.set(wrapper, module);
    try {
      await wrapper.instantiate(this.context, (specifier, referrer) => this.resolve(specifier, referrer));
      await withDeadline(wrapper.evaluate({ timeout: this.timeoutMs }), this.timeoutMs, `${filename}: top-level code`);
      const left = this.timeoutMs - (Date.now() - started);
      await withDeadline(finished, Math.max(1, left), 'wait').catch(() => {
        throw new MiddlewareSourceError(`${filename}: failed while loading: its top-level await did not finish within the startup budget of ${this.timeoutMs} ms (or rejected later)`, filename);
      });
      return await wrapper.namespace.get('ns', { reference: true });
    } finally {
      this.waiting.delete(id);
      this.wrapped.delete(wrapper);
      wrapper.release();
    }
  }

  /** Compile a file once; returns its Module, or undefined for a classic script. */
  private async compile(loaded: Loaded): Promise<ivm.Module | undefined> {
    if (loaded.module) return loaded.module;
    if (loaded.script) return undefined;
    const { filename, code } = loaded.source;
    const asModule = async (): Promise<ivm.Module> => {
      const module = await this.isolate.compileModule(code, { filename });
      loaded.module = module;
      this.byModule.set(module, loaded);
      return module;
    };
    if (filename.endsWith('.mjs')) {
      try {
        return await asModule();
      } catch (err) {
        throw sourceErrorFrom(err, filename, 'compile');
      }
    }
    try {
      loaded.script = await this.isolate.compileScript(code, { filename });
      return undefined;
    } catch (scriptError) {
      // `import`/`export` in a .js file: the author meant an ES module.
      if ((scriptError as Error)?.name === 'SyntaxError' && MODULE_SYNTAX.test(code)) {
        try {
          return await asModule();
        } catch (moduleError) {
          throw sourceErrorFrom(moduleError, filename, 'compile');
        }
      }
      throw sourceErrorFrom(scriptError, filename, 'compile');
    }
  }

  private async resolve(specifier: string, referrer: ivm.Module): Promise<ivm.Module> {
    const wrapped = this.wrapped.get(referrer);
    if (wrapped && specifier === WRAPPED) return wrapped;
    const source = this.byModule.get(referrer)?.source;
    const from = source?.filename ?? '';
    const code = source?.code ?? '';
    const target = importTarget(from, code, specifier, key);
    const loaded = this.files.get(target);
    if (!loaded) throw missingImport(from, code, specifier, `${target} is not one of this API's middleware files`);
    const module = await this.compile(loaded);
    if (!module) throw missingImport(from, code, specifier, `${loaded.source.filename} is a classic script, not a module`);
    return module;
  }

  private async register(module: ivm.Module, namespace: ivm.Reference): Promise<void> {
    if (this.registered.has(module)) return;
    this.registered.add(module);
    await this.registerModule.apply(undefined, [namespace.derefInto()], { timeout: this.timeoutMs });
  }

  /** Compiled scripts and modules are not needed once run: exports live on in the runtime. */
  private release(): void {
    for (const loaded of this.files.values()) {
      loaded.script?.release();
      loaded.module?.release();
    }
  }
}
