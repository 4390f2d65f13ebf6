import { ArgumentsHost, Catch, Inject, Logger, RpcExceptionFilter } from '@nestjs/common';
import { Metadata, status } from '@grpc/grpc-js';
import { Observable, throwError } from 'rxjs';
import { principalOf } from '@patchstate/auth';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { DomainError, DomainErrorCode, FieldError } from '@patchstate/domain';
import { grpcCallOf, writeGrpcCallLog } from '../request-log/grpc-call-log';
import { statusDetails } from './grpc-status-details';

/**
 * One place where domain codes become gRPC statuses, the twin of HTTP_STATUS_BY_CODE. The mapping follows
 * the gRPC status guide: a state the caller must change first is FAILED_PRECONDITION, a lost race is ABORTED
 * (retry the read-modify-write), a read model that is behind is UNAVAILABLE (retry later).
 */
export const GRPC_STATUS_BY_CODE: Record<DomainErrorCode, status> = {
  VALIDATION_FAILED: status.INVALID_ARGUMENT,
  DEVICE_NOT_FOUND: status.NOT_FOUND,
  PATCH_NOT_FOUND: status.NOT_FOUND,
  DEVICE_EXISTS: status.ALREADY_EXISTS,
  PATCH_EXISTS: status.ALREADY_EXISTS,
  ALREADY_APPLIED: status.ALREADY_EXISTS,
  ALREADY_REVOKED: status.FAILED_PRECONDITION,
  DEVICE_RETIRED: status.FAILED_PRECONDITION,
  HOTPATCH_NOT_INSTALLED: status.FAILED_PRECONDITION,
  UPDATE_NOT_NEWER: status.FAILED_PRECONDITION,
  STALE_CHECK_IN: status.FAILED_PRECONDITION,
  CVE_NOT_IN_CATALOG: status.NOT_FOUND,
  RELEASE_NOT_FOR_DEVICE: status.FAILED_PRECONDITION,
  // The key is bound to another request: not retryable, and not a malformed argument either.
  IDEMPOTENCY_KEY_REUSED: status.FAILED_PRECONDITION,
  VERSION_CONFLICT: status.ABORTED,
  PATCH_REVOKED: status.FAILED_PRECONDITION,
  WRONG_PATCH_KIND: status.FAILED_PRECONDITION,
  NOT_ELIGIBLE: status.FAILED_PRECONDITION,
  PROJECTION_BEHIND: status.UNAVAILABLE,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  RATE_LIMITED: status.RESOURCE_EXHAUSTED,
};

/** What grpc-js sends for a failed call: the status, a message, and trailing metadata. */
export interface GrpcError {
  code: status;
  details: string;
  metadata: Metadata;
}

/**
 * A domain error as a gRPC status. Trailing metadata carries the domain code (`error-code`) and its JSON
 * details (`error-details-bin`) for every error, plus readable keys for what clients act on: the fields of a
 * validation error, the reasons of a refusal, when to retry. Beside them, the standard google.rpc.Status in
 * `grpc-status-details-bin`, for clients that read error details the gRPC way.
 */
export function toGrpcError(error: unknown): GrpcError {
  const metadata = new Metadata();
  if (!(error instanceof DomainError)) {
    metadata.set('error-code', 'INTERNAL');
    metadata.set('grpc-status-details-bin', statusDetails(status.INTERNAL, 'internal error', null));
    return { code: status.INTERNAL, details: 'internal error', metadata };
  }
  metadata.set('error-code', error.code);
  metadata.set('error-details-bin', Buffer.from(JSON.stringify(error.details), 'utf8'));
  const { details } = error;
  if (Array.isArray(details.fields)) {
    metadata.set('field-violations', asciiOnly((details.fields as FieldError[]).map((f) => `${f.field}: ${f.message}`).join('; ')));
  }
  if (Array.isArray(details.reasons)) metadata.set('reasons', (details.reasons as string[]).join(','));
  for (const key of ['position', 'version', 'eventId', 'streamId'] as const) {
    if (details[key] !== undefined && details[key] !== null) metadata.set(kebab(key), asciiOnly(String(details[key])));
  }
  if (typeof details.retryAfterSeconds === 'number') metadata.set('retry-after', String(details.retryAfterSeconds));
  const code = GRPC_STATUS_BY_CODE[error.code];
  metadata.set('grpc-status-details-bin', statusDetails(code, error.message, error));
  return { code, details: error.message, metadata };
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** ASCII metadata values must be printable ASCII; anything else is in error-details-bin anyway. */
function asciiOnly(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/**
 * Catches everything a gRPC handler (or a guard before it) throws and answers with the mapped status.
 * Declared on each gRPC controller, so it runs before the HTTP ErrorFilter the app registers globally.
 */
@Catch()
export class GrpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('GrpcErrorFilter');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  catch(error: unknown, host: ArgumentsHost): Observable<never> {
    const grpcError = toGrpcError(error);
    if (this.config.http.requestLog) {
      const call = grpcCallOf(host.getArgs());
      writeGrpcCallLog(call, grpcError.code, null, principalOf(call.metadata));
    }
    if (grpcError.code === status.INTERNAL) {
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    return throwError(() => grpcError);
  }
}
