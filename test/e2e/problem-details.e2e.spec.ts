import { status } from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { APRIL_2025_BASELINE, FEBRUARY_2025_HOTPATCH, JANUARY_2025_BASELINE, aDeviceProfile } from '../builders';
import { grpcPortOf } from '../../apps/api/src/bootstrap';
import { HttpResult, http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';
import { PatchstateGrpcClient } from './grpc-client';

/**
 * Issue 14 item 4: errors by the standards. REST answers RFC 9457 problem details (keeping code, message and
 * details); gRPC sends google.rpc.Status in grpc-status-details-bin beside its own trailers.
 */

/** The google.rpc messages as any client has them (googleapis field numbers), written out independently. */
const GOOGLE_RPC_JSON: unknown = {
  nested: {
    google: {
      nested: {
        protobuf: { nested: { Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } } },
        rpc: {
          nested: {
            Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 } } },
            ErrorInfo: { fields: { reason: { type: 'string', id: 1 }, domain: { type: 'string', id: 2 }, metadata: { keyType: 'string', type: 'string', id: 3 } } },
            BadRequest: {
              fields: { field_violations: { rule: 'repeated', type: 'FieldViolation', id: 1 } },
              nested: { FieldViolation: { fields: { field: { type: 'string', id: 1 }, description: { type: 'string', id: 2 } } } },
            },
          },
        },
      },
    },
  },
};
const GOOGLE_RPC = protobuf.Root.fromJSON(GOOGLE_RPC_JSON as protobuf.INamespace);

/** What Go's status.Details() does: decode the Status, then unpack each Any by its type URL. */
function statusDetailsOf(bytes: Buffer): { code: number; message: string; details: Record<string, any> } {
  const decoded = GOOGLE_RPC.lookupType('google.rpc.Status').decode(bytes) as unknown as { code: number; message: string; details: { type_url: string; value: Uint8Array }[] };
  const details: Record<string, any> = {};
  for (const any of decoded.details) {
    const name = any.type_url.replace('type.googleapis.com/', '');
    details[name] = GOOGLE_RPC.lookupType(name).toObject(GOOGLE_RPC.lookupType(name).decode(any.value));
  }
  return { code: decoded.code, message: decoded.message, details };
}

describe('errors by the standards', () => {
  let stack: TestStack;
  let grpc: PatchstateGrpcClient;

  beforeAll(async () => {
    stack = await startTestStack({ projector: false });
    grpc = new PatchstateGrpcClient(`127.0.0.1:${grpcPortOf(stack.api)}`, stack.keys.admin);
    for (const patch of [JANUARY_2025_BASELINE, FEBRUARY_2025_HOTPATCH, APRIL_2025_BASELINE]) {
      expect((await http(stack.baseUrl, 'POST', '/v1/patches', patch)).status).toBe(201);
    }
    const device = { deviceId: 'p-off', hostname: 'p-off', profile: aDeviceProfile({ vbs: 'off' }) };
    expect((await http(stack.baseUrl, 'POST', '/v1/devices', device)).status).toBe(201);
  });

  afterAll(async () => {
    grpc?.close();
    await stack?.close();
  });

  /** The RFC 9457 members, in the order sent, then the members this API always had. */
  function expectProblem(result: HttpResult, status: number, code: string, type: string, title: string, instance: string): void {
    expect(result.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(Object.keys(result.body)).toEqual(['type', 'title', 'status', 'detail', 'instance', 'code', 'message', 'details']);
    expect(result.body).toMatchObject({ type, title, status, detail: result.body.message, instance, code });
  }

  it('REST answers application/problem+json with type, title, status, detail, instance, and still code, message, details', async () => {
    const invalid = await http(stack.baseUrl, 'POST', '/v1/devices', { deviceId: 'p 1' });
    expectProblem(invalid, 400, 'VALIDATION_FAILED', 'urn:patchstate:problem:validation-failed', 'Validation failed', '/v1/devices');
    expect(invalid.body.details.fields).toEqual(expect.arrayContaining([{ field: 'deviceId', message: expect.any(String) }]));
    const missing = await http(stack.baseUrl, 'GET', '/v1/devices/nobody?asOf=2025-01-01T00:00:00Z');
    expectProblem(missing, 404, 'DEVICE_NOT_FOUND', 'urn:patchstate:problem:device-not-found', 'Device not found', '/v1/devices/nobody');
  });

  it('a recorded refusal (422 NOT_ELIGIBLE) is problem details too, and its idempotent replay is the same bytes', async () => {
    const send = () => fetch(`${stack.baseUrl}/v1/devices/p-off/hotpatches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.keys.admin}`, 'content-type': 'application/json', 'idempotency-key': 'problem-422' },
      body: JSON.stringify({ patchId: FEBRUARY_2025_HOTPATCH.patchId }),
    });
    const first = await send();
    const firstText = await first.text();
    expect(first.status).toBe(422);
    expect(first.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(firstText)).toMatchObject({
      type: 'urn:patchstate:problem:not-eligible',
      title: 'Not eligible',
      status: 422,
      instance: '/v1/devices/p-off/hotpatches',
      code: 'NOT_ELIGIBLE',
      details: { reasons: expect.arrayContaining(['VBS_NOT_RUNNING']) },
    });
    const replay = await send();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(await replay.text()).toBe(firstText);
  });

  it('gRPC sends google.rpc.Status with ErrorInfo and, for a validation error, BadRequest in grpc-status-details-bin', async () => {
    const invalid = await grpc.failure('DeviceCommands', 'RegisterDevice', { deviceId: 'p 1', hostname: 'p-1' });
    expect(invalid.errorCode).toBe('VALIDATION_FAILED');
    const standard = statusDetailsOf(invalid.metadata['grpc-status-details-bin'] as Buffer);
    expect(standard).toMatchObject({ code: status.INVALID_ARGUMENT, message: invalid.details });
    expect(standard.details['google.rpc.ErrorInfo']).toMatchObject({ reason: 'VALIDATION_FAILED', domain: 'patchstate' });
    expect(standard.details['google.rpc.BadRequest'].field_violations).toEqual(
      expect.arrayContaining([{ field: 'deviceId', description: expect.any(String) }, { field: 'profile', description: 'is required' }]),
    );

    const refused = await grpc.failure('DeviceCommands', 'ApplyHotpatch', { deviceId: 'p-off', patchId: FEBRUARY_2025_HOTPATCH.patchId });
    const refusal = statusDetailsOf(refused.metadata['grpc-status-details-bin'] as Buffer);
    expect(refusal.code).toBe(status.FAILED_PRECONDITION);
    expect(refusal.details['google.rpc.ErrorInfo']).toMatchObject({
      reason: 'NOT_ELIGIBLE',
      domain: 'patchstate',
      metadata: { reasons: expect.stringContaining('VBS_NOT_RUNNING'), streamId: 'device-p-off' },
    });
    expect(refusal.details['google.rpc.BadRequest']).toBeUndefined();
    // What it sent before is still there.
    expect(refused.metadata['reasons']).toEqual(refusal.details['google.rpc.ErrorInfo'].metadata.reasons);
  });
});
