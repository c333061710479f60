// atob / btoa (HTML's forgiving-base64), on the runtime's one base64 codec (sandbox/text/base64.ts).
import { decodeBase64, encodeBase64 } from '../../text/base64';
import { domError } from './dom-exception';

const WHITESPACE = /[\t\n\f\r ]+/g;

export function btoa(data: unknown): string {
  const text = String(data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw domError('InvalidCharacterError', 'btoa: the string has a character outside Latin-1');
    bytes[i] = c;
  }
  return encodeBase64(bytes);
}

export function atob(data: unknown): string {
  const text = String(data).replace(WHITESPACE, '');
  // decodeBase64 takes padded or unpadded input, as forgiving-base64 does, and refuses the rest.
  const bytes = text.length % 4 === 1 ? undefined : decodeBase64(text);
  if (bytes === undefined) throw domError('InvalidCharacterError', 'atob: the string is not valid base64');
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  return out;
}
