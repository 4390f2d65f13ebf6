import { DATA_SOURCE } from '@patchstate/event-store';
import { createKafka } from '@patchstate/messaging';
import { aDeviceProfile } from '../builders';
import { eventually, TestStack, startTestStack } from '../support/test-stack';
import { http } from '../support/http-client';

describe('admin endpoint for dead letters: list, skip, retry', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('lists a parked poison event, refuses non-admins, and skips it', async () => {
    // A DeviceRegistered for a device stream with a profile no projection can fold: the poison pill.
    const [{ store_id: storeId }] = await stack.api.get(DATA_SOURCE).query('SELECT store_id FROM event_store_identity');
    const poison = {
      storeId,
      eventId: '00000000-0000-4000-8000-000000000001',
      type: 'DeviceRegistered',
      schemaVersion: 1,
      streamId: 'device-poison-1',
      streamType: 'device',
      version: 1,
      position: '999999',
      data: { deviceId: 'poison-1', hostname: 'poison-1', profile: { product: 'windows-11' } },
      metadata: { eventId: '00000000-0000-4000-8000-000000000001', occurredAt: '2025-01-01T00:00:00Z', recordedAt: '2025-01-01T00:00:00Z', actor: { id: 'x', role: 'x' }, correlationId: 'c', causationId: null, schemaVersion: 1 },
      hash: 'h',
      prevHash: null,
    };
    const producer = createKafka(stack.config.kafka.brokers, 'poison-test').producer();
    await producer.connect();
    await producer.send({ topic: stack.config.kafka.topic, messages: [{ key: poison.streamId, value: JSON.stringify(poison) }] });
    await producer.disconnect();
    // A healthy device still goes through.
    const healthy = await http(stack.baseUrl, 'POST', '/v1/devices', { deviceId: 'healthy-1', hostname: 'healthy-1', profile: aDeviceProfile() });
    expect(healthy.status).toBe(201);
    expect((await http(stack.baseUrl, 'GET', `/v1/devices/healthy-1?minPosition=${healthy.body.position}`)).status).toBe(200);

    const parked = await eventually(async () => {
      const result = await http(stack.baseUrl, 'GET', '/v1/admin/dead-letters');
      return result.body.items?.length === 1 ? result.body.items[0] : undefined;
    });
    expect(parked).toMatchObject({ streamId: 'device-poison-1', version: 1, type: 'DeviceRegistered', status: 'parked' });

    const asAuditor = await http(stack.baseUrl, 'GET', '/v1/admin/dead-letters', undefined, { authorization: `Bearer ${stack.keys.auditor}` });
    expect(asAuditor.status).toBe(403);
    expect((await http(stack.baseUrl, 'POST', '/v1/admin/dead-letters/skip', {})).status).toBe(400);

    const retried = await http(stack.baseUrl, 'POST', '/v1/admin/dead-letters/retry', { id: parked.id });
    expect(retried.status).toBe(200);
    expect(retried.body.stillParked).toBe(1);

    const skipped = await http(stack.baseUrl, 'POST', '/v1/admin/dead-letters/skip', { id: parked.id });
    expect(skipped.status).toBe(200);
    expect(skipped.body.skipped).toMatchObject({ id: parked.id, status: 'skipped' });
    expect((await http(stack.baseUrl, 'GET', '/v1/admin/dead-letters')).body.items).toEqual([]);
  });
});
