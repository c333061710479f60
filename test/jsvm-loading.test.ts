// How Tyk JSVM code gets into an API's isolate besides definition entries, through a real
// gateway, real isolates and a real loopback upstream: file-based middleware folders
// (`middleware_path/{pre,post}/*.js`, `middleware_path/{api_id}/{pre,auth,post_auth,post}/*.js`),
// the `tyk_js_path` core script, and `eh_dynamic_handler` event handlers.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { hookedApi, keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { echoed, startRecordingServer, type RecordingServer } from './helpers/http';

const CORE = `
var coreLoaded = 'yes';
function coreGreeting(who) { return 'core says hi to ' + who; }
`;

const mw = (name: string, body: string) => `
var ${name} = new TykJS.TykMiddleware.NewMiddleware({});
${name}.NewProcessRequest(function (request, session, config) {
  ${body}
  return ${name}.ReturnData(request, session.meta_data || {});
});
`;

const HANDLER = (name: string, marker: string) => `
var ${name} = new TykJS.TykEventHandlers.NewEventHandler({});
${name}.NewHandler(function (event, context) {
  log('${marker} ' + event.Type + ' ' + context.APIID + ' ' + context.OrgID + ' ' + (typeof coreGreeting));
});
`;

describe('Tyk JSVM loading: file-based middleware, tyk_js_path and eh_dynamic_handler', function () {
  let upstream: RecordingServer;
  let gw: RunningGateway;
  let dir: string;

  before(async function () {
    this.timeout(60_000);
    upstream = await startRecordingServer();
    dir = makeWorkspace();
    fs.writeFileSync(path.join(dir, 'core.js'), CORE);
    // Gateway-wide folders: every API with a JSVM driver (or none) runs them, first.
    writeMiddleware(dir, 'pre/globalPre.js', mw('globalPre', "request.SetHeaders['X-Global-Pre'] = 'global ' + coreLoaded;"));
    // The API's own folders.
    writeMiddleware(dir, 'fb-api/pre/filePre.js', mw('filePre', "request.SetHeaders['X-File-Pre'] = coreGreeting(config.APIID);"));
    writeMiddleware(dir, 'fb-api/post/filePost_with_session.js', mw('filePost_with_session', "request.SetHeaders['X-File-Post'] = 'post saw session ' + JSON.stringify(session);"));
    writeMiddleware(dir, 'fb-api/pre/notes.txt', 'not JavaScript: never loaded');
    writeMiddleware(dir, 'fb-auth/auth/fileAuth.js', `
var fileAuth = new TykJS.TykMiddleware.NewMiddleware({});
fileAuth.NewProcessRequest(function (request, session, config) {
  if (request.Headers['Authorization'] === undefined || request.Headers['Authorization'][0] !== 'let-me-in') {
    request.ReturnOverrides.ResponseCode = 401;
    request.ReturnOverrides.ResponseError = 'file auth says no';
    return fileAuth.ReturnData(request);
  }
  return fileAuth.ReturnAuthData(request, { rate: 100, per: 1, quota_max: -1, meta_data: { who: 'file-auth' } });
});`);
    writeMiddleware(dir, 'handlers/on-auth.js', HANDLER('onAuthFailure', 'EH-FIRED'));
    writeMiddleware(dir, 'hooks/otto.js', mw('ottoPre', "request.SetHeaders['X-Otto'] = 'otto';") + HANDLER('ottoHandler', 'EH-OTTO'));
    writeMiddleware(dir, 'hooks/isolate.js', "function isoPre(request) { request.set_headers['X-Iso'] = 'iso'; }");

    writeApi(dir, keylessApi('fb-api', '/fb-api/', upstream.url));
    // A file in a folder that is a symlink out of middleware_path: the API is refused.
    fs.mkdirSync(path.join(dir, 'middleware', 'fb-evil'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'elsewhere'));
    fs.writeFileSync(path.join(dir, 'elsewhere', 'leak.js'), mw('leak', "request.SetHeaders['X-Leak'] = 'leaked';"));
    fs.symlinkSync(path.join(dir, 'elsewhere'), path.join(dir, 'middleware', 'fb-evil', 'pre'));
    writeApi(dir, keylessApi('fb-evil', '/fb-evil/', upstream.url));
    writeApi(dir, keylessApi('fb-auth', '/fb-auth/', upstream.url, { use_keyless: false, enable_coprocess_auth: true }));
    // Another driver: the folders are skipped (with a warning), its own hooks run.
    writeApi(dir, hookedApi('fb-isolate', upstream.url, { driver: 'isolate', pre: [{ name: 'isoPre', path: 'hooks/isolate.js' }] }));

    const onAuthFailure = (meta: Record<string, unknown>) => ({ events: { AuthFailure: [{ handler_name: 'eh_dynamic_handler', handler_meta: meta }] } });
    // A keyed API whose only JSVM code is the handler file (and the gateway-wide folder).
    writeApi(dir, keylessApi('eh-api', '/eh-api/', upstream.url, {
      use_keyless: false,
      use_standard_auth: true,
      event_handlers: onAuthFailure({ id: 'h1', name: 'onAuthFailure', path: 'handlers/on-auth.js' }),
    }));
    // An API with another driver: its eh_dynamic_handler gets a JSVM of its own (with tyk_js_path).
    writeApi(dir, hookedApi('eh-iso', upstream.url, { driver: 'isolate', pre: [{ name: 'isoPre', path: 'hooks/isolate.js' }] }, {
      use_keyless: false,
      use_standard_auth: true,
      event_handlers: onAuthFailure({ name: 'onAuthFailure', path: 'handlers/on-auth.js' }),
    }));
    // The handler defined in the otto API's hook file: no path needed.
    writeApi(dir, hookedApi('eh-otto', upstream.url, { driver: 'otto', pre: [{ name: 'ottoPre', path: 'hooks/otto.js' }] }, {
      use_keyless: false,
      use_standard_auth: true,
      event_handlers: onAuthFailure({ name: 'ottoHandler' }),
    }));
    // Disabled: skipped before anything about it is read, so the API loads and serves.
    writeApi(dir, keylessApi('eh-disabled', '/eh-disabled/', upstream.url, {
      event_handlers: onAuthFailure({ disabled: true, name: 'not a name', path: '../../etc/passwd' }),
    }));
    writeApi(dir, keylessApi('eh-outside', '/eh-outside/', upstream.url, { event_handlers: onAuthFailure({ name: 'x', path: '../core.js' }) }));

    gw = await startGateway({ dir, config: { tyk_js_path: 'core.js' } });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  describe('file-based middleware', () => {
    it('loads the gateway-wide pre folder, then the API\'s pre and post folders, with tyk_js_path available to them', async () => {
      const res = await fetch(`${gw.url}/fb-api/x`);
      expect(res.status, await res.clone().text()).to.equal(200);
      const seen = await echoed(res);
      expect(seen.headers['x-global-pre']).to.equal('global yes');
      expect(seen.headers['x-file-pre']).to.equal('core says hi to fb-api');
      // `_with_session` asks for the session; a keyless API has none, so Tyk's empty session.
      expect(seen.headers['x-file-post']).to.equal('post saw session {}');
    });

    it('a folder that is a symlink out of middleware_path fails the API\'s load, naming the file', async () => {
      const failed = (await gw.reload()).failed ?? [];
      const failure = failed.find((f) => f.api_id === 'fb-evil');
      expect(failure, JSON.stringify(failed)).to.not.equal(undefined);
      expect(failure!.error).to.include('outside middleware_path');
      // The failed-middleware state (middleware_load_failure: "serve_500"): 500, nothing of it runs.
      expect((await fetch(`${gw.url}/fb-evil/x`)).status).to.equal(500);
    });

    it('an auth folder file is the API\'s auth_check', async () => {
      const no = await fetch(`${gw.url}/fb-auth/x`);
      expect(no.status).to.equal(401);
      expect((await no.json() as { error: string }).error).to.equal('file auth says no');
      const yes = await fetch(`${gw.url}/fb-auth/x`, { headers: { authorization: 'let-me-in' } });
      expect(yes.status).to.equal(200);
      expect((await echoed(yes)).headers['x-global-pre']).to.equal('global yes');
    });

    it('an API with another driver keeps its own hooks and skips the folders, with a warning', async () => {
      const seen = await echoed(await fetch(`${gw.url}/fb-isolate/x`));
      expect(seen.headers['x-iso']).to.equal('iso');
      expect(seen.headers).to.not.have.property('x-global-pre');
      await gw.waitForLog('file-based JSVM middleware in middleware_path is not loaded: custom_middleware.driver is \\"isolate\\"');
    });
  });

  describe('eh_dynamic_handler', () => {
    it('fires a handler loaded from handler_meta.path, with Tyk\'s event and context', async () => {
      const res = await fetch(`${gw.url}/eh-api/x`);
      expect(res.status).to.equal(401);
      await gw.waitForLog('EH-FIRED AuthFailure eh-api org1 function');
    });

    it('fires in a JSVM of its own for an API whose driver is not a JSVM one', async () => {
      expect((await fetch(`${gw.url}/eh-iso/x`)).status).to.equal(401);
      await gw.waitForLog('EH-FIRED AuthFailure eh-iso org1 function');
    });

    it("fires a handler defined in an otto API's hook file", async () => {
      expect((await fetch(`${gw.url}/eh-otto/x`)).status).to.equal(401);
      await gw.waitForLog('EH-OTTO AuthFailure eh-otto org1 function');
    });

    it('an API whose handler is "disabled": true still loads', async () => {
      const res = await fetch(`${gw.url}/eh-disabled/x`);
      expect(res.status).to.equal(200);
      expect(upstream.requests.at(-1)!.url).to.equal('/x');
    });

    it('a handler path outside middleware_path is refused at load, naming the key', async () => {
      const failed = (await gw.reload()).failed ?? [];
      const failure = failed.find((f) => f.api_id === 'eh-outside');
      expect(failure, JSON.stringify(failed)).to.not.equal(undefined);
      expect(failure!.error).to.include('event_handlers.events.AuthFailure[0].handler_meta.path: "../core.js" contains ".."');
      expect((await fetch(`${gw.url}/eh-outside/x`)).status).to.equal(500);
    });
  });

  describe('tyk_js_path', () => {
    it('a syntax error in it fails the JSVM APIs\' reload, naming the file, and the running versions keep serving', async () => {
      fs.writeFileSync(path.join(dir, 'core.js'), 'function coreGreeting( { broken');
      try {
        const failed = (await gw.reload()).failed ?? [];
        const failure = failed.find((f) => f.api_id === 'fb-api');
        expect(failure, JSON.stringify(failed)).to.not.equal(undefined);
        expect(failure!.error).to.include(path.join(dir, 'core.js'));
        // An API without a JSVM is not affected.
        expect(failed.find((f) => f.api_id === 'fb-isolate')).to.equal(undefined);
        const seen = await echoed(await fetch(`${gw.url}/fb-api/x`));
        expect(seen.headers['x-file-pre']).to.equal('core says hi to fb-api');
      } finally {
        fs.writeFileSync(path.join(dir, 'core.js'), CORE);
      }
    });
  });
});
