// The `isolate` driver: per-API V8 isolates running sandbox/ (see isolate-dispatcher.ts).
export { IsolateDispatcher, type IsolateReload, type IsolateStats } from './isolate-dispatcher';
export type { IsolateDispatcherOptions, IsolateSource } from './options';
export { MiddlewareSourceError } from './source-error';
export type { HeapSample } from './isolate-slot';
export { HostCalls, type HostCallContext, type HostFunction, type HostFunctions } from './host-calls';
export { isolateCounts } from './live-isolates';
export { outputCounts, outputSummary, type OutputCounts } from './output-meter';
export { warmIsolateEngine } from './runtime-script';
