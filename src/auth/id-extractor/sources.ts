import { ExtractError } from './errors';
import { headerValue } from '../../pipeline/headers';
import { bodyText, type ExtractInput } from './input';

/** Returns the text an extractor works on; an empty string means "nothing there". */
export type SourceReader = (input: ExtractInput) => string;

export function headerSource(headerName: string): SourceReader {
  const lower = headerName.toLowerCase();
  return (input) => {
    const value = headerValue(input.headers, lower);
    if (!value) throw new ExtractError(`header "${headerName}" is missing or empty`);
    return value;
  };
}

const FORM_BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

function hasFormBody(input: ExtractInput): boolean {
  if (input.body.byteLength === 0) return false;
  if (input.method !== undefined && !FORM_BODY_METHODS.has(input.method.toUpperCase())) return false;
  const contentType = input.contentType ?? headerValue(input.headers, 'content-type') ?? '';
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return mediaType === FORM_MEDIA_TYPE;
}

/**
 * Go's Request.Form order: urlencoded body values first, then query values, all of them joined
 * with no separator (Tyk's rule). Multipart bodies are not read, as in Tyk.
 */
export function formSource(paramName: string): SourceReader {
  return (input) => {
    let out = '';
    if (hasFormBody(input)) {
      for (const v of new URLSearchParams(bodyText(input.body)).getAll(paramName)) out += v;
    }
    if (input.query) {
      for (const v of new URLSearchParams(input.query).getAll(paramName)) out += v;
    }
    if (!out) throw new ExtractError(`form parameter "${paramName}" is missing or empty`);
    return out;
  };
}

/** An empty body is not an error here: regex/xpath then report that they found nothing. */
export const bodySource: SourceReader = (input) => bodyText(input.body);
