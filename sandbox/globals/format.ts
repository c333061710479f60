// Turning arbitrary guest values into log text without ever throwing: log calls must not be
// able to fail a hook, and a huge value must not flood the host logger.

const MAX_MESSAGE = 16 * 1024;

function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'undefined':
      return 'undefined';
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
    case 'symbol':
      return value.toString();
    case 'bigint':
      return `${value}n`;
    case 'object':
      if (value === null) return 'null';
      if (value instanceof Error) return value.stack || `${value.name}: ${value.message}`;
      if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
      return stringifyOrString(value);
    default:
      return String(value);
  }
}

/** JSON text of `value`, or String(value) when it cannot be serialised (cycles, BigInt, …). */
export function stringifyOrString(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text;
  } catch {
    // fall through to String()
  }
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function formatLogArgs(args: readonly unknown[]): string {
  let text = args.length === 1 ? describe(args[0]) : args.map(describe).join(' ');
  if (text.length > MAX_MESSAGE) text = `${text.slice(0, MAX_MESSAGE)}… (${text.length - MAX_MESSAGE} more characters)`;
  return text;
}
