// Path normalisation once per request (src/pipeline/url.ts): the router, ignored paths and auth
// decide on one normalised path, and exactly that path reaches the upstream. Raw request lines
// on real sockets (fetch would normalise them first); the upstream records what it received.
import { expect } from 'chai';
import { keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { parseResponses, rawExchange, responsesComplete, startRawUpstream, type RawUpstream } from './helpers/raw-http';

/** One raw request; resolves with the status and what the upstream saw for it. */
async function send(
  port: number,
  upstream: RawUpstream,
  target: string,
  { method = 'GET', headers = [] }: { method?: string; headers?: string[] } = {},
): Promise<{ status: number; body: string; upstream: string[] }> {
  upstream.reset();
  const bytes = `${method} ${target} HTTP/1.1\r\nHost: gw\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
  const result = await rawExchange(port, bytes, { until: responsesComplete(1, method) });
  const { responses } = parseResponses(result.data, { closed: result.closed, method });
  expect(responses, `answer to ${target}`).to.have.length(1);
  return { status: responses[0].status, body: responses[0].body.toString(), upstream: upstream.requests.map((r) => r.target) };
}

describe('hostile paths: one normalised path for routing, ignored paths, auth and the upstream', function () {
  this.timeout(30000);
  let upstream: RawUpstream;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startRawUpstream();
    const dir = makeWorkspace();
    writeApi(dir, keylessApi('open', '/k/', upstream.url));
    writeApi(dir, keylessApi('slash', '/a%2fb/', upstream.url));
    writeApi(dir, {
      api_id: 'std', org_id: 'org1', use_keyless: false, auth: { auth_header_name: 'Authorization' },
      proxy: { listen_path: '/std/', target_url: upstream.url, strip_listen_path: true },
      version_data: {
        not_versioned: true,
        versions: {
          Default: {
            name: 'Default',
            extended_paths: {
              ignored: [
                { path: '/health' },
                { path: '/files/{name}' },
                { path: '/status*' },
                { path: 'ping', method_actions: { GET: { action: 'no_action', code: 200, data: '', headers: {} } } },
              ],
            },
          },
        },
      },
    });
    writeMiddleware(dir, 'rewrite.js', `
      // The new URL comes from the query parameter "u" (decoded, so it can hold CR/LF).
      function rewrite(request) {
        if (request.params.u !== undefined) request.url = request.params.u;
      }`);
    writeApi(dir, keylessApi('rw', '/rw/', upstream.url, { custom_middleware: { driver: 'isolate', pre: [{ name: 'rewrite', path: 'rewrite.js' }] } }));
    gw = await startGateway({ dir });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  describe('normalisation (RFC 3986): what the upstream receives', () => {
    const cases: [string, string, string][] = [
      ['dot segments are removed', '/k/a/./b/../c', '/a/c'],
      ['a trailing ".." keeps the trailing slash', '/k/a/b/..', '/a/'],
      ['escapes of unreserved characters are decoded once', '/k/%61%62c/%7Euser', '/abc/~user'],
      ['other escapes stay, upper-cased', '/k/caf%c3%a9', '/caf%C3%A9'],
      ['%2F is not a separator: one segment, escape kept', '/k/a%2fb', '/a%2Fb'],
      ['%2F keeps dots inside one segment', '/k/x%2F..%2F..%2Fadmin', '/x%2F..%2F..%2Fadmin'],
      ['a double escape is decoded once only', '/k/%252e%252e/x', '/%252e%252e/x'],
      ['a backslash is escaped, never a separator', '/k/a\\..\\b', '/a%5C..%5Cb'],
      ['"#" is escaped (a fragment has no place in a request target)', '/k/a#b', '/a%23b'],
      ['quotes and braces are escaped', '/k/"<{x}>"', '/%22%3C%7Bx%7D%3E%22'],
      ['empty segments are kept', '/k/a//b', '/a//b'],
      ['the query is forwarded as received', '/k/x?a=%2e%2e&b=/../&c', '/x?a=%2e%2e&b=/../&c'],
      ['absolute-form is reduced to its path (RFC 9112 §3.2.2)', 'http://evil.example/k/abs?q=1', '/abs?q=1'],
    ];
    for (const [what, target, seen] of cases) {
      it(`${what}: ${target} → ${seen}`, async () => {
        const r = await send(gw.port, upstream, target);
        expect(r.status).to.equal(200);
        expect(r.upstream).to.deep.equal([seen]);
      });
    }

    it('dot segments are resolved before routing: "/k/%2e%2e/x" leaves the API (404), nothing is forwarded', async () => {
      const r = await send(gw.port, upstream, '/k/%2e%2e/x');
      expect(r.status).to.equal(404);
      expect(r.upstream).to.deep.equal([]);
    });

    it('a listen path written with an escape matches its normalised form; the unescaped path does not match it', async () => {
      const r = await send(gw.port, upstream, '/a%2Fb/x');
      expect(r.status).to.equal(200);
      expect(r.upstream).to.deep.equal(['/x']);
      const split = await send(gw.port, upstream, '/a/b/x');
      expect(split.status).to.equal(404);
      expect(split.upstream).to.deep.equal([]);
    });

    for (const target of ['/k/%zz', '/k/%', '/k/%4', '*']) {
      it(`a broken target ${JSON.stringify(target)} is 400, nothing forwarded`, async () => {
        const r = await send(gw.port, upstream, target, { method: target === '*' ? 'OPTIONS' : 'GET' });
        expect(r.status).to.equal(400);
        expect(r.upstream).to.deep.equal([]);
      });
    }

    it('the health check is found on the normalised path; a path that only normalises into /tyk/ is no management request', async () => {
      expect((await send(gw.port, upstream, '/k/../hello')).status).to.equal(200);
      // The management API routes on the target as sent (its own id checks refuse traversal).
      const admin = await send(gw.port, upstream, '/x/../tyk/apis/open', { headers: ['X-Tyk-Authorization: test-secret'] });
      expect(admin.status).to.equal(404);
      expect(admin.body).to.not.include('listen_path');
      expect((await send(gw.port, upstream, '/tyk/apis/open', { headers: ['X-Tyk-Authorization: test-secret'] })).status).to.equal(200);
      // And an API path never reaches the management API by way of dot segments.
      const api = await send(gw.port, upstream, '/tyk/../k/x');
      expect(api.status).to.equal(200);
      expect(api.upstream).to.deep.equal(['/x']);
    });
  });

  describe('ignored paths match whole segments of the normalised path, and nothing else skips auth', () => {
    const skipsAuth: [string, string][] = [
      ['/std/health', '/health'],
      ['/std/health/', '/health/'],
      ['/std/./health', '/health'],
      ['/std/x/../health', '/health'],
      ['/std/%68ealth', '/health'],
      ['/std/files/a.txt', '/files/a.txt'],
      ['/std/files/x%2F..%2F..%2Fadmin', '/files/x%2F..%2F..%2Fadmin'],
      ['/std/statusz', '/statusz'],
      ['/std/status', '/status'],
      ['/std/ping', '/ping'],
    ];
    for (const [target, seen] of skipsAuth) {
      it(`${target} is ignored: no key needed, the upstream gets ${seen}`, async () => {
        const r = await send(gw.port, upstream, target);
        expect(r.status).to.equal(200);
        expect(r.upstream).to.deep.equal([seen]);
      });
    }

    const needsAuth: [string, string][] = [
      ['/std/health/../admin', 'dot segments resolve to /admin'],
      ['/std/health/%2e%2e/admin', 'escaped dots resolve too'],
      ['/std/healthXYZ/secret', 'not a string prefix'],
      ['/std/health/secret', 'a pattern is the whole path, not a prefix of segments'],
      ['/std/statusz/secret', '"*" stays within one segment'],
      ['/std/files/a/b', '{name} is exactly one segment'],
      ['/std/files/', '{name} is never empty'],
      ['/std//health', 'an empty segment is a segment'],
      ['/std/HEALTH', 'case matters'],
      ['/std/health%2F..%2Fadmin', '%2F does not split a segment'],
      ['/std/health\\..\\admin', 'a backslash does not split a segment'],
      ['/std/health;x', 'parameters are part of the segment'],
    ];
    for (const [target, why] of needsAuth) {
      it(`${target} needs a key (${why}); nothing is forwarded`, async () => {
        const r = await send(gw.port, upstream, target);
        expect(r.status).to.equal(401);
        expect(JSON.parse(r.body).error).to.equal('Authorization field missing');
        expect(r.upstream).to.deep.equal([]);
      });
    }

    it('an entry with method_actions skips auth for those methods only', async () => {
      expect((await send(gw.port, upstream, '/std/ping')).status).to.equal(200);
      const post = await send(gw.port, upstream, '/std/ping', { method: 'POST', headers: ['Content-Length: 0'] });
      expect(post.status).to.equal(401);
      expect(post.upstream).to.deep.equal([]);
    });
  });

  describe("a plugin's returned URL goes through the same normalisation", () => {
    it('dot segments in a rewritten URL are removed before it is forwarded', async () => {
      const r = await send(gw.port, upstream, `/rw/x?u=${encodeURIComponent('/rw/a/../b/./c?z=1')}`);
      expect(r.status).to.equal(200);
      expect(r.upstream).to.deep.equal(['/b/c?z=1']);
    });

    it('a rewritten URL with a backslash or non-ASCII is escaped, like a client path', async () => {
      const r = await send(gw.port, upstream, `/rw/x?u=${encodeURIComponent('/a\\b/café')}`);
      expect(r.status).to.equal(200);
      expect(r.upstream).to.deep.equal(['/a%5Cb/caf%C3%A9']);
    });

    for (const [what, url] of [['CR/LF', '/x\r\nHost: evil'], ['a space in the query', '/x?a=b c'], ['a NUL', '/x\u0000y'], ['a broken escape', '/x%zz'], ['no leading slash', 'x'], ['an empty URL', '']]) {
      it(`a returned URL with ${what} is 500 Middleware error, nothing forwarded`, async () => {
        const r = await send(gw.port, upstream, `/rw/x?u=${encodeURIComponent(url)}`);
        expect(r.status).to.equal(500);
        expect(JSON.parse(r.body).error).to.equal('Middleware error');
        expect(r.upstream).to.deep.equal([]);
      });
    }
  });
});
