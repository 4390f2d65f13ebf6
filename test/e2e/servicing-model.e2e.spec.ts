import { HttpResult, http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';
import { EXPOSURE, FLEET, FleetDevice, RRAS_CVE, SERVER_ONLY_CVE, SUMMARY, UNKNOWN_CVE, deviceIds, releasesText } from './servicing-fleet';

/**
 * Issue 10 over REST: the real release catalog imported through the import command into a running service, a
 * small fleet registered at real builds, then its servicing paths and CVE exposure asked. Queries wait for the
 * writes with ?minPosition; nothing sleeps.
 */
describe('servicing model over REST: the real catalog, a fleet at real builds', () => {
  let stack: TestStack;
  let lastPosition = '0';
  let beforeImport = '';
  let beforeLaterReports = '';

  const post = async (path: string, body: unknown, expected = 201): Promise<HttpResult> => {
    const result = await http(stack.baseUrl, 'POST', path, body, { authorization: `Bearer ${stack.keys.operator}` });
    expect({ path, status: result.status, body: result.body }).toMatchObject({ status: expected });
    lastPosition = result.headers.get('x-position') ?? lastPosition;
    return result;
  };
  const ask = (path: string) => http(stack.baseUrl, 'GET', `${path}${path.includes('?') ? '&' : '?'}minPosition=${lastPosition}`);
  const get = async (path: string): Promise<any> => {
    const result = await ask(path);
    expect({ path, status: result.status, body: result.body }).toMatchObject({ path, status: 200 });
    return result.body;
  };
  const later = (device: FleetDevice) => {
    if (device.later === undefined) return undefined;
    return 'checkIn' in device.later
      ? post(`/v1/devices/${device.deviceId}/check-ins`, device.later.checkIn)
      : post(`/v1/devices/${device.deviceId}/hotpatches`, device.later.apply);
  };

  beforeAll(async () => {
    // Freshness is judged in compliance-over-time.e2e.spec.ts: here the August 2026 reports must not go stale.
    stack = await startTestStack({ env: { STALE_AFTER_DAYS: '3650' } });
    beforeImport = new Date().toISOString();
    const imported = await post('/v1/catalog/imports', { format: 'json', content: releasesText() });
    expect(imported.body.published).toHaveLength(JSON.parse(releasesText()).length);
    for (const { deviceId, profile, registeredAt } of FLEET) {
      await post('/v1/devices', { deviceId, hostname: `${deviceId}.corp.example`, profile, registeredAt });
    }
    beforeLaterReports = new Date().toISOString();
    for (const device of FLEET) await later(device);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it.each(FLEET.map((device) => [device.deviceId, device] as const))('places %s on its servicing path through the catalog', async (deviceId, device) => {
    const view = await get(`/v1/devices/${deviceId}`);
    expect(view.servicing).toEqual(device.servicing);
  });

  it('resolves each plane to its release and baseline, with the fixes carried cumulatively', async () => {
    const august = await get('/v1/devices/hp-24h2');
    for (const plane of [august.memory, august.disk]) {
      expect(plane).toMatchObject({ build: '26100.9106', release: 'KB5120994', baselineKb: 'KB5101650' });
      // The July baseline carries March's LCU fix and June's; the hotpatch lists none of its own.
      expect(plane.cves).toEqual(expect.arrayContaining([RRAS_CVE, 'CVE-2026-42910', 'CVE-2026-20805', 'CVE-2025-21333']));
    }
    const march = await get('/v1/devices/mar-hotpatch');
    expect(march.memory).toMatchObject({ build: '26100.7979', release: 'KB5079420', baselineKb: 'KB5074109' });
    expect(march.memory.cves).toContain('CVE-2026-20805');
    expect(march.memory.cves).not.toContain(RRAS_CVE);
    const applied = await get('/v1/devices/mar-applied');
    expect(applied.memory).toMatchObject({ build: '26100.7982', release: 'KB5084597', baselineKb: 'KB5074109' });
    expect(applied.disk).toMatchObject({ build: '26100.7979', release: 'KB5079420', baselineKb: 'KB5074109' });
    expect(applied.pendingCommit).toEqual(['KB5084597']);
  });

  it(`counts ${RRAS_CVE} (March 2026 RRAS) by plane among the devices it concerns`, async () => {
    const exposure = await get(`/v1/cves/${RRAS_CVE}/exposure`);
    expect(exposure).toMatchObject({ cveId: RRAS_CVE, group: 'exposed', ...EXPOSURE[RRAS_CVE].now });
    expect(exposure.devices.items.map((d: any) => d.deviceId)).toEqual(EXPOSURE[RRAS_CVE].exposed);
    const inMemoryOnly = await get(`/v1/cves/${RRAS_CVE}/exposure?group=protectedInMemoryOnly`);
    expect(inMemoryOnly.devices.items).toEqual([
      { deviceId: 'mar-applied', protectedInMemorySince: expect.any(String), protectedOnDiskSince: null },
    ]);
    const unknown = await get(`/v1/cves/${RRAS_CVE}/exposure?group=unknownBuild`);
    expect(unknown.devices.items.map((d: any) => d.deviceId)).toEqual(['unknown']);
  });

  it(`counts the Server-only ${SERVER_ONLY_CVE} on the server alone: Windows 11 devices are in no group`, async () => {
    const exposure = await get(`/v1/cves/${SERVER_ONLY_CVE}/exposure?group=protectedOnDisk`);
    expect(exposure).toMatchObject({ releasedAt: '2025-10-23T00:00:00.000Z', ...EXPOSURE[SERVER_ONLY_CVE].now });
    expect(exposure.devices.items.map((d: any) => d.deviceId)).toEqual(['srv-2025']);
  });

  it('answers a CVE that no release fixes as unknown (404), not as the whole fleet exposed', async () => {
    const unknown = await ask(`/v1/cves/${UNKNOWN_CVE}/exposure`);
    expect(unknown).toMatchObject({ status: 404, body: { code: 'CVE_NOT_IN_CATALOG' } });
    // Before the import the catalog fixed nothing: asOf reads the catalog as the log said then.
    const beforeCatalog = await ask(`/v1/cves/${RRAS_CVE}/exposure?asOf=${encodeURIComponent(beforeImport)}`);
    expect(beforeCatalog).toMatchObject({ status: 404, body: { code: 'CVE_NOT_IN_CATALOG' } });
  });

  it('answers as of before the check-in and the apply: the upgrade and the OOB hotpatch not yet reported', async () => {
    const asOf = encodeURIComponent(beforeLaterReports);
    const exposure = await get(`/v1/cves/${RRAS_CVE}/exposure?asOf=${asOf}`);
    expect(exposure).toMatchObject(EXPOSURE[RRAS_CVE].before);
    expect(exposure.devices.items.map((d: any) => d.deviceId)).toEqual(['mar-applied', 'mar-hotpatch', 'srv-2025']);
    const upgraded = await get(`/v1/devices/upgraded?asOf=${asOf}`);
    expect(upgraded.servicing).toMatchObject({ path: 'hotpatch', reasons: [], release: { patchId: 'KB5120994' }, upToDate: true });
  });

  it('lists devices by servicing path and by up to date', async () => {
    const ids = async (query: string) => (await get(`/v1/devices?${query}&limit=100`)).items.map((d: any) => d.deviceId);
    expect(await ids('path=lcu')).toEqual(deviceIds('lcu'));
    expect(await ids('path=hotpatch&upToDate=true')).toEqual(deviceIds('hotpatch', true));
    expect(await ids('path=hotpatch&upToDate=false')).toEqual([]);
    expect(await ids('path=ineligible')).toEqual(['pro']);
    expect(await ids('path=unknown-build')).toEqual(['unknown']);
    expect(await ids('upToDate=true')).toEqual(['hp-24h2', 'hp-25h2', 'pro']);
  });

  it('counts the fleet by servicing path and by why devices left the hotpatch train', async () => {
    const summary = await get('/v1/fleet/summary');
    expect(summary).toMatchObject(SUMMARY);
    expect(summary.byIneligibilityReason).toEqual({ UNSUPPORTED_EDITION: 1 });
  });
});
