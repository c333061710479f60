import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { ConfigPath } from './config-error';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Typed access to one handler's `handler_meta`, failing with the exact key on a wrong type.
 * Absent and `null` both count as "not set", as Go's JSON decoding treats them.
 */
export class MetaReader {
  constructor(
    private readonly meta: Record<string, unknown>,
    readonly at: ConfigPath,
  ) {}

  static isPlainObject = isPlainObject;

  error(key: string, problem: string): Error {
    return this.at.child(key).error(problem);
  }

  has(key: string): boolean {
    return this.meta[key] !== undefined && this.meta[key] !== null;
  }

  string(key: string): string | undefined {
    const value = this.meta[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.error(key, 'must be a string');
    return value;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined || value.trim() === '') throw this.error(key, 'is required and must be a non-empty string');
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.meta[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw this.error(key, 'must be true or false');
    return value;
  }

  nonNegativeNumber(key: string): number | undefined {
    const value = this.meta[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw this.error(key, 'must be a number >= 0');
    }
    return value;
  }

  /** An object of HTTP header name → value, checked now so a bad header cannot fail every send. */
  headerMap(key: string): Record<string, string> {
    const value = this.meta[key];
    if (value === undefined || value === null) return {};
    if (!isPlainObject(value)) throw this.error(key, 'must be an object of header name to string value');
    const headers: Record<string, string> = {};
    for (const [name, headerValue] of Object.entries(value)) {
      const at = this.at.child(key).child(name);
      if (typeof headerValue !== 'string') throw at.error('must be a string');
      try {
        validateHeaderName(name);
        validateHeaderValue(name, headerValue);
      } catch (err) {
        throw at.error(`is not a valid HTTP header (${(err as Error).message})`);
      }
      headers[name] = headerValue;
    }
    return headers;
  }
}
