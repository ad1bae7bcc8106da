/**
 * gRPC status codes, mapped to this package's error codes: a caller checks one `code`
 * (`DISTRIBUTED_ERR_*`) whatever carried the failure, and still has the gRPC status to log.
 * @see https://grpc.io/docs/guides/status-codes/
 */
import { type ServiceError, status } from '@grpc/grpc-js';
import { DistributedError, type DistributedErrorCode } from '../errors.ts';

/** The name of a gRPC status code (`'DEADLINE_EXCEEDED'`), from grpc-js's `status` enum. */
export type GrpcStatusName = keyof typeof status;

/**
 * Which `DISTRIBUTED_ERR_*` code each gRPC status becomes on the client side:
 * a deadline is a timeout, an exhausted resource a limit, a peer that went away unavailable, and
 * every refusal of what we sent (or garbled reply) a payload error.
 */
export const GRPC_STATUS_TO_ERROR_CODE: Readonly<Record<GrpcStatusName, DistributedErrorCode>> =
  Object.freeze({
    OK: 'DISTRIBUTED_ERR_PAYLOAD',
    CANCELLED: 'DISTRIBUTED_ERR_UNAVAILABLE',
    UNKNOWN: 'DISTRIBUTED_ERR_PAYLOAD',
    INVALID_ARGUMENT: 'DISTRIBUTED_ERR_PAYLOAD',
    DEADLINE_EXCEEDED: 'DISTRIBUTED_ERR_TIMEOUT',
    NOT_FOUND: 'DISTRIBUTED_ERR_PAYLOAD',
    ALREADY_EXISTS: 'DISTRIBUTED_ERR_PAYLOAD',
    PERMISSION_DENIED: 'DISTRIBUTED_ERR_PAYLOAD',
    RESOURCE_EXHAUSTED: 'DISTRIBUTED_ERR_LIMIT',
    FAILED_PRECONDITION: 'DISTRIBUTED_ERR_PAYLOAD',
    ABORTED: 'DISTRIBUTED_ERR_UNAVAILABLE',
    OUT_OF_RANGE: 'DISTRIBUTED_ERR_PAYLOAD',
    UNIMPLEMENTED: 'DISTRIBUTED_ERR_PAYLOAD',
    INTERNAL: 'DISTRIBUTED_ERR_PAYLOAD',
    UNAVAILABLE: 'DISTRIBUTED_ERR_UNAVAILABLE',
    DATA_LOSS: 'DISTRIBUTED_ERR_PAYLOAD',
    UNAUTHENTICATED: 'DISTRIBUTED_ERR_PAYLOAD',
  });

/**
 * A gRPC call that ended with a status other than OK, as a {@link DistributedError}: `code` is
 * the package's code (see {@link GRPC_STATUS_TO_ERROR_CODE}), `grpcCode`/`grpcStatus` the status
 * the peer (or grpc-js itself) sent, `details` its text; `cause` keeps grpc-js's error.
 * @example
 * ```ts
 * try { await requestGrpcPrice({ address, symbol: 'ACME', deadline: Date.now() + 100 }); }
 * catch (error) { if (error instanceof GrpcStatusError && error.grpcStatus === 'DEADLINE_EXCEEDED') retry(); }
 * ```
 */
export class GrpcStatusError extends DistributedError {
  override name = 'GrpcStatusError';
  /** The status name, e.g. `'RESOURCE_EXHAUSTED'`. */
  readonly grpcStatus: GrpcStatusName;
  constructor(
    /** The numeric gRPC status code. */
    readonly grpcCode: status,
    /** The status message the peer sent. */
    readonly details: string,
    what: string,
    options?: ErrorOptions,
  ) {
    const name = (status[grpcCode] ?? 'UNKNOWN') as GrpcStatusName;
    super(GRPC_STATUS_TO_ERROR_CODE[name], `${what} ended with ${name}: ${details}`, options);
    this.grpcStatus = name;
  }
}

/** True for grpc-js's call errors (an `Error` with a numeric `code` and a `details` string). */
export function isServiceError(value: unknown): value is ServiceError {
  return (
    value instanceof Error &&
    typeof (value as Partial<ServiceError>).code === 'number' &&
    typeof (value as Partial<ServiceError>).details === 'string'
  );
}

/** grpc-js's error as a {@link GrpcStatusError}; anything else is returned as it came. */
export function toGrpcStatusError(error: unknown, what: string): unknown {
  if (!isServiceError(error)) return error;
  return new GrpcStatusError(error.code, error.details, what, { cause: error });
}
