// DOMException for the isolate (V8 has none): the error type crypto.subtle, atob and
// structuredClone throw, with the legacy `code` numbers of the names that have one.
const CODES: Readonly<Record<string, number>> = {
  IndexSizeError: 1,
  NotFoundError: 8,
  NotSupportedError: 9,
  InvalidStateError: 11,
  SyntaxError: 12,
  InvalidAccessError: 15,
  TypeMismatchError: 17,
  QuotaExceededError: 22,
  TimeoutError: 23,
  DataCloneError: 25,
  InvalidCharacterError: 5,
};

export class IsogateDOMException extends Error {
  readonly code: number;

  constructor(message = '', name = 'Error') {
    super(String(message));
    Object.defineProperty(this, 'name', { value: String(name), writable: true, configurable: true, enumerable: false });
    this.code = CODES[String(name)] ?? 0;
  }
}

export const domError = (name: string, message: string): IsogateDOMException => new IsogateDOMException(message, name);
