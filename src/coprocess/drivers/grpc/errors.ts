import { status, type ServiceError } from '@grpc/grpc-js';
import { DispatchError, type DispatchFailure } from '../../dispatcher';

/** How a gRPC status maps onto the driver-independent failure reasons. */
const REASON_BY_STATUS: Partial<Record<status, DispatchFailure>> = {
  [status.DEADLINE_EXCEEDED]: 'timeout',
  [status.UNAVAILABLE]: 'unavailable',
  [status.RESOURCE_EXHAUSTED]: 'too_large',
};

export function dispatchErrorFromStatus(method: string, error: ServiceError): DispatchError {
  const reason = REASON_BY_STATUS[error.code] ?? 'exception';
  const name = status[error.code] ?? String(error.code);
  return new DispatchError(`gRPC ${method} failed: ${name}: ${error.details || error.message}`, reason, { cause: error });
}
