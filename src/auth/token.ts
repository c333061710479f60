import { createHash } from 'node:crypto';

export function md5Hex(value: string | Uint8Array): string {
  return createHash('md5').update(value).digest('hex');
}

/**
 * Tyk's generateToken: with a `hash_key_function` configured, the key is base64 of compact JSON
 * `{"org":…,"id":…,"h":…}` (keys in that order); otherwise the legacy `<org_id><id>`.
 */
export function generateToken(orgId: string, id: string, hashKeyFunction?: string): string {
  if (hashKeyFunction) {
    const json = `{"org":"${orgId}","id":"${id}","h":"${hashKeyFunction}"}`;
    return Buffer.from(json, 'utf8').toString('base64');
  }
  return `${orgId}${id}`;
}
