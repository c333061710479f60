import { WEB_CALLS } from '../../../../protocol/web';
import type { HostFunctions } from '../host-calls';
import { randomHost } from './random';
import { SubtleHost } from './subtle';
import { urlHost } from './url';

/** The host half of one isolate's web globals (sandbox/globals/web/). */
export interface WebHost {
  functions: HostFunctions;
  /** How many CryptoKeys the isolate holds (tests, stats). */
  readonly keys: number;
  /** The isolate is going: drop its keys. */
  release(): void;
}

export function createWebHost(): WebHost {
  const subtle = new SubtleHost();
  return {
    functions: { [WEB_CALLS.url]: urlHost, [WEB_CALLS.random]: randomHost, [WEB_CALLS.subtle]: subtle.call },
    get keys() {
      return subtle.size;
    },
    release: () => subtle.clear(),
  };
}
