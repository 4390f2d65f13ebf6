import { randomUUID } from 'node:crypto';
import { EventToAppend, Outbox, PostgresEventStore, databaseUrlOf, openDatabase, readStoreId } from '@patchstate/event-store';
import { MessagingClient, OutboxRelay, createMessagingClient, toEnvelope } from '@patchstate/messaging';
import { Comparison, compare, rate } from './table';

const BATCH = 500;

function anEvent(deviceId: string): EventToAppend {
  const now = new Date().toISOString();
  return {
    type: 'HotpatchApplied',
    data: { deviceId, patchId: 'KB5052093', appliedAt: now },
    metadata: { eventId: randomUUID(), occurredAt: now, recordedAt: now, actor: { id: 'bench', role: 'admin' }, correlationId: randomUUID(), causationId: null },
  };
}

/**
 * The outbox relay draining `count` waiting events (claim, envelope, send in batches of 500 with acks from all
 * replicas, mark published) against the client (kafkajs) sending the same envelopes in batches of 500 through the
 * relay's own producer settings, to a topic of its own.
 */
export async function benchRelay(url: string, brokers: string[], count: number): Promise<Comparison> {
  const kafka = createMessagingClient(brokers, 'patchstate-bench');
  const topic = `patchstate.bench.${randomUUID().slice(0, 8)}`;
  await kafka.ensureTopic(topic, 6);
  const db = await openDatabase(url, { poolSize: 10 });
  const store = new PostgresEventStore(db);
  const outbox = new Outbox(db);
  try {
    // Earlier suites left events in the outbox: they are published first, outside the measurement.
    await drain(db, topic, kafka, outbox);
    const perStream = 10;
    for (let s = 0; s < count / perStream; s += 1) {
      await store.append(`device-relay-${s}`, 'device', 0, Array.from({ length: perStream }, () => anEvent(`relay-${s}`)));
    }
    const storeId = await readStoreId(db);
    const events = await outbox.claim(count);
    const messages = events.map((event) => {
      const envelope = toEnvelope(event, event.streamType, storeId);
      return { key: envelope.streamId, value: JSON.stringify(envelope), headers: { 'event-type': envelope.type, 'event-id': envelope.eventId, 'schema-version': '1' } };
    });
    const producer = kafka.producer();
    await producer.connect();
    const rawRate = await rate(messages.length, async () => {
      for (let i = 0; i < messages.length; i += BATCH) await producer.send(topic, messages.slice(i, i + BATCH));
    });
    await producer.disconnect();
    const relayRate = await rate(events.length, () => drain(db, topic, kafka, outbox));
    return compare({ path: 'outbox relay', writers: 1, count: events.length, oursPerSecond: relayRate, baseline: 'kafkajs send, batches of 500', baselinePerSecond: rawRate });
  } finally {
    await db.destroy();
  }
}

async function drain(db: Awaited<ReturnType<typeof openDatabase>>, topic: string, kafka: MessagingClient, outbox: Outbox): Promise<void> {
  const relay = new OutboxRelay(db, kafka, { databaseUrl: databaseUrlOf(db)!, topic, batchSize: BATCH, safetyPollMs: 60_000, log: () => undefined });
  await relay.start();
  try {
    while ((await outbox.pendingCount()) > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  } finally {
    await relay.stop();
  }
}
