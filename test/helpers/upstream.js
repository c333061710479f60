'use strict';
// A real loopback upstream for integration tests: echoes what it received as JSON and records
// every request, so tests can check exactly what the gateway forwarded.
const http = require('node:http');

/**
 * `options.keepAliveTimeoutMs` overrides Node's 5 s idle keep-alive timeout, for tests whose
 * requests pause longer than that between upstream calls (an idle socket the server is closing
 * just as the gateway reuses it resets the request).
 */
async function startUpstream(handler, options = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const seen = { method: req.method, url: req.url, headers: req.headers, body };
      requests.push(seen);
      if (handler && handler(req, res, seen) !== undefined) return;
      const payload = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString('base64') });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
      res.end(payload);
    });
  });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

module.exports = { startUpstream };
