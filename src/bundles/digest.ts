import { createHash, createSign, createVerify, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { fileInBundle } from './paths';

// Tyk's bundle digest: the files of `file_list`, concatenated in list order (manifest.json is not
// part of it). The checksum is their MD5; the signature is RSA PKCS#1 v1.5 with SHA-256 over the
// same bytes. Files are streamed, so a large bundle never sits in memory or blocks the loop.

interface Sink {
  update(chunk: Buffer): unknown;
}

/** Feed the concatenated `file_list` files of the bundle at `root` to every sink, in order. */
async function feed(root: string, fileList: readonly string[], sinks: readonly Sink[]): Promise<void> {
  const realRoot = await realpath(root);
  for (const [i, rel] of fileList.entries()) {
    const path = await fileInBundle(root, rel, `file_list[${i}]`, realRoot);
    // Small files in one read; large ones streamed so they never sit in memory whole.
    const { size } = await stat(path);
    if (size <= 1 << 20) {
      const data = await readFile(path);
      for (const sink of sinks) sink.update(data);
      continue;
    }
    for await (const chunk of createReadStream(path)) for (const sink of sinks) sink.update(chunk as Buffer);
  }
}

/** Lowercase hex MD5 of the concatenated files (`d41d8cd98f00b204e9800998ecf8427e` for none). */
export async function bundleChecksum(root: string, fileList: readonly string[]): Promise<string> {
  const md5 = createHash('md5');
  await feed(root, fileList, [md5]);
  return md5.digest('hex');
}

/** Checksum and base64 signature, as `isogate bundle build -k` writes them into the manifest. */
export async function signBundle(root: string, fileList: readonly string[], privateKey: KeyObject): Promise<{ checksum: string; signature: string }> {
  const md5 = createHash('md5');
  const signer = createSign('sha256');
  await feed(root, fileList, [md5, signer]);
  return { checksum: md5.digest('hex'), signature: signer.sign(privateKey, 'base64') };
}

/** Checksum of the files and whether `signature` (raw bytes) verifies over them with `publicKey`. */
export async function checkBundle(root: string, fileList: readonly string[], publicKey: KeyObject | undefined, signature: Buffer | undefined): Promise<{ checksum: string; signatureOk?: boolean }> {
  const md5 = createHash('md5');
  const verifier = publicKey && signature ? createVerify('sha256') : undefined;
  await feed(root, fileList, verifier ? [md5, verifier] : [md5]);
  const checksum = md5.digest('hex');
  return verifier ? { checksum, signatureOk: verifier.verify(publicKey!, signature!) } : { checksum };
}
