import { randomUUID } from 'node:crypto';
import { Admin, Kafka, Message } from 'kafkajs';
import { DataSource } from 'typeorm';
import { AnyCommand, CommandExecutor, CommandResult } from '@patchstate/command-handling';
import { EVENT_COLUMNS, PostgresEventStore, openDatabase, readStoreId, toRecordedEvent } from '@patchstate/event-store';
import { DeviceEvent, deviceStreamId } from '@patchstate/domain';
import { EventEnvelope, createKafka, ensureTopic, messagingClientOf, toEnvelope } from '@patchstate/messaging';
import { IncomingMessage, Projection, ProjectionEngine, allProjections } from '@patchstate/read-models';
import { KafkaProjector } from '../../apps/projector/src/kafka-projector';
import { DEVICE_AGENT } from '../builders';
import { createTestDatabase, uniqueName } from '../support/test-database';

/*
 * Shared set-up for the projector's integration tests: a fresh database per file (migrated), commands run
 * through the real command handler and event store, the stored events turned into the envelopes the outbox
 * relay would publish, a topic of the test's own on the shared broker, and snapshots of the read models.
 */

export interface TestDatabase {
  db: DataSource;
  url: string;
  close(): Promise<void>;
}

/**
 * `sameStoreAs`: a reference database that stands for the same event store (it takes that store's identity),
 * so envelopes published from one are applied, not set apart as foreign, by the other.
 */
export async function openTestDatabase(options: { sameStoreAs?: TestDatabase } = {}): Promise<TestDatabase> {
  const created = await createTestDatabase();
  const db = await openDatabase(created.url, { poolSize: 6 });
  if (options.sameStoreAs) {
    await db.query('UPDATE event_store_identity SET store_id = $1', [await readStoreId(options.sameStoreAs.db)]);
  }
  return {
    db,
    url: created.url,
    close: async () => {
      if (db.isInitialized) await db.destroy();
      await created.drop();
    },
  };
}

/** Runs commands through the one load-decide-append path, each with its own command and correlation ids. */
export class CommandRunner {
  private readonly executor: CommandExecutor;

  constructor(db: DataSource) {
    this.executor = new CommandExecutor(new PostgresEventStore(db));
  }

  async run(command: AnyCommand): Promise<CommandResult> {
    const metadata = { ...command.metadata, commandId: randomUUID(), correlationId: randomUUID() };
    return this.executor.execute({ ...command, metadata } as AnyCommand);
  }

  async runAll(commands: readonly AnyCommand[]): Promise<void> {
    for (const command of commands) await this.run(command);
  }
}

type EventRow = Parameters<typeof toRecordedEvent>[0] & { stream_type: string };

/** The stored events as the outbox relay publishes them, in global position order. */
export async function storedEnvelopes(db: DataSource, afterPosition = '0'): Promise<EventEnvelope[]> {
  const rows: EventRow[] = await db.query(
    `SELECT ${EVENT_COLUMNS}, stream_type FROM events WHERE position > $1 ORDER BY position`,
    [afterPosition],
  );
  const storeId = await readStoreId(db);
  return rows.map((row) => toEnvelope(toRecordedEvent(row), row.stream_type, storeId));
}

/** Envelopes of one device stream as the relay would publish them, positions taken from a shared counter. */
export class EnvelopeFactory {
  private position = 0;

  /** `storeId`: the event store the envelopes claim to come from (the test database's, to be applied). */
  constructor(private readonly storeId: string) {}

  stream(deviceId: string, events: readonly DeviceEvent[], firstVersion = 1): EventEnvelope[] {
    return events.map((event, index) => {
      this.position += 1;
      const occurredAt = new Date(Date.UTC(2025, 1, 12, 9, 0, 0) + this.position * 60_000).toISOString();
      return {
        storeId: this.storeId,
        eventId: randomUUID(),
        type: event.type,
        schemaVersion: 1,
        streamId: deviceStreamId(deviceId),
        streamType: 'device',
        version: firstVersion + index,
        position: String(this.position),
        data: event.data,
        metadata: {
          eventId: randomUUID(),
          occurredAt,
          recordedAt: occurredAt,
          actor: DEVICE_AGENT,
          correlationId: randomUUID(),
          causationId: null,
          schemaVersion: 1,
        },
        hash: 'f'.repeat(64),
        prevHash: null,
      };
    });
  }
}

/** Envelopes as the projector hands them to the engine, numbered as offsets of one partition. */
export function asIncomingMessages(envelopes: readonly EventEnvelope[], firstOffset = 0): IncomingMessage[] {
  return envelopes.map((envelope, index) => ({ offset: String(firstOffset + index), envelope, raw: JSON.stringify(envelope) }));
}

