// Wire compatibility: the pbjs static code (host codec and isolate runtime) against a reflection
// load of the very .proto files Tyk ships. Bytes must cross in both directions, field numbers
// must be Tyk's, and the sandbox normaliser's hand-written schema must match the protos.
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { expect } from 'chai';
import * as esbuild from 'esbuild';
import * as protobuf from 'protobufjs';
import { decodeObject, encodeObject } from '../src/coprocess/codec';
import { HookType, type CoprocessObject } from '../src/coprocess/dispatcher';
import { present } from './helpers/coprocess';
import { fromRoot } from './helpers/paths';

const protoFiles = readdirSync(fromRoot('proto'))
  .filter((f) => f.endsWith('.proto'))
  .map((f) => fromRoot('proto', f));

/** What sandbox/wire/schema.ts exports, as far as this test reads it (the sandbox is bundled separately). */
interface SandboxSchema {
  name: string;
  fields: { name: string; label: string; kind: string | { name: string } }[];
}

/** A fully populated Object: every message type, maps of messages, packed doubles, big int64s. */
function fullObject() {
  return {
    hook_type: HookType.Response,
    hook_name: 'MyHook',
    request: {
      headers: { Host: 'example.com', Authorization: 'Bearer x' },
      set_headers: { 'X-Set': 'yes' },
      delete_headers: ['X-Del'],
      body: 'héllo',
      url: '/listen/path?a=1',
      params: { a: '1' },
      add_params: { b: '2' },
      extended_params: { c: '3' },
      delete_params: ['d'],
      return_overrides: { response_code: -1, response_error: 'err', headers: { 'X-RO': '1' }, override_error: true, response_body: 'rb' },
      method: 'POST',
      request_uri: '/listen/path?a=1',
      scheme: 'https',
      raw_body: Buffer.from([0xff, 0x00, 0xc3, 0xa9]),
    },
    session: {
      last_check: 1700000000,
      allowance: 1.5,
      rate: 100,
      per: 60,
      expires: 4102444800,
      quota_max: -1,
      quota_renews: 1700003600,
      quota_remaining: 99,
      quota_renewal_rate: 3600,
      access_rights: {
        api1: { api_name: 'API one', api_id: 'api1', versions: ['Default'], allowed_urls: [{ url: '/x', methods: ['GET', 'POST'] }] },
      },
      org_id: 'org1',
      oauth_client_id: 'client',
      oauth_keys: { k: 'v' },
      basic_auth_data: { password: 'pw', hash: 'bcrypt' },
      jwt_data: { secret: 's' },
      hmac_enabled: true,
      hmac_secret: 'hs',
      is_inactive: true,
      apply_policy_id: 'p1',
      data_expires: 86400,
      monitor: { trigger_limits: [80, 90.5] },
      enable_detailed_recording: true,
      metadata: { token: 'abc', plan: 'gold' },
      tags: ['t1', 't2'],
      alias: 'alias',
      last_updated: '1700000000',
      id_extractor_deadline: 1700000600,
      session_lifetime: 3600,
      apply_policies: ['p1', 'p2'],
      certificate: 'cert',
      max_query_depth: 5,
      key_id: 'key-1',
      post_expiry_action: 'retain',
      post_expiry_grace_period: 7200,
    },
    metadata: { token: 'abc' },
    spec: { OrgID: 'org1', APIID: 'api1', bundle_hash: 'd41d8cd98f00b204e9800998ecf8427e', config_data: '{"a":1}' },
    response: {
      status_code: 201,
      raw_body: Buffer.from('upstream'),
      body: 'upstream',
      headers: { 'Content-Type': 'text/plain' },
      multivalue_headers: [{ key: 'Set-Cookie', values: ['a=1', 'b=2'] }],
    },
  };
}

