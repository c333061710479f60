/** A finite number above zero. */
export function isPositiveNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** `value` when it is a positive finite number, else 0 (Tyk's reading of TTLs and renewal rates). */
export function positiveOrZero(value: unknown): number {
  return isPositiveNumber(value) ? value : 0;
}

export interface OptionBounds {
  /** Smallest value allowed; `exclusive` makes it a strict lower bound. */
  min: number;
  exclusive?: boolean;
  integer?: boolean;
}

/**
 * A numeric option given in code (not user config: that is schema-checked): `fallback` when
 * absent, a RangeError naming `name` (with `owner`, such as "isolate option") when out of bounds.
 */
export function numericOption(owner: string, name: string, value: number | undefined, fallback: number, bounds: OptionBounds): number {
  if (value === undefined) return fallback;
  const { min, exclusive = false, integer = false } = bounds;
  const ok = typeof value === 'number' && Number.isFinite(value) && (exclusive ? value > min : value >= min) && (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    throw new RangeError(`${owner} ${name} must be ${kind} ${exclusive ? '>' : '>='} ${min}, got ${String(value)}`);
  }
  return value;
}
