import { Kafka } from 'kafkajs';
import { AppConfig } from '@patchstate/config';
import { OutboxRelay } from '@patchstate/messaging';
import { allProjections, tablesOf } from '@patchstate/read-models';
import { KafkaProjector } from '../../apps/projector/src/kafka-projector';
import { rebuildCommand } from '../../apps/replay/src/commands/rebuild.command';
import {
  TestDatabase,
  createTestTopic,
  kafkaForTests,
  newProjector,
  openTestDatabase,
  readModelSnapshot,
  storedCheckpoints,
  waitUntilProjected,
  withAdmin,
} from '../projector/projector-fixture';
import {
  indexAndConstraintNames,
  replayConfig,
  replayContext,
  replaySchemas,
  startRelay,
  tableIds,
  waitUntilPublished,
  writeCatalog,
  writeFleet,
} from './replay-fixture';

/*
 * A fleet of 1,000 devices written through the real command handler, published by the outbox relay and
 * projected by a live KafkaProjector. The replay tool must rebuild the very same read models from the
 * store and from Kafka and swap them in while the projector keeps running.
 */
const FLEET = 1_000;

describe('replay: rebuilding a 1,000-device fleet', () => {
  let database: TestDatabase;
  let kafka: Kafka;
  let topic: { topic: string; remove(): Promise<void> };
  let config: AppConfig;
  let relay: OutboxRelay;
  let projector: KafkaProjector;
  const tables = tablesOf(allProjections());
  const eventCount = async () => Number((await database.db.query('SELECT count(*) AS n FROM events'))[0].n);

  beforeAll(async () => {
    database = await openTestDatabase();
    kafka = kafkaForTests('patchstate-replay-int');
    topic = await createTestTopic(kafka, 3);
    config = replayConfig(database.url, topic.topic);
    relay = startRelay(database.db, kafka, config);
    await relay.start();
    projector = newProjector(kafka, database.db, { topic: topic.topic, groupId: config.kafka.projectorGroupId });
    await projector.start();
    await writeCatalog(database.db);
    await writeFleet(database.db, { from: 0, to: FLEET });
    await waitUntilPublished(database.db, relay);
    await waitUntilProjected(kafka, database.db, config.kafka.projectorGroupId, topic.topic, 30_000);
  }, 90_000);

  afterAll(async () => {
    await projector?.stop();
    await relay?.stop();
    await topic?.remove();
    await database?.close();
  });

  it('has a fleet of at least 1,000 projected devices to work with', async () => {
    const [{ n }]: { n: string }[] = await database.db.query('SELECT count(*) AS n FROM device_state');
    expect(Number(n)).toBe(FLEET);
  });

  it('rebuilds from the store into shadow tables and swaps them in, equal to the live read models', async () => {
    const before = await readModelSnapshot(database.db);
    const idsBefore = await tableIds(database.db, tables);
    const namesBefore = await indexAndConstraintNames(database.db, tables);
    const context = replayContext(database.db, null, config);

    const outcome = await rebuildCommand(context, { projections: 'all', source: 'store' });

    expect({ exitCode: outcome.exitCode, output: context.output.text }).toMatchObject({ exitCode: 0 });
    expect(outcome.summary).toMatchObject({ outcome: 'swapped', source: 'store', counts: { parked: 0, replayed: await eventCount() } });
    expect(await readModelSnapshot(database.db)).toEqual(before);
    const idsAfter = await tableIds(database.db, tables);
    for (const table of tables) expect(idsAfter[table]).not.toBe(idsBefore[table]);
    expect(await indexAndConstraintNames(database.db, tables)).toEqual(namesBefore);
    expect(await replaySchemas(database.db)).toEqual([]);
    expect(context.output.text).toContain('swapped them in');
  });

  it('rebuilds from Kafka with a consumer group of its own, equal to the live read models', async () => {
    const before = await readModelSnapshot(database.db);
    const checkpointsBefore = await storedCheckpoints(database.db, config.kafka.projectorGroupId, topic.topic);
    const context = replayContext(database.db, kafka, config);

    const outcome = await rebuildCommand(context, { projections: 'all', source: 'kafka' });

    expect(outcome.exitCode).toBe(0);
    expect(outcome.summary).toMatchObject({
      outcome: 'swapped',
      source: 'kafka',
      counts: { parked: 0, unreadable: 0, replayed: await eventCount() },
    });
    expect(await readModelSnapshot(database.db)).toEqual(before);
    // The live group's positions are not the replay's business; its temporary group is gone again.
    expect(await storedCheckpoints(database.db, config.kafka.projectorGroupId, topic.topic)).toEqual(checkpointsBefore);
    const groups = await withAdmin(kafka, (admin) => admin.listGroups());
    expect(groups.groups.map((g) => g.groupId).filter((id) => id.startsWith(`${config.kafka.projectorGroupId}-replay`))).toEqual([]);
  });
});
