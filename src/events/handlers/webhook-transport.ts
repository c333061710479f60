import http from 'node:http';
import https from 'node:https';

export interface WebhookTransportOptions {
  /** Whole-attempt deadline (connect, send, response): a stuck receiver costs at most this. */
  timeoutMs: number;
  /** Extra attempts after a network error, timeout or 5xx. */
  retries: number;
  /** First retry delay; doubles per retry. */
  retryDelayMs: number;
  /** Sockets per receiver host, so a burst cannot open thousands of connections. */
  maxSocketsPerHost: number;
}

export const DEFAULT_WEBHOOK_TRANSPORT: WebhookTransportOptions = {
  timeoutMs: 5_000,
  retries: 2,
  retryDelayMs: 200,
  maxSocketsPerHost: 16,
};

export interface WebhookRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/** Why a webhook was not accepted; `retriable` separates "try again" from "receiver said no". */
export class WebhookSendError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WebhookSendError';
  }
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Sends webhook requests with node:http rather than fetch: Tyk sends the rendered body even for
 * GET and DELETE, which fetch refuses. Keep-alive agents are owned here so `close()` can release
 * every socket when the bus stops.
 */
export class WebhookTransport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(readonly options: WebhookTransportOptions = DEFAULT_WEBHOOK_TRANSPORT) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: options.maxSocketsPerHost });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: options.maxSocketsPerHost });
  }

  /** Resolves on a 2xx answer; rejects with the last error once retries are used up or on abort. */
  async send(request: WebhookRequest, signal: AbortSignal): Promise<number> {
    let lastError: WebhookSendError | undefined;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) await sleep(this.options.retryDelayMs * 2 ** (attempt - 1), signal);
      if (signal.aborted) throw new WebhookSendError('aborted: event bus stopped', false);
      try {
        return await this.attempt(request, signal);
      } catch (err) {
        lastError = err as WebhookSendError;
        if (!lastError.retriable) break;
      }
    }
    const attempts = this.options.retries + 1;
    throw new WebhookSendError(
      lastError?.retriable ? `${lastError.message} (after ${attempts} attempts)` : (lastError?.message ?? 'not sent'),
      false,
      lastError?.status,
    );
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private attempt(request: WebhookRequest, signal: AbortSignal): Promise<number> {
    const { url } = request;
    const isHttps = url.protocol === 'https:';
    const body = Buffer.from(request.body, 'utf8');
    return new Promise<number>((resolve, reject) => {
      let settled = false;
      const finish = (err: WebhookSendError | undefined, status?: number): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(status ?? 0);
      };
      const req = (isHttps ? https : http).request(url, {
        method: request.method,
        headers: { ...request.headers, 'Content-Length': String(body.length) },
        agent: isHttps ? this.httpsAgent : this.httpAgent,
      });
      const timer = setTimeout(() => {
        finish(new WebhookSendError(`timed out after ${this.options.timeoutMs} ms`, true));
        req.destroy();
      }, this.options.timeoutMs);
      const onAbort = (): void => {
        finish(new WebhookSendError('aborted: event bus stopped', false));
        req.destroy();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => finish(new WebhookSendError(err.message, true)));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        // Drain the body so the socket goes back to the pool; Tyk ignores its content too.
        res.resume();
        res.on('error', (err) => finish(new WebhookSendError(err.message, true)));
        res.on('end', () => {
          if (status >= 200 && status < 300) finish(undefined, status);
          else finish(new WebhookSendError(`receiver answered ${status}`, status >= 500, status));
        });
      });
      req.end(body);
    });
  }
}
