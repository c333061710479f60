// Must be imported before the generated code: pbjs static code bakes int64 defaults into message
// prototypes when it loads (`Long.fromBits(0,0)` if Long is present), so Long has to be off by then.
// int64 fields (expiry, quotas) are unix seconds and counters: exact as numbers, and Long objects
// would leak into every hook.
import * as protobuf from 'protobufjs/minimal';

protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();
