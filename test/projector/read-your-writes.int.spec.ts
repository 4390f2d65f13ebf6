import { aDeviceProfile } from '../builders';
import { http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';
import { FEB } from './scripted-fleet';

const MAX_WAIT_MS = 800;

describe('read your writes: ?minPosition=N waits until the read models applied N', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ env: { READ_YOUR_WRITES_MAX_WAIT_MS: String(MAX_WAIT_MS) } });
    expect((await http(stack.baseUrl, 'POST', '/v1/patches', FEB)).status).toBe(201);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('answers a query right after the command with what the command did', async () => {
    const registered = await http(stack.baseUrl, 'POST', '/v1/devices', { deviceId: 'ws-ryw', hostname: 'ws-ryw.corp.contoso.example', profile: aDeviceProfile() });
    expect(registered.status).toBe(201);
    const device = await http(stack.baseUrl, 'GET', `/v1/devices/ws-ryw?minPosition=${registered.body.position}`);
    expect(device.status).toBe(200);
    expect(device.body).toMatchObject({ deviceId: 'ws-ryw', version: 1, position: registered.body.position });

    const applied = await http(stack.baseUrl, 'POST', '/v1/devices/ws-ryw/hotpatches', { patchId: FEB.patchId });
    expect(applied.status).toBe(201);
    const position = applied.body.position;
    const [rollout, summary, exposure, list] = await Promise.all([
      http(stack.baseUrl, 'GET', `/v1/patches/${FEB.patchId}/rollout?minPosition=${position}`),
      http(stack.baseUrl, 'GET', `/v1/fleet/summary?minPosition=${position}`),
      http(stack.baseUrl, 'GET', `/v1/cves/${FEB.cves[0]}/exposure?group=protectedInMemoryOnly&minPosition=${position}`),
      http(stack.baseUrl, 'GET', `/v1/devices?state=pending-commit&minPosition=${position}`),
    ]);
    expect(rollout.body).toMatchObject({ appliedInMemory: 1, pendingCommit: 1 });
    expect(summary.body).toMatchObject({ devices: 1, byState: { 'pending-commit': 1, hotpatched: 1 } });
    expect(exposure.body).toMatchObject({ counts: { protectedInMemoryOnly: 1 }, devices: { items: [{ deviceId: 'ws-ryw' }] } });
    expect(list.body.items.map((d: { deviceId: string }) => d.deviceId)).toEqual(['ws-ryw']);
  });

  it('refuses a minPosition that is not a position', async () => {
    const response = await http(stack.baseUrl, 'GET', '/v1/devices/ws-ryw?minPosition=latest');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers 503 PROJECTION_BEHIND after the bound while the projector is stopped, and the fresh state once it runs again', async () => {
    await stack.stopProjector();
    const rebooted = await http(stack.baseUrl, 'POST', '/v1/devices/ws-ryw/reboots', { bootId: 'boot-1' });
    expect(rebooted.status).toBe(201);
    const position = rebooted.body.position;

    const started = Date.now();
    const behind = await http(stack.baseUrl, 'GET', `/v1/devices/ws-ryw?minPosition=${position}`);
    const waited = Date.now() - started;
    expect(behind.status).toBe(503);
    expect(behind.body).toMatchObject({ code: 'PROJECTION_BEHIND', details: { minPosition: position } });
    expect(waited).toBeGreaterThanOrEqual(MAX_WAIT_MS);
    expect(waited).toBeLessThan(MAX_WAIT_MS + 2_000);
    // Without minPosition the (stale) read model answers at once.
    expect((await http(stack.baseUrl, 'GET', '/v1/devices/ws-ryw')).body).toMatchObject({ version: 2, pendingCommit: [FEB.patchId] });

    await stack.startProjector();
    const caughtUp = await (async () => {
      for (;;) {
        const response = await http(stack.baseUrl, 'GET', `/v1/devices/ws-ryw?minPosition=${position}`);
        if (response.status !== 503) return response;
      }
    })();
    expect(caughtUp.status).toBe(200);
    expect(caughtUp.body).toMatchObject({ version: 3, pendingCommit: [], disk: { hotpatches: [FEB.patchId] } });
  });
});
