import { status } from '@grpc/grpc-js';
import { EXPOSURE_GROUPS } from '@patchstate/read-models';
import { grpcPortOf } from '../../apps/api/src/bootstrap';
import { http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';
import { PatchstateGrpcClient, withoutJudgedAt, withoutNulls } from './grpc-client';
import { EXPOSURE, FLEET, RRAS_CVE, SERVER_ONLY_CVE, SUMMARY, UNKNOWN_CVE, deviceIds, releasesText } from './servicing-fleet';

/**
 * Issue 10 over gRPC: the same fleet as the REST spec, every command through gRPC (ImportCatalog, RegisterDevice,
 * CheckInDevice, ApplyHotpatch), every question through gRPC, and each answer the same data as REST's.
 */
describe('servicing model over gRPC: the real catalog, a fleet at real builds, the same answers as REST', () => {
  let stack: TestStack;
  let grpc: PatchstateGrpcClient;
  let lastPosition = '0';
  let beforeLaterReports = '';

  const command = async (service: 'DeviceCommands' | 'PatchCatalog', method: string, request: object): Promise<any> => {
    const { reply } = await grpc.call(service, method, request);
    lastPosition = reply.position ?? lastPosition;
    return reply;
  };
  const ask = async (method: string, request: Record<string, unknown>): Promise<any> =>
    (await grpc.call('DeviceQueries', method, { ...request, minPosition: lastPosition })).reply;
  const restGet = async (path: string): Promise<any> => {
    const result = await http(stack.baseUrl, 'GET', `${path}${path.includes('?') ? '&' : '?'}minPosition=${lastPosition}`);
    expect({ path, status: result.status }).toEqual({ path, status: 200 });
    return result.body;
  };
  /** The gRPC answer, checked to be the same data as REST's (gRPC leaves out what REST says is null). */
  const sameAsRest = async (grpcAnswer: unknown, restPath: string): Promise<any> => {
    expect({ restPath, answer: withoutNulls(withoutJudgedAt(grpcAnswer)) }).toEqual({ restPath, answer: withoutNulls(withoutJudgedAt(await restGet(restPath))) });
    return grpcAnswer;
  };

  beforeAll(async () => {
    // Freshness is judged in compliance-over-time.e2e.spec.ts: here the August 2026 reports must not go stale.
    stack = await startTestStack({ env: { STALE_AFTER_DAYS: '3650' } });
    grpc = new PatchstateGrpcClient(`127.0.0.1:${grpcPortOf(stack.api)}`, stack.keys.operator);
    const imported = await command('PatchCatalog', 'ImportCatalog', { format: 'json', content: releasesText() });
    expect(imported.published).toHaveLength(JSON.parse(releasesText()).length);
    for (const { deviceId, profile, registeredAt } of FLEET) {
      await command('DeviceCommands', 'RegisterDevice', { deviceId, hostname: `${deviceId}.corp.example`, profile, registeredAt });
    }
    beforeLaterReports = new Date().toISOString();
    for (const { deviceId, later } of FLEET) {
      if (later === undefined) continue;
      if ('checkIn' in later) await command('DeviceCommands', 'CheckInDevice', { deviceId, ...later.checkIn });
      else await command('DeviceCommands', 'ApplyHotpatch', { deviceId, ...later.apply });
    }
  });

  afterAll(async () => {
    grpc?.close();
    await stack?.close();
  });

  it('places every device on its servicing path, as REST does', async () => {
    for (const device of FLEET) {
      const answer = await sameAsRest(await ask('GetDevice', { deviceId: device.deviceId }), `/v1/devices/${device.deviceId}`);
      expect({ deviceId: device.deviceId, servicing: withoutNulls(answer.servicing) }).toEqual({
        deviceId: device.deviceId,
        servicing: withoutNulls(device.servicing),
      });
    }
    const applied = await ask('GetDevice', { deviceId: 'mar-applied' });
    expect(applied.memory).toMatchObject({ build: '26100.7982', release: 'KB5084597', baselineKb: 'KB5074109' });
    expect(applied.memory.cves).toContain(RRAS_CVE);
    expect(applied.disk).toMatchObject({ build: '26100.7979', release: 'KB5079420' });
    expect(applied.disk.cves).not.toContain(RRAS_CVE);
  });

  it('counts exposure to the March 2026 RRAS CVE and to a Server-only CVE, group by group, as REST does', async () => {
    for (const cveId of [RRAS_CVE, SERVER_ONLY_CVE]) {
      for (const group of EXPOSURE_GROUPS) {
        const answer = await sameAsRest(await ask('GetCveExposure', { cveId, group }), `/v1/cves/${cveId}/exposure?group=${group}`);
        expect(answer).toMatchObject(EXPOSURE[cveId as keyof typeof EXPOSURE].now);
      }
    }
    const exposed = await ask('GetCveExposure', { cveId: RRAS_CVE, group: 'exposed' });
    expect(exposed.devices.items.map((d: any) => d.deviceId)).toEqual(EXPOSURE[RRAS_CVE].exposed);
    const server = await ask('GetCveExposure', { cveId: SERVER_ONLY_CVE, group: 'protectedOnDisk' });
    expect(server.devices.items.map((d: any) => d.deviceId)).toEqual(['srv-2025']);
  });

  it('answers as_of before the check-in and the apply, as REST does', async () => {
    const asOf = encodeURIComponent(beforeLaterReports);
    const then = await sameAsRest(
      await ask('GetCveExposure', { cveId: RRAS_CVE, group: 'exposed', asOf: beforeLaterReports }),
      `/v1/cves/${RRAS_CVE}/exposure?group=exposed&asOf=${asOf}`,
    );
    expect(then).toMatchObject(EXPOSURE[RRAS_CVE].before);
    const upgraded = await ask('GetDevice', { deviceId: 'upgraded', asOf: beforeLaterReports });
    expect(upgraded.servicing).toMatchObject({ path: 'hotpatch', upToDate: true });
  });

  it('answers a CVE that no release fixes with NOT_FOUND and CVE_NOT_IN_CATALOG', async () => {
    const failure = await grpc.failure('DeviceQueries', 'GetCveExposure', { cveId: UNKNOWN_CVE, minPosition: lastPosition });
    expect(failure).toMatchObject({ code: status.NOT_FOUND, errorCode: 'CVE_NOT_IN_CATALOG' });
  });

  it('lists devices by servicing path and by up to date, as REST does', async () => {
    const cases: [Record<string, unknown>, string, string[]][] = [
      [{ path: 'lcu' }, 'path=lcu', deviceIds('lcu')],
      [{ path: 'hotpatch', upToDate: true }, 'path=hotpatch&upToDate=true', deviceIds('hotpatch', true)],
      [{ path: 'unknown-build' }, 'path=unknown-build', ['unknown']],
      [{ upToDate: false }, 'upToDate=false', FLEET.filter((d) => !d.servicing.upToDate).map((d) => d.deviceId).sort()],
    ];
    for (const [request, query, expected] of cases) {
      const page = await sameAsRest(await ask('ListDevices', { ...request, limit: 100 }), `/v1/devices?${query}&limit=100`);
      expect({ query, ids: page.items.map((d: any) => d.deviceId) }).toEqual({ query, ids: expected });
    }
  });

  it('counts the fleet by servicing path and off-train reason, as REST does', async () => {
    const summary = await sameAsRest(await ask('GetFleetSummary', {}), '/v1/fleet/summary');
    expect(summary).toMatchObject(SUMMARY);
  });
});
