import { createAdminApp } from '../admin/admin-app';
import { openEntryRecord } from '../containment/entry-record';
import { quarantine, type QuarantineEntry } from '../containment/quarantine';
import { warmIsolateEngine } from '../coprocess/drivers/isolate';
import { enableChildValidation, stopValidationChild } from '../containment/validator';
import { ConfigError } from '../config/config-error';
import { loadGatewayConfig } from '../config/gateway-config';
import { Gateway } from '../gateway/gateway';
import { logger } from '../log/logger';
import { installProcessGuards } from './process-guards';

/** Exit code for a bad config: the supervisor does not restart a worker that exits with it. */
export const EXIT_CONFIG = 78;

/** Supervisor → worker: start serving, with this entry record and these quarantined APIs. */
export interface ActivateMessage {
  isogate: 'activate';
  record: string;
  quarantine: QuarantineEntry[];
}

/** Supervisor → serving workers: the quarantine list changed. */
export interface QuarantineSetMessage {
  isogate: 'quarantine-set';
  entries: QuarantineEntry[];
}

function isQuarantineSet(msg: unknown): msg is QuarantineSetMessage {
  return typeof msg === 'object' && msg !== null && (msg as QuarantineSetMessage).isogate === 'quarantine-set' && Array.isArray((msg as QuarantineSetMessage).entries);
}

function isActivate(msg: unknown): msg is ActivateMessage {
  return typeof msg === 'object' && msg !== null && (msg as ActivateMessage).isogate === 'activate';
}

/**
 * A worker under the supervisor: loaded and warm (modules, isolated-vm, the runtime's code
 * cache), it waits until the supervisor activates it, then runs the gateway. See supervisor.ts.
 */
export async function runStandby(configFile: string): Promise<void> {
  const activated = new Promise<ActivateMessage>((resolve) => {
    const listen = (msg: unknown) => {
      if (msg === 'isogate:stop') process.exit(0);
      if (!isActivate(msg)) return;
      process.off('message', listen);
      resolve(msg);
    };
    process.on('message', listen);
  });
  await warmIsolateEngine().catch((err: unknown) => logger.warn({ err }, 'isolate engine warm-up failed'));
  process.send?.('isogate:standby');
  const { record, quarantine: entries } = await activated;
  await runGateway(configFile, { record, quarantine: entries });
}

/** Run one gateway in this process until SIGTERM/SIGINT, then stop gracefully and exit 0. */
export async function runGateway(configFile: string, supervised?: { record: string; quarantine: QuarantineEntry[] }): Promise<Gateway> {
  installProcessGuards();
  let gateway: Gateway;
  try {
    if (supervised) {
      // Before any isolate exists: which API is inside one, for the supervisor if we abort.
      openEntryRecord(supervised.record);
      quarantine.load(supervised.quarantine);
    }
    const config = loadGatewayConfig(configFile);
    gateway = new Gateway(config);
    if (config.secret) gateway.setAdminApp(createAdminApp(gateway, config.secret));
    else logger.info('no "secret" in the gateway config: the management API (/tyk/...) is off');
    await gateway.start();
    // What loaded at startup ran in this process (an abort there is quarantined); every later
    // change to middleware is tried in a validation child first.
    enableChildValidation();
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
    stopValidationChild();
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
    else if (isQuarantineSet(msg)) {
      // Another worker aborted (or an API was released there): this worker holds the same list.
      quarantine.load(msg.entries);
      void gateway.quarantineChanged();
    }
  });
  return gateway;
}
