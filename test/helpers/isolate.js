'use strict';
// Helpers for tests that drive the isolate engine in process: real isolates, the real runtime
// bundle (dist/sandbox/runtime.js), Objects built the way the gateway builds them.
const pino = require('pino');
const { IsolateDispatcher } = require('../../dist/src/coprocess/drivers/isolate');
const { decodeObject, encodeObject } = require('../../dist/src/coprocess/codec');
const { HookType } = require('../../dist/src/coprocess/dispatcher');

const SPEC = { OrgID: 'org1', APIID: 'api1', bundle_hash: 'd41d8cd98f00b204e9800998ecf8427e', config_data: '{"greeting":"hi"}' };

/** A pino logger whose lines land in `lines` (parsed). */
function captureLogger() {
  const lines = [];
  const logger = pino({ level: 'debug' }, { write: (line) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** A request Object as the gateway sends it, round-tripped through the wire codec. */
function requestObject(hookName, request = {}, extra = {}) {
  return decodeObject(
    encodeObject({
      hook_type: HookType.Pre,
      hook_name: hookName,
      request: {
        headers: { Host: 'example.com', 'Content-Type': 'application/json' },
        url: '/api1/things?a=1',
        request_uri: '/api1/things?a=1',
        method: 'POST',
        scheme: 'http',
        params: { a: '1' },
        return_overrides: { response_code: -1 },
        raw_body: Buffer.from('{"x":1}'),
        body: '{"x":1}',
        ...request,
      },
      spec: SPEC,
      ...extra,
    }),
  );
}

/**
 * `dispatcher(code | sources, options)` builds an IsolateDispatcher for api1 with small limits;
 * `disposeAll()` (in an `after` hook) releases every one built.
 */
function dispatcherFactory() {
  const created = [];
  const dispatcher = (code, options = {}) => {
    const d = new IsolateDispatcher({
      apiId: 'api1',
      orgId: 'org1',
      sources: typeof code === 'string' ? [{ filename: 'middleware.js', code }] : code,
      hookTimeoutMs: 500,
      memoryLimitMb: 32,
      logger: captureLogger().logger,
      ...options,
    });
    created.push(d);
    return d;
  };
  const disposeAll = () => Promise.all(created.map((d) => d.dispose()));
  return { dispatcher, disposeAll };
}

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

module.exports = { SPEC, captureLogger, requestObject, dispatcherFactory, rejection };
