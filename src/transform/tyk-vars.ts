import type { ContextValue, RequestState } from '../pipeline/request-state';

/**
 * Tyk's variable substitution in header values and rewrite targets: `$tyk_meta.<key>` (the
 * session's meta_data) and `$tyk_context.<key>` (context variables, src/transform/context-vars.ts).
 * A key is `[A-Za-z0-9_.-]+`, as Tyk's pattern; an unknown key, or no session, gives "". The
 * template is split once at load, so a request only concatenates.
 */

type Piece = string | { source: 'meta' | 'context'; key: string };

export interface Template {
  readonly pieces: readonly Piece[];
  /** No variable in it: `render` returns the text as is. */
  readonly literal?: string;
}

const VARIABLE = /\$tyk_(meta|context)\.([A-Za-z0-9_\-.]+)/g;

export function compileTemplate(text: string): Template {
  const pieces: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(VARIABLE)) {
    if (m.index! > last) pieces.push(text.slice(last, m.index));
    pieces.push({ source: m[1] === 'meta' ? 'meta' : 'context', key: m[2]! });
    last = m.index! + m[0].length;
  }
  if (last < text.length) pieces.push(text.slice(last));
  return pieces.every((p) => typeof p === 'string') ? { pieces, literal: text } : { pieces };
}

/** Tyk's valToStr: strings as they are, numbers in shortest form, lists comma-joined, form values `k:v1,v2;k2:v`. */
function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (Array.isArray(value)) {
    // Tyk: a list of strings is joined as it is ([]string); a JSON list's items are query-escaped.
    if (value.every((v) => typeof v === 'string')) return (value as string[]).join(',').replace(/^,/, '');
    return value.map(valueText).filter((v) => v !== '').map((v) => encodeURIComponent(v)).join(',');
  }
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}:${Array.isArray(v) ? v.join(',') : String(v)}`)
      .join(';');
  }
  return ''; // booleans, objects, null: Tyk logs "type is not supported" and substitutes ""
}

/** Go's url.QueryEscape: space as `+`, everything but unreserved escaped. */
function queryEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

/**
 * The template's text for this request. `literal` maps the template's own text (a URL rewrite
 * puts the pattern's groups there), never a substituted value. With `escape` (rewrite targets) each substituted value
 * is query-escaped unless it starts with `http`, as Tyk does, so a value cannot add path segments
 * or query parameters of its own.
 */
export function render(template: Template, state: RequestState, escape = false, literal: (text: string) => string = (t) => t): string {
  if (template.literal !== undefined) return literal(template.literal);
  let out = '';
  for (const piece of template.pieces) {
    if (typeof piece === 'string') {
      out += literal(piece);
      continue;
    }
    const source: Record<string, unknown> | undefined = piece.source === 'meta' ? state.session?.meta_data : (state.contextVars as Record<string, ContextValue> | undefined);
    const raw = source && Object.prototype.hasOwnProperty.call(source, piece.key) ? source[piece.key] : undefined;
    const text = raw === undefined ? '' : valueText(raw);
    out += escape && !text.startsWith('http') ? queryEscape(text) : text;
  }
  return out;
}
