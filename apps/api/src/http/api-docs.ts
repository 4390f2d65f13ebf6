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

/** A catalog import's request, as in docs/catalog.md. */
export const CATALOG_IMPORT_EXAMPLE = {
  format: 'csv',
  content: 'kb,releasedAt,kind,product,builds.24H2,builds.25H2,baselineKb,cves\nKB5073457,2026-01-13,hotpatch,windows-11,26100.7623,26200.7623,KB5072033,CVE-2026-20805\n',
};

const CATALOG_IMPORT_SUMMARY = {
  example: {
    published: ['KB5073457'],
    amended: [{ kb: 'KB5072033', changes: [{ field: 'cves', from: ['CVE-2025-62221'], to: ['CVE-2025-62221', 'CVE-2025-54100'] }] }],
    unchanged: ['KB5050009'],
    position: '1045',
    dryRun: false,
  },
};

/** The answers of POST /v1/catalog/imports. */
export function ApiCatalogImportResponses(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiResponse({ status: 201, description: 'Imported, and events were appended: the summary; X-Position is the last event\'s position', schema: CATALOG_IMPORT_SUMMARY }),
    ApiResponse({ status: 200, description: 'Nothing to append (every release unchanged), or a dry run: the summary, position null', schema: CATALOG_IMPORT_SUMMARY }),
    ApiResponse({
      status: 400,
      description: 'VALIDATION_FAILED: the file was refused whole; details.rows names each bad row (line, kb, errors), details.fields the same flattened',
      schema: {
        ...ERROR_SCHEMA,
        example: {
          code: 'VALIDATION_FAILED',
          message: 'the file was not imported, 1 bad row: line 12 (KB5052105): kind must be one of baseline, hotpatch, lcu, oob-hotpatch, oob-lcu',
          details: {
            fields: [{ field: 'line 12 (KB5052105) kind', message: 'must be one of baseline, hotpatch, lcu, oob-hotpatch, oob-lcu' }],
            rows: [{ line: 12, index: 2, kb: 'KB5052105', errors: [{ field: 'kind', message: 'must be one of baseline, hotpatch, lcu, oob-hotpatch, oob-lcu' }] }],
          },
        },
      },
    }),
    ...ACCESS_ERRORS,
  );
}
