import { status } from '@grpc/grpc-js';
import { JANUARY_2025_BASELINE, aDeviceProfile } from '../builders';
import { grpcPortOf } from '../../apps/api/src/bootstrap';
import { HttpResult, http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';
import { PatchstateGrpcClient } from './grpc-client';

/**
 * Issue 14 item 1: inputs that passed validation and then failed in Postgres (500) or in the projector.
 * Each must be a 400 / INVALID_ARGUMENT naming the field, whichever transport it came through.
 */
describe('the validation boundary: hostile input is a 400 naming the field, never a 500', () => {
  let stack: TestStack;
  let grpc: PatchstateGrpcClient;
  const NUL = 'boot\u0000loop';
  const LONE_SURROGATE = 'boot\ud800loop';
  const YEAR_ZERO = '0000-01-01T00:00:00Z';
  const YEAR_2101 = '2101-01-01T00:00:00Z';
  const cursor = (key: unknown) => Buffer.from(typeof key === 'string' ? key : JSON.stringify(key), 'utf8').toString('base64url');

  async function badRequest(method: string, path: string, body: unknown, field: string): Promise<void> {
    const result: HttpResult = await http(stack.baseUrl, method, path, body);
    const fields = result.body?.details?.fields?.map((f: { field: string }) => f.field);
    expect({ path, status: result.status, code: result.body?.code, fields }).toEqual({ path, status: 400, code: 'VALIDATION_FAILED', fields: [field] });
  }

  async function invalidArgument(service: 'DeviceCommands' | 'PatchCatalog' | 'DeviceQueries', method: string, request: object, field: string) {
    const failure = await grpc.failure(service, method, request);
    const fields = failure.errorDetails?.fields?.map((f: { field: string }) => f.field);
    expect({ method, code: status[failure.code], fields }).toEqual({ method, code: 'INVALID_ARGUMENT', fields: [field] });
  }

  beforeAll(async () => {
    stack = await startTestStack({ projector: false });
    grpc = new PatchstateGrpcClient(`127.0.0.1:${grpcPortOf(stack.api)}`, stack.keys.admin);
    expect((await http(stack.baseUrl, 'POST', '/v1/patches', JANUARY_2025_BASELINE)).status).toBe(201);
    const device = { deviceId: 'b-1', hostname: 'b-1.corp.example', profile: aDeviceProfile() };
    expect((await http(stack.baseUrl, 'POST', '/v1/devices', device)).status).toBe(201);
  });

  afterAll(async () => {
    grpc?.close();
    await stack?.close();
  });

  it('refuses a NUL or a lone surrogate in free text over REST', async () => {
    for (const text of [NUL, LONE_SURROGATE]) {
      await badRequest('POST', `/v1/patches/${JANUARY_2025_BASELINE.patchId}/revoke`, { reason: text }, 'reason');
      await badRequest('POST', '/v1/devices/b-1/retire', { reason: text }, 'reason');
    }
    // A URL carries UTF-8, which has no unpaired surrogates: only the NUL reaches a query parameter.
    await badRequest('GET', '/v1/audit/events?actor=a%00b', undefined, 'actor');
  });

  it('refuses a NUL in free text over gRPC', async () => {
    await invalidArgument('PatchCatalog', 'RevokePatch', { patchId: JANUARY_2025_BASELINE.patchId, reason: NUL }, 'reason');
    await invalidArgument('DeviceCommands', 'RetireDevice', { deviceId: 'b-1', reason: NUL }, 'reason');
  });

  it('refuses timestamps outside 1990..2100 in queries, over REST and gRPC', async () => {
    for (const time of [YEAR_ZERO, YEAR_2101]) {
      const at = encodeURIComponent(time);
      await badRequest('GET', `/v1/devices/b-1?asOf=${at}`, undefined, 'asOf');
      await badRequest('GET', `/v1/devices?state=retired&asOf=${at}`, undefined, 'asOf');
      await badRequest('GET', `/v1/fleet/summary?asOf=${at}`, undefined, 'asOf');
      await badRequest('GET', `/v1/audit/events?from=${at}`, undefined, 'from');
      await badRequest('GET', `/v1/devices/b-1/timeline?to=${at}`, undefined, 'to');
      await invalidArgument('DeviceQueries', 'GetDevice', { deviceId: 'b-1', asOf: time }, 'asOf');
    }
  });

  it('refuses timestamps outside 1990..2100 in commands, so an accepted event can always be projected', async () => {
    await badRequest('POST', '/v1/patches', { ...JANUARY_2025_BASELINE, patchId: 'KB5999001', releasedAt: YEAR_ZERO }, 'releasedAt');
    await badRequest('POST', '/v1/devices', { deviceId: 'b-2', hostname: 'b-2', profile: aDeviceProfile(), registeredAt: YEAR_ZERO }, 'registeredAt');
    await badRequest('POST', '/v1/devices/b-1/hotpatches', { patchId: 'KB5052093', appliedAt: YEAR_2101 }, 'appliedAt');
    const publish = Object.fromEntries(Object.entries({ ...JANUARY_2025_BASELINE, patchId: 'KB5999002', releasedAt: YEAR_ZERO }).filter(([, v]) => v !== null));
    await invalidArgument('PatchCatalog', 'PublishPatch', publish, 'releasedAt');
    await invalidArgument('DeviceCommands', 'RegisterDevice', { deviceId: 'b-3', hostname: 'b-3', profile: aDeviceProfile(), registeredAt: YEAR_ZERO }, 'registeredAt');
  });

  it('refuses crafted cursors as 400', async () => {
    await badRequest('GET', `/v1/devices?state=retired&cursor=${cursor('"a\\u0000b"')}`, undefined, 'cursor');
    await badRequest('GET', `/v1/audit/events?cursor=${cursor({ afterPosition: '9999999999999999999' })}`, undefined, 'cursor');
    await badRequest('GET', `/v1/devices/b-1/timeline?cursor=${cursor({ afterVersion: 2 ** 31 })}`, undefined, 'cursor');
    await badRequest('GET', `/v1/devices/b-1/timeline?cursor=${cursor('{"afterVersion":1e300}')}`, undefined, 'cursor');
    await invalidArgument('DeviceQueries', 'ListDevices', { state: 'retired', cursor: cursor('"a\\u0000b"') }, 'cursor');
  });

  it('refuses a device build whose major is 0', async () => {
    await badRequest('POST', '/v1/devices', { deviceId: 'b-4', hostname: 'b-4', profile: aDeviceProfile({ build: '0.0' }) }, 'profile.build');
    await badRequest('POST', '/v1/devices/b-1/check-ins', { build: '0.0' }, 'build');
  });
});
