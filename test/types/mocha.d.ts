// The part of mocha's BDD interface these tests use. A stand-in until @types/mocha is a
// devDependency; then this file goes (its declarations would clash with the package's).
declare namespace Mocha {
  type Done = (err?: unknown) => void;
  interface Runnable {
    timeout(ms: number): this;
    slow(ms: number): this;
  }
  /** `this` in a hook or test: skip() ends it as pending. */
  interface Context extends Runnable {
    skip(): never;
    /** In an afterEach hook: the test that just ran. */
    currentTest?: { title: string; state?: 'passed' | 'failed' | 'pending' };
  }
  /** `this` in a describe() body. */
  interface Suite extends Runnable {
    title: string;
  }
  type Func = (this: Context, done: Done) => void;
  type AsyncFunc = (this: Context) => PromiseLike<unknown> | void;
}

declare function describe(title: string, fn: (this: Mocha.Suite) => void): Mocha.Suite;
declare function it(title: string, fn: Mocha.Func): void;
declare function it(title: string, fn: Mocha.AsyncFunc): void;
declare function before(fn: Mocha.Func): void;
declare function before(fn: Mocha.AsyncFunc): void;
declare function after(fn: Mocha.Func): void;
declare function after(fn: Mocha.AsyncFunc): void;
declare function beforeEach(fn: Mocha.Func): void;
declare function beforeEach(fn: Mocha.AsyncFunc): void;
declare function afterEach(fn: Mocha.Func): void;
declare function afterEach(fn: Mocha.AsyncFunc): void;
