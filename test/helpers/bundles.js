'use strict';
// Plugin-bundle test helpers: RSA keys and digests from openssl (independent of isogate), bundles
// built by the real `isogate bundle build` CLI, hostile zips crafted with fflate, and a loopback
// HTTP bundle server that records what it was asked for.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { zipSync, unzipSync } = require('fflate');
const { runCli, ROOT } = require('./gateway');

/** openssl and zip, installed on Debian when missing; false only where that is impossible. */
function ensureBundleTools() {
  const res = spawnSync('sh', [path.join(ROOT, 'scripts', 'ensure-bundle-tools.sh')], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (res.status === 0) return true;
  if (res.status === 2) return false;
  throw new Error(`ensure-bundle-tools.sh failed: ${res.stderr}`);
}

function openssl(args, input) {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A fresh RSA key pair in `dir`: private.pem, public.pem (PKIX) and public-pkcs1.pem (RSA PUBLIC KEY). */
function makeKeys(dir, prefix = '') {
  fs.mkdirSync(dir, { recursive: true });
  const priv = path.join(dir, `${prefix}private.pem`);
  const pub = path.join(dir, `${prefix}public.pem`);
  const pkcs1 = path.join(dir, `${prefix}public-pkcs1.pem`);
  openssl(['genrsa', '-out', priv, '2048']);
  openssl(['rsa', '-in', priv, '-pubout', '-out', pub]);
  openssl(['rsa', '-in', priv, '-RSAPublicKey_out', '-out', pkcs1]);
  return { priv, pub, pkcs1 };
}

/** openssl's MD5 hex of `data`. */
function opensslMd5(data) {
  return openssl(['dgst', '-md5', '-r'], data).toString().split(' ')[0];
}

/** openssl's RSA PKCS#1 v1.5 SHA-256 signature of `data`, base64. */
function opensslSign(data, privateKeyPath) {
  return openssl(['dgst', '-sha256', '-sign', privateKeyPath], data).toString('base64');
}

/** Whether openssl verifies the base64 `signature` over `data` with the public key. */
function opensslVerify(data, signature, publicKeyPath, dir) {
  const sig = path.join(dir, `sig-${process.hrtime.bigint()}.bin`);
  fs.writeFileSync(sig, Buffer.from(signature, 'base64'));
  const res = spawnSync('openssl', ['dgst', '-sha256', '-verify', publicKeyPath, '-signature', sig], { input: data });
  fs.unlinkSync(sig);
  return res.status === 0 && /Verified OK/.test(res.stdout.toString());
}

let counter = 0;

/**
 * Build a bundle with `isogate bundle build`: writes `files` ({ name: content }) and `manifest`
 * into a new source folder under `dir`, runs the CLI (`-k key` or `-y`), and returns
 * { zip (path), bytes, manifest (as written into the zip), out (CLI output) }.
 */
async function buildBundle(dir, { files, manifest, key, output }) {
  const src = path.join(dir, `src-${++counter}`);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(src, name)), { recursive: true });
    fs.writeFileSync(path.join(src, name), content);
  }
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'manifest.json'), JSON.stringify(manifest, null, 2));
  const zip = output || path.join(dir, `bundle-${counter}.zip`);
  fs.mkdirSync(path.dirname(zip), { recursive: true });
  const { code, out } = await runCli(['bundle', 'build', '-m', path.join(src, 'manifest.json'), '-o', zip, ...(key ? ['-k', key] : ['-y'])], src);
  if (code !== 0) throw new Error(`isogate bundle build failed (${code}): ${out}`);
  const bytes = fs.readFileSync(zip);
  return { zip, bytes, manifest: JSON.parse(Buffer.from(unzipSync(bytes)['manifest.json']).toString()), out };
}

/** The same zip with `name`'s content replaced (the manifest untouched): a tampered bundle. */
function tamper(bytes, name, content) {
  const entries = unzipSync(bytes);
  entries[name] = Buffer.from(content);
  return Buffer.from(zipSync(entries));
}

/** A zip whose entries are given raw: [name, data, options] (fflate options: os, attrs, level). */
function rawZip(entries) {
  const obj = {};
  for (const [name, data, options] of entries) obj[name] = [Buffer.from(data), options || {}];
  return Buffer.from(zipSync(obj));
}

/**
 * A loopback bundle server. `files` maps URL path (e.g. "/b.zip") to bytes; `delays` to ms before
 * answering; `statuses` to a status to answer instead; `hangOnce` paths leave their next request
 * unanswered; `chunked` paths are sent without Content-Length. Records every request path.
 */
async function startBundleServer({ port = 0 } = {}) {
  const state = { files: new Map(), delays: new Map(), statuses: new Map(), hangOnce: new Set(), chunked: new Set(), requests: [] };
  const hanging = [];
  const server = http.createServer((req, res) => {
    state.requests.push(req.url);
    const url = req.url;
    if (state.hangOnce.has(url)) {
      state.hangOnce.delete(url);
      hanging.push(res);
      return;
    }
    const answer = () => {
      const status = state.statuses.get(url);
      if (status) {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(`status ${status}`);
        return;
      }
      const body = state.files.get(url);
      if (!body) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return;
      }
      if (state.chunked.has(url)) {
        // No Content-Length: the size is known only as the body streams in.
        res.writeHead(200, { 'content-type': 'application/zip' });
        for (let i = 0; i < body.length; i += 64 * 1024) res.write(body.subarray(i, i + 64 * 1024));
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': body.length });
      res.end(body);
    };
    const delay = state.delays.get(url);
    if (delay) setTimeout(answer, delay);
    else answer();
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = server.address().port;
  return Object.assign(state, {
    port: actual,
    url: `http://127.0.0.1:${actual}/`,
    put(name, bytes) {
      state.files.set(`/${name}`, Buffer.from(bytes));
    },
    count(name) {
      return state.requests.filter((p) => p === `/${name}`).length;
    },
    close: () => new Promise((resolve) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(resolve);
    }),
  });
}

/** Every file under `dir`, relative, sorted. */
function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

module.exports = { ensureBundleTools, makeKeys, opensslMd5, opensslSign, opensslVerify, buildBundle, tamper, rawZip, startBundleServer, listFiles };
