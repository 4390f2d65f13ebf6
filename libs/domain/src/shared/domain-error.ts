/**
 * Stable codes that clients and the error filter rely on. A code is part of the public contract: never
 * rename one, only add.
 */
export type DomainErrorCode =
  | 'VALIDATION_FAILED'
  | 'DEVICE_NOT_FOUND'
  | 'PATCH_NOT_FOUND'
  | 'DEVICE_EXISTS'
  | 'PATCH_EXISTS'
  | 'ALREADY_APPLIED'
  | 'ALREADY_REVOKED'
  | 'DEVICE_RETIRED'
  | 'PATCH_REVOKED'
  | 'WRONG_PATCH_KIND'
  | 'HOTPATCH_NOT_INSTALLED'
  | 'UPDATE_NOT_NEWER'
  | 'NOT_ELIGIBLE'
  | 'VERSION_CONFLICT'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'PROJECTION_BEHIND'
  // The release catalog: a CVE no release fixes, a release that does not cover the device, a late check-in.
  | 'CVE_NOT_IN_CATALOG'
  | 'RELEASE_NOT_FOR_DEVICE'
  | 'STALE_CHECK_IN'
  // Access: not business rules, but part of the same error contract clients handle.
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'RATE_LIMITED';

export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class ValidationError extends DomainError {
  constructor(readonly fieldErrors: FieldError[]) {
    super('VALIDATION_FAILED', `invalid input: ${fieldErrors.map((e) => `${e.field} ${e.message}`).join('; ')}`, {
      fields: fieldErrors,
    });
  }
}
