import { TestStack, eventually, startTestStack } from '../support/test-stack';
import { http } from '../support/http-client';

const device = {
  deviceId: 'fin-laptop-001',
  hostname: 'fin-laptop-001.corp.example',
  profile: {
    product: 'windows-11',
    edition: 'enterprise',
    architecture: 'x64',
    build: '26100.2894',
    vbs: 'running',
    chpeDisabled: false,
    hotpatchEnabled: true,
  },
};

describe('thin slice: POST /v1/devices → event store → outbox → Kafka → projector → GET /v1/devices/{id}', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('registers a device and serves its projected state', async () => {
    const created = await http(stack.baseUrl, 'POST', '/v1/devices', device);
    expect({ status: created.status, body: created.body }).toEqual({ status: 201, body: expect.anything() });
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({ streamId: 'device-fin-laptop-001', version: 1, events: [{ type: 'DeviceRegistered' }] });

    const projected = await eventually(async () => {
      const result = await http(stack.baseUrl, 'GET', '/v1/devices/fin-laptop-001');
      return result.status === 200 ? result : undefined;
    });
    expect(projected.body).toMatchObject({
      deviceId: 'fin-laptop-001',
      hostname: 'fin-laptop-001.corp.example',
      profile: device.profile,
      eligibility: { eligible: true, reasons: [] },
      memory: { build: '26100.2894', hotpatches: [] },
      disk: { build: '26100.2894', hotpatches: [] },
      pendingCommit: [],
      pendingRestart: null,
      retired: false,
      version: 1,
      position: created.body.position,
    });
  });

  it('refuses a duplicate registration with 409 DEVICE_EXISTS and appends nothing', async () => {
    const again = await http(stack.baseUrl, 'POST', '/v1/devices', device);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'DEVICE_EXISTS' });
  });

  it('answers 404 DEVICE_NOT_FOUND for an unknown device', async () => {
    const missing = await http(stack.baseUrl, 'GET', '/v1/devices/nobody');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'DEVICE_NOT_FOUND' });
  });
});
