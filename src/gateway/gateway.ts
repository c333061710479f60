import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { AuthCache, CachedSessionStore } from '../auth/auth-cache';
import type { ApiSpec } from '../config/api-spec';
import { type BundleContext, buildSpec, type LoadFailure, loadApiDefinitions, type PendingSpec, readDefinitionFile, type ServingPath } from '../config/load-apps';
import { BundleLoader } from '../bundles/loader';
import type { StagedBundle } from '../bundles/uploads';
import { ConfigError } from '../config/config-error';
import type { SourceOverlay } from '../config/middleware-sources';
import { join } from 'node:path';
import type { GatewayConfig } from '../config/gateway-config';
import { Drivers } from '../coprocess/drivers';
import { EventBus } from '../events';
import { SessionLimiter } from '../auth/limits';
import { logger } from '../log/logger';
import { type ClusterBus, Commands, WorkerLink, nodeHandlers, startClusterBus } from '../cluster/index';
import { RedisSessionStore, connectSessionStore, createSessionStore, sharedCountersOf } from '../storage/index';
import type { SessionStore } from '../storage/session-store';
import { type KvStore, kvStoreFor } from '../storage/kv';
import { ApiRuntime } from './api-runtime';
import { buildApiRuntime, type GatewayServices } from './build-runtime';
import { GatewayError, Messages } from '../pipeline/errors';
import { framingError } from '../pipeline/framing';
import { isClosing, lastResort, sendError, sendGatewayError, sendReply, setGeneratorHeader } from '../pipeline/respond';
import { handleApiRequest, type RequestObservers } from './handle-request';
import { GatewayMetrics } from '../metrics/registry';
import { METRICS_PATH, scrapeAuthorized, serveMetrics, startMetricsServer } from '../metrics/endpoint';
import { accessLogFor } from '../metrics/access-log';
import { setRequestTiming } from '../metrics/clock';
import { hookEntries } from './build-runtime';
import { isolateCounts, outputCounts } from '../coprocess/drivers/isolate';
import { quarantine } from '../containment/quarantine';
import { failedMiddlewareRuntime, MiddlewareLoadError } from './failed-runtime';
import { loadPolicies } from '../policies/load';
import type { PolicySet } from '../policies/policy';
import { closeUpstreamAgents, type RequestLimits } from './proxy';
import { RouteTable } from './route-table';
import { loopingName } from '../transform/loop';
import { normalisePath, requestTarget } from '../pipeline/url';

export interface ReloadReport {
  status: 'ok' | 'error';
  /** APIs (re)built by this reload. */
  built: string[];
  removed: string[];
  unchanged: string[];
  /** One line per API or file that failed; a failed API keeps its previous version serving. */
  errors: string[];
  /** The same, as data: what /tyk/reload and /tyk/apis/{id}/runtime report. */
  failed: LoadFailure[];
}

/** Grace for in-flight requests on a retired API version before its isolate is disposed. */
const RETIRE_GRACE_MS = 30_000;

/**
 * The gateway process: owns the services, the loaded API runtimes and the HTTP server.
 * Management requests go to the express admin app; everything else takes the lean path.
 */
export class Gateway {
  /** Sessions through the auth LRU: /tyk/keys changes evict at once. */
  readonly store: SessionStore;
  private readonly rawStore: SessionStore;
  readonly events: EventBus;
  readonly authCache: AuthCache;
  readonly drivers: Drivers;
  readonly limiter: SessionLimiter;
  /** Plugin data (isogate.kv, TykStorage*, store_data): lives as long as the gateway, not an API version. */
  readonly kv: KvStore;
  private table = new RouteTable<ApiRuntime>([]);
  private readonly runtimes = new Map<string, ApiRuntime>();
  /** What the last reload could not load or build (and bundles that failed since). */
  private failures: LoadFailure[] = [];
  private readonly generations = new Map<string, number>();
  /** Plugin bundles: download, extraction, verification, uploads. */
  readonly bundles: BundleLoader;
  /** APIs whose bundle download is in progress. */
  private readonly downloading = new Set<string>();
  /**
   * Per API, the reload that last decided what it should be: a bundle that arrives after a later
   * reload (or upload) changed or removed the API is not swapped in.
   */
  private readonly wanted = new Map<string, number>();
  private reloads = 0;
  private readonly server: http.Server;
  private readonly limits: RequestLimits;
  private readonly healthPath: string;
  private admin?: Express;
  private ready = false;
  private lock: Promise<unknown> = Promise.resolve();
  private reloadQueued?: Promise<ReloadReport>;
  private stopping = false;
  /** Security policies (`policies.policy_source: "file"`), loaded at start and on every reload. */
  private policySet: PolicySet = new Map();
  /** Redis mode only: notifications to and from the other nodes. */
  private cluster?: ClusterBus;
  /** With more than one worker: the same notifications to and from this gateway's other workers. */
  private workers?: WorkerLink;
  /** Prometheus metrics (enable_metrics); served on the main listener or metrics_listen_port. */
  readonly metrics?: GatewayMetrics;
  private metricsServer?: http.Server;
  private readonly observers: RequestObservers;

