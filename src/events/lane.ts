import { Fifo } from '../util/fifo';
import type { GatewayEvent } from './event';
import type { EventHandler } from './handler';

/**
 * The pending events of one compiled handler, with their own in-flight count. One lane per
 * handler means a dead webhook only backs up its own lane (up to its cap) while log lines and
 * other receivers keep flowing.
 */
export class Lane extends Fifo<GatewayEvent> {
  inFlight = 0;

  constructor(readonly handler: EventHandler) {
    super();
  }
}
