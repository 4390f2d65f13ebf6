import { status } from '@grpc/grpc-js';
import { DomainError, DomainErrorCode, ValidationError } from '@patchstate/domain';
import { HTTP_STATUS_BY_CODE } from '../http/domain-error.filter';
import { GRPC_STATUS_BY_CODE, toGrpcError } from './grpc-errors';

describe('domain errors as gRPC statuses', () => {
  it('maps every domain code REST knows, and none to OK, UNKNOWN or INTERNAL', () => {
    expect(Object.keys(GRPC_STATUS_BY_CODE).sort()).toEqual(Object.keys(HTTP_STATUS_BY_CODE).sort());
    for (const [code, grpcStatus] of Object.entries(GRPC_STATUS_BY_CODE)) {
      expect({ code, status: status[grpcStatus] }).not.toEqual({ code, status: expect.stringMatching(/^(OK|UNKNOWN|INTERNAL)$/) });
    }
  });

  it.each<[DomainErrorCode, keyof typeof status]>([
    ['VALIDATION_FAILED', 'INVALID_ARGUMENT'],
    ['DEVICE_NOT_FOUND', 'NOT_FOUND'],
    ['PATCH_NOT_FOUND', 'NOT_FOUND'],
    ['DEVICE_EXISTS', 'ALREADY_EXISTS'],
    ['PATCH_EXISTS', 'ALREADY_EXISTS'],
    ['ALREADY_APPLIED', 'ALREADY_EXISTS'],
    ['VERSION_CONFLICT', 'ABORTED'],
    ['NOT_ELIGIBLE', 'FAILED_PRECONDITION'],
    ['DEVICE_RETIRED', 'FAILED_PRECONDITION'],
    ['PATCH_REVOKED', 'FAILED_PRECONDITION'],
    ['PROJECTION_BEHIND', 'UNAVAILABLE'],
    ['UNAUTHENTICATED', 'UNAUTHENTICATED'],
    ['PERMISSION_DENIED', 'PERMISSION_DENIED'],
    ['RATE_LIMITED', 'RESOURCE_EXHAUSTED'],
  ])('%s is %s', (code, expected) => {
    expect(status[toGrpcError(new DomainError(code, 'refused')).code]).toBe(expected);
  });

  it('names every bad field of a validation error in trailing metadata', () => {
    const error = toGrpcError(new ValidationError([{ field: 'deviceId', message: 'is required' }, { field: 'profile.vbs', message: 'must be one of running, enabled, off' }]));
    expect(error.metadata.get('error-code')).toEqual(['VALIDATION_FAILED']);
    expect(error.metadata.get('field-violations')).toEqual(['deviceId: is required; profile.vbs: must be one of running, enabled, off']);
    expect(JSON.parse((error.metadata.get('error-details-bin')[0] as Buffer).toString('utf8'))).toEqual({
      fields: [{ field: 'deviceId', message: 'is required' }, { field: 'profile.vbs', message: 'must be one of running, enabled, off' }],
    });
  });

  it('puts the reasons and the recorded refusal of NOT_ELIGIBLE in trailing metadata', () => {
    const error = toGrpcError(
      new DomainError('NOT_ELIGIBLE', 'KB5052093 is not eligible', { reasons: ['VBS_NOT_RUNNING', 'CHPE_ENABLED'], position: '42', version: 3, streamId: 'device-ws-1' }),
    );
    expect(error).toMatchObject({ code: status.FAILED_PRECONDITION, details: 'KB5052093 is not eligible' });
    expect(error.metadata.getMap()).toMatchObject({ reasons: 'VBS_NOT_RUNNING,CHPE_ENABLED', position: '42', version: '3', 'stream-id': 'device-ws-1' });
  });

  it('tells a rate-limited caller when to retry, and keeps metadata values printable', () => {
    expect(toGrpcError(new DomainError('RATE_LIMITED', 'slow down', { retryAfterSeconds: 7 })).metadata.get('retry-after')).toEqual(['7']);
    const accented = toGrpcError(new DomainError('NOT_ELIGIBLE', 'no', { streamId: 'device-café' }));
    expect(accented.metadata.get('stream-id')).toEqual(['device-caf?']);
  });

  it('answers anything else as INTERNAL without leaking its message', () => {
    const error = toGrpcError(new Error('connection string postgres://secret@db'));
    expect(error).toMatchObject({ code: status.INTERNAL, details: 'internal error' });
    expect(error.metadata.get('error-code')).toEqual(['INTERNAL']);
    // The standard trailer says no more than the status does.
    const standard = error.metadata.get('grpc-status-details-bin')[0] as Buffer;
    expect(standard.toString('latin1')).toContain('INTERNAL');
    expect(standard.toString('latin1')).not.toContain('secret');
  });
});
