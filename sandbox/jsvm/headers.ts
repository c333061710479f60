// Tyk's JSVM header views. Canonical names come from src/protocol/header-names.ts, shared with the host.
export { canonicalHeaderName } from '../../src/protocol/header-names';

/** `{name: value}` as Tyk's `map[string][]string` view: `{name: [value]}`. */
export function headerArrays(headers: Record<string, string> | null | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!headers) return out;
  for (const name of Object.keys(headers)) out[name] = [headers[name]];
  return out;
}
