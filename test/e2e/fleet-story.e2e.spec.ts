import {
  APRIL_2025_BASELINE,
  APRIL_2025_CVES,
  FEBRUARY_2025_CVES,
  FEBRUARY_2025_HOTPATCH,
  JANUARY_2025_BASELINE,
  MARCH_2025_HOTPATCH,
  aDeviceProfile,
} from '../builders';
import { HttpResult, http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';

/**
 * The fleet story of issue 4, over REST: register, apply, reboot, stage a baseline, reboot, revert, reject.
 * Every query waits for its own writes with ?minPosition, so the test never sleeps.
 */
describe('fleet story over REST', () => {
  let stack: TestStack;
  let lastPosition = '0';
  const post = async (path: string, body: unknown, expected = 201): Promise<HttpResult> => {
    const result = await http(stack.baseUrl, 'POST', path, body, { authorization: `Bearer ${stack.keys.operator}` });
    expect({ path, status: result.status, body: result.body }).toMatchObject({ status: expected });
    lastPosition = result.headers.get('x-position') ?? lastPosition;
    return result;
  };
  const get = async (path: string): Promise<any> => {
    const separator = path.includes('?') ? '&' : '?';
    const result = await http(stack.baseUrl, 'GET', `${path}${separator}minPosition=${lastPosition}`);
    expect({ path, status: result.status }).toEqual({ path, status: 200 });
    return result.body;
  };
  const snapshots: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startTestStack();
    for (const patch of [JANUARY_2025_BASELINE, FEBRUARY_2025_HOTPATCH, MARCH_2025_HOTPATCH, APRIL_2025_BASELINE]) {
      await post('/v1/patches', patch);
    }
    await post('/v1/devices', { deviceId: 'ws-1', hostname: 'ws-1.corp.example', profile: aDeviceProfile(), registeredAt: '2025-01-20T08:00:00Z' });
    await post('/v1/devices', { deviceId: 'ws-2', hostname: 'ws-2.corp.example', profile: aDeviceProfile(), registeredAt: '2025-01-20T08:00:00Z' });
    await post('/v1/devices', {
      deviceId: 'ws-pro',
      hostname: 'ws-pro.corp.example',
      profile: aDeviceProfile({ edition: 'pro', vbs: 'enabled' }),
      registeredAt: '2025-01-20T08:00:00Z',
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('1. a hotpatch applied in memory is pending commit, and the disk lags behind', async () => {
    await post('/v1/devices/ws-1/hotpatches', { patchId: 'KB5052093', appliedAt: '2025-02-12T09:00:00Z' });
    await post('/v1/devices/ws-2/hotpatches', { patchId: 'KB5052093', appliedAt: '2025-02-12T09:05:00Z' });
    const device = await get('/v1/devices/ws-1');
    expect(device).toMatchObject({
      memory: { build: '26100.3032', hotpatches: ['KB5052093'] },
      disk: { build: '26100.2894', hotpatches: [] },
      pendingCommit: ['KB5052093'],
      pendingCommitSince: '2025-02-12T09:00:00Z',
      pendingRestart: null,
      eligibility: { eligible: true, patchId: 'KB5053636' },
    });
    const pending = await get('/v1/devices?state=pending-commit');
    expect(pending.items.map((d: any) => d.deviceId)).toEqual(['ws-1', 'ws-2']);
    const exposure = await get(`/v1/cves/${FEBRUARY_2025_CVES[0]}/exposure?group=protectedInMemoryOnly`);
    expect(exposure.counts).toEqual({ protectedOnDisk: 0, protectedInMemoryOnly: 2, exposed: 1, unknownBuild: 0 });
    expect(exposure.devices.items[0]).toEqual({ deviceId: 'ws-1', protectedInMemorySince: '2025-02-12T09:00:00.000Z', protectedOnDiskSince: null });
    // asOf reads the service's recorded time (trustworthy), not the device-reported time.
    snapshots.afterApply = new Date().toISOString();
  });

  it('2. a reboot commits the hotpatch to disk', async () => {
    await post('/v1/devices/ws-1/reboots', { rebootedAt: '2025-02-15T22:00:00Z', bootId: 'boot-1' });
    const device = await get('/v1/devices/ws-1');
    expect(device).toMatchObject({
      memory: { build: '26100.3032' },
      disk: { build: '26100.3032', hotpatches: ['KB5052093'] },
      pendingCommit: [],
      pendingCommitSince: null,
    });
    const rollout = await get('/v1/patches/KB5052093/rollout');
    expect(rollout).toEqual({
      patchId: 'KB5052093',
      appliedInMemory: 2,
      committedOnDisk: 1,
      pendingCommit: 1,
      failed: 0,
      reverted: 0,
      rejected: {},
      // through the catalog: of the three devices it is for, two run it in memory, one on disk
      concerned: 3,
      carriedInMemory: 2,
      carriedOnDisk: 1,
    });
    const exposure = await get(`/v1/cves/${FEBRUARY_2025_CVES[0]}/exposure?group=protectedOnDisk`);
    expect(exposure.counts).toEqual({ protectedOnDisk: 1, protectedInMemoryOnly: 1, exposed: 1, unknownBuild: 0 });
    expect(exposure.devices.items).toEqual([
      { deviceId: 'ws-1', protectedInMemorySince: '2025-02-12T09:00:00.000Z', protectedOnDiskSince: '2025-02-15T22:00:00.000Z' },
    ]);
    // February's hotpatch was released on 11 February: within 3 days two devices were protected in memory,
    // none on disk (ws-1 rebooted on the 15th); within 5 days one was on disk too.
    const within3 = await get(`/v1/cves/${FEBRUARY_2025_CVES[0]}/exposure?withinDays=3`);
    expect(within3.releasedAt).toBe('2025-02-11T18:00:00.000Z');
    expect(within3.window).toEqual({ withinDays: 3, devices: 3, protectedInMemory: 2, protectedOnDisk: 0, shareInMemory: 0.6667, shareOnDisk: 0 });
    const within5 = await get(`/v1/cves/${FEBRUARY_2025_CVES[0]}/exposure?withinDays=5`);
    expect(within5.window).toMatchObject({ protectedInMemory: 2, protectedOnDisk: 1 });
    expect((await http(stack.baseUrl, 'GET', `/v1/cves/${FEBRUARY_2025_CVES[0]}/exposure?withinDays=0`)).status).toBe(400);
  });

  it('3. a staged baseline waits for a restart, then supersedes the old hotpatches', async () => {
    await post('/v1/devices/ws-1/updates', { patchId: 'KB5055523', stagedAt: '2025-04-09T10:00:00Z' });
    let device = await get('/v1/devices/ws-1');
    expect(device.pendingRestart).toEqual({ patchId: 'KB5055523', build: '26100.3775', stagedAt: '2025-04-09T10:00:00Z' });
    expect((await get('/v1/devices?state=pending-restart')).items.map((d: any) => d.deviceId)).toEqual(['ws-1']);

    await post('/v1/devices/ws-1/reboots', { rebootedAt: '2025-04-10T22:00:00Z' });
    device = await get('/v1/devices/ws-1');
    expect(device).toMatchObject({
      memory: { build: '26100.3775', baselineBuild: '26100.3775', hotpatches: [] },
      disk: { build: '26100.3775', hotpatches: [] },
      pendingRestart: null,
      pendingCommit: [],
    });
    expect(device.memory.cves).toEqual(expect.arrayContaining([...FEBRUARY_2025_CVES, ...APRIL_2025_CVES]));
    const rollout = await get('/v1/patches/KB5052093/rollout');
    expect(rollout).toMatchObject({ appliedInMemory: 1, committedOnDisk: 0 });
  });

  it('4. a reverted hotpatch keeps running until the next reboot (Windows), then leaves memory', async () => {
    await post('/v1/devices/ws-2/hotpatches/KB5052093/revert', { revertedAt: '2025-02-20T10:00:00Z' });
    const device = await get('/v1/devices/ws-2');
    expect(device).toMatchObject({ memory: { hotpatches: ['KB5052093'], build: '26100.3032' }, pendingCommit: [], pendingRemoval: ['KB5052093'] });
    expect(await get('/v1/patches/KB5052093/rollout')).toMatchObject({ appliedInMemory: 1, reverted: 1, pendingCommit: 0 });
    await post('/v1/devices/ws-2/reboots', { rebootedAt: '2025-02-20T22:00:00Z' });
    const rebooted = await get('/v1/devices/ws-2');
    expect(rebooted).toMatchObject({ memory: { hotpatches: [], build: '26100.2894' }, pendingCommit: [], pendingRemoval: [] });
    expect(await get('/v1/patches/KB5052093/rollout')).toMatchObject({ appliedInMemory: 0, reverted: 1 });
  });

  it('5. an ineligible device is refused with every reason, recorded for audit', async () => {
    const refused = await post('/v1/devices/ws-pro/hotpatches', { patchId: 'KB5053636' }, 422);
    expect(refused.body).toMatchObject({ code: 'NOT_ELIGIBLE', details: { reasons: ['VBS_NOT_RUNNING', 'UNSUPPORTED_EDITION'] } });
    expect(refused.body.details.position).toBe(lastPosition);
    expect(await get('/v1/patches/KB5053636/rollout')).toMatchObject({ rejected: { VBS_NOT_RUNNING: 1, UNSUPPORTED_EDITION: 1 } });
    expect((await get('/v1/devices?state=ineligible')).items.map((d: any) => d.deviceId)).toEqual(['ws-pro']);
  });

  // Judged now: devices last heard from in 2025 are stale, counted apart and never up to date (silence is not
  // protection), and the two that do not run what their path offers are long past its deadline.
  it('6. the fleet summary counts devices by state and by ineligibility reason', async () => {
    const summary = await get('/v1/fleet/summary');
    expect(summary).toEqual({
      judgedAt: expect.any(String),
      devices: 3,
      byState: { 'pending-commit': 0, 'pending-restart': 0, ineligible: 1, 'up-to-date': 0, hotpatched: 0, retired: 0, overdue: 2, stale: 3 },
      byServicingPath: { hotpatch: 2, lcu: 0, ineligible: 1, 'unknown-build': 0 },
      byOffTrainReason: { MISSED_BASELINE: 0, CUMULATIVE_UPDATE_INSTALLED: 0, OS_UPGRADED_OUTSIDE_BASELINE: 0, HOTPATCH_FAILED: 0 },
      byIneligibilityReason: { UNSUPPORTED_EDITION: 1, VBS_NOT_RUNNING: 1 },
    });
  });

  it('6b. the fleet summary as of a past time folds the log: after the first applies, two devices waited for a reboot', async () => {
    const then = await get(`/v1/fleet/summary?asOf=${encodeURIComponent(snapshots.afterApply)}`);
    expect(then).toEqual({
      judgedAt: new Date(snapshots.afterApply).toISOString(),
      devices: 3,
      byState: { 'pending-commit': 2, 'pending-restart': 0, ineligible: 1, 'up-to-date': 0, hotpatched: 2, retired: 0, overdue: expect.any(Number), stale: 3 },
      byServicingPath: { hotpatch: 2, lcu: 0, ineligible: 1, 'unknown-build': 0 },
      byOffTrainReason: { MISSED_BASELINE: 0, CUMULATIVE_UPDATE_INSTALLED: 0, OS_UPGRADED_OUTSIDE_BASELINE: 0, HOTPATCH_FAILED: 0 },
      byIneligibilityReason: { UNSUPPORTED_EDITION: 1, VBS_NOT_RUNNING: 1 },
    });
    const now = await get(`/v1/fleet/summary?asOf=${encodeURIComponent(new Date().toISOString())}`);
    expect({ ...now, judgedAt: null }).toEqual({ ...(await get('/v1/fleet/summary')), judgedAt: null });
    expect((await http(stack.baseUrl, 'GET', '/v1/fleet/summary?asOf=last-week')).status).toBe(400);
  });

  it('7. point in time: the device as the log said on a past date', async () => {
    const afterApply = await get(`/v1/devices/ws-1?asOf=${encodeURIComponent(snapshots.afterApply)}`);
    expect(afterApply).toMatchObject({ version: 2, memory: { build: '26100.3032' }, disk: { build: '26100.2894' }, pendingCommit: ['KB5052093'] });
    const now = await get(`/v1/devices/ws-1?asOf=${encodeURIComponent(new Date().toISOString())}`);
    const live = await get('/v1/devices/ws-1');
    expect(now).toEqual(live);
    const before = await http(stack.baseUrl, 'GET', '/v1/devices/ws-1?asOf=2000-01-01T00:00:00Z');
    expect(before.status).toBe(404);
  });

  it('8. the timeline lists what happened, oldest first, with actor and hash chain', async () => {
    const timeline = await get('/v1/devices/ws-1/timeline');
    expect(timeline.items.map((e: any) => e.type)).toEqual([
      'DeviceRegistered',
      'HotpatchApplied',
      'DeviceRebooted',
      'UpdateStaged',
      'DeviceRebooted',
    ]);
    expect(timeline.items[1]).toMatchObject({ actor: { id: 'test-operator', role: 'operator' }, version: 2, prevHash: timeline.items[0].hash });
  });

  it('rejects bad query input with 400 and names the field', async () => {
    expect((await http(stack.baseUrl, 'GET', '/v1/devices?state=sleeping')).body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await http(stack.baseUrl, 'GET', '/v1/devices?state=retired&limit=5000')).status).toBe(400);
    expect((await http(stack.baseUrl, 'GET', '/v1/devices/ws-1?asOf=yesterday')).status).toBe(400);
    expect((await http(stack.baseUrl, 'GET', '/v1/cves/not-a-cve/exposure')).status).toBe(400);
    expect((await http(stack.baseUrl, 'GET', '/v1/devices?state=retired&cursor=%%%')).status).toBe(400);
  });
});