/** Plain, comparable form: bytes as arrays, int64 as numbers, enums as numbers. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function plain(type: protobuf.Type, message: protobuf.Message | Record<string, any>): any {
  return JSON.parse(JSON.stringify(type.toObject(message as protobuf.Message, { longs: Number, enums: Number, bytes: Array, defaults: false })));
}

describe('protobuf wire compatibility with Tyk proto files', () => {
  let reflection: protobuf.Root;
  let ObjectType: protobuf.Type;

  before(() => {
    reflection = new protobuf.Root().loadSync(protoFiles, { keepCase: true });
    ObjectType = reflection.lookupType('coprocess.Object');
  });

  it('decodes static-code bytes with the reflection types', () => {
    const original = fullObject();
    const bytes = encodeObject(original);
    const viaReflection = plain(ObjectType, ObjectType.decode(bytes));
    expect(viaReflection).to.deep.equal(plain(ObjectType, ObjectType.fromObject(original)));
    expect(viaReflection.session.expires).to.equal(4102444800);
    expect(viaReflection.session.quota_max).to.equal(-1);
    expect(viaReflection.session.access_rights.api1.allowed_urls[0].methods).to.deep.equal(['GET', 'POST']);
  });

  it('decodes reflection bytes with the static code', () => {
    const original = fullObject();
    const bytes = ObjectType.encode(ObjectType.fromObject(original)).finish();
    const decoded = present(decodeObject(bytes));
    expect(plain(ObjectType, ObjectType.fromObject(decoded))).to.deep.equal(plain(ObjectType, ObjectType.fromObject(original)));
    expect(Buffer.from(decoded.request.raw_body).equals(original.request.raw_body)).to.equal(true);
    expect(decoded.session.id_extractor_deadline).to.equal(1700000600);
    expect(decoded.session.monitor.trigger_limits).to.deep.equal([80, 90.5]);
    expect(decoded.response.multivalue_headers[0].values).to.deep.equal(['a=1', 'b=2']);
  });

  it('uses the field numbers of Tyk proto files', () => {
    const field = (type: string, name: string) => reflection.lookupType(`coprocess.${type}`).fields[name]!.id;
    expect(field('SessionState', 'id_extractor_deadline')).to.equal(27);
    expect(field('SessionState', 'key_id')).to.equal(32);
    expect(field('SessionState', 'post_expiry_grace_period')).to.equal(34);
    expect(field('MiniRequestObject', 'raw_body')).to.equal(14);
    expect(field('MiniRequestObject', 'return_overrides')).to.equal(10);
    expect(field('Object', 'response')).to.equal(7);
    expect(field('ResponseObject', 'multivalue_headers')).to.equal(5);
    expect({ ...reflection.lookupEnum('coprocess.HookType').values }).to.deep.equal({ Unknown: 0, Pre: 1, Post: 2, PostKeyAuth: 3, CustomKeyCheck: 4, Response: 5 });
    expect(reflection.lookupService('coprocess.Dispatcher').methods.Dispatch!.requestType).to.equal('Object');
  });

  it('writes those field numbers on the wire from the static code', () => {
    // Object.request (3, length-delimited) → MiniRequestObject.raw_body (14, length-delimited).
    expect([...encodeObject({ request: { raw_body: Buffer.from([7]) } })]).to.deep.equal([(3 << 3) | 2, 3, (14 << 3) | 2, 1, 7]);
    // Object.session (4) → SessionState.id_extractor_deadline (27, varint): tag 27<<3 = 216 → varint d8 01.
    expect([...encodeObject({ session: { id_extractor_deadline: 1 } })]).to.deep.equal([(4 << 3) | 2, 3, 0xd8, 0x01, 1]);
  });

  it('keeps the sandbox normaliser schema identical to the protos', () => {
    const bundled = esbuild.buildSync({ entryPoints: [fromRoot('sandbox', 'wire', 'schema.ts')], bundle: true, write: false, format: 'cjs', platform: 'neutral' });
    const module = { exports: {} as { ALL_SCHEMAS: SandboxSchema[] } };
    new Function('module', 'exports', bundled.outputFiles[0]!.text)(module, module.exports);
    const { ALL_SCHEMAS } = module.exports;

    const scalarKinds: Record<string, string> = { string: 'string', bytes: 'bytes', bool: 'bool', int32: 'int32', int64: 'int64', double: 'double' };
    const reached = new Set<string>();
    const visit = (type: protobuf.Type) => {
      if (reached.has(type.fullName)) return;
      reached.add(type.fullName);
      for (const f of type.fieldsArray) if (f.resolve().resolvedType instanceof protobuf.Type) visit(f.resolvedType as protobuf.Type);
    };
    visit(ObjectType);
    expect(ALL_SCHEMAS.map((s) => `.${s.name}`).sort()).to.deep.equal([...reached].sort());

    for (const schema of ALL_SCHEMAS) {
      const type = reflection.lookupType(schema.name);
      const expected = type.fieldsArray.map((f) => {
        f.resolve();
        const label = f.map ? 'map' : f.repeated ? 'repeated' : 'single';
        let kind = scalarKinds[f.type];
        if (f.resolvedType instanceof protobuf.Enum) kind = 'enum';
        if (f.resolvedType instanceof protobuf.Type) kind = f.resolvedType.fullName.slice(1);
        return `${f.name}:${label}:${kind}`;
      });
      const actual = schema.fields.map((f) => `${f.name}:${f.label}:${typeof f.kind === 'object' ? f.kind.name : f.kind}`);
      expect(actual, schema.name).to.deep.equal(expected);
    }
  });
});
