// The Python host builds Tyk's coprocess messages from the descriptor scripts/build.mjs writes
// (scripts/proto-descriptor.mjs), not from protoc output. These tests hold it to protoc's
// descriptor for proto/*.proto, field by field, and to the gateway's own encoding, byte for byte.
import { expect } from 'chai';
import { decodeObject, encodeObject } from '../src/coprocess/codec';
import type { CoprocessObject } from '../src/coprocess/dispatcher';
import { pythonOrSkip } from './fixtures/python/harness';
import { fromRoot } from './helpers/paths';
import { runToEnd } from './helpers/processes';

const HOST = fromRoot('dist', 'src', 'coprocess', 'drivers', 'python', 'host');

/** Runs `code` with the host's modules importable; `arg` reaches it as sys.argv[1]. Resolves with its stdout. */
async function runPython(python: string, code: string, arg = ''): Promise<string> {
  const run = await runToEnd(python, ['-c', code, arg], { env: { ...process.env, PYTHONPATH: HOST }, timeoutMs: 60_000 });
  if (run.code !== 0) throw new Error(`python failed (${run.code ?? run.signal}): ${run.out}`);
  return run.stdout;
}

/** An Object with every field of every message set to something other than its default. */
function everything(): CoprocessObject {
  return {
    hook_type: 5,
    hook_name: 'AllFields',
    request: {
      headers: { Host: 'h', 'X-A': 'ä\r\n' },
      set_headers: { 'X-Set': '1' },
      delete_headers: ['X-Del', 'X-Del2'],
      body: 'text body',
      url: '/a?b=c',
      params: { b: 'c' },
      add_params: { d: 'e' },
      extended_params: { f: 'g' },
      delete_params: ['h'],
      return_overrides: { response_code: -1, response_error: 'err', headers: { 'X-O': 'o' }, override_error: true, response_body: 'rb' },
      method: 'PATCH',
      request_uri: '/a?b=c',
      scheme: 'https',
      raw_body: Buffer.from([0, 1, 2, 255, 10, 13]),
    },
    session: {
      last_check: 1, allowance: 2.5, rate: 3.5, per: 4.5, expires: 1906121006, quota_max: 6, quota_renews: 7, quota_remaining: 8, quota_renewal_rate: 9,
      access_rights: { api1: { api_name: 'n', api_id: 'api1', versions: ['v1', 'v2'], allowed_urls: [{ url: '/u', methods: ['GET', 'POST'] }] } },
      org_id: 'org', oauth_client_id: 'oc', oauth_keys: { k: 'v' }, basic_auth_data: { password: 'p', hash: 'bcrypt' }, jwt_data: { secret: 's' },
      hmac_enabled: true, hmac_secret: 'hs', is_inactive: true, apply_policy_id: 'pol', data_expires: 10, monitor: { trigger_limits: [0.5, 0.9] },
      enable_detailed_recording: true, metadata: { token: 't', x: 'y' }, tags: ['a', 'b'], alias: 'al', last_updated: 'lu', id_extractor_deadline: 11,
      session_lifetime: 12, apply_policies: ['p1', 'p2'], certificate: 'cert', max_query_depth: 13, key_id: 'kid', post_expiry_action: 'retain', post_expiry_grace_period: 14,
    },
    metadata: { m: 'n' },
    spec: { OrgID: 'org', APIID: 'api', bundle_hash: 'd41d8cd98f00b204e9800998ecf8427e', config_data: '{"a":1}' },
    response: {
      status_code: 201, raw_body: Buffer.from('resp'), body: 'resp', headers: { 'Content-Type': 'text/plain' },
      multivalue_headers: [{ key: 'Set-Cookie', values: ['a=1', 'b=2'] }],
    },
  };
}

/** A decoded Object as plain JSON-able data (bytes as arrays), to compare two decodings. */
const asPlain = (bytes: Uint8Array): Plain =>
  JSON.parse(JSON.stringify(decodeObject(bytes), (_k, v: unknown) => (isSerialisedBuffer(v) ? v.data : v instanceof Uint8Array ? [...v] : v))) as Plain;

