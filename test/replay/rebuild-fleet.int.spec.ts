import { Kafka } from 'kafkajs';
import { AppConfig } from '@patchstate/config';
import { OutboxRelay } from '@patchstate/messaging';
import { allProjections, tablesOf } from '@patchstate/read-models';
import { KafkaProjector } from '../../apps/projector/src/kafka-projector';
import { rebuildCommand, verifyCommand } from '../../apps/replay/src/commands/rebuild.command';
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
  fleetDeviceId,
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
 * store and from Kafka, swap them in while the projector keeps running, and spot a row changed by hand.
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
    expect(outcome.summary).toMatchObject({ outcome: 'swapped', source: 'store', counts: { parked: 0 } });
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
    expect(outcome.summary).toMatchObject({ outcome: 'swapped', source: 'kafka', counts: { parked: 0, unreadable: 0 } });
    expect(await readModelSnapshot(database.db)).toEqual(before);
    // The live group's positions are not the replay's business; its temporary group is gone again.
    expect(await storedCheckpoints(database.db, config.kafka.projectorGroupId, topic.topic)).toEqual(checkpointsBefore);
    const groups = await withAdmin(kafka, (admin) => admin.listGroups());
    expect(groups.groups.map((g) => g.groupId).filter((id) => id.startsWith(`${config.kafka.projectorGroupId}-replay`))).toEqual([]);
  });

  it('keeps serving during a rebuild: events projected live meanwhile are in the swapped-in tables', async () => {
    const context = replayContext(database.db, null, config);
    // New devices arrive while the rebuild runs; the live projector applies them to the live tables.
    const writing = writeFleet(database.db, { from: FLEET, to: FLEET + 60 }, { writers: 2 });
    const outcome = await rebuildCommand(context, { projections: 'all', source: 'store' });
    await writing;
    await waitUntilPublished(database.db, relay);
    await waitUntilProjected(kafka, database.db, config.kafka.projectorGroupId, topic.topic, 30_000);

    expect(outcome.exitCode).toBe(0);
    const [{ n }]: { n: string }[] = await database.db.query('SELECT count(*) AS n FROM device_state');
    expect(Number(n)).toBe(FLEET + 60);
    const verifying = replayContext(database.db, null, config);
    const verified = await verifyCommand(verifying, { projections: 'all', source: 'store' });
    expect({ exitCode: verified.exitCode, output: verifying.output.text }).toMatchObject({ exitCode: 0 });
  });

  it('verify finds the live read models equal, then names a row changed by hand', async () => {
    const clean = await verifyCommand(replayContext(database.db, null, config), { projections: 'all', source: 'store' });
    expect(clean.exitCode).toBe(0);

    const tampered = fleetDeviceId(42);
    await database.db.query(`UPDATE device_state SET hostname = 'tampered.example', pending_commit = NOT pending_commit WHERE device_id = $1`, [
      tampered,
    ]);
    await database.db.query(`DELETE FROM patch_rollout WHERE device_id = $1`, [fleetDeviceId(7)]);
    const context = replayContext(database.db, null, config);

    const outcome = await verifyCommand(context, { projections: 'all', source: 'store', maxRows: 5 });

    expect(outcome.exitCode).toBe(1);
    expect(outcome.summary).toMatchObject({
      ok: false,
      differences: expect.arrayContaining([
        expect.objectContaining({ table: 'device_state', differingRows: 1, key: ['device_id'] }),
        expect.objectContaining({ table: 'patch_rollout', differingRows: 1 }),
      ]),
    });
    const text = context.output.text;
    expect(text).toContain(`device_state device_id=${tampered}:`);
    expect(text).toContain('hostname: live "tampered.example" | rebuilt "fleet-0042.corp.contoso.example"');
    expect(text).toMatch(/pending_commit: live (true|false) \| rebuilt (true|false)/);
    expect(text).toContain(`device_id=${fleetDeviceId(7)}: missing in the live table`);
    expect(await replaySchemas(database.db)).toEqual([]);

    // A rebuild repairs it.
    expect((await rebuildCommand(replayContext(database.db, null, config), { projections: ['device_state', 'patch_rollout'], source: 'store' })).exitCode).toBe(0);
    expect((await verifyCommand(replayContext(database.db, null, config), { projections: 'all', source: 'store' })).exitCode).toBe(0);
  });
});
