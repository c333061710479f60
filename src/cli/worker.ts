import { createAdminApp } from '../admin/admin-app';
import { ConfigError } from '../config/config-error';
import { loadGatewayConfig } from '../config/gateway-config';
import { Gateway } from '../gateway/gateway';
import { logger } from '../log/logger';
import { installProcessGuards } from './process-guards';

/** Exit code for a bad config: the supervisor does not restart a worker that exits with it. */
export const EXIT_CONFIG = 78;

/** Run one gateway in this process until SIGTERM/SIGINT, then stop gracefully and exit 0. */
export async function runGateway(configFile: string): Promise<Gateway> {
  installProcessGuards();
  let gateway: Gateway;
  try {
    const config = loadGatewayConfig(configFile);
    gateway = new Gateway(config);
    if (config.secret) gateway.setAdminApp(createAdminApp(gateway, config.secret));
    else logger.info('no "secret" in the gateway config: the management API (/tyk/...) is off');
    await gateway.start();
    process.send?.('isogate:ready');
  } catch (err) {
    if (err instanceof ConfigError || (err instanceof Error && err.name === 'EventConfigError')) {
      logger.fatal(err.message);
      process.exit(EXIT_CONFIG);
    }
    logger.fatal({ err }, `startup failed: ${(err as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight requests');
    gateway.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'graceful stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('message', (msg) => {
    if (msg === 'isogate:stop') stop('supervisor');
  });
  return gateway;
}
