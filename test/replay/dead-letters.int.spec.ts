import { QueryRunner } from 'typeorm';
import { loadConfig } from '@patchstate/config';
import { EventEnvelope } from '@patchstate/messaging';
import { DeadLetter, Projection, ProjectionEngine, allProjections } from '@patchstate/read-models';
import { runReplayCommand } from '../../apps/replay/src/run-replay-command';
import { verifyCommand } from '../../apps/replay/src/commands/rebuild.command';
import {
  CommandRunner,
  TestDatabase,
  asIncomingMessages,
  deadLetters,
  openTestDatabase,
  storedEnvelopes,
} from '../projector/projector-fixture';
import { scriptedFleetCommands } from '../projector/scripted-fleet';
import { replayContext } from './replay-fixture';

/*
 * Parked events: a projection bug parks ws-a's second event (and everything of ws-a behind it) and, for
 * good, ws-b's second event. retry re-applies a stream in version order once the bug is fixed; skip gives
 * up on one event so the ones behind it can be retried.
 */
describe('replay: dead letters', () => {
  let database: TestDatabase;
  const group = 'patchstate-projector-dead-letters';
  const config = () => loadConfig({ ...process.env, DATABASE_URL: database.url, PROJECTOR_GROUP_ID: group });
  /** Streams whose version 2 the device_state projection cannot apply (the "bug"). */
  const failing = new Set(['device-ws-a', 'device-ws-b']);

  const projections = (): Projection[] =>
    allProjections().map((projection) =>
      projection.name !== 'device_state'
        ? projection
        : {
            name: projection.name,
            tables: projection.tables,
            handles: (envelope: EventEnvelope) => projection.handles(envelope),
            apply: async (tx: QueryRunner, envelope: EventEnvelope) => {
              if (failing.has(envelope.streamId) && envelope.version === 2) throw new Error(`cannot apply ${envelope.type} (bug 4711)`);
              await projection.apply(tx, envelope);
            },
          },
    );
  const context = () => replayContext(database.db, null, config(), { projections: projections() });
  const run = async (command: Parameters<typeof runReplayCommand>[1]) => {
    const ctx = context();
    const outcome = await runReplayCommand(ctx, command);
    return { ...outcome, text: ctx.output.text };
  };
  const parkedOf = async (streamId: string) =>
    (await deadLetters(database.db, group)).filter((row) => row.stream_id === streamId).map((row) => [row.version, row.status]);

  beforeAll(async () => {
    database = await openTestDatabase();
    await new CommandRunner(database.db).runAll(scriptedFleetCommands());
    // The live projector's engine, as it would run with the bug.
    const engine = new ProjectionEngine(database.db, projections());
    await engine.applyBatch({ group, topic: 'patchstate.events.v1', partition: 0 }, asIncomingMessages(await storedEnvelopes(database.db)), '1');
  });

  afterAll(async () => {
    await database?.close();
  });

  it('lists the parked events of the live group, by stream and status', async () => {
    expect(await parkedOf('device-ws-a')).toEqual([
      [2, 'parked'],
      [3, 'parked'],
      [4, 'parked'],
    ]);
    const all = await run({ name: 'dead-letters-list', status: 'parked', limit: 50 });
    expect(all.exitCode).toBe(0);
    expect(all.text).toMatch(new RegExp(`^\\d+ parked dead letter\\(s\\) for group ${group}`));
    expect(all.text).toContain('device-ws-a v2  HotpatchApplied');
    expect(all.text).toContain('cannot apply HotpatchApplied (bug 4711)');
    expect(all.text).toContain('waiting behind an earlier parked event of this stream');

    const one = await run({ name: 'dead-letters-list', status: 'all', streamId: 'device-ws-b', limit: 1 });
    expect(one.summary).toMatchObject({ total: 3, items: [{ streamId: 'device-ws-b', version: 2, status: 'parked' }] });
    expect(one.text).toContain('... 2 more (--limit)');
  });

  it('retry keeps events parked while they still fail, then applies them in order once the bug is fixed', async () => {
    const stillBroken = await run({ name: 'dead-letters-retry', streamId: 'device-ws-a' });
    expect(stillBroken.exitCode).toBe(1);
    expect(stillBroken.text).toContain('device-ws-a: 0 retried; still failing at v2');
    expect(await parkedOf('device-ws-a')).toEqual([
      [2, 'parked'],
      [3, 'parked'],
      [4, 'parked'],
    ]);

    failing.delete('device-ws-a');
    const fixed = await run({ name: 'dead-letters-retry', streamId: 'device-ws-a' });
    expect(fixed.exitCode).toBe(0);
    expect(fixed.text).toContain('device-ws-a: 3 retried');
    expect(await parkedOf('device-ws-a')).toEqual([
      [2, 'retried'],
      [3, 'retried'],
      [4, 'retried'],
    ]);
    // ws-a's read model is now what the log says: a rebuild with the fixed code agrees. ws-b is compared up
    // to its parked event, as far as the live projector got.
    const verifying = replayContext(database.db, null, config());
    const verified = await verifyCommand(verifying, { projections: ['device_state'], source: 'store' });
    expect({ exitCode: verified.exitCode, output: verifying.output.text }).toMatchObject({ exitCode: 0 });
    expect(verifying.output.text).toContain('note: 3 event(s) are parked in the live dead letters');
  });

  it('skip gives up on the lowest parked event only, and the ones behind it can then be retried', async () => {
    const behind = (await deadLetters(database.db, group)).find((row) => row.stream_id === 'device-ws-b' && row.version === 3)!;
    const refused = await run({ name: 'dead-letters-skip', id: behind.id });
    expect(refused.exitCode).toBe(1);
    expect(refused.text).toMatch(/waits behind dead letter \d+ \(v2\): retry or skip that one first/);

    const skipped = await run({ name: 'dead-letters-skip', streamId: 'device-ws-b' });
    expect(skipped.exitCode).toBe(0);
    expect(skipped.summary).toMatchObject({
      skipped: { streamId: 'device-ws-b', version: 2, status: 'skipped' } satisfies Partial<DeadLetter>,
      projectionsAdvanced: ['device_state', 'patch_rollout'],
      waitingBehind: 2,
    });
    expect(skipped.text).toContain('dead-letters retry --stream device-ws-b');
    const versions: { projection: string; version: number }[] = await database.db.query(
      `SELECT projection, version FROM projection_stream_versions WHERE stream_id = 'device-ws-b' ORDER BY projection`,
    );
    expect(versions).toEqual([
      { projection: 'device_state', version: 2 },
      { projection: 'patch_rollout', version: 2 },
    ]);

    const retried = await run({ name: 'dead-letters-retry' });
    expect(retried.exitCode).toBe(0);
    expect(await parkedOf('device-ws-b')).toEqual([
      [2, 'skipped'],
      [3, 'retried'],
      [4, 'retried'],
    ]);
    const [{ version }]: { version: number }[] = await database.db.query(`SELECT version FROM device_state WHERE device_id = 'ws-b'`);
    expect(version).toBe(4);

    const again = await run({ name: 'dead-letters-retry', id: behind.id });
    expect(again.exitCode).toBe(1);
    expect(again.text).toContain(`dead letter ${behind.id} is already retried`);
  });
});
