import { type ApiRef, keyFailureEvent, type KeyFailureEventName } from '../events';
import type { EventSink } from '../events/event';
import type { RequestState } from '../pipeline/request-state';
import { joinUrl } from '../pipeline/url';

/** Fire AuthFailure / KeyExpired / QuotaExceeded / RatelimitExceeded for a request, with Tyk's meta. */
export function fireKeyFailure(events: EventSink, type: KeyFailureEventName, api: ApiRef, state: RequestState, key: string, message?: string): void {
  events.fire(keyFailureEvent(type, api, { path: joinUrl(state.path, state.query), origin: state.clientIp, key, message }));
}
