// Finding user code by name. A middleware file is a classic script or an ES module; the name in
// an API definition may be a function declaration or `var` (a global property), a top-level
// `let`/`const`/`class` of a classic script (global lexical scope, not a property), or an export
// of a module. Names are looked up on every call so that reassignment by user code is honoured.

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const hasOwn = Object.prototype.hasOwnProperty;
const modules: Record<string, unknown>[] = [];
const lexicalReaders = new Map<string, () => unknown>();

export function registerModule(namespace: object): void {
  modules.push(namespace as Record<string, unknown>);
}

/**
 * A reader for a global lexical binding. Indirect eval runs in the global scope, so the function
 * it builds sees script-level let/const; it is compiled once per name, not per call.
 */
function lexicalReader(name: string): () => unknown {
  let reader = lexicalReaders.get(name);
  if (!reader) {
    const indirectEval = eval;
    try {
      // try/catch inside: a binding read before its declaration ran (TDZ) throws.
      reader = indirectEval(`(function () { try { return ${name}; } catch (e) { return undefined; } })`) as () => unknown;
    } catch {
      reader = () => undefined; // a reserved word such as "class"
    }
    lexicalReaders.set(name, reader);
  }
  return reader;
}

/**
 * The value user code defines under `name`: global property first, then a global lexical
 * binding, then module exports (a later module wins, as a later script's global would).
 */
export function lookup(name: string): unknown {
  const g = globalThis as Record<string, unknown>;
  if (hasOwn.call(g, name)) return g[name];
  if (IDENTIFIER.test(name)) {
    const value = lexicalReader(name)();
    if (value !== undefined) return value;
  }
  for (let i = modules.length - 1; i >= 0; i--) {
    if (hasOwn.call(modules[i], name)) return modules[i][name];
  }
  return undefined;
}

/** Why `value` found under `name` cannot be called as a hook, or '' if it can. */
export function functionProblem(name: string, value: unknown): string {
  if (typeof value === 'function') return '';
  if (value === undefined) return `hook function "${name}" is not defined in the API's middleware`;
  const type = value === null ? 'null' : typeof value;
  const described = type === 'null' ? type : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
  return `hook "${name}" is ${described}, not a function`;
}

/** The function named `name`; throws an Error naming the hook when there is none. */
export function resolveFunction(name: string): (...args: unknown[]) => unknown {
  const value = lookup(name);
  const problem = functionProblem(name, value);
  if (problem) throw new Error(problem);
  return value as (...args: unknown[]) => unknown;
}
