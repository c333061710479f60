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
    // What the Object applier reads of the API (config/api-spec.ts ApiSpec).
    spec: { apiId: 'bench-micro', orgId: 'bench', keepHeaderCase: false },
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

/**
 * An ApiSpec as the gateway compiles it (config/api-spec.ts) for one keyless API whose `pre` hook
 * `benchPre` comes from `file`: every field the drivers read is there, with the config's defaults.
 */
export function benchSpec({ apiId, driver, file, code, config }) {
  const { checkDefinition, compileApiSpec } = distModule('config/api-spec.js');
  const { DRIVER_SOURCES } = distModule('coprocess/drivers/index.js');
  const where = `<bench ${apiId}>`;
  const def = checkDefinition({
    api_id: apiId,
    org_id: 'bench',
    use_keyless: true,
    proxy: { listen_path: `/${apiId}/`, target_url: 'http://127.0.0.1:9/' },
    custom_middleware: { driver, pre: [{ name: 'benchPre', path: file }] },
  }, where);
  const spec = compileApiSpec(def, where, config, DRIVER_SOURCES, [{ filename: file, code }]);
  return { spec, hook: spec.hooks.pre[0] };
}
