import { Kafka } from 'kafkajs';
import { QueryRunner } from 'typeorm';
import { AnyCommand } from '@patchstate/command-handling';
import { EventEnvelope } from '@patchstate/messaging';
import { DeviceQueries, Projection, ProjectionEngine, allProjections } from '@patchstate/read-models';
import { applyHotpatch, commitOnReboot, registerDevice } from '../builders';
import { KafkaProjector } from '../../apps/projector/src/kafka-projector';
import { uniqueName } from '../support/test-database';
import {
  CommandRunner,
  TestDatabase,
  asIncomingMessages,
  createTestTopic,
  envelopeMessage,
  kafkaForTests,
  newProjector,
  openTestDatabase,
  publish,
  readModelSnapshot,
  sleep,
  storedCheckpoints,
  storedEnvelopes,
  topicEndOffsets,
  waitUntilProjected,
  commitKafkaOffsets,
  committedKafkaOffsets,
} from './projector-fixture';
import { FEB, MAR, scriptedFleetCommands } from './scripted-fleet';

/**
 * Stands in for the process dying in the middle of a batch: once armed, after `afterEvents` more events it
 * aborts the whole Postgres transaction (as a dropped connection would) and throws, so nothing of the
 * batch commits. It keeps failing from then on, like a process that is gone.
 */
class KillSwitch {
  private remaining: number | null = null;
  private tripped!: () => void;
  readonly trippedOnce = new Promise<void>((resolve) => (this.tripped = resolve));
  crashes = 0;

  arm(afterEvents: number): void {
    this.remaining = afterEvents;
  }

  wrap(projection: Projection): Projection {
    return {
      name: projection.name,
      tables: projection.tables,
      handles: (envelope) => projection.handles(envelope),
      apply: async (tx: QueryRunner, envelope: EventEnvelope) => {
        await projection.apply(tx, envelope);
        if (this.remaining === null) return;
        if (this.remaining > 0) this.remaining -= 1;
        if (this.remaining > 0) return;
        this.crashes += 1;
        this.tripped();
        await tx.query('ROLLBACK');
        throw new Error('projector process killed in the middle of a batch');
      },
    };
  }
}

