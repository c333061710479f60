import { ConfigError } from '../config/config-error';
import type { GatewayConfig } from '../config/gateway-config';
import { loadPublicKey } from './keys';

/**
 * The bundle settings that config parsing cannot check alone: `public_key_path` must hold an RSA
 * public key. Throws ConfigError naming the config file and key, so a bad key stops startup
 * rather than refusing every bundle later. Returns the key, if any.
 */
export function checkBundleSettings(config: GatewayConfig): ReturnType<typeof loadPublicKey> | undefined {
  if (!config.public_key_path) return undefined;
  try {
    return loadPublicKey(config.public_key_path);
  } catch (err) {
    throw new ConfigError(`${config.source}: ${(err as Error).message}`);
  }
}
