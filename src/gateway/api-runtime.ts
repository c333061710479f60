import type { ApiSpec } from '../config/api-spec';
import type { Dispatcher } from '../coprocess/dispatcher';
import type { CompiledApiHandlers } from '../events';
import { logger } from '../log/logger';
import type { ApiMetrics } from '../metrics/api-metrics';
import type { Step } from '../pipeline/request-state';
import type { LoadFailure } from '../config/load-apps';

/**
 * One loaded version of an API: its spec, its chain (built once, from named steps) and its
 * dispatcher. A reload builds a new runtime beside the old one and swaps it into the route
 * table; the old one is disposed once its in-flight requests have drained.
 */
export class ApiRuntime {
  inflight = 0;
  /** Anything to run besides proxying: hooks, auth, limits, or a body to buffer. */
  readonly hasSteps: boolean;
  private draining?: () => void;
  private disposed = false;
  /** Request-path recorders of this API id (shared by its versions); unset with enable_metrics off. */
  metrics?: ApiMetrics;

  constructor(
    readonly spec: ApiSpec,
    readonly generation: number,
    /** pre → auth → post_key_auth → limits → post. */
    readonly requestSteps: readonly Step[],
    /** Response hooks; when non-empty the upstream answer is buffered for them. */
    readonly responseSteps: readonly Step[],
    /** The request body is buffered when any step needs to read it. */
    readonly needsBody: boolean,
    /** This version's event handlers, installed on the bus when the runtime is swapped in. */
    readonly eventHandlers: CompiledApiHandlers,
    readonly dispatcher?: Dispatcher,
    /** Dispatchers this version owns besides its hooks' (an API JSVM for virtual endpoints), disposed with it. */
    readonly ownDispatchers: readonly Dispatcher[] = [],
    /** Set when the API serves in the "failed middleware" state (failed-runtime.ts): why, as reported. */
    readonly failure?: LoadFailure,
  ) {
    this.hasSteps = requestSteps.length > 0 || responseSteps.length > 0 || needsBody;
  }

  get listenPath(): string {
    return this.spec.listenPath;
  }

  enter(): void {
    this.inflight++;
  }

  leave(): void {
    this.inflight--;
    if (this.inflight === 0 && this.draining) this.draining();
  }

  /** Wait for in-flight requests (bounded by `graceMs`), then release the dispatcher. */
  async retire(graceMs: number): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.draining = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const dispatcher of [this.dispatcher, ...this.ownDispatchers]) {
      try {
        await dispatcher?.dispose();
      } catch (err) {
        logger.warn({ api_id: this.spec.apiId, err: (err as Error).message }, 'disposing a retired dispatcher failed');
      }
    }
  }
}
