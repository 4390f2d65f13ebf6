import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

/** Every error body, whatever the status: a stable code clients branch on, a message for people, details. */
const ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message', 'details'],
  properties: {
    code: { type: 'string', example: 'VALIDATION_FAILED' },
    message: { type: 'string', example: 'invalid input: profile.vbs must be one of running, enabled, off' },
    details: { type: 'object', example: { fields: [{ field: 'profile.vbs', message: 'must be one of running, enabled, off' }] } },
  },
};

const error = (status: number, description: string) => ApiResponse({ status, description, schema: ERROR_SCHEMA });

const ACCESS_ERRORS = [
  error(401, 'UNAUTHENTICATED: no API key, or an unknown or revoked one'),
  error(403, 'PERMISSION_DENIED: the key\'s role may not use this endpoint'),
  error(429, 'RATE_LIMITED: too many requests for this key (see Retry-After)'),
];

/** The answers every command endpoint can give. */
export function ApiCommandResponses(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiResponse({
      status: 201,
      description: 'Accepted: the new events, the stream version (also in ETag) and the global position (also in X-Position)',
      schema: {
        example: {
          streamId: 'device-ws-0042',
          version: 2,
          position: '1045',
          events: [{ eventId: 'b3c1…', type: 'HotpatchApplied', version: 2, position: '1045', data: { patchId: 'KB5052093' } }],
        },
      },
    }),
    error(400, 'VALIDATION_FAILED: every bad field named in details.fields'),
    ...ACCESS_ERRORS,
    error(404, 'DEVICE_NOT_FOUND / PATCH_NOT_FOUND'),
    error(409, 'DEVICE_EXISTS, PATCH_EXISTS, ALREADY_APPLIED, ALREADY_REVOKED, DEVICE_RETIRED, HOTPATCH_NOT_INSTALLED, UPDATE_NOT_NEWER, IDEMPOTENCY_KEY_REUSED'),
    error(412, 'VERSION_CONFLICT: If-Match did not match the stream version'),
    error(422, 'NOT_ELIGIBLE (recorded as HotpatchRejected; details.reasons and details.position), WRONG_PATCH_KIND, PATCH_REVOKED'),
  );
}

/** The answers every query endpoint can give. */
export function ApiQueryResponses(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    error(400, 'VALIDATION_FAILED: a bad parameter, named in details.fields'),
    ...ACCESS_ERRORS,
    error(404, 'DEVICE_NOT_FOUND (device queries)'),
    error(503, 'PROJECTION_BEHIND: ?minPosition was not applied within the bound'),
  );
}