/** The fields of a plain decoding the test reads one by one (the rest is compared whole). */
interface Plain {
  session: { post_expiry_grace_period: number };
  response: { multivalue_headers: unknown };
}

/** A Buffer as JSON.stringify writes it: { type: 'Buffer', data: [...] }. */
function isSerialisedBuffer(v: unknown): v is { type: 'Buffer'; data: number[] } {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer';
}

describe('python driver: the host\'s protobuf classes', function () {
  this.timeout(120_000);
  let python: string;

  before(function () {
    python = pythonOrSkip(this);
  });

  it('has the same messages, fields, numbers, types and map entries as protoc makes of proto/', async function () {
    const report = await runPython(python, `
import glob, json, os, sys, tempfile
from grpc_tools import protoc
from google.protobuf import descriptor_pb2, descriptor_pool
from _isogate_host import proto
out = os.path.join(tempfile.mkdtemp(), "set.pb")
protos = sorted(glob.glob(os.path.join(${JSON.stringify(fromRoot('proto'))}, "*.proto")))
assert protoc.main(["protoc", "-I" + os.path.dirname(protos[0]), "--include_imports", "--descriptor_set_out=" + out] + protos) == 0
pool = descriptor_pool.DescriptorPool()
for f in descriptor_pb2.FileDescriptorSet.FromString(open(out, "rb").read()).file:
    pool.Add(f)
def shape(d, out):
    out[d.full_name] = sorted([f.name, f.number, f.label, f.type, (f.message_type or f.enum_type).full_name if (f.message_type or f.enum_type) else "", f.message_type.GetOptions().map_entry if f.message_type else False] for f in d.fields)
    for n in d.nested_types:
        shape(n, out)
ours, theirs = {}, {}
names = set()
for fname in [os.path.basename(p) for p in protos]:
    names.update(pool.FindFileByName(fname).message_types_by_name)
for name in sorted(names):
    shape(pool.FindMessageTypeByName("coprocess." + name), theirs)
    shape(proto.Object.DESCRIPTOR.file.pool.FindMessageTypeByName("coprocess." + name), ours)
service = pool.FindServiceByName("coprocess.Dispatcher")
our_service = proto.Object.DESCRIPTOR.file.pool.FindServiceByName("coprocess.Dispatcher")
methods = lambda s: sorted([m.name, m.input_type.full_name, m.output_type.full_name] for m in s.methods)
print(json.dumps({"ours": ours, "theirs": theirs, "service": [methods(our_service), methods(service)]}))
`);
    const { ours, theirs, service } = JSON.parse(report) as { ours: Record<string, unknown>; theirs: Record<string, unknown>; service: [unknown, unknown] };
    expect(Object.keys(theirs)).to.have.length.greaterThan(10);
    expect(ours).to.deep.equal(theirs);
    expect(service[0]).to.deep.equal(service[1]);
  });

  it('decodes and re-encodes every field of an Object exactly as the gateway encodes it', async function () {
    const sent = encodeObject(everything());
    const back = await runPython(python, `
import base64, sys
from _isogate_host import proto
obj = proto.Object.FromString(base64.b64decode(sys.argv[1]))
# A field the descriptor lacked would survive as an unknown field: drop those so it shows.
obj.DiscardUnknownFields()
assert obj.session.monitor.trigger_limits[1] == 0.9 and obj.request.raw_body == bytes([0, 1, 2, 255, 10, 13])
assert obj.session.access_rights["api1"].allowed_urls[0].methods[1] == "POST"
sys.stdout.write(base64.b64encode(obj.SerializeToString(deterministic=True)).decode())
`, Buffer.from(sent).toString('base64'));
    const returned = Buffer.from(back, 'base64');
    const plain = asPlain(returned);
    expect(plain).to.deep.equal(asPlain(sent));
    expect(plain.session.post_expiry_grace_period).to.equal(14);
    expect(plain.response.multivalue_headers).to.deep.equal([{ key: 'Set-Cookie', values: ['a=1', 'b=2'] }]);
  });
});
