import { DispatchError, HookType, type CoprocessObject } from '../../dispatcher';

/**
 * A plugin must echo the whole Object back. Tyk dereferences `request.return_overrides` (and
 * `response` for response hooks) without checking and breaks the request; here a reply that
 * lacks them is a dispatch error, answered like any other failed hook.
 *
 * `sentHookType` is the type of the Object that was sent: the reply's own `hook_type` is plugin
 * output and proves nothing.
 */
export function assertUsableReply(sentHookType: CoprocessObject['hook_type'], reply: CoprocessObject): void {
  if (sentHookType === HookType.Response) {
    if (!reply.response) throw badResult('has no response');
    return;
  }
  if (!reply.request) throw badResult('has no request');
  if (!reply.request.return_overrides) throw badResult('has no request.return_overrides');
}

function badResult(what: string): DispatchError {
  return new DispatchError(`gRPC plugin reply ${what}; a plugin must return the whole Object it received`, 'bad_result');
}
