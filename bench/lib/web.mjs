// The web platform (issue 16) in the bench: system (w), the pre hook of (c) plus one
// crypto.subtle HMAC-SHA-256 verify per request (a host call into Node's webcrypto). Its ratio to
// the floor is the cost of a signature check in a hook; its ratio to (c) is what the check adds.
import { createHmac } from 'node:crypto';
import { apiDefinition } from './plugins.mjs';

export const WEB_PLUGIN_FILE = 'bench-web.js';
const KEY = 'bench-hmac-key';
const DATA = 'bench-signed-data';

export const WEB_PLUGIN = `
let benchKey;
const benchData = new TextEncoder().encode('${DATA}');
function hexBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}
async function benchVerify(request) {
  benchKey ??= await crypto.subtle.importKey('raw', new TextEncoder().encode('${KEY}'), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const ok = await crypto.subtle.verify('HMAC', benchKey, hexBytes(request.headers['X-Bench-Sig'] || ''), benchData);
  request.set_headers[ok ? 'X-Bench' : 'X-Bench-Bad-Signature'] = '1';
}
`;

/** The signature every request of (w) carries, made with node:crypto. */
export const WEB_HEADERS = { 'x-bench-sig': createHmac('sha256', KEY).update(DATA).digest('hex') };

export function webVerifyApi(apiId, listenPath, target) {
  return apiDefinition(apiId, listenPath, target, {
    custom_middleware: { driver: 'isolate', pre: [{ name: 'benchVerify', path: WEB_PLUGIN_FILE }] },
  });
}
