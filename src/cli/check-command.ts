import { resolve } from 'node:path';
import { checkBundleSettings } from '../bundles/settings';
import { ConfigError } from '../config/config-error';
import { loadGatewayConfig } from '../config/gateway-config';
import { logger } from '../log/logger';

/**
 * `isogate check --conf FILE`: everything startup checks, without serving. The config, then every
 * API definition and its middleware, built as the gateway builds them (drivers, isolates with the
 * API's limits, bundles), and released. The messages are startup's; exit 0 when all of it would
 * load, 1 when anything would not (a gateway would serve the rest).
 */
export async function runCheck(confFile: string): Promise<number> {
  const file = resolve(confFile);
  // Startup's JSON log lines would only repeat what is printed below.
  if (process.env.ISOGATE_LOG_LEVEL === undefined) logger.level = 'silent';
  let config;
  try {
    config = loadGatewayConfig(file);
    checkBundleSettings(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  // Nothing is served or stored: no Redis, no metrics, no listener.
  const { Gateway } = await import('../gateway/gateway');
  const gateway = new Gateway({ ...config, storage: { type: 'memory' }, enable_metrics: false });
  try {
    const report = await gateway.reload();
    const apis = gateway.listApis().map((r) => r.spec.apiId).sort();
    for (const line of report.errors) process.stderr.write(`${line}\n`);
    process.stdout.write(`${file}: config OK; ${apis.length} API(s) would load${apis.length ? `: ${apis.join(', ')}` : ''}\n`);
    if (report.errors.length > 0) {
      process.stdout.write(`${report.errors.length} problem(s): a gateway would start without the API(s) or file(s) above\n`);
      return 1;
    }
    return 0;
  } finally {
    await gateway.stop(0);
  }
}
