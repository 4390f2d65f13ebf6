import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { DomainError, DomainErrorCode } from '@patchstate/domain';
import { PROBLEM_JSON, problemBody, problemInstance } from './problem-details';

/** One place where domain codes become HTTP statuses (gRPC has its twin table beside its server). */
export const HTTP_STATUS_BY_CODE: Record<DomainErrorCode, number> = {
  VALIDATION_FAILED: HttpStatus.BAD_REQUEST,
  DEVICE_NOT_FOUND: HttpStatus.NOT_FOUND,
  PATCH_NOT_FOUND: HttpStatus.NOT_FOUND,
  DEVICE_EXISTS: HttpStatus.CONFLICT,
  PATCH_EXISTS: HttpStatus.CONFLICT,
  ALREADY_APPLIED: HttpStatus.CONFLICT,
  ALREADY_REVOKED: HttpStatus.CONFLICT,
  DEVICE_RETIRED: HttpStatus.CONFLICT,
  HOTPATCH_NOT_INSTALLED: HttpStatus.CONFLICT,
  UPDATE_NOT_NEWER: HttpStatus.CONFLICT,
  STALE_CHECK_IN: HttpStatus.CONFLICT,
  CVE_NOT_IN_CATALOG: HttpStatus.NOT_FOUND,
  RELEASE_NOT_FOR_DEVICE: HttpStatus.UNPROCESSABLE_ENTITY,
  IDEMPOTENCY_KEY_REUSED: HttpStatus.CONFLICT,
  VERSION_CONFLICT: HttpStatus.PRECONDITION_FAILED,
  PATCH_REVOKED: HttpStatus.UNPROCESSABLE_ENTITY,
  WRONG_PATCH_KIND: HttpStatus.UNPROCESSABLE_ENTITY,
  NOT_ELIGIBLE: HttpStatus.UNPROCESSABLE_ENTITY,
  PROJECTION_BEHIND: HttpStatus.SERVICE_UNAVAILABLE,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  PERMISSION_DENIED: HttpStatus.FORBIDDEN,
  RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
};

/** Error bodies are RFC 9457 problem details that keep this API's `{ code, message, details }` (problem-details.ts). */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const request = host.switchToHttp().getRequest<Request>();
    const { status, body } = this.toHttp(error);
    if (status >= 500) this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    const retryAfter = error instanceof DomainError ? error.details.retryAfterSeconds : undefined;
    if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
    if (status === 401) response.setHeader('WWW-Authenticate', 'Bearer realm="patchstate"');
    response.status(status).type(PROBLEM_JSON).json(problemBody(status, body.code, body.message, body.details, problemInstance(request)));
  }

  private toHttp(error: unknown): { status: number; body: { code: string; message: string; details: unknown } } {
    if (error instanceof DomainError) {
      return { status: HTTP_STATUS_BY_CODE[error.code], body: { code: error.code, message: error.message, details: error.details } };
    }
    // Malformed JSON, an oversize body or an unknown route reach us as Nest/body-parser errors.
    const parserError = error as { type?: string; status?: number; message?: string };
    if (parserError.type === 'entity.too.large') {
      return { status: 400, body: { code: 'VALIDATION_FAILED', message: 'request body is too large', details: { fields: [{ field: 'body', message: 'is too large' }] } } };
    }
    if (parserError.type === 'entity.parse.failed') {
      return { status: 400, body: { code: 'VALIDATION_FAILED', message: 'request body is not valid JSON', details: { fields: [{ field: 'body', message: 'is not valid JSON' }] } } };
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      if (status === 400 || status === 413) {
        return { status: 400, body: { code: 'VALIDATION_FAILED', message: error.message, details: {} } };
      }
      return { status, body: { code: status === 404 ? 'NOT_FOUND' : HttpStatus[status] ?? 'ERROR', message: error.message, details: {} } };
    }
    return { status: 500, body: { code: 'INTERNAL', message: 'internal error', details: {} } };
  }
}
