// Imported by the host and by the sandbox bundle: no Node APIs here.

/** RFC 9110 §5.1 token: what a header name may be. */
export const HEADER_NAME_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Go's textproto.CanonicalMIMEHeaderKey (`x-api-key` → `X-Api-Key`): how Tyk names headers for
 * plugins, and how its JSVM applies SetHeaders/DeleteHeaders. Names outside the token set are
 * left untouched, as Go leaves them.
 */
export function canonicalHeaderName(name: string): string {
  if (!HEADER_NAME_TOKEN.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}