/** Every table the live projections own plus their stream-version guards: what "the read-model state" is. */
export function readModelTables(projections: readonly Projection[] = allProjections()): string[] {
  return [...new Set([...projections.flatMap((p) => p.tables), 'projection_stream_versions'])].sort();
}

/**
 * The content of the read-model tables as sorted JSON rows. Only data the events determine is in there
 * (times come from event metadata), so two databases fed the same envelopes must give equal snapshots.
 */
export async function readModelSnapshot(db: DataSource, tables: readonly string[] = readModelTables()): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const table of tables) {
    const [{ rows }]: { rows: unknown[] }[] = await db.query(
      `SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]'::jsonb) AS rows FROM ${table} t`,
    );
    snapshot[table] = rows;
  }
  return snapshot;
}

export interface DeadLetterRow {
  stream_id: string;
  version: number;
  position: string;
  event_type: string;
  error: string;
  status: string;
  id: string;
}

export async function deadLetters(db: DataSource, group: string): Promise<DeadLetterRow[]> {
  return db.query(
    `SELECT id, stream_id, version, position::text AS position, event_type, error, status FROM dead_letters
     WHERE consumer_group = $1 ORDER BY id`,
    [group],
  );
}

export function kafkaForTests(clientId = 'patchstate-projector-int'): Kafka {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
  return createKafka(brokers, uniqueName(clientId));
}

/** A topic of the test's own on the shared broker, deleted again by `remove`. */
export async function createTestTopic(kafka: Kafka, partitions: number): Promise<{ topic: string; remove(): Promise<void> }> {
  const topic = uniqueName('patchstate.projector.int');
  await ensureTopic(kafka, topic, partitions);
  return {
    topic,
    remove: async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.deleteTopics({ topics: [topic], timeout: 5_000 });
      } catch {
        // best effort: a leftover topic of a test run harms nobody
      } finally {
        await admin.disconnect();
      }
    },
  };
}

export function envelopeMessage(envelope: EventEnvelope): Message {
  return { key: envelope.streamId, value: JSON.stringify(envelope) };
}

/** Publishes as the outbox relay does: keyed by stream, in the given order, acknowledged by all replicas. */
export async function publish(kafka: Kafka, topic: string, messages: readonly Message[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) as Message[] });
    }
  } finally {
    await producer.disconnect();
  }
}

export function newProjector(
  kafka: Kafka,
  db: DataSource,
  options: { topic: string; groupId: string; projections?: Projection[]; engine?: ProjectionEngine },
): KafkaProjector {
  const engine = options.engine ?? new ProjectionEngine(db, options.projections ?? allProjections());
  return new KafkaProjector(messagingClientOf(kafka), db, engine, { topic: options.topic, groupId: options.groupId });
}

export async function topicEndOffsets(kafka: Kafka, topic: string): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, o.high]));
  } finally {
    await admin.disconnect();
  }
}

export async function storedCheckpoints(db: DataSource, group: string, topic: string): Promise<Map<number, string>> {
  const rows: { partition: number; next_offset: string }[] = await db.query(
    'SELECT partition, next_offset::text AS next_offset FROM projection_checkpoints WHERE consumer_group = $1 AND topic = $2',
    [group, topic],
  );
  return new Map(rows.map((row) => [row.partition, row.next_offset]));
}

/** Waits until the group's Postgres checkpoints reached the end of every partition of the topic. */
export async function waitUntilProjected(kafka: Kafka, db: DataSource, group: string, topic: string, timeoutMs = 20_000): Promise<void> {
  const ends = await topicEndOffsets(kafka, topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await storedCheckpoints(db, group, topic);
    const behind = [...ends].filter(([partition, high]) => high !== '0' && stored.get(partition) !== high);
    if (behind.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `group ${group} did not reach the end of ${topic}: ${behind.map(([p, high]) => `partition ${p} at ${stored.get(p) ?? 'none'} of ${high}`).join(', ')}`,
      );
    }
    await sleep(100);
  }
}

/**
 * Sets the group's committed offsets in Kafka (the group must have no other members). Does what
 * admin.setOffsets does, with a short fetch wait: the admin's own consumer takes 5 s to leave.
 */
export async function commitKafkaOffsets(kafka: Kafka, groupId: string, topic: string, offsets: Record<number, string>): Promise<void> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    // Paused before anything is fetched: this consumer only exists to commit.
    await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
    consumer.pause([{ topic }]);
    await joined;
    await consumer.commitOffsets(Object.entries(offsets).map(([partition, offset]) => ({ topic, partition: Number(partition), offset })));
  } finally {
    await consumer.disconnect();
  }
}

export async function committedKafkaOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, string>> {
  return withAdmin(kafka, async (admin) => {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(entry.partitions.map((p) => [p.partition, p.offset]));
  });
}

export async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
