import { posix } from 'node:path';
import type ivm from 'isolated-vm';
import type { IsolateSource } from './options';
import { MiddlewareSourceError, sourceErrorFrom } from './source-error';
import { withDeadline } from './deadline';

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
    try {
      for (const loaded of this.files.values()) await this.load(loaded);
    } finally {
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
    try {
      await module.instantiate(this.context, (specifier, referrer) => this.resolve(specifier, referrer));
      await withDeadline(module.evaluate({ timeout: this.timeoutMs }), this.timeoutMs, `${filename}: top-level code`);
    } catch (err) {
      if (err instanceof MiddlewareSourceError) throw err;
      throw sourceErrorFrom(err, filename, 'run');
    }
    await this.register(module);
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
    const from = this.byModule.get(referrer)?.source.filename ?? '';
    const target = key(specifier.startsWith('.') ? posix.join(posix.dirname(key(from)), specifier) : specifier);
    const loaded = this.files.get(target);
    if (!loaded) {
      throw new MiddlewareSourceError(`${from}: cannot import "${specifier}": only this API's own middleware files can be imported`, from);
    }
    const module = await this.compile(loaded);
    if (!module) {
      throw new MiddlewareSourceError(`${from}: cannot import "${specifier}": ${loaded.source.filename} is a classic script, not a module`, from);
    }
    return module;
  }

  private async register(module: ivm.Module): Promise<void> {
    if (this.registered.has(module)) return;
    this.registered.add(module);
    await this.registerModule.apply(undefined, [module.namespace.derefInto()], { timeout: this.timeoutMs });
  }

  /** Compiled scripts and modules are not needed once run: exports live on in the runtime. */
  private release(): void {
    for (const loaded of this.files.values()) {
      loaded.script?.release();
      loaded.module?.release();
    }
  }
}
