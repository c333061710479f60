import http from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { AddressInfo } from 'node:net';

/**
 * A small upstream that answers every request with what it received, as JSON: the default
 * `npm start` proxies to it so a newcomer can see headers and bodies change on the way through.
 */
export function startEchoUpstream(port: number, host = '127.0.0.1'): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const payload = JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: isUtf8(body) ? body.toString('utf8') : undefined,
        body_base64: isUtf8(body) ? undefined : body.toString('base64'),
      }, null, 2);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      resolve({ server, url: `http://${a.address}:${a.port}` });
    });
  });
}
