// Helpers for tests that drive the isolate engine in process: real isolates, the real runtime
// bundle (dist/sandbox/runtime.js), Objects built the way the gateway builds them (plain
// proto-named objects through the wire codec).
import { decodeObject, encodeObject } from '../../src/coprocess/codec';
import { HookType, type CoprocessObject } from '../../src/coprocess/dispatcher';
import { IsolateDispatcher, type IsolateDispatcherOptions, type IsolateSource } from '../../src/coprocess/drivers/isolate';
import { captureLogger } from './log';

export const SPEC = { OrgID: 'org1', APIID: 'api1', bundle_hash: 'd41d8cd98f00b204e9800998ecf8427e', config_data: '{"greeting":"hi"}' };

export type Request = NonNullable<CoprocessObject['request']>;

/** A request Object as the gateway sends it, round-tripped through the wire codec. */
export function requestObject(hookName: string, request: Request = {}, extra: CoprocessObject = {}): CoprocessObject {
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

export interface DispatcherFactory {
  /** An IsolateDispatcher for api1 with small limits, running `code` (or these sources). */
  dispatcher(code: string | IsolateSource[], options?: Partial<IsolateDispatcherOptions>): IsolateDispatcher;
  /** Releases every dispatcher built so far (call it in an `after` hook). */
  disposeAll(): Promise<void>;
}

/** One factory per test file: it remembers what it built, so `disposeAll` frees them all. */
export function dispatcherFactory(): DispatcherFactory {
  const created: IsolateDispatcher[] = [];
  return {
    dispatcher(code, options = {}) {
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
    },
    async disposeAll() {
      await Promise.all(created.map((d) => d.dispose()));
    },
  };
}
