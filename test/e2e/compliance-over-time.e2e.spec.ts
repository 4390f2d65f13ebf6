import { grpcPortOf } from '../../apps/api/src/bootstrap';
import { aDeviceProfile } from '../builders';
import { http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';
import { PatchstateGrpcClient, withoutNulls } from './grpc-client';
import { releasesText } from './servicing-fleet';

/*
 * Issue 11 over REST and gRPC: the real release catalog, a small fleet, its overdue and stale devices now and as
 * of a moment before two later reports. Judged at the wall clock with the default policy (7 days for a hotpatch,
 * 14 with a restart, stale after 7 days): every release of the data file is more than 14 days old by then, so
 * what is offered and not run is overdue; devices report at times relative to now, so freshness is fixed too.
 */
const DAY = 24 * 60 * 60 * 1000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

const FLEET = [
  // The July 2026 baseline: offered the August hotpatch KB5120994 (2026-08-11), deadline 7 days later. Applies it later.
  { deviceId: 'due-hotpatch', build: '26100.8875', registeredAt: ago(1) },
  // The March 2026 LCU: offered the newest LCU KB5129195 (2026-09-14), deadline 14 days later.
  { deviceId: 'due-lcu', build: '26100.8037', registeredAt: ago(1) },
  // Runs the August hotpatch, heard from yesterday: up to date.
  { deviceId: 'current', build: '26100.9106', registeredAt: ago(1) },
  // Runs the August hotpatch but silent since August: stale, so not counted up to date. Checks in later.
  { deviceId: 'silent', build: '26100.9106', registeredAt: '2026-08-12T08:00:00Z' },
];

describe('compliance over time over REST and gRPC: overdue and stale devices, now and asOf', () => {
  let stack: TestStack;
  let grpc: PatchstateGrpcClient;
  let position = '0';
  let beforeReports = '';

  const post = async (path: string, body: unknown) => {
    const result = await http(stack.baseUrl, 'POST', path, body, { authorization: `Bearer ${stack.keys.operator}` });
    expect({ path, status: result.status }).toEqual({ path, status: 201 });
    position = result.headers.get('x-position') ?? position;
  };
  const get = async (path: string): Promise<any> => {
    const result = await http(stack.baseUrl, 'GET', `${path}${path.includes('?') ? '&' : '?'}minPosition=${position}`);
    expect({ path, status: result.status }).toEqual({ path, status: 200 });
    return result.body;
  };
  const ask = async (method: string, request: Record<string, unknown>): Promise<any> =>
    (await grpc.call('DeviceQueries', method, { ...request, minPosition: position })).reply;
  /** The ids a list names over REST, checked to be what gRPC names too. */
  const listed = async (state: string, asOf?: string): Promise<string[]> => {
    const rest = await get(`/v1/devices?state=${state}&limit=100${asOf ? `&asOf=${encodeURIComponent(asOf)}` : ''}`);
    const overGrpc = await ask('ListDevices', { state, limit: 100, ...(asOf ? { asOf } : {}) });
    const ids = rest.items.map((d: any) => d.deviceId);
    expect((overGrpc.items ?? []).map((d: any) => d.deviceId)).toEqual(ids);
    return ids;
  };
  const summaries = async (asOf?: string) => {
    const rest = await get(`/v1/fleet/summary${asOf ? `?asOf=${encodeURIComponent(asOf)}` : ''}`);
    const overGrpc = await ask('GetFleetSummary', asOf ? { asOf } : {});
    expect(overGrpc.byState).toEqual(rest.byState);
    return rest;
  };

  beforeAll(async () => {
    stack = await startTestStack();
    grpc = new PatchstateGrpcClient(`127.0.0.1:${grpcPortOf(stack.api)}`, stack.keys.operator);
    await post('/v1/catalog/imports', { format: 'json', content: releasesText() });
    for (const { deviceId, build, registeredAt } of FLEET) {
      await post('/v1/devices', { deviceId, hostname: `${deviceId}.corp.example`, profile: aDeviceProfile({ build }), registeredAt });
    }
    beforeReports = new Date().toISOString();
    await post('/v1/devices/due-hotpatch/hotpatches', { patchId: 'KB5120994', appliedAt: ago(0) });
    await post('/v1/devices/silent/check-ins', { build: '26100.9106', checkedInAt: ago(0) });
  });

  afterAll(async () => {
    grpc?.close();
    await stack?.close();
  });

  it('shows the deadline and freshness in the device view, the same over gRPC', async () => {
    const before = await get(`/v1/devices/due-hotpatch?asOf=${encodeURIComponent(beforeReports)}`);
    expect(before).toMatchObject({
      stale: false,
      servicing: { offered: { patchId: 'KB5120994' }, due: '2026-08-11T00:00:00.000Z', deadline: '2026-08-18T00:00:00.000Z', overdue: true },
    });
    const now = await get('/v1/devices/due-hotpatch');
    expect(now.servicing).toMatchObject({ due: null, deadline: null, overdue: false });
    const overGrpc = await ask('GetDevice', { deviceId: 'due-hotpatch', asOf: beforeReports });
    expect(withoutNulls(overGrpc)).toEqual(withoutNulls(before));
    const silent = await get(`/v1/devices/silent?asOf=${encodeURIComponent(beforeReports)}`);
    expect(silent).toMatchObject({ lastSeenAt: '2026-08-12T08:00:00Z', stale: true, servicing: { upToDate: false, overdue: false } });
  });

  it('lists overdue and stale devices now: the hotpatch applied, the silent device back', async () => {
    expect(await listed('overdue')).toEqual(['due-lcu']);
    expect(await listed('stale')).toEqual([]);
    expect(await listed('up-to-date')).toEqual(['current', 'silent']);
  });

  it('lists them as of before those reports', async () => {
    expect(await listed('overdue', beforeReports)).toEqual(['due-hotpatch', 'due-lcu']);
    expect(await listed('stale', beforeReports)).toEqual(['silent']);
    expect(await listed('up-to-date', beforeReports)).toEqual(['current']);
  });

  it('counts overdue and stale devices in the summary, stale ones apart from up to date', async () => {
    const now = await summaries();
    expect(now.byState).toMatchObject({ overdue: 1, stale: 0, 'up-to-date': 2, 'pending-commit': 1 });
    const before = await summaries(beforeReports);
    expect(before.byState).toMatchObject({ overdue: 2, stale: 1, 'up-to-date': 1 });
    expect(before.judgedAt).toBe(new Date(beforeReports).toISOString());
  });
});