describe('a projector killed mid-batch and restarted', () => {
  let database: TestDatabase;
  let reference: TestDatabase;
  let kafka: Kafka;
  let topic: { topic: string; remove(): Promise<void> };
  let groupId: string;
  let envelopes: EventEnvelope[];
  const running: KafkaProjector[] = [];

  const start = async (projector: KafkaProjector) => {
    running.push(projector);
    await projector.start();
    return projector;
  };
  const stop = async (projector: KafkaProjector) => {
    await projector.stop();
    running.splice(running.indexOf(projector), 1);
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    reference = await openTestDatabase({ sameStoreAs: database });
    kafka = kafkaForTests();
    topic = await createTestTopic(kafka, 1);
    groupId = uniqueName('restart-int');
    await new CommandRunner(database.db).runAll(scriptedFleetCommands());
    envelopes = await storedEnvelopes(database.db);
  });

  afterAll(async () => {
    for (const projector of [...running]) await projector.stop().catch(() => undefined);
    await topic?.remove();
    await database?.close();
    await reference?.close();
  });

  it('commits nothing of the interrupted batch and, restarted with the same group, ends where one that never stopped ends', async () => {
    const firstPart = 20;
    const killSwitch = new KillSwitch();
    const crashing = new ProjectionEngine(
      database.db,
      allProjections().map((projection) => (projection.name === 'device_state' ? killSwitch.wrap(projection) : projection)),
    );
    const first = await start(newProjector(kafka, database.db, { topic: topic.topic, groupId, engine: crashing }));
    await publish(kafka, topic.topic, envelopes.slice(0, firstPart).map(envelopeMessage));
    await waitUntilProjected(kafka, database.db, groupId, topic.topic);
    const beforeCrash = await readModelSnapshot(database.db);

    killSwitch.arm(7);
    await publish(kafka, topic.topic, envelopes.slice(firstPart).map(envelopeMessage));
    await killSwitch.trippedOnce;
    await stop(first);

    // Seven device events of the batch were applied before the crash; none of them, nor the offset, committed.
    expect(await storedCheckpoints(database.db, groupId, topic.topic)).toEqual(new Map([[0, String(firstPart)]]));
    expect(await readModelSnapshot(database.db)).toEqual(beforeCrash);

    const second = await start(newProjector(kafka, database.db, { topic: topic.topic, groupId }));
    await waitUntilProjected(kafka, database.db, groupId, topic.topic);
    expect(second.metrics).toMatchObject({ eventsApplied: envelopes.length - firstPart, eventsSkippedAsDuplicate: 0, eventsParked: 0 });
    await stop(second);

    // The reference never stopped: every envelope projected in one go.
    await new ProjectionEngine(reference.db, allProjections()).applyBatch(null, asIncomingMessages(envelopes), null);
    expect(await readModelSnapshot(database.db)).toEqual(await readModelSnapshot(reference.db));
  });

  describe('on restart it resumes from the offsets stored in Postgres, not from Kafka\'s committed offsets', () => {
    /** Records more history, publishes it, and returns the envelopes published. */
    const recordAndPublish = async (...more: AnyCommand[]): Promise<EventEnvelope[]> => {
      const last = envelopes[envelopes.length - 1].position;
      const runner = new CommandRunner(database.db);
      for (const command of more) await runner.run(command);
      const added = await storedEnvelopes(database.db, last);
      envelopes.push(...added);
      await publish(kafka, topic.topic, added.map(envelopeMessage));
      return added;
    };

    const setKafkaOffset = (offset: string) => commitKafkaOffsets(kafka, groupId, topic.topic, { 0: offset });
    const kafkaOffset = async (): Promise<string | undefined> => (await committedKafkaOffsets(kafka, groupId, topic.topic)).get(0);

    it('projects the events Kafka\'s offset would skip, even when Postgres answers slowly at start', async () => {
      const stored = (await storedCheckpoints(database.db, groupId, topic.topic)).get(0)!;
      const added = await recordAndPublish(
        registerDevice({}, { deviceId: 'ws-z', hostname: 'ws-z.corp.contoso.example', at: '2025-06-02T08:00:00Z' }),
        applyHotpatch(FEB, { deviceId: 'ws-z', at: '2025-06-02T09:00:00Z' }),
        commitOnReboot({ deviceId: 'ws-z', at: '2025-06-03T07:00:00Z', bootId: 'boot-z1' }),
      );
      expect(added).toHaveLength(3);
      // Kafka claims the group is two events further than Postgres says.
      await setKafkaOffset(String(BigInt(stored) + 2n));
      expect(await kafkaOffset()).toBe(String(BigInt(stored) + 2n));

      // Postgres is slow to answer at start (a lock on the checkpoints): the broker must not win the race.
      const locker = database.db.createQueryRunner();
      await locker.connect();
      await locker.startTransaction();
      await locker.query('LOCK TABLE projection_checkpoints IN ACCESS EXCLUSIVE MODE');
      const third = await start(newProjector(kafka, database.db, { topic: topic.topic, groupId }));
      await sleep(1_500);
      await locker.commitTransaction();
      await locker.release();

      await waitUntilProjected(kafka, database.db, groupId, topic.topic);
      await stop(third);
      expect(third.metrics).toMatchObject({ eventsApplied: 3, eventsParked: 0 });
      expect(await new DeviceQueries(database.db).findDevice('ws-z')).toMatchObject({
        version: 3,
        memory: { hotpatches: [FEB.patchId] },
        disk: { hotpatches: [FEB.patchId] },
      });
    });

    it('does not replay what Postgres says is applied when Kafka\'s offset is behind', async () => {
      await setKafkaOffset('0');
      expect(await kafkaOffset()).toBe('0');
      await recordAndPublish(applyHotpatch(MAR, { deviceId: 'ws-z', at: '2025-06-04T09:00:00Z' }));

      const fourth = await start(newProjector(kafka, database.db, { topic: topic.topic, groupId }));
      await waitUntilProjected(kafka, database.db, groupId, topic.topic);
      await stop(fourth);
      expect(fourth.metrics).toMatchObject({ eventsApplied: 1, eventsSkippedAsDuplicate: 0, eventsParked: 0 });
      const ends = await topicEndOffsets(kafka, topic.topic);
      expect(await storedCheckpoints(database.db, groupId, topic.topic)).toEqual(ends);

      await reference.db.query(`TRUNCATE ${['device_state', 'device_plane_history', 'patch_catalog', 'patch_rollout', 'projection_stream_versions'].join(', ')}`);
      await new ProjectionEngine(reference.db, allProjections()).applyBatch(null, asIncomingMessages(envelopes), null);
      expect(await readModelSnapshot(database.db)).toEqual(await readModelSnapshot(reference.db));
    });

    it('with no offsets stored in Postgres it starts at the beginning of the topic, wherever Kafka says the group is', async () => {
      const before = await readModelSnapshot(database.db);
      const ends = await topicEndOffsets(kafka, topic.topic);
      await database.db.query('DELETE FROM projection_checkpoints WHERE consumer_group = $1', [groupId]);
      await setKafkaOffset(ends.get(0)!);

      const fifth = await start(newProjector(kafka, database.db, { topic: topic.topic, groupId }));
      await waitUntilProjected(kafka, database.db, groupId, topic.topic);
      await stop(fifth);
      expect(fifth.metrics).toMatchObject({ eventsApplied: 0, eventsSkippedAsDuplicate: Number(ends.get(0)), eventsParked: 0 });
      expect(await readModelSnapshot(database.db)).toEqual(before);
    });
  });
});
