// A JWT-verifying hook for the isolate driver (README: the runtime's globals). The key comes from
// the API's config_data: { "hs256_secret": "...", "rs256_jwk": { "kty": "RSA", "n": "...", "e": "AQAB" } }.
// Keys are imported once per isolate and kept; the signature is checked with crypto.subtle.
const keys = new Map();

function base64url(text) {
  return Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
}

async function keyFor(alg, config) {
  if (keys.has(alg)) return keys.get(alg);
  let key;
  if (alg === 'HS256') {
    key = await crypto.subtle.importKey('raw', new TextEncoder().encode(config.hs256_secret),
      { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  } else if (alg === 'RS256') {
    key = await crypto.subtle.importKey('jwk', config.rs256_jwk,
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
  } else {
    throw new Error(`unsupported alg ${alg}`);
  }
  keys.set(alg, key);
  return key;
}

const ALGORITHMS = { HS256: 'HMAC', RS256: 'RSASSA-PKCS1-v1_5' };

async function verifyJwt(request, session, metadata, spec) {
  const refuse = (why) => {
    request.return_overrides.response_code = 401;
    request.return_overrides.response_error = why;
    return { request };
  };
  const token = (request.headers['Authorization'] || '').replace(/^Bearer /, '');
  const parts = token.split('.');
  if (parts.length !== 3) return refuse('malformed token');
  let header, claims;
  try {
    header = JSON.parse(new TextDecoder().decode(base64url(parts[0])));
    claims = JSON.parse(new TextDecoder().decode(base64url(parts[1])));
  } catch {
    return refuse('malformed token');
  }
  if (!(header.alg in ALGORITHMS)) return refuse('unsupported alg');
  const key = await keyFor(header.alg, JSON.parse(spec.config_data));
  const ok = await crypto.subtle.verify(ALGORITHMS[header.alg], key, base64url(parts[2]),
    new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
  if (!ok) return refuse('bad signature');
  if (typeof claims.exp === 'number' && claims.exp < Date.now() / 1000) return refuse('expired');
  request.set_headers['X-Jwt-Sub'] = String(claims.sub);
  request.set_headers['X-Jwt-Alg'] = header.alg;
  return { request };
}
