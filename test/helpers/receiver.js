'use strict';
// A webhook receiver for event tests: records every request (JSON bodies parsed) and lets a
// test wait for one that matches.
const http = require('node:http');

function startReceiver() {
  const received = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      const item = { url: req.url, method: req.method, headers: req.headers, body: data ? JSON.parse(data) : undefined };
      received.push(item);
      res.end('ok');
      for (const w of waiters.splice(0)) w();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const url = `http://127.0.0.1:${server.address().port}`;
    const waitFor = async (pred, ms = 5000) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = received.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching webhook within ${ms} ms; got ${JSON.stringify(received.map((r) => r.body))}`);
        await new Promise((r) => { waiters.push(r); setTimeout(r, 100); });
      }
    };
    resolve({ url, received, waitFor, close: () => new Promise((r) => server.close(r)) });
  }));
}

module.exports = { startReceiver };
