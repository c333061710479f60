import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { compileIdExtractor, ExtractError, type ExtractInput, type IdExtractor, type IdExtractorContext } from '../src/auth/id-extractor';
import { thrownBy } from './helpers/errors';

/** The config compileIdExtractor takes; tests also hand it wrong types on purpose. */
type Config = NonNullable<Parameters<typeof compileIdExtractor>[0]>;

const ctx: IdExtractorContext = { apiId: 'api-1', orgId: 'org1' };
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

type Extra = Record<string, unknown> & { ctx?: IdExtractorContext };

/** compileIdExtractor over the three settings (plus `extra` keys, and `extra.ctx` for the context). */
function compileMaybe(extract_from: string, extract_with: string, extractor_config: Record<string, unknown>, extra: Extra = {}) {
  const { ctx: context, ...rest } = extra;
  return compileIdExtractor({ extract_from, extract_with, extractor_config, ...rest } as Config, context ?? ctx);
}

/** An extractor that must compile. */
function compile(extract_from: string, extract_with: string, extractor_config: Record<string, unknown>, extra: Extra = {}): IdExtractor {
  const ex = compileMaybe(extract_from, extract_with, extractor_config, extra);
  expect(ex, 'compiled extractor').to.not.equal(undefined);
  return ex!;
}

interface RequestParts {
  headers?: ExtractInput['headers'];
  query?: string;
  body?: string;
  contentType?: string;
  method?: string;
}

function request({ headers = {}, query = '', body = '', contentType, method }: RequestParts = {}): ExtractInput {
  return { headers, query, body: Buffer.from(body), contentType, method };
}

function extractFails(extractor: IdExtractor, input: ExtractInput) {
  const caught = thrownBy<ExtractError>(() => extractor.extract(input));
  expect(caught, 'extract should throw').to.be.instanceOf(ExtractError);
  expect(caught.status).to.equal(400);
  expect(caught.publicMessage).to.equal('Authorization field missing');
  return caught;
}

function configFails(cfg: Record<string, unknown>, key: string) {
  const caught = thrownBy(() => compileIdExtractor(cfg as Config, ctx));
  expect(caught, 'compile should throw').to.be.instanceOf(Error);
  expect(caught.name).to.equal('ConfigError');
  expect(caught.message).to.contain(`api "api-1": custom_middleware.id_extractor.${key}:`);
  return caught;
}

