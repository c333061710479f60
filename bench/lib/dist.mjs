// The gateway's own compiled pieces, for the in-process micro benchmarks. They come from dist/
// (what `npm run build` produced), so the micro figures measure the code the gateway runs.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { distDir } from './paths.mjs';

const require = createRequire(import.meta.url);

export function distModule(relative) {
  const file = join(distDir(), 'src', relative);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  return require(file);
}

/** A RequestState as the gateway builds it for a bench request (the fields hooks read). */
export function fakeRequestState(headers = {}) {
  const all = { host: '127.0.0.1:8080', 'user-agent': 'autocannon', accept: '*/*', ...headers };
  return {
    req: { headers: all },
    res: undefined,
    spec: undefined,
    clientIp: '127.0.0.1',
    scheme: 'http',
    requestUri: '/c/',
    signal: new AbortController().signal,
    method: 'GET',
    path: '/c/',
    query: '',
    headers: { ...all },
    body: Buffer.alloc(0),
    finished: false,
  };
}
