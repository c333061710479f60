export { channelOptionsFrom, type CoprocessOptions } from './channel-options';
export { GrpcConnection, type DispatcherMethod, type UnaryCallOptions } from './connection';
export { dispatchErrorFromStatus } from './errors';
export { GrpcDispatcher, type GrpcDispatcherOptions } from './grpc-dispatcher';
export { parseGrpcTarget } from './target';
export { assertUsableReply } from './validate';
