// Plugin-bundle test helpers: RSA keys and digests from openssl (independent of isogate), bundles
// built by the real `isogate bundle build` CLI, hostile zips crafted with fflate, a loopback
// bundle server (the shared recording server with a file-serving responder), and steady load.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { unzipSync, zipSync, type ZipOptions } from 'fflate';
import { runCli } from './gateway';
import { type Echoed, type Received, type RecordingServer, startRecordingServer } from './http';
import { fromRoot } from './paths';
import { runToEnd } from './processes';

/** openssl and zip, installed on Debian when missing; false only where that is impossible (exit 2). */
export async function ensureBundleTools(): Promise<boolean> {
  const res = await runToEnd('sh', [fromRoot('scripts', 'ensure-bundle-tools.sh')], { timeoutMs: 300_000 });
  if (res.code === 0) return true;
  if (res.code === 2) return false;
  throw new Error(`scripts/ensure-bundle-tools.sh failed (${res.code}): ${res.out}`);
}

/** Run a tool (openssl, zip) to completion; throws with its output when it fails. */
export async function tool(command: string, args: string[], cwd?: string): Promise<string> {
  const res = await runToEnd(command, args, { cwd, timeoutMs: 60_000 });
  if (res.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${res.code}): ${res.out}`);
  return res.stdout;
}

export interface KeyPair {
  priv: string;
  /** PKIX (`PUBLIC KEY`). */
  pub: string;
  /** PKCS#1 (`RSA PUBLIC KEY`). */
  pkcs1: string;
}

/** A fresh RSA key pair in `dir`, made by openssl. */
export async function makeKeys(dir: string, prefix = ''): Promise<KeyPair> {
  fs.mkdirSync(dir, { recursive: true });
  const keys = { priv: path.join(dir, `${prefix}private.pem`), pub: path.join(dir, `${prefix}public.pem`), pkcs1: path.join(dir, `${prefix}public-pkcs1.pem`) };
  await tool('openssl', ['genrsa', '-out', keys.priv, '2048']);
  await tool('openssl', ['rsa', '-in', keys.priv, '-pubout', '-out', keys.pub]);
  await tool('openssl', ['rsa', '-in', keys.priv, '-RSAPublicKey_out', '-out', keys.pkcs1]);
  return keys;
}

let scratch = 0;
function scratchFile(dir: string, data: Uint8Array | string): string {
  const file = path.join(dir, `.scratch-${process.pid}-${++scratch}`);
  fs.writeFileSync(file, data);
  return file;
}

/** openssl's MD5 hex of `data`. */
export async function opensslMd5(dir: string, data: Uint8Array): Promise<string> {
  const file = scratchFile(dir, data);
  try {
    return (await tool('openssl', ['dgst', '-md5', '-r', file])).split(' ')[0]!;
  } finally {
    fs.rmSync(file);
  }
}

/** openssl's RSA PKCS#1 v1.5 SHA-256 signature of `data` (`openssl dgst -sha256 -sign`), base64. */
export async function opensslSign(dir: string, data: Uint8Array, privateKey: string): Promise<string> {
  const file = scratchFile(dir, data);
  const sig = `${file}.sig`;
  try {
    await tool('openssl', ['dgst', '-sha256', '-sign', privateKey, '-out', sig, file]);
    return fs.readFileSync(sig).toString('base64');
  } finally {
    fs.rmSync(file);
    fs.rmSync(sig, { force: true });
  }
}

/** Whether openssl verifies the base64 `signature` over `data` with the public key. */
export async function opensslVerify(dir: string, data: Uint8Array, signature: string, publicKey: string): Promise<boolean> {
  const file = scratchFile(dir, data);
  const sig = scratchFile(dir, Buffer.from(signature, 'base64'));
  try {
    const res = await runToEnd('openssl', ['dgst', '-sha256', '-verify', publicKey, '-signature', sig, file]);
    return res.code === 0 && res.stdout.includes('Verified OK');
  } finally {
    fs.rmSync(file);
    fs.rmSync(sig);
  }
}

/** A manifest as a test writes it (any shape: tests also write broken ones). */
export type Manifest = Record<string, unknown> & { file_list?: string[]; custom_middleware?: Record<string, unknown>; checksum?: string; signature?: string };

export interface BuiltBundle {
  zip: string;
  bytes: Buffer;
  /** manifest.json as written into the zip. */
  manifest: Manifest & { checksum: string; signature: string };
  out: string;
}

let built = 0;

/**
 * Build a bundle with `isogate bundle build`: writes `files` and `manifest` into a new source
 * folder under `dir`, runs the CLI (`-k key`, or `-y`), returns the zip.
 */
export async function buildBundle(dir: string, { files, manifest, key, output }: { files: Record<string, string | Uint8Array>; manifest: Manifest; key?: string; output?: string }): Promise<BuiltBundle> {
  const src = path.join(dir, `src-${++built}`);
  fs.mkdirSync(src, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(src, name)), { recursive: true });
    fs.writeFileSync(path.join(src, name), content);
  }
  fs.writeFileSync(path.join(src, 'manifest.json'), JSON.stringify(manifest, null, 2));
  const zip = output ?? path.join(dir, `bundle-${built}.zip`);
  fs.mkdirSync(path.dirname(zip), { recursive: true });
  const res = await runCli(['bundle', 'build', '-m', path.join(src, 'manifest.json'), '-o', zip, ...(key ? ['-k', key] : ['-y'])], src);
  if (res.code !== 0) throw new Error(`isogate bundle build failed (${res.code}): ${res.out}`);
  const bytes = fs.readFileSync(zip);
  return { zip, bytes, manifest: JSON.parse(Buffer.from(unzipSync(bytes)['manifest.json']!).toString()) as BuiltBundle['manifest'], out: res.out };
}

/** The same zip with `name`'s content replaced, the manifest untouched: a tampered bundle. */
export function tamper(bytes: Uint8Array, name: string, content: string): Buffer {
  const entries = unzipSync(bytes);
  entries[name] = Buffer.from(content);
  return Buffer.from(zipSync(entries));
}

/** A zip whose entries are given raw: [name, data, fflate options (os, attrs, level)]. */
export function rawZip(entries: [string, string | Uint8Array, ZipOptions?][]): Buffer {
  const obj: Record<string, [Uint8Array, ZipOptions]> = {};
  for (const [name, data, options] of entries) obj[name] = [typeof data === 'string' ? Buffer.from(data) : data, options ?? {}];
  return Buffer.from(zipSync(obj));
}

/**
 * Patch `zip` so that `name` declares `size` uncompressed bytes in its local header and its
 * central-directory entry: an archive that lies about its size (the data stay as they are).
 */
export function lieAboutSize(zip: Uint8Array, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const nameBytes = Buffer.from(name);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50 && out.readUInt16LE(i + 26) === nameBytes.length && out.subarray(i + 30, i + 30 + nameBytes.length).equals(nameBytes)) out.writeUInt32LE(size, i + 22);
    if (sig === 0x02014b50 && out.readUInt16LE(i + 28) === nameBytes.length && out.subarray(i + 46, i + 46 + nameBytes.length).equals(nameBytes)) out.writeUInt32LE(size, i + 24);
  }
  return out;
}

export interface BundleServer extends RecordingServer {
  /** With a trailing slash: what `bundle_base_url` is set to. */
  base: string;
  files: Map<string, Buffer>;
  /** Path → ms to wait before answering. */
  delays: Map<string, number>;
  /** Path → status to answer instead of the file. */
  statuses: Map<string, number>;
  /** Paths whose next request is left unanswered. */
  hangOnce: Set<string>;
  /** Paths sent without Content-Length. */
  chunked: Set<string>;
  put(name: string, bytes: Uint8Array): void;
  /** How many times `name` was asked for. */
  count(name: string): number;
}

/** A loopback bundle server: the shared recording server answering from `files`. */
export async function startBundleServer(options: { port?: number } = {}): Promise<BundleServer> {
  const files = new Map<string, Buffer>();
  const delays = new Map<string, number>();
  const statuses = new Map<string, number>();
  const hangOnce = new Set<string>();
  const chunked = new Set<string>();
  const answer = (seen: Received, res: http.ServerResponse) => {
    const status = statuses.get(seen.url);
    const body = files.get(seen.url);
    if (status || !body) {
      res.writeHead(status ?? 404, { 'content-type': 'text/plain' });
      res.end(`status ${status ?? 404}`);
    } else if (chunked.has(seen.url)) {
      res.writeHead(200, { 'content-type': 'application/zip' });
      for (let i = 0; i < body.length; i += 64 * 1024) res.write(body.subarray(i, i + 64 * 1024));
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': body.length });
      res.end(body);
    }
  };
  const server = await startRecordingServer((seen, res) => {
    if (hangOnce.delete(seen.url)) return; // never answered; closed with the server
    const delay = delays.get(seen.url);
    if (delay) setTimeout(() => answer(seen, res), delay);
    else answer(seen, res);
  }, { port: options.port });
  return Object.assign(server, {
    base: `${server.url}/`,
    files,
    delays,
    statuses,
    hangOnce,
    chunked,
    put: (name: string, bytes: Uint8Array) => void files.set(`/${name}`, Buffer.from(bytes)),
    count: (name: string) => server.requests.filter((r) => r.url === `/${name}`).length,
  });
}

/** Every file under `dir`, relative, sorted (nothing when it does not exist). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

export interface SteadyLoad {
  /** Status (or `error <code>`) → count. */
  statuses: Map<number | string, number>;
  /** Values of `header` the upstream saw on 200s. */
  seen: Set<string | undefined>;
  readonly total: number;
  stop(): Promise<void>;
}

/**
 * Keep-alive traffic against `url` while something changes underneath (a reload, an upload):
 * every status counted, and the echo upstream's view of `header` collected, so a test can say
 * "no request failed, and both versions served".
 */
export function steadyLoad(url: string, { clients = 6, header = 'x-bundle' } = {}): SteadyLoad {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const statuses = new Map<number | string, number>();
  const seen = new Set<string | undefined>();
  let running = true;
  let total = 0;
  const count = (key: number | string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
  const one = () => new Promise<void>((resolve) => {
    http.get(url, { agent }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d));
      res.on('end', () => {
        total++;
        count(res.statusCode!);
        if (res.statusCode === 200) seen.add((JSON.parse(data) as Echoed).headers[header] as string | undefined);
        resolve();
      });
    }).on('error', (err: NodeJS.ErrnoException) => {
      count(`error ${err.code ?? err.message}`);
      resolve();
    });
  });
  const loops = Array.from({ length: clients }, async () => {
    while (running) await one();
  });
  return {
    statuses,
    seen,
    get total() {
      return total;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}
