// System (a): the floor. The least a Node reverse proxy can do per request: node:http in and
// out, a keep-alive upstream agent, one added header, hop-by-hop headers dropped, bodies
// streamed both ways. No framework, no routing, no error templates. Whatever isogate spends
// beyond this is the gateway's own cost.
import http from 'node:http';

const target = new URL(process.argv[2]);
// Same agent settings as the gateway's upstream agent (src/gateway/proxy.ts), so the floor is
// not handicapped or favoured by connection handling.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' });
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forwardHeaders(incoming) {
  const out = {};
  for (const name in incoming) if (!HOP.has(name)) out[name] = incoming[name];
  return out;
}

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const headers = forwardHeaders(req.headers);
  headers.host = target.host;
  headers['x-bench'] = '1';
  const upstream = http.request({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (upRes) => {
    res.writeHead(upRes.statusCode, forwardHeaders(upRes.headers));
    upRes.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
