import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { EventToAppend, PostgresEventStore, openDatabase } from '@patchstate/event-store';
import { OutboxRelay, createKafka, ensureTopic, messagingClientOf } from '@patchstate/messaging';
import { DEVICE_AGENT } from '../../../test/builders';
import { createTestDatabase, uniqueName } from '../../../test/support/test-database';
import { eventually } from '../../../test/support/test-stack';
import { readWholeTopic } from './topic-reader.helper.spec';

function anEvent(streamId: string, n: number): EventToAppend {
  return {
    type: 'HotpatchFailed',
    data: { streamId, n },
    metadata: { eventId: randomUUID(), occurredAt: '2025-02-12T09:30:00Z', recordedAt: '2025-02-12T09:30:00Z', actor: DEVICE_AGENT, correlationId: 'corr-relay', causationId: null },
  };
}

describe('OutboxRelay against the real broker and Postgres', () => {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;
  let store: PostgresEventStore;
  let kafka: Kafka;
  const relays: OutboxRelay[] = [];
  const logs: string[] = [];

  const unpublished = async (): Promise<number> => (await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL'))[0].n;
  const relayOn = (topic: string, client: Kafka = kafka, batchSize = 7, safetyPollMs = 600_000): OutboxRelay => {
    // By default a safety poll of ten minutes: whatever is published within the test was woken by NOTIFY.
    const relay = new OutboxRelay(db, messagingClientOf(client), { databaseUrl: database.url, topic, batchSize, safetyPollMs, log: (m) => logs.push(m) });
    relays.push(relay);
    return relay;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url);
    store = new PostgresEventStore(db);
    kafka = createKafka(brokers, 'outbox-relay-int');
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await db.query('UPDATE outbox SET published_at = now() WHERE published_at IS NULL');
  });

  afterAll(async () => {
    if (db?.isInitialized) await db.destroy();
    await database?.drop();
  });

  it('keeps rows unpublished while the broker cannot be reached, and loses none', async () => {
    const unreachable = new Kafka({ clientId: 'relay-unreachable', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const relay = relayOn('never-created', unreachable);
    await relay.start();
    await store.append('device-offline', 'device', 0, [anEvent('device-offline', 1), anEvent('device-offline', 2)]);
    await eventually(async () => (logs.some((m) => m.includes('could not publish')) ? true : undefined), 10_000);
    expect(await unpublished()).toBe(2);
  });

  it('wakes on NOTIFY, publishes in batches in position order, and marks rows only once Kafka has them', async () => {
    const topic = uniqueName('patchstate.relay.test');
    await ensureTopic(kafka, topic, 3);
    const relay = relayOn(topic);
    await relay.start();
    // 10 streams, 5 appends each, racing: 50 events in interleaved positions.
    const streams = Array.from({ length: 10 }, (_, i) => `device-relay-${i}`);
    await Promise.all(
      streams.map(async (streamId) => {
        for (let version = 0; version < 5; version += 1) await store.append(streamId, 'device', version, [anEvent(streamId, version + 1)]);
      }),
    );
    await eventually(async () => ((await unpublished()) === 0 ? true : undefined), 10_000, 50);

    const messages = await readWholeTopic(brokers, topic);
    expect(messages).toHaveLength(50);
    for (const streamId of streams) {
      const own = messages.filter((m) => m.key === streamId).sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
      expect(own.map((m) => m.envelope.version)).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(own.map((m) => m.partition)).size).toBe(1);
    }
    // Within a partition, offsets follow positions: the relay publishes in commit order.
    for (const partition of new Set(messages.map((m) => m.partition))) {
      const positions = messages
        .filter((m) => m.partition === partition)
        .sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)))
        .map((m) => BigInt(m.envelope.position));
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
  });

  it('two relays on one database: one leader, every event published once', async () => {
    const topic = uniqueName('patchstate.relay.test');
    await ensureTopic(kafka, topic, 3);
    const [first, second] = [relayOn(topic), relayOn(topic)];
    await Promise.all([first.start(), second.start()]);
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        for (let version = 0; version < 4; version += 1) await store.append(`device-two-relays-${i}`, 'device', version, [anEvent(`device-two-relays-${i}`, version)]);
      }),
    );
    await eventually(async () => ((await unpublished()) === 0 ? true : undefined), 10_000, 50);
    const messages = await readWholeTopic(brokers, topic);
    expect(messages).toHaveLength(24);
    expect(new Set(messages.map((m) => m.envelope.eventId)).size).toBe(24);
    // One leader: exactly one session holds the relay's advisory lock (the other only tried it).
    const [{ leaders }] = await db.query(`SELECT count(*)::int AS leaders FROM pg_locks
       WHERE locktype = 'advisory' AND objid = 7411002 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
    expect(leaders).toBe(1);
  });

  it('a follower takes over what a stopped leader left behind, by its safety poll, without a new notification', async () => {
    const topic = uniqueName('patchstate.relay.test');
    await ensureTopic(kafka, topic, 3);
    const unreachable = new Kafka({ clientId: 'relay-stuck-leader', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const leader = relayOn(topic, unreachable);
    await leader.start();
    await leader.drain();
    const follower = relayOn(topic, kafka, 7, 300);
    await follower.start();
    await follower.drain();
    // The leader is notified but cannot publish; the follower is notified too, but is not the leader.
    await store.append('device-handover', 'device', 0, [anEvent('device-handover', 1), anEvent('device-handover', 2)]);
    // A drain resolves once the leader has tried and failed, and once the follower has found it is not the leader.
    await leader.drain();
    await follower.drain();
    expect(await unpublished()).toBe(2);
    await leader.stop();
    await eventually(async () => ((await unpublished()) === 0 ? true : undefined), 5_000, 50);
    expect((await readWholeTopic(brokers, topic)).map((m) => m.envelope.streamId)).toEqual(['device-handover', 'device-handover']);
  });
});
