// Imported before the generated code: pbjs static code bakes int64 defaults into message
// prototypes when it loads (`Long.fromBits(0,0)` if Long is present), so Long must be off by then.
// int64 session fields (expires, quota_*) are unix seconds and counters: exact as plain numbers.
import * as protobuf from 'protobufjs/minimal';

protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();
