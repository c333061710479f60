// The part of chai's `expect` these tests use. A stand-in until @types/chai is a devDependency;
// then this file goes (its module declaration would clash with the package's).
declare module 'chai' {
  type Constructor = abstract new (...args: never[]) => unknown;

  /** Words that only make the chain read well, and flags that change the next assertion. */
  interface Assertion {
    to: Assertion;
    be: Assertion;
    been: Assertion;
    is: Assertion;
    that: Assertion;
    which: Assertion;
    and: Assertion;
    has: Assertion;
    have: Assertion;
    with: Assertion;
    at: Assertion;
    of: Assertion;
    does: Assertion;
    not: Assertion;
    deep: Assertion;
    own: Assertion;
    ordered: Assertion;
    any: Assertion;
    all: Assertion;

    ok: Assertion;
    true: Assertion;
    false: Assertion;
    null: Assertion;
    undefined: Assertion;
    exist: Assertion;
    empty: Assertion;

    include: Include;
    includes: Include;
    contain: Include;
    contains: Include;
    length: Length;
    lengthOf: Length;

    a(type: string, message?: string): Assertion;
    an(type: string, message?: string): Assertion;
    equal(value: unknown, message?: string): Assertion;
    equals(value: unknown, message?: string): Assertion;
    eql(value: unknown, message?: string): Assertion;
    above(n: number, message?: string): Assertion;
    greaterThan(n: number, message?: string): Assertion;
    below(n: number, message?: string): Assertion;
    lessThan(n: number, message?: string): Assertion;
    least(n: number, message?: string): Assertion;
    most(n: number, message?: string): Assertion;
    within(low: number, high: number, message?: string): Assertion;
    instanceOf(type: Constructor, message?: string): Assertion;
    instanceof(type: Constructor, message?: string): Assertion;
    property(name: string, value?: unknown, message?: string): Assertion;
    match(pattern: RegExp, message?: string): Assertion;
    string(text: string, message?: string): Assertion;
    keys(...keys: string[] | [string[]]): Assertion;
    members(items: readonly unknown[], message?: string): Assertion;
    oneOf(items: readonly unknown[], message?: string): Assertion;
    throw(expected?: string | RegExp | Constructor | Error, message?: string | RegExp): Assertion;
    satisfy(check: (value: never) => boolean, message?: string): Assertion;
  }

  interface Include extends Assertion {
    (value: unknown, message?: string): Assertion;
  }

  interface Length extends Assertion {
    (n: number, message?: string): Assertion;
  }

  export function expect(value: unknown, message?: string): Assertion;
}
