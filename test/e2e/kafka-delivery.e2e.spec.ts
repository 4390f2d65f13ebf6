import { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@patchstate/event-store';
import { readWholeTopic } from '../../libs/messaging/test/topic-reader.helper.spec';
import {
  APRIL_2025_BASELINE,
  FEBRUARY_2025_HOTPATCH,
  JANUARY_2025_BASELINE,
  MARCH_2025_HOTPATCH,
  MAY_2025_HOTPATCH,
  aDeviceProfile,
  anArm64Profile,
} from '../builders';
import { http } from '../support/http-client';
import { TestStack, eventually, startTestStack } from '../support/test-stack';

interface StoredEvent {
  event_id: string;
  stream_id: string;
  stream_type: string;
  version: number;
  position: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: { eventId: string };
  hash: string;
  prev_hash: string | null;
}

/**
 * Issue 3: every accepted event reaches the Kafka topic exactly once per event id, keyed by its stream, in its
 * stream's version order. A small fleet story runs over REST (with writes racing each other), then the topic is
 * read back from the beginning by a brand-new consumer group and compared with the event store.
 */
describe('Kafka delivery: the topic holds every accepted event exactly once, keyed and ordered by stream', () => {
  let stack: TestStack;
  let db: DataSource;
  const refusals: string[] = [];

  const post = async (path: string, body: unknown = {}): Promise<number> => {
    const result = await http(stack.baseUrl, 'POST', path, body);
    if (result.status >= 400 && result.status !== 422) refusals.push(`${path} ${result.status} ${result.body?.code}`);
    return result.status;
  };

  beforeAll(async () => {
    stack = await startTestStack({ projector: false });
    db = stack.api.get(DATA_SOURCE);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('runs a fleet story, then finds each stored event on the topic once, with its stream as key, in version order', async () => {
    for (const patch of [JANUARY_2025_BASELINE, FEBRUARY_2025_HOTPATCH, MARCH_2025_HOTPATCH, APRIL_2025_BASELINE, MAY_2025_HOTPATCH]) {
      expect(await post('/v1/patches', patch)).toBe(201);
    }
    const fleet = Array.from({ length: 8 }, (_, i) => `kd-${String(i + 1).padStart(3, '0')}`);
    const profiles = [aDeviceProfile(), anArm64Profile(), aDeviceProfile({ vbs: 'enabled' }), anArm64Profile({ chpeDisabled: false })];
    await Promise.all(
      fleet.map((deviceId, i) => post('/v1/devices', { deviceId, hostname: `${deviceId}.corp.example`, profile: profiles[i % profiles.length] })),
    );
    // Every device goes through the two planes at once, so appends of different streams interleave.
    await Promise.all(
      fleet.map(async (deviceId) => {
        await post(`/v1/devices/${deviceId}/hotpatches`, { patchId: 'KB5052093' }); // 201, or 422 (recorded)
        await post(`/v1/devices/${deviceId}/reboots`, { bootId: `${deviceId}-boot-1` });
        await post(`/v1/devices/${deviceId}/hotpatches`, { patchId: 'KB5053636' });
        await post(`/v1/devices/${deviceId}/updates`, { patchId: 'KB5055523' });
        await post(`/v1/devices/${deviceId}/reboots`, { bootId: `${deviceId}-boot-2` });
        await post(`/v1/devices/${deviceId}/hotpatches`, { patchId: 'KB5058497' });
      }),
    );
    // Several writers on one stream at once: the handler retries, each accepted event still goes out once.
    await Promise.all([
      post('/v1/devices/kd-001/failures', { patchId: 'KB5058497', errorCode: '0x800f0922' }),
      post('/v1/devices/kd-001/profile', { hotpatchEnabled: true }),
      post('/v1/devices/kd-001/failures', { patchId: 'KB5058497', errorCode: '0x80070005' }),
      post('/v1/devices/kd-001/hotpatches/KB5058497/revert', {}),
    ]);
    expect(await post('/v1/patches/KB5053636/revoke', { reason: 'superseded by the April baseline' })).toBe(201);
    expect(await post('/v1/devices/kd-008/retire', { reason: 'decommissioned' })).toBe(201);
    expect(refusals).toEqual([]);
    // Refused commands append nothing, so nothing of theirs can reach the topic.
    expect(await http(stack.baseUrl, 'POST', '/v1/devices/kd-008/reboots', {}).then((r) => r.status)).toBe(409);
    expect(await http(stack.baseUrl, 'POST', '/v1/devices/kd-001/hotpatches', { patchId: 'KB5052093', extra: 1 }).then((r) => r.status)).toBe(400);

    await eventually(async () => {
      const [{ n }] = await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
      return n === 0 ? true : undefined;
    });
    const stored: StoredEvent[] = await db.query(
      `SELECT event_id, stream_id, stream_type, version, position, type, schema_version, data, metadata, hash, prev_hash
       FROM events ORDER BY position`,
    );
    expect(stored.length).toBeGreaterThan(5 + 8 * 6);
    expect(new Set(stored.map((e) => e.type))).toEqual(
      new Set(['PatchPublished', 'PatchRevoked', 'DeviceRegistered', 'HotpatchApplied', 'HotpatchRejected', 'DeviceRebooted', 'UpdateStaged', 'HotpatchFailed', 'DeviceProfileReported', 'HotpatchReverted', 'DeviceRetired']),
    );

    const messages = await readWholeTopic(stack.config.kafka.brokers, stack.config.kafka.topic);

    // Exactly once per event id, and nothing that is not in the store.
    const timesSeen = new Map<string, number>();
    for (const message of messages) timesSeen.set(message.envelope.eventId, (timesSeen.get(message.envelope.eventId) ?? 0) + 1);
    expect([...timesSeen.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...timesSeen.keys()].sort()).toEqual(stored.map((e) => e.event_id).sort());
    expect(messages).toHaveLength(stored.length);

    // Each message is the stored event, keyed by its stream.
    const byId = new Map(stored.map((e) => [e.event_id, e]));
    const [{ store_id: storeId }] = await db.query('SELECT store_id FROM event_store_identity');
    for (const { key, headers, envelope } of messages) {
      const event = byId.get(envelope.eventId)!;
      expect(key).toBe(event.stream_id);
      expect(envelope).toEqual({
        storeId,
        eventId: event.event_id,
        type: event.type,
        schemaVersion: event.schema_version,
        streamId: event.stream_id,
        streamType: event.stream_type,
        version: event.version,
        position: String(event.position),
        data: event.data,
        metadata: event.metadata,
        hash: event.hash,
        prevHash: event.prev_hash,
      });
      expect(headers).toEqual({ 'event-type': event.type, 'event-id': event.event_id, 'schema-version': String(event.schema_version) });
    }

    // Per stream: one partition, and offsets in version order 1..n, so a consumer sees each stream as it was written.
    const streams = new Map<string, { partition: number; offset: bigint; version: number }[]>();
    for (const { partition, offset, envelope } of messages) {
      streams.set(envelope.streamId, [...(streams.get(envelope.streamId) ?? []), { partition, offset: BigInt(offset), version: envelope.version }]);
    }
    expect(streams.size).toBe(new Set(stored.map((e) => e.stream_id)).size);
    for (const [streamId, copies] of streams) {
      expect({ streamId, partitions: [...new Set(copies.map((c) => c.partition))].length }).toEqual({ streamId, partitions: 1 });
      const inOffsetOrder = [...copies].sort((a, b) => (a.offset < b.offset ? -1 : 1)).map((c) => c.version);
      expect({ streamId, versions: inOffsetOrder }).toEqual({ streamId, versions: inOffsetOrder.map((_, i) => i + 1) });
    }
  });
});
