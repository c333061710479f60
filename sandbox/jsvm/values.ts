// Shape checks for what a JSVM plugin hands back. Tyk decodes the returned JSON into Go structs:
// a value of the wrong type fails the decode and the request gets a 500. Here the same cases
// throw BadResultError naming the field as the plugin spells it (`Request.SetHeaders`).
import { BadResultError } from '../errors';

export type Plain = Record<string, unknown>;

export function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

/** An object field; null and undefined read as empty (Go's nil map). */
export function objectField(value: unknown, path: string): Plain {
  if (value === undefined || value === null) return {};
  if (!isPlain(value)) throw new BadResultError(`${path}: expected an object, got ${kind(value)}`);
  return value;
}

/** A list field; null and undefined read as empty (Go's nil slice). */
export function listField(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new BadResultError(`${path}: expected an array, got ${kind(value)}`);
  return value;
}

/** Text of a scalar the way JSON-decoding into a Go string would accept it (numbers forgiven). */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

/** Structural equality of JSON values (Go's reflect.DeepEqual on decoded JSON). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as Plain);
  const kb = Object.keys(b as Plain);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!jsonEqual((a as Plain)[k], (b as Plain)[k])) return false;
  }
  return true;
}
