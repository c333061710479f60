// The loopback upstream every system proxies to. Raw node:http, keep-alive, one small fixed body
// written with precomputed headers, so that the upstream costs as little as possible and the
// same for every system. `/probe` echoes the request headers instead: the bench uses it once per
// system to prove the hooks really ran (a header they set must arrive here).
import http from 'node:http';

const BODY = Buffer.from(JSON.stringify({ ok: true, from: 'bench-upstream', pad: 'x'.repeat(20) }));
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

const server = http.createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  if (req.url.endsWith('/probe')) {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  // Requests carry no body in the bench; draining keeps the socket reusable if one ever does.
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
server.headersTimeout = 0;
server.requestTimeout = 0;

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
