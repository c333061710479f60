'use strict';
// Steady keep-alive traffic against one URL while something changes underneath (a reload, an
// upload): every status is counted, and `header` values seen on 200s are collected from the echo
// upstream's view of the request, so a test can say "no request failed, and both versions served".
const http = require('node:http');

function load(url, { clients = 6, header = 'x-bundle' } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const statuses = new Map();
  const seen = new Set();
  let running = true;
  let total = 0;
  const one = () => new Promise((resolve) => {
    http.get(url, { agent }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => {
        total++;
        statuses.set(res.statusCode, (statuses.get(res.statusCode) || 0) + 1);
        if (res.statusCode === 200) seen.add(JSON.parse(data).headers[header]);
        resolve();
      });
    }).on('error', (err) => {
      statuses.set(`error ${err.code || err.message}`, (statuses.get(`error ${err.code || err.message}`) || 0) + 1);
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

module.exports = { load };
