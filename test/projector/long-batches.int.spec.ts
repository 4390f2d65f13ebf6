import { readStoreId } from '@patchstate/event-store';
import { Kafka } from 'kafkajs';
import { QueryRunner } from 'typeorm';
import { EventEnvelope } from '@patchstate/messaging';
import { Projection, ProjectionEngine, allProjections } from '@patchstate/read-models';
import { aDeviceHistory } from '../builders';
import { KafkaProjector } from '../../apps/projector/src/kafka-projector';
import { uniqueName } from '../support/test-database';
import {
  EnvelopeFactory,
  TestDatabase,
  createTestTopic,
  envelopeMessage,
  kafkaForTests,
  newProjector,
  openTestDatabase,
  publish,
  readModelSnapshot,
  sleep,
  storedCheckpoints,
  waitUntilProjected,
} from './projector-fixture';
import { FEB, MAR } from './scripted-fleet';

/** A projection as slow as a loaded database makes it: every event holds the transaction a while. */
function slowed(projection: Projection, msPerEvent: number): Projection {
  return {
    name: projection.name,
    tables: projection.tables,
    handles: (envelope) => projection.handles(envelope),
    apply: async (tx: QueryRunner, envelope: EventEnvelope) => {
      await sleep(msPerEvent);
      await projection.apply(tx, envelope);
    },
  };
}

describe('a backlog that takes longer than the session timeout to project', () => {
  let database: TestDatabase;
  let reference: TestDatabase;
  let kafka: Kafka;
  let topic: { topic: string; remove(): Promise<void> };
  let projector: KafkaProjector | null = null;
  let envelopes: EventEnvelope[];

  beforeAll(async () => {
    database = await openTestDatabase();
    reference = await openTestDatabase({ sameStoreAs: database });
    kafka = kafkaForTests();
    topic = await createTestTopic(kafka, 1);
    const factory = new EnvelopeFactory(await readStoreId(database.db));
    envelopes = Array.from({ length: 40 }, (_, i) => {
      const deviceId = `ws-${String(i).padStart(3, '0')}`;
      // ten events per device
      const history = aDeviceHistory(deviceId).registered().applied(FEB).rebooted().applied(MAR).reverted(MAR).applied(MAR).rebooted();
      history.reverted(MAR).applied(MAR).rebooted();
      return factory.stream(deviceId, history.events);
    }).flat();
  });

  afterAll(async () => {
    await projector?.stop();
    await topic?.remove();
    await database?.close();
    await reference?.close();
  });

  it('stays in its group, committing as it goes, and ends where a fast projector ends', async () => {
    expect(envelopes).toHaveLength(400);
    // 400 events at 30 ms: 12 s in one fetched batch, past the consumer's 10 s session timeout.
    await publish(kafka, topic.topic, envelopes.map(envelopeMessage));
    const groupId = uniqueName('long-batch-int');
    const engine = new ProjectionEngine(
      database.db,
      allProjections().map((projection) => (projection.name === 'device_state' ? slowed(projection, 30) : projection)),
    );
    projector = newProjector(kafka, database.db, { topic: topic.topic, groupId, engine });
    await projector.start();

    // Progress is committed before the backlog is through, not in one transaction at the end.
    const midway = await (async () => {
      for (let i = 0; i < 150; i += 1) {
        const stored = (await storedCheckpoints(database.db, groupId, topic.topic)).get(0);
        if (stored !== undefined) return Number(stored);
        await sleep(100);
      }
      return undefined;
    })();
    expect(midway).toBeGreaterThan(0);
    expect(midway).toBeLessThan(envelopes.length);

    await waitUntilProjected(kafka, database.db, groupId, topic.topic, 30_000);
    expect(projector.metrics).toMatchObject({ eventsApplied: envelopes.length, eventsSkippedAsDuplicate: 0, eventsParked: 0, groupJoins: 1 });

    await new ProjectionEngine(reference.db, allProjections()).applyBatch(
      null,
      envelopes.map((envelope, index) => ({ offset: String(index), envelope, raw: '' })),
      null,
    );
    expect(await readModelSnapshot(database.db)).toEqual(await readModelSnapshot(reference.db));
  });
});
