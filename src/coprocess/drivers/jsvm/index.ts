// Host side of Tyk JSVM plugins (drivers otto, javascript): the natives that need the gateway.
// The plugin API itself lives in the isolate (sandbox/jsvm/).
export { AllowListError, HttpAllowList } from '../../../config/host-allow-list';
export { jsvmHostFunctions, type JsvmHostDeps } from './host-functions';
export type { KeyDataCaller, KeyDataServices } from './key-data';
export { saveReturnedSessionMeta } from './session-exchange';
