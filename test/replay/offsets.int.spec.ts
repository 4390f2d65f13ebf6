import { Kafka } from 'kafkajs';
import { AppConfig } from '@patchstate/config';
import { OutboxRelay } from '@patchstate/messaging';
import { GroupOffsets, offsetsResetCommand, offsetsShowCommand } from '../../apps/replay/src/commands/offsets.command';
import { KafkaProjector } from '../../apps/projector/src/kafka-projector';
import { runReplayCommand } from '../../apps/replay/src/run-replay-command';
import {
  CommandRunner,
  TestDatabase,
  createTestTopic,
  kafkaForTests,
  newProjector,
  openTestDatabase,
  readModelSnapshot,
  storedCheckpoints,
  topicEndOffsets,
  waitUntilProjected,
  withAdmin,
} from '../projector/projector-fixture';
import { scriptedFleetCommands } from '../projector/scripted-fleet';
import { replayConfig, replayContext, startRelay, waitUntilPublished } from './replay-fixture';

/*
 * `offsets` shows and moves the live projector's positions: the Postgres checkpoints it resumes from (the
 * truth) and the Kafka group's committed offsets, together, and never under a running projector.
 */
describe('replay: offsets of the live projector group', () => {
  let database: TestDatabase;
  let kafka: Kafka;
  let topic: { topic: string; remove(): Promise<void> };
  let config: AppConfig;
  let relay: OutboxRelay;
  let projector: KafkaProjector | null = null;

  const startProjector = async () => {
    projector = newProjector(kafka, database.db, { topic: topic.topic, groupId: config.kafka.projectorGroupId });
    await projector.start();
  };
  const stopProjector = async () => {
    await projector?.stop();
    projector = null;
  };
  const sortedEndOffsets = async () => new Map([...(await topicEndOffsets(kafka, topic.topic))].sort(([a], [b]) => a - b));
  const reset = async (to: Parameters<typeof offsetsResetCommand>[1]['to']) => {
    const context = replayContext(database.db, kafka, config);
    const outcome = await offsetsResetCommand(context, { to });
    return { outcome, text: context.output.text, after: outcome.summary.after as GroupOffsets };
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    kafka = kafkaForTests('patchstate-replay-int');
    topic = await createTestTopic(kafka, 3);
    config = replayConfig(database.url, topic.topic);
    relay = startRelay(database.db, kafka, config);
    await relay.start();
    await startProjector();
    await new CommandRunner(database.db).runAll(scriptedFleetCommands());
    await waitUntilPublished(database.db, relay);
    await waitUntilProjected(kafka, database.db, config.kafka.projectorGroupId, topic.topic);
  }, 60_000);

  afterAll(async () => {
    await stopProjector();
    await relay?.stop();
    await topic?.remove();
    await database?.close();
  });

  it('shows the Postgres checkpoints, the committed offsets, the watermarks and the lag per partition', async () => {
    const context = replayContext(database.db, kafka, config);
    const outcome = await offsetsShowCommand(context);

    const shown = outcome.summary as unknown as GroupOffsets;
    const checkpoints = await storedCheckpoints(database.db, config.kafka.projectorGroupId, topic.topic);
    const ends = await sortedEndOffsets();
    expect(shown.members).toHaveLength(1);
    // The projector resumes from Postgres; whether Kafka holds a committed offset too is only a hint.
    expect(shown.partitions.map(({ committed: _committed, ...p }) => p)).toEqual(
      [...ends].map(([partition, high]) => ({ partition, checkpoint: checkpoints.get(partition) ?? null, low: '0', high, lag: '0' })),
    );
    expect(context.output.text).toContain(`group ${config.kafka.projectorGroupId} on ${topic.topic}: Stable, 1 member(s)`);
    expect(context.output.text).toMatch(/partition\s+checkpoint \(postgres\)\s+committed \(kafka\)\s+low\s+high\s+lag/);
  });

  it('refuses to reset while the group has live members', async () => {
    const context = replayContext(database.db, kafka, config);
    const outcome = await runReplayCommand(context, { name: 'offsets-reset', to: { kind: 'earliest' } });
    expect(outcome.exitCode).toBe(1);
    expect(context.output.text).toMatch(/consumer group .* is Stable with 1 live member\(s\) .*: stop every projector of this group, then reset its offsets/);
  });

  it('resets both the Postgres checkpoints and the Kafka offsets to latest, a time, or earliest', async () => {
    const before = await readModelSnapshot(database.db);
    await stopProjector();
    const ends = await sortedEndOffsets();

    const earliest = await reset({ kind: 'earliest' });
    expect(earliest.after.partitions.map((p) => [p.checkpoint, p.committed])).toEqual([...ends.values()].map(() => ['0', '0']));
    expect(earliest.text).toMatch(/reset .* to earliest/);
    expect(earliest.text).toMatch(/\b0\s+\d+ -> 0\s+\S+ -> 0\b/);

    const latest = await reset({ kind: 'latest' });
    expect(latest.after.partitions.map((p) => [p.checkpoint, p.committed])).toEqual([...ends.values()].map((high) => [high, high]));

    // Kafka's timestamps are publishing times: an hour ago is before every message of this test.
    const hourAgo = await reset({ kind: 'time', time: new Date(Date.now() - 3_600_000) });
    expect(hourAgo.after.partitions.map((p) => [p.checkpoint, p.committed])).toEqual([...ends.values()].map(() => ['0', '0']));
    expect(hourAgo.text).toMatch(/reset .* to time \d{4}-/);
    expect(await storedCheckpoints(database.db, config.kafka.projectorGroupId, topic.topic)).toEqual(new Map([...ends.keys()].map((p) => [p, '0'])));

    // From the earliest offsets the projector delivers everything again: all duplicates, nothing changes.
    await startProjector();
    await waitUntilProjected(kafka, database.db, config.kafka.projectorGroupId, topic.topic);
    expect(await readModelSnapshot(database.db)).toEqual(before);
    const committed = await withAdmin(kafka, (admin) => admin.fetchOffsets({ groupId: config.kafka.projectorGroupId, topics: [topic.topic] }));
    expect(committed[0].partitions.length).toBe(ends.size);
  });
});
