import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BundleError } from './errors';

// Bundle keys are RSA, in PEM: the public one as `PUBLIC KEY` (PKIX) or `RSA PUBLIC KEY` (PKCS#1),
// as Tyk reads `public_key_path`; the private one as `RSA PRIVATE KEY` or `PRIVATE KEY`.

function readPem(path: string, label: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new BundleError(`${label}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function requireRsa(key: KeyObject, path: string, label: string): KeyObject {
  if (key.asymmetricKeyType !== 'rsa') throw new BundleError(`${label}: ${path} holds an ${key.asymmetricKeyType ?? 'unknown'} key; bundles are signed with RSA`);
  return key;
}

/** The verification key; a private key in the file is refused (it does not belong on a gateway). */
export function loadPublicKey(path: string, label = 'public_key_path'): KeyObject {
  const pem = readPem(path, label);
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new BundleError(`${label}: ${path} holds a private key; give the public key (openssl rsa -in private.pem -pubout)`);
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new BundleError(`${label}: ${path} is not a PEM public key ("PUBLIC KEY" or "RSA PUBLIC KEY"): ${(err as Error).message}`);
  }
  return requireRsa(key, path, label);
}

export function loadPrivateKey(path: string, label = '-k'): KeyObject {
  const pem = readPem(path, label);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new BundleError(`${label}: ${path} is not an unencrypted PEM private key ("RSA PRIVATE KEY" or "PRIVATE KEY"): ${(err as Error).message}`);
  }
  return requireRsa(key, path, label);
}