  constructor(readonly config: GatewayConfig) {
    setGeneratorHeader(!config.hide_generator_header);
    this.rawStore = createSessionStore(config);
    this.authCache = new AuthCache({ maxEntries: config.auth_cache.max_entries, maxBytes: config.auth_cache.max_bytes });
    this.store = new CachedSessionStore(this.authCache, this.rawStore);
    this.events = new EventBus({ gatewayHandlers: config.event_handlers });
    this.limiter = new SessionLimiter({ store: this.store, counters: sharedCountersOf(this.rawStore, config) });
    this.bundles = new BundleLoader(config);
    if (config.enable_metrics) {
      this.metrics = new GatewayMetrics({
        apis: () => [...this.runtimes.values()].map((r) => ({ apiId: r.spec.apiId, dispatcher: r.dispatcher, quarantined: quarantine.find(r.spec.apiId) !== undefined })),
        authCache: () => this.authCache.stats(),
        events: () => this.events.stats(),
        isolates: isolateCounts,
        output: outputCounts,
      });
    }
    this.observers = { accessLog: accessLogFor(config), generateTrace: config.trace_context.generate };
    setRequestTiming(this.metrics !== undefined || this.observers.accessLog !== undefined);
    this.kv = kvStoreFor(this.rawStore);
    this.drivers = new Drivers({
      metrics: this.metrics,
      config,
      events: this.events,
      kv: this.kv,
      // Tyk JSVM natives use the same store and counters as /tyk/keys.
      sessions: { store: this.store, orgForApi: (apiId) => this.getApi(apiId)?.spec.orgId, onKeyChanged: (storedKey) => this.keyChanged(storedKey) },
    });
    this.limits = { maxBodyBytes: config.isolate_options.max_body_bytes, proxyTimeoutMs: config.proxy_timeout_ms };
    this.healthPath = `/${config.health_check_endpoint_name.replace(/^\//, '')}`;
    this.server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.guarded(req, res));
    // `Expect: 100-continue`: the 100 goes out only once the request is routed and its declared
    // size accepted (handle-request.ts), so an oversized upload is refused before it is sent.
    this.server.on('checkContinue', (req, res) => this.guarded(req, res));
  }

  /** Mount the management API (kept off the proxy hot path). */
  setAdminApp(app: Express): void {
    this.admin = app;
  }

  private get services(): GatewayServices {
    return { config: this.config, store: this.store, rawStore: this.rawStore, events: this.events, authCache: this.authCache, limiter: this.limiter, drivers: this.drivers, policies: () => this.policySet, metrics: this.metrics };
  }

  /** The last resort around the router: nothing thrown while routing escapes the request. */
  private guarded(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.onRequest(req, res);
    } catch (err) {
      lastResort(res, err, 'routing a request failed unexpectedly');
    }
  }

  /**
   * The router. Framing Node's parser let through is refused first (pipeline/framing.ts), then
   * the path is normalised once (pipeline/url.ts): the health check, the management API, the
   * listen path, ignored paths and auth all see that one path, and it is what goes upstream.
   */
  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    // Pipelined behind a request that was refused with `Connection: close`: never served.
    if (isClosing(req.socket)) return;
    const bad = framingError(req);
    if (bad) return sendGatewayError(res, bad);
    const target = requestTarget(req.url ?? '/');
    const path = target && normalisePath(target.path);
    if (path === undefined) return sendGatewayError(res, new GatewayError(400, Messages.badRequest));
    // The health check and the management API come first, even under a catch-all "/" listen path.
    if (path === this.healthPath) return this.health(res);
    if (path === METRICS_PATH && this.metricsOnMain) return this.scrape(req, res);
    if (this.admin && path.startsWith('/tyk/')) {
      // Express routes on the target as sent, so a dot segment or an escape in an id reaches the
      // management API's own checks (400) instead of being resolved into another route: both the
      // normalised path and the raw one must say /tyk/ for a management request to succeed.
      if (req.headers.expect !== undefined) res.writeContinue();
      this.admin(req, res);
      return;
    }
    const api = this.table.match(path);
    if (api) {
      void handleApiRequest(api, req, res, { path, query: target!.query }, this.limits, this.observers, this.findLoopTarget).catch((err) => lastResort(res, err, 'request failed unexpectedly', api.spec.apiId));
      return;
    }
    sendError(res, 404, Messages.notFound);
  }

  /** /metrics is served here, behind the management secret, unless it has a listener of its own. */
  private get metricsOnMain(): boolean {
    return this.metrics !== undefined && this.config.metrics_listen_port === 0 && this.config.secret !== undefined;
  }

  private scrape(req: IncomingMessage, res: ServerResponse): void {
    if (!scrapeAuthorized(req, this.config.secret!)) return sendError(res, 403, Messages.adminForbidden);
    serveMetrics(this.metrics!, req, res);
  }

  /**
   * A `tyk://<host>/` loop's target, as Tyk's fuzzy lookup: the API with that api_id, else one
   * whose name, as a looping name, equals it ignoring case (the org check is the loop's, loop.ts).
   */
  private readonly findLoopTarget = (host: string): ApiRuntime | undefined => {
    const byId = this.runtimes.get(host);
    if (byId) return byId;
    const wanted = host.toLowerCase();
    for (const runtime of this.runtimes.values()) if (loopingName(runtime.spec.name).toLowerCase() === wanted) return runtime;
    return undefined;
  };

  private health(res: ServerResponse): void {
    const body = JSON.stringify({ status: this.ready ? 'pass' : 'starting', apis: this.runtimes.size, description: 'isogate' });
    sendReply(res, { status: this.ready ? 200 : 503, headers: { 'content-type': 'application/json' }, body });
  }

  async start(): Promise<AddressInfo> {
    // Before anything loads: an unreachable Redis is a startup error, not a half-started gateway.
    await connectSessionStore(this.rawStore);
    this.cluster = await startClusterBus(this.config, this.rawStore, this);
    if (workerCount() > 1) this.workers = new WorkerLink(nodeHandlers(this));
    void this.bundles.sweep().catch((err: Error) => logger.warn(`cleaning up old bundle extractions: ${err.message}`));
    // A bad policy file is a startup error naming the file and policy (a ConfigError: exit non-zero).
    this.policySet = await loadPolicies(this.config);
    if (this.policySet.size > 0) logger.info({ policies: [...this.policySet.keys()] }, `loaded ${this.policySet.size} policies`);
    const report = await this.reload();
    for (const line of report.errors) logger.error(line);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.config.listen_port, this.config.listen_address, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    if (this.metrics && this.config.metrics_listen_port !== 0) {
      this.metricsServer = await startMetricsServer(this.metrics, this.config.metrics_listen_address ?? this.config.listen_address, this.config.metrics_listen_port);
    } else if (this.metrics && !this.config.secret) {
      logger.info('metrics are recorded but not served: /metrics on the main listener needs "secret" (or set metrics_listen_port)');
    }
    this.ready = true;
    const address = this.server.address() as AddressInfo;
    logger.info({ address: address.address, port: address.port, apis: this.runtimes.size }, `isogate listening on http://${address.address}:${address.port}`);
    return address;
  }

  /** The policies in force (GET /tyk/policies). */
  get policies(): PolicySet {
    return this.policySet;
  }

  listApis(): ApiRuntime[] {
    return [...this.runtimes.values()];
  }

  getApi(apiId: string): ApiRuntime | undefined {
    return this.runtimes.get(apiId);
  }

  /**
   * A session was stored or deleted outside the request path (/tyk/keys, a JSVM plugin): its
   * counters restart from the new session, and the other nodes drop their cached copy.
   */
  async keyChanged(storedKey: string): Promise<void> {
    this.limiter.forget(storedKey);
    // Redis keeps quota-/rate-limit- counters apart from the session: a deleted key's go with it.
    if (this.rawStore instanceof RedisSessionStore && !(await this.rawStore.get(storedKey).catch(() => ({})))) {
      await this.limiter.dropShared(storedKey);
    }
    this.cluster?.notifyKeyChanged(storedKey);
    // The other workers share the store but each has its own auth cache: they drop the key
    // before the management API answers.
    await this.workers?.send(Commands.keySpaceUpdate, storedKey);
  }

  /** Ask every other node to reload (Redis mode; nothing to do alone). This node reloads itself. */
  async publishGroupReload(): Promise<void> {
    await this.cluster?.publish(Commands.groupReload, '');
  }

  /**
   * Reload this worker and every other worker of this gateway (/tyk/reload). The promise is this
   * worker's report; `others` resolves once every other worker has finished its reload.
   */
  reloadAllWorkers(): { report: Promise<ReloadReport>; others: Promise<void> } {
    const report = this.reload();
    const others = this.workers?.send(Commands.groupReload, '') ?? Promise.resolve();
    return { report, others };
  }

  /** One API changed here outside a reload (upload, quarantine release): the other workers reload to pick it up. */
  private async apiChanged(apiId: string): Promise<void> {
    await this.workers?.send(Commands.apiUpdated, apiId);
  }

  /**
   * The supervisor changed the quarantine list (another worker aborted, or released an API):
   * rebuild every API whose quarantine state no longer matches what serves.
   */
  async quarantineChanged(): Promise<void> {
    for (const runtime of this.listApis()) {
      const held = quarantine.find(runtime.spec.apiId) !== undefined;
      const serving503 = runtime.requestSteps[0]?.name === 'quarantine';
      if (held === serving503) continue;
      await this.changeMiddleware(runtime.spec.apiId, new Map(), async () => undefined, false).catch((err: Error) =>
        logger.error({ api_id: runtime.spec.apiId, err: err.message }, 'rebuilding an API after a quarantine change failed'),
      );
    }
  }

  /** Reloads and middleware changes run one at a time, in arrival order. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Re-read app_path and rebuild only the APIs whose content hash changed. Callers arriving while
   * a reload waits to start share it.
   */
  reload(): Promise<ReloadReport> {
    if (this.reloadQueued) return this.reloadQueued;
    const queued = this.exclusive(() => {
      this.reloadQueued = undefined;
      return this.doReload();
    }).then(({ report, pending, seq }) => this.settleDownloads(report, pending, seq));
    this.reloadQueued = queued;
    return queued;
  }

  /** Whether the API's bundle is being downloaded (its new version is swapped in when it arrives). */
  isDownloading(apiId: string): boolean {
    return this.downloading.has(apiId);
  }

  private get bundleContext(): BundleContext {
    return { resolver: this.bundles };
  }

  /** Forget the API's failures (it built), or replace them with `failure`. */
  private setFailure(apiId: string, failure?: LoadFailure): void {
    this.failures = this.failures.filter((f) => f.apiId !== apiId);
    if (failure) this.failures.push(failure);
  }

  /**
   * Change one API's middleware files: build and validate the API with the change applied in
   * memory, then `commit` (write the files), warm the new isolate and swap it in. On any failure
   * nothing changes and the running version keeps serving.
   */
  async changeMiddleware(apiId: string, overlay: SourceOverlay, commit: () => Promise<void>, tellWorkers = true): Promise<ApiRuntime> {
    const runtime = await this.changeMiddlewareHere(apiId, overlay, commit);
    if (tellWorkers) await this.apiChanged(apiId);
    return runtime;
  }

  private changeMiddlewareHere(apiId: string, overlay: SourceOverlay, commit: () => Promise<void>): Promise<ApiRuntime> {
    return this.exclusive(async () => {
      const current = this.runtimes.get(apiId);
      const file = current?.spec.file ?? join(this.config.app_path, `${apiId}.json`);
      const def = current?.spec.definition ?? (await readDefinitionFile(file));
      const spec = await buildSpec(def, file, this.config, this.drivers, overlay, this.bundleContext);
      if (spec.bundle && [...overlay.values()].some((code) => code !== null)) {
        throw new ConfigError(`api ${apiId} takes its middleware from its bundle (${spec.bundle.name}), not from uploaded files: upload a bundle with PUT /tyk/apis/${apiId}/bundle`);
      }
      const runtime = await this.build(spec);
      try {
        await commit();
        await runtime.dispatcher?.warm?.();
      } catch (err) {
        await runtime.retire(0);
        throw err;
      }
      this.swap(new Map([[apiId, runtime]]), []);
      // An API that served failed (missing or broken middleware) is healthy again.
      if (current?.failure) this.setFailure(apiId);
      logger.info({ api_id: apiId, generation: runtime.generation }, 'middleware changed; API isolate swapped');
      return runtime;
    });
  }

  /**
   * Replace (zip) or remove (null) the API's uploaded bundle: extract and verify it, build the
   * API from it, warm the new isolate, then make the upload current and swap the API in. On any
   * failure the upload is dropped and the running version keeps serving.
   */
  async changeBundle(apiId: string, zip: Uint8Array | null): Promise<{ runtime: ApiRuntime; staged: StagedBundle }> {
    const changed = await this.changeBundleHere(apiId, zip);
    await this.apiChanged(apiId);
    return changed;
  }

  private changeBundleHere(apiId: string, zip: Uint8Array | null): Promise<{ runtime: ApiRuntime; staged: StagedBundle }> {
    return this.exclusive(async () => {
      const current = this.runtimes.get(apiId);
      const file = current?.spec.file ?? join(this.config.app_path, `${apiId}.json`);
      const def = current?.spec.definition ?? (await readDefinitionFile(file));
      if (def.custom_middleware_bundle_disabled === true) throw new ConfigError(`${file} (api ${apiId}): custom_middleware_bundle_disabled is true: this API takes no bundle`);
      const staged = zip ? await this.bundles.uploads.stage(apiId, zip) : await this.bundles.uploads.stageRemoval(apiId);
      let runtime: ApiRuntime;
      try {
        const spec = await buildSpec(def, file, this.config, this.drivers, undefined, { resolver: this.bundles, upload: staged.override });
        runtime = await this.build(spec);
      } catch (err) {
        await staged.discard();
        throw err;
      }
      try {
        // Warm first: once committed, the upload is the API's bundle and is not discarded.
        await runtime.dispatcher?.warm?.();
        await staged.commit();
      } catch (err) {
        await runtime.retire(0);
        await staged.discard();
        throw err;
      }
      this.wanted.set(apiId, ++this.reloads);
      this.setFailure(apiId);
      this.swap(new Map([[apiId, runtime]]), []);
      logger.info({ api_id: apiId, generation: runtime.generation, bundle: runtime.spec.bundle?.dir }, zip ? 'bundle uploaded; API swapped' : 'uploaded bundle removed; API swapped');
      return { runtime, staged };
    });
  }

  /** The failed-middleware runtime of `spec` (failed-runtime.ts), answering with Tyk's message for the failure. */
  private failedRuntime(spec: ApiSpec, failure: LoadFailure, err: MiddlewareLoadError): ApiRuntime {
    let message: string = Messages.driverNotLoaded;
    if (!err.driverUnavailable) {
      try {
        message = this.drivers.stepsFor(spec)?.failureMessage ?? Messages.middlewareError;
      } catch {
        // The driver itself is unknown: Tyk's "driver not loaded".
      }
    }
    const generation = (this.generations.get(spec.apiId) ?? 0) + 1;
    this.generations.set(spec.apiId, generation);
    return failedMiddlewareRuntime(spec, generation, failure, message, this.events);
  }

  private async build(spec: ApiSpec): Promise<ApiRuntime> {
    const generation = (this.generations.get(spec.apiId) ?? 0) + 1;
    const runtime = await buildApiRuntime(spec, this.services, generation);
    this.generations.set(spec.apiId, generation);
    return runtime;
  }

  /**
   * The reload itself, under the lock: every API that is ready is built and swapped in at once.
   * APIs whose bundle must be downloaded first are left `pending` (their previous version keeps
   * serving) and settled outside the lock, so a slow bundle server holds up no other API.
   */
  private async doReload(): Promise<{ report: ReloadReport; pending: PendingSpec[]; seq: number }> {
    const seq = ++this.reloads;
    // Policies first: a bad file keeps the ones loaded before, and the reload reports it.
    const policyFailures: LoadFailure[] = [];
    if (this.ready) {
      try {
        this.policySet = await loadPolicies(this.config);
      } catch (err) {
        const error = `${(err as Error).message} — the policies loaded before stay in force`;
        logger.error(error);
        policyFailures.push({ file: this.config.policies?.policy_record_name ?? this.config.policies?.policy_path ?? this.config.source, error });
      }
    }
    const serving = new Map<string, ServingPath>();
    for (const runtime of this.runtimes.values()) serving.set(runtime.spec.listenPath, { apiId: runtime.spec.apiId, file: runtime.spec.file });
    const { specs, failures, failedFiles, pending } = await loadApiDefinitions(this.config, this.drivers, serving, this.bundleContext);
    failures.push(...policyFailures);
    const built = new Map<string, ApiRuntime>();
    const unchanged: string[] = [];
    for (const spec of specs) {
      const current = this.runtimes.get(spec.apiId);
      if (current && current.spec.contentHash === spec.contentHash) {
        unchanged.push(spec.apiId);
        // Still failed: still reported.
        if (current.failure) failures.push(current.failure);
        continue;
      }
      try {
        if (spec.middlewareFailure !== undefined) throw new MiddlewareLoadError(spec.middlewareFailure, false);
        built.set(spec.apiId, await this.build(spec));
      } catch (err) {
        const message = (err as Error).message;
        const where = message.startsWith(spec.file) ? '' : `${spec.file} (api ${spec.apiId}): `;
        // A healthy version keeps serving; otherwise, by default, the API loads failed and answers 500 (Tyk).
        if (err instanceof MiddlewareLoadError && !(current && !current.failure) && this.config.middleware_load_failure === 'serve_500' && !spec.bundle) {
          const failure: LoadFailure = { file: spec.file, apiId: spec.apiId, error: `${where}${message} — the API answers 500 until its middleware loads` };
          built.set(spec.apiId, this.failedRuntime(spec, failure, err));
          failures.push(failure);
          logger.error({ api_id: spec.apiId, file: spec.file }, failure.error);
          continue;
        }
        const line = `${where}${message}${current ? ' — the previous version keeps serving' : ''}`;
        failures.push({ file: spec.file, apiId: spec.apiId, error: line });
        logger.error({ api_id: spec.apiId, file: spec.file }, line);
      }
    }
    const present = new Set([...specs.map((s) => s.apiId), ...pending.map((p) => p.apiId)]);
    // A file that failed to load keeps its API serving: only APIs whose file is gone are removed.
    const removed = [...this.runtimes.keys()].filter((id) => !present.has(id) && !failedFiles.has(this.runtimes.get(id)!.spec.file));
    this.swap(built, removed);
    // What each API should now be. An API whose bundle is still on its way keeps its last failure
    // (if any) until the download settles.
    this.wanted.clear();
    for (const id of present) this.wanted.set(id, seq);
    for (const f of failures) if (f.apiId !== undefined) this.wanted.set(f.apiId, seq);
    this.downloading.clear();
    for (const p of pending) this.downloading.add(p.apiId);
    this.failures = [...failures, ...this.failures.filter((f) => f.apiId !== undefined && this.downloading.has(f.apiId))];
    const errors = failures.map((f) => f.error);
    const report: ReloadReport = { status: errors.length ? 'error' : 'ok', built: [...built.keys()], removed, unchanged, errors, failed: failures };
    logger.info({ built: report.built, removed, unchanged: unchanged.length, errors: errors.length, downloading: pending.map((p) => p.apiId) }, 'reload complete');
    return { report, pending, seq };
  }

  /**
   * Each API whose bundle was being downloaded is built and swapped in as soon as its bundle is
   * there (unless a later reload or upload decided otherwise meanwhile); the report is complete
   * once all have settled.
   */
  private async settleDownloads(report: ReloadReport, pending: PendingSpec[], seq: number): Promise<ReloadReport> {
    if (pending.length === 0) return report;
    await Promise.all(pending.map(async ({ apiId, file, spec: ready }) => {
      let line: string | undefined;
      try {
        const spec = await ready;
        line = await this.exclusive(async () => {
          if (this.stopping || this.wanted.get(apiId) !== seq) return undefined;
          const current = this.runtimes.get(apiId);
          this.downloading.delete(apiId);
          if (current && current.spec.contentHash === spec.contentHash) {
            report.unchanged.push(apiId);
            this.setFailure(apiId);
            return undefined;
          }
          try {
            const runtime = await this.build(spec);
            this.swap(new Map([[apiId, runtime]]), []);
            this.setFailure(apiId);
            report.built.push(apiId);
            logger.info({ api_id: apiId, generation: runtime.generation, bundle: spec.bundle?.name }, 'bundle arrived; API swapped in');
            return undefined;
          } catch (err) {
            const message = (err as Error).message;
            return `${message.startsWith(file) ? '' : `${file} (api ${apiId}): `}${message}${current ? ' — the previous version keeps serving' : ''}`;
          }
        });
      } catch (err) {
        line = `${(err as Error).message}${this.runtimes.has(apiId) ? ' — the previous version keeps serving' : ''}`;
      }
      if (line === undefined) return;
      const failure: LoadFailure = { file, apiId, error: line };
      report.errors.push(line);
      report.failed.push(failure);
      report.status = 'error';
      logger.error({ api_id: apiId, file }, line);
      if (this.wanted.get(apiId) === seq) {
        this.setFailure(apiId, failure);
        this.downloading.delete(apiId);
      }
    }));
    return report;
  }

  /** What the last reload could not load or build (empty before the first). */
  get failedApis(): readonly LoadFailure[] {
    return this.failures;
  }

  /** Why the API's latest definition failed to load or build, if it did. */
  failureOf(apiId: string): LoadFailure | undefined {
    return this.failures.find((f) => f.apiId === apiId);
  }

  /** Install new runtimes atomically: one new route table, then retire the replaced versions. */
  private swap(built: Map<string, ApiRuntime>, removed: string[]): void {
    const retired: ApiRuntime[] = [];
    for (const [id, runtime] of built) {
      const old = this.runtimes.get(id);
      if (old) retired.push(old);
      this.runtimes.set(id, runtime);
      this.events.installApiHandlers(runtime.eventHandlers);
    }
    for (const id of removed) {
      const old = this.runtimes.get(id);
      if (old) retired.push(old);
      this.runtimes.delete(id);
      this.events.removeApi(id);
    }
    this.table = new RouteTable([...this.runtimes.values()]);
    for (const old of retired) void old.retire(RETIRE_GRACE_MS);
    // Series exist only for loaded APIs and the hooks they have now.
    this.metrics?.retain(new Map([...this.runtimes.values()].map((r) => [r.spec.apiId, new Set(hookEntries(r.spec).map((h) => `${h.kind}:${h.name}`))])));
  }

  /** Stop accepting, let in-flight requests finish, dispose isolates, flush events. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.ready = false;
    this.bundles.close(); // downloads and extractions in progress stop now
    // No notification may start a reload while runtimes are being disposed (ignored from now on).
    const leftCluster = this.cluster?.close();
    this.workers?.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.metricsServer?.close();
    this.metricsServer?.closeAllConnections();
    // Keep-alive sockets become idle as their in-flight responses finish: close them as they do.
    const sweep = setInterval(() => this.server.closeIdleConnections(), 50);
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    await closed;
    clearInterval(sweep);
    clearTimeout(timer);
    await leftCluster;
    // Events first: queued cp_dynamic_handler deliveries still need the isolates.
    await this.events.stop(graceMs);
    await Promise.all([...this.runtimes.values()].map((r) => r.retire(graceMs)));
    this.runtimes.clear();
    await this.limiter.flush();
    this.limiter.close();
    await this.drivers.close();
    await this.kv.close();
    await this.store.close();
    closeUpstreamAgents();
  }
}

/** How many workers this gateway runs (the supervisor tells each worker; 1 without it). */
export function workerCount(): number {
  const n = Number(process.env.ISOGATE_WORKERS);
  return Number.isInteger(n) && n > 0 ? n : 1;
}