describe('ID extractor', () => {
  describe('activation', () => {
    it('is absent without config, when disabled, or with an unknown extract_with', () => {
      expect(compileIdExtractor(undefined, ctx)).to.equal(undefined);
      expect(compileMaybe('header', 'value', { header_name: 'Authorization' }, { disabled: true })).to.equal(undefined);
      expect(compileMaybe('header', 'magic', { header_name: 'Authorization' })).to.equal(undefined);
      expect(compileIdExtractor({ extract_from: 'header' } as Config, ctx)).to.equal(undefined);
    });

    it('reports what it compiled', () => {
      const ex = compile('header', 'regex', { header_name: 'X-Id', regex_expression: 'a' });
      expect(ex.extractFrom).to.equal('header');
      expect(ex.extractWith).to.equal('regex');
    });
  });

  describe('header source', () => {
    const ex = compile('header', 'value', { header_name: 'Authorization' });

    it('takes the header value, looked up case-insensitively', () => {
      expect(ex.extract(request({ headers: { authorization: 'abc' } }))).to.equal('abc');
      expect(ex.extract(request({ headers: { AUTHORIZATION: 'abc' } }))).to.equal('abc');
    });

    it('takes the first value of a repeated header', () => {
      expect(ex.extract(request({ headers: { authorization: ['first', 'second'] } }))).to.equal('first');
    });

    it('fails on a missing or empty header', () => {
      extractFails(ex, request());
      extractFails(ex, request({ headers: { authorization: '' } }));
      extractFails(ex, request({ headers: { authorization: [] } }));
    });

    it('gives different credentials different identities and cache keys', () => {
      const a = ex.extract(request({ headers: { authorization: 'key-a' } }));
      const b = ex.extract(request({ headers: { authorization: 'key-b' } }));
      expect(ex.cacheKey(a)).to.not.equal(ex.cacheKey(b));
    });
  });

  describe('form source', () => {
    const ex = compile('form', 'value', { param_name: 'user' });

    it('reads a urlencoded body and leaves the body untouched', () => {
      const body = Buffer.from('other=1&user=alice%40example.com');
      const copy = Buffer.from(body);
      const input = { headers: { 'content-type': 'application/x-www-form-urlencoded' }, query: '', body, method: 'POST' };
      expect(ex.extract(input)).to.equal('alice@example.com');
      expect(input.body).to.equal(body);
      expect(body.equals(copy)).to.equal(true);
      expect(ex.extract(input)).to.equal('alice@example.com');
    });

    it('accepts a content type with parameters, given explicitly', () => {
      const input = request({ body: 'user=bob', contentType: 'Application/X-WWW-Form-Urlencoded; charset=utf-8' });
      expect(ex.extract(input)).to.equal('bob');
    });

    it('reads the query string', () => {
      expect(ex.extract(request({ query: 'user=carol&x=1' }))).to.equal('carol');
    });

    it('joins every value, body before query, with no separator', () => {
      const input = request({
        query: 'user=q1&user=q2',
        body: 'user=b1',
        contentType: 'application/x-www-form-urlencoded',
        method: 'PUT',
      });
      expect(ex.extract(input)).to.equal('b1q1q2');
    });

    it('ignores bodies that are not urlencoded, and bodies of GET', () => {
      extractFails(ex, request({ body: 'user=x', contentType: 'text/plain', method: 'POST' }));
      extractFails(ex, request({ body: 'user=x', contentType: 'multipart/form-data; boundary=z', method: 'POST' }));
      extractFails(ex, request({ body: 'user=x', contentType: 'application/x-www-form-urlencoded', method: 'GET' }));
    });

    it('fails when the parameter is missing or empty', () => {
      extractFails(ex, request({ query: 'other=1' }));
      extractFails(ex, request({ query: 'user=' }));
    });
  });

  describe('body source', () => {
    it('uses the whole body as the value', () => {
      const ex = compile('body', 'value', {});
      expect(ex.extract(request({ body: 'token-in-body' }))).to.equal('token-in-body');
      extractFails(ex, request({ body: '' }));
    });

    it('accepts a plain Uint8Array body', () => {
      const ex = compile('body', 'value', {});
      const bytes = new Uint8Array(Buffer.from('xxhello'));
      expect(ex.extract({ headers: {}, query: '', body: bytes.subarray(2) })).to.equal('hello');
    });
  });

  describe('regex', () => {
    it('header/regex [0-9]+: prefix-12345 and prefix-123456 are different identities', () => {
      const ex = compile('header', 'regex', { header_name: 'Authorization', regex_expression: '[0-9]+' });
      const a = ex.extract(request({ headers: { authorization: 'prefix-12345' } }));
      const b = ex.extract(request({ headers: { authorization: 'prefix-123456' } }));
      expect(a).to.equal('12345');
      expect(b).to.equal('123456');
      expect(ex.cacheKey(a)).to.not.equal(ex.cacheKey(b));
    });

    it('ignores capture groups: prefix-(.*) yields the whole match', () => {
      const ex = compile('header', 'regex', { header_name: 'Authorization', regex_expression: 'prefix-(.*)' });
      expect(ex.extract(request({ headers: { authorization: 'prefix-testkey123' } }))).to.equal('prefix-testkey123');
    });

    it('regex_match_index picks one of the whole matches', () => {
      const ex = compile('header', 'regex', { header_name: 'X-Id', regex_expression: '[0-9]+', regex_match_index: 1 });
      expect(ex.extract(request({ headers: { 'x-id': 'a1-b22-c333' } }))).to.equal('22');
    });

    it('fails when regex_match_index is out of range or nothing matches', () => {
      const ex = compile('header', 'regex', { header_name: 'X-Id', regex_expression: '[0-9]+', regex_match_index: 2 });
      extractFails(ex, request({ headers: { 'x-id': 'a1-b22' } }));
      const ex0 = compile('header', 'regex', { header_name: 'X-Id', regex_expression: '[0-9]+' });
      extractFails(ex0, request({ headers: { 'x-id': 'letters' } }));
    });

    it('is reusable across requests (no lastIndex carry-over)', () => {
      const ex = compile('header', 'regex', { header_name: 'X-Id', regex_expression: '[0-9]+' });
      for (let i = 0; i < 3; i++) expect(ex.extract(request({ headers: { 'x-id': 'n-42' } }))).to.equal('42');
    });

    it('runs over the body and over form values', () => {
      const body = compile('body', 'regex', { regex_expression: 'id=[a-z]+' });
      expect(body.extract(request({ body: 'x id=abc y' }))).to.equal('id=abc');
      extractFails(body, request({ body: '' }));
      const form = compile('form', 'regex', { param_name: 'k', regex_expression: '[0-9]+' });
      expect(form.extract(request({ query: 'k=v77' }))).to.equal('77');
    });

    it('turns a leading RE2 inline flag into a RegExp flag', () => {
      const ex = compile('header', 'regex', { header_name: 'X-Id', regex_expression: '(?i)abc' });
      expect(ex.extract(request({ headers: { 'x-id': '--ABC--' } }))).to.equal('ABC');
    });

    it('never yields an empty identity', () => {
      const ex = compile('header', 'regex', { header_name: 'X-Id', regex_expression: '[0-9]*' });
      extractFails(ex, request({ headers: { 'x-id': 'abc' } }));
    });
  });

  describe('xpath', () => {
    const xml = '<object><key>thevalue</key></object>';

    it('reads the header as XML', () => {
      const ex = compile('header', 'xpath', { header_name: 'X-Xml', xpath_expression: '//object/key' });
      expect(ex.extract(request({ headers: { 'x-xml': xml } }))).to.equal('thevalue');
    });

    it('reads the body as XML', () => {
      const ex = compile('body', 'xpath', { xpath_expression: '//object/key' });
      expect(ex.extract(request({ body: xml }))).to.equal('thevalue');
    });

    it('takes the first match in document order', () => {
      const ex = compile('body', 'xpath', { xpath_expression: '//key' });
      expect(ex.extract(request({ body: '<o><key>a</key><key>b</key></o>' }))).to.equal('a');
    });

    it('turns malformed XML into an ExtractError, without console output', () => {
      const ex = compile('body', 'xpath', { xpath_expression: '//object/key' });
      const written: unknown[][] = [];
      const saved = { error: console.error, warn: console.warn, log: console.log };
      console.error = console.warn = console.log = (...args) => written.push(args);
      try {
        for (const body of ['<object><key>thevalue</key>', 'not xml', '', '<a>&undefined;</a>', '<a b=c/>', '<a/><b/>']) {
          extractFails(ex, request({ body }));
        }
      } finally {
        Object.assign(console, saved);
      }
      expect(written).to.deep.equal([]);
    });

    it('fails when nothing matches or the match is empty', () => {
      const ex = compile('body', 'xpath', { xpath_expression: '//object/key' });
      extractFails(ex, request({ body: '<object><other>x</other></object>' }));
      extractFails(ex, request({ body: '<object><key></key></object>' }));
    });

    it('fails on a missing header', () => {
      const ex = compile('header', 'xpath', { header_name: 'X-Xml', xpath_expression: '//object/key' });
      extractFails(ex, request());
    });
  });

  describe('config errors name the API and the key', () => {
    it('unknown or missing extract_from', () => {
      configFails({ extract_from: 'cookie', extract_with: 'value' }, 'extract_from');
      configFails({ extract_from: 'querystring', extract_with: 'value', extractor_config: { param_name: 'k' } }, 'extract_from');
      configFails({ extract_with: 'value' }, 'extract_from');
    });

    it('missing settings for the chosen mode', () => {
      configFails({ extract_from: 'header', extract_with: 'value' }, 'extractor_config.header_name');
      configFails({ extract_from: 'header', extract_with: 'value', extractor_config: { header_name: '' } }, 'extractor_config.header_name');
      configFails({ extract_from: 'form', extract_with: 'value', extractor_config: {} }, 'extractor_config.param_name');
      configFails({ extract_from: 'body', extract_with: 'regex', extractor_config: {} }, 'extractor_config.regex_expression');
      configFails({ extract_from: 'body', extract_with: 'xpath', extractor_config: {} }, 'extractor_config.xpath_expression');
    });

    it('invalid regular expression', () => {
      const err = configFails(
        { extract_from: 'body', extract_with: 'regex', extractor_config: { regex_expression: '([0-9]+' } },
        'extractor_config.regex_expression',
      );
      expect(err.message).to.contain('invalid regular expression');
      configFails(
        { extract_from: 'body', extract_with: 'regex', extractor_config: { regex_expression: '(?U)a+' } },
        'extractor_config.regex_expression',
      );
    });

    it('invalid regex_match_index', () => {
      for (const regex_match_index of [-1, 1.5, '1']) {
        configFails(
          { extract_from: 'body', extract_with: 'regex', extractor_config: { regex_expression: 'a', regex_match_index } },
          'extractor_config.regex_match_index',
        );
      }
    });

    it('invalid xpath expression, including an unbound prefix', () => {
      for (const xpath_expression of ['//object[', '//x:key']) {
        const err = configFails(
          { extract_from: 'body', extract_with: 'xpath', extractor_config: { xpath_expression } },
          'extractor_config.xpath_expression',
        );
        expect(err.message).to.contain('invalid XPath expression');
      }
    });
  });

  describe('cache key', () => {
    it('default (per API): org_id, then the api_id and ":" before the md5 hex of the identity', () => {
      const ex = compile('header', 'value', { header_name: 'Authorization' });
      expect(ex.cacheKey('abc')).to.equal(`org1api-1:${md5('abc')}`);
      const other = compile('header', 'value', { header_name: 'Authorization' }, { ctx: { apiId: 'api-2', orgId: 'org1' } });
      expect(other.cacheKey('abc')).to.not.equal(ex.cacheKey('abc'));
    });

    it("scope org, Tyk's legacy form: org_id followed by the lowercase md5 hex of the identity", () => {
      const ex = compile('header', 'value', { header_name: 'Authorization' }, { ctx: { ...ctx, scope: 'org' } });
      expect(ex.cacheKey('abc')).to.equal(`org1${md5('abc')}`);
      expect(md5('abc')).to.equal('900150983cd24fb0d6963f7d28e17f72');
    });

    it('scope org, hash_key_function form: base64 of {"org","id","h"} compact JSON', () => {
      const ex = compile('header', 'value', { header_name: 'Authorization' }, {
        ctx: { apiId: 'api-1', orgId: 'org1', hashKeyFunction: 'murmur64', scope: 'org' },
      });
      const key = ex.cacheKey('abc');
      const json = Buffer.from(key, 'base64').toString('utf8');
      expect(json).to.equal(`{"org":"org1","id":"${md5('abc')}","h":"murmur64"}`);
      expect(key).to.equal(Buffer.from(json).toString('base64'));
    });

    it('depends on the org', () => {
      const a = compile('header', 'value', { header_name: 'A' }, { ctx: { apiId: 'a', orgId: 'o1' } });
      const b = compile('header', 'value', { header_name: 'A' }, { ctx: { apiId: 'b', orgId: 'o2' } });
      expect(a.cacheKey('same')).to.not.equal(b.cacheKey('same'));
    });
  });
});
