// Header names as Go's http.Header stores them (textproto.CanonicalMIMEHeaderKey): Tyk's JSVM
// applies SetHeaders/DeleteHeaders through Header.Set/Del, which canonicalise the name first.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function canonicalHeaderName(name: string): string {
  // Go leaves names with characters outside the token set untouched.
  if (!TOKEN.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** `{name: value}` as Tyk's `map[string][]string` view: `{name: [value]}`. */
export function headerArrays(headers: Record<string, string> | null | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!headers) return out;
  for (const name of Object.keys(headers)) out[name] = [headers[name]];
  return out;
}
