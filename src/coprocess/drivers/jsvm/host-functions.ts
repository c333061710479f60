import type { GatewayConfig } from '../../../config/gateway-config';
import type { HostFunctions } from '../isolate';
import type { NetAccess } from '../../../net/access';
import { batchRequest } from './batch-request';
import { makeHttpRequest } from './http-request';
import { getKeyData, type KeyDataCaller, type KeyDataServices, setKeyData } from './key-data';
import { JSVM_HOST_FUNCTIONS } from '../../../protocol/jsvm';

export interface JsvmHostDeps {
  config: Pick<GatewayConfig, 'hash_keys' | 'hash_key_function' | 'jsvm_key_access' | 'isolate_options'>;
  /** Absent: TykGetKeyData / TykSetKeyData fail (the plugin gets undefined). */
  sessions?: KeyDataServices;
}

const str = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value));

/**
 * The host side of Tyk's JSVM natives that leave the isolate (sandbox/jsvm/globals.ts), for the
 * isolate of one API: `caller` is that API, never what the plugin says it is.
 */
export function jsvmHostFunctions(deps: JsvmHostDeps, caller: KeyDataCaller, access: NetAccess, log: (message: string) => void): HostFunctions {
  const { sessions, config } = deps;
  const needSessions = (): KeyDataServices => {
    if (!sessions) throw new Error('no session store is available to this isolate');
    return sessions;
  };
  return {
    [JSVM_HOST_FUNCTIONS.httpRequest]: ([json], { signal }) =>
      makeHttpRequest(str(json), signal, access),
    [JSVM_HOST_FUNCTIONS.batchRequest]: ([json], { signal }) => batchRequest(str(json), signal, access, log),
    [JSVM_HOST_FUNCTIONS.getKeyData]: ([key, apiId]) => getKeyData(str(key), str(apiId), caller, config, needSessions()),
    [JSVM_HOST_FUNCTIONS.setKeyData]: async ([key, json, suppressReset]) => {
      await setKeyData(str(key), str(json), str(suppressReset), caller, config, needSessions());
      return null;
    },
  };
}
