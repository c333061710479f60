import { logger } from '../../../log/logger';
import type { DriverPlugin } from '../plugin';
import { GrpcConnection } from './connection';
import { GrpcDispatcher } from './grpc-dispatcher';
import { parseGrpcTarget } from './target';

/** `grpc`: hooks sent to an external coprocess.Dispatcher server, over one shared channel. */
export const grpcDriver: DriverPlugin = {
  names: ['grpc'],
  needsSources: false,
  open(host) {
    let connection: GrpcConnection | undefined;
    const options = host.config.coprocess_options;
    return {
      validate() {
        if (!options.enable_coprocess) {
          throw new Error(`custom_middleware.driver: "grpc" hooks are configured but coprocess_options.enable_coprocess is false in ${host.config.source}; the API is not served without its hooks`);
        }
        if (!options.coprocess_grpc_server) {
          throw new Error(`custom_middleware.driver: "grpc" needs coprocess_options.coprocess_grpc_server in ${host.config.source}`);
        }
        // Tyk does not load the gRPC driver when the address does not parse: its APIs answer 500.
        try {
          parseGrpcTarget(options.coprocess_grpc_server);
        } catch (err) {
          throw new Error(`coprocess_options.coprocess_grpc_server in ${host.config.source}: ${(err as Error).message}`);
        }
      },
      async create(spec) {
        connection ??= GrpcConnection.fromConfig(options);
        return new GrpcDispatcher(connection, { apiId: spec.apiId, timeoutMs: spec.hookTimeoutMs });
      },
      async close() {
        try {
          connection?.close();
        } catch (err) {
          logger.warn({ err }, 'closing the gRPC connection failed');
        }
      },
    };
  },
};
