import { Kafka } from 'kafkajs';
import { QueryRunner } from 'typeorm';
import { AppConfig } from '@patchstate/config';
import { EventEnvelope, OutboxRelay } from '@patchstate/messaging';
import { Projection, allProjections, tablesOf } from '@patchstate/read-models';
import { KafkaProjector } from '../../apps/projector/src/kafka-projector';
import { rebuildCommand, verifyCommand } from '../../apps/replay/src/commands/rebuild.command';
import { runReplayCommand } from '../../apps/replay/src/run-replay-command';
import {
  TestDatabase,
  createTestTopic,
  kafkaForTests,
  newProjector,
  openTestDatabase,
  readModelSnapshot,
  waitUntilProjected,
} from '../projector/projector-fixture';
import {
  MARCH_FIRST,
  fleetDeviceId,
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
 * What a rebuild must never do: lose the live read models. Interrupted, failing or windowed rebuilds leave
 * the live tables as they were; a rebuild while events keep arriving loses none; verify tells a live
 * projector that is merely behind from read models that are wrong.
 */

/** The live projections with a hook before each apply: same code, same results, a way in for the test. */
function withHook(hook: (envelope: EventEnvelope, projection: Projection) => Promise<void> | void): Projection[] {
  return allProjections().map((projection) => ({
    name: projection.name,
    tables: projection.tables,
    handles: (envelope: EventEnvelope) => projection.handles(envelope),
    apply: async (tx: QueryRunner, envelope: EventEnvelope) => {
      await hook(envelope, projection);
      await projection.apply(tx, envelope);
    },
  }));
}

describe('replay: rebuilds that fail, are interrupted, windowed or run while events arrive', () => {
  let database: TestDatabase;
  let kafka: Kafka;
  let topic: { topic: string; remove(): Promise<void> };
  let config: AppConfig;
  let relay: OutboxRelay;
  let projector: KafkaProjector | null = null;
  const tables = tablesOf(allProjections());

  const startProjector = async () => {
    projector = newProjector(kafka, database.db, { topic: topic.topic, groupId: config.kafka.projectorGroupId });
    await projector.start();
  };
  const caughtUp = async () => {
    await waitUntilPublished(database.db, relay);
    await waitUntilProjected(kafka, database.db, config.kafka.projectorGroupId, topic.topic, 30_000);
  };
  const expectVerified = async () => {
    const context = replayContext(database.db, null, config);
    const outcome = await verifyCommand(context, { projections: 'all', source: 'store' });
    expect({ exitCode: outcome.exitCode, output: context.output.text }).toMatchObject({ exitCode: 0 });
    return outcome;
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    kafka = kafkaForTests('patchstate-replay-int');
    topic = await createTestTopic(kafka, 3);
    config = replayConfig(database.url, topic.topic);
    relay = startRelay(database.db, kafka, config);
    await relay.start();
    await startProjector();
    await writeCatalog(database.db);
    await writeFleet(database.db, { from: 0, to: 60 });
    await caughtUp();
  }, 60_000);

  afterAll(async () => {
    await projector?.stop();
    await relay?.stop();
    await topic?.remove();
    await database?.close();
  });

  it('verify names the rows changed by hand, and a rebuild of those projections repairs them', async () => {
    await expectVerified();
    await database.db.query(`UPDATE device_state SET hostname = 'tampered.example' WHERE device_id = $1`, [fleetDeviceId(42)]);
    await database.db.query(`DELETE FROM patch_rollout WHERE device_id = $1`, [fleetDeviceId(7)]);
    await database.db.query(`UPDATE patch_catalog SET revoked = true WHERE patch_id = 'KB5053636'`);
    const context = replayContext(database.db, null, config);

    const outcome = await verifyCommand(context, { projections: 'all', source: 'store', maxRows: 5 });

    expect(outcome.exitCode).toBe(1);
    expect(outcome.summary).toMatchObject({
      ok: false,
      differences: [
        expect.objectContaining({ table: 'patch_catalog', differingRows: 1, key: ['patch_id'] }),
        expect.objectContaining({ table: 'device_state', differingRows: 1, key: ['device_id'] }),
        expect.objectContaining({ table: 'patch_rollout', differingRows: 1, key: ['patch_id', 'device_id'] }),
      ],
    });
    const text = context.output.text;
    expect(text).toContain('DIFFERENT');
    expect(text).toContain(`device_state device_id=${fleetDeviceId(42)}:`);
    expect(text).toContain(`hostname: live "tampered.example" | rebuilt "${fleetDeviceId(42)}.corp.contoso.example"`);
    expect(text).toContain('patch_catalog patch_id=KB5053636:\n    revoked: live true | rebuilt false');
    expect(text).toContain(`patch_rollout patch_id=KB5052093 device_id=${fleetDeviceId(7)}: missing in the live table`);
    expect(await replaySchemas(database.db)).toEqual([]);

    const repair = await rebuildCommand(replayContext(database.db, null, config), {
      projections: ['device_state', 'patch_rollout', 'patch_catalog'],
      source: 'store',
    });
    expect(repair.exitCode).toBe(0);
    await expectVerified();
  });

  it('a rebuild while events keep arriving loses none of them', async () => {
    // The rebuild is held at its first event until new devices are written and projected live: they are
    // past the end its source fixed at open, so only the catch-up before the swap can bring them in.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const rebuildStarted = new Promise<void>((resolve) => (reached = resolve));
    const held = withHook(() => {
      reached();
      return gate;
    });
    const context = replayContext(database.db, null, config, { projections: held });
    const rebuilding = rebuildCommand(context, { projections: 'all', source: 'store' });
    await rebuildStarted;
    await writeFleet(database.db, { from: 60, to: 100 }, { writers: 2 });
    await caughtUp();
    release();
    const outcome = await rebuilding;

    expect({ exitCode: outcome.exitCode, output: context.output.text }).toMatchObject({ exitCode: 0 });
    expect((outcome.summary as { counts: { caughtUp: number } }).counts.caughtUp).toBeGreaterThan(0);
    const [{ n }]: { n: string }[] = await database.db.query('SELECT count(*) AS n FROM device_state');
    expect(Number(n)).toBe(100);
    await expectVerified();
  });

  it('verify compares only what the live projector has applied: being behind is not a difference', async () => {
    await projector!.stop();
    projector = null;
    await writeFleet(database.db, { from: 100, to: 110 }, { writers: 1 });
    await waitUntilPublished(database.db, relay);

    const behind = await expectVerified();
    expect((behind.summary as { counts: { heldBack: number } }).counts.heldBack).toBeGreaterThan(0);

    await startProjector();
    await caughtUp();
    const current = await expectVerified();
    expect((current.summary as { counts: { heldBack: number } }).counts.heldBack).toBe(0);
  });

  it('an interrupted rebuild leaves the live tables untouched and drops its shadow tables', async () => {
    const before = await readModelSnapshot(database.db);
    const ids = await tableIds(database.db, tables);
    const interrupt = new AbortController();
    let applied = 0;
    const projections = withHook(() => {
      applied += 1;
      if (applied === 150) interrupt.abort();
    });
    const context = replayContext(database.db, null, config, { projections, signal: interrupt.signal });

    const outcome = await runReplayCommand(context, { name: 'rebuild', projections: 'all', source: 'store', window: {}, keepShadow: false, keepOld: false });

    expect(outcome.exitCode).toBe(130);
    expect(context.output.text).toContain('interrupted');
    expect(await readModelSnapshot(database.db)).toEqual(before);
    expect(await tableIds(database.db, tables)).toEqual(ids);
    expect(await replaySchemas(database.db)).toEqual([]);
  });

  it('a rebuild whose projection fails midway leaves the live tables untouched and names the event', async () => {
    const before = await readModelSnapshot(database.db);
    const ids = await tableIds(database.db, tables);
    let applied = 0;
    const projections = withHook((envelope, projection) => {
      if (projection.name !== 'device_state') return;
      applied += 1;
      if (applied > 120) throw new Error(`bug in the new projection code at ${envelope.streamId}`);
    });
    const context = replayContext(database.db, null, config, { projections });

    const outcome = await runReplayCommand(context, { name: 'rebuild', projections: ['device_state'], source: 'store', window: {}, keepShadow: false, keepOld: false });

    expect(outcome.exitCode).toBe(1);
    expect(context.output.text).toContain('the rebuilt projections could not apply');
    expect(context.output.text).toContain('the live tables are left as they were');
    expect(context.output.text).toMatch(/device-fleet-\d{4} v\d+ \(\w+, position \d+\): bug in the new projection code/);
    expect(await readModelSnapshot(database.db)).toEqual(before);
    expect(await tableIds(database.db, tables)).toEqual(ids);
    expect(await replaySchemas(database.db)).toEqual([]);
  });

  it('--keep-old keeps the replaced live tables aside; a second rebuild at the same time is refused', async () => {
    const ids = await tableIds(database.db, ['device_state']);
    const kept = await rebuildCommand(replayContext(database.db, null, config), { projections: ['device_state'], source: 'store', keepOld: true });
    const oldSchema = (kept.summary as { oldSchema: string }).oldSchema;
    expect(oldSchema).toMatch(/^replay_old_\d{14}_[0-9a-f]{4}$/);
    const [{ id }]: { id: string }[] = await database.db.query('SELECT to_regclass($1)::oid::text AS id', [`${oldSchema}.device_state`]);
    expect(id).toBe(ids.device_state);
    await database.db.query(`DROP SCHEMA ${oldSchema} CASCADE`);

    // Another rebuild holds the lock for as long as it runs.
    const other = database.db.createQueryRunner();
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock(7411003)');
      const context = replayContext(database.db, null, config);
      const outcome = await runReplayCommand(context, { name: 'verify', projections: 'all', source: 'store', maxRows: 20, keepShadow: false });
      expect(outcome.exitCode).toBe(1);
      expect(context.output.text).toContain('another rebuild or verify is running against this database');
    } finally {
      await other.query('SELECT pg_advisory_unlock(7411003)');
      await other.release();
    }
    expect(await replaySchemas(database.db)).toEqual([]);
  });

  describe('windows', () => {
    const dropKept = async (schema: unknown) => {
      expect(typeof schema).toBe('string');
      await database.db.query(`DROP SCHEMA ${schema as string} CASCADE`);
    };

    it('--to-position N rebuilds the read models as they were at position N, kept aside, never swapped in', async () => {
      const ids = await tableIds(database.db, tables);
      const [{ n: total }]: { n: string }[] = await database.db.query('SELECT count(*) AS n FROM events');
      const cut = String(Math.floor(Number(total) / 2));
      const context = replayContext(database.db, null, config);

      const outcome = await rebuildCommand(context, { projections: ['device_state'], source: 'store', window: { toPosition: cut } });

      expect(outcome.exitCode).toBe(0);
      const summary = outcome.summary as { outcome: string; shadowSchema: string; counts: { replayed: number } };
      expect(summary).toMatchObject({ outcome: 'kept', counts: { replayed: Number(cut) } });
      expect(context.output.text).toContain(`up to position ${cut}`);
      expect(context.output.text).toContain(`inspect it in schema ${summary.shadowSchema}`);
      const mismatches = await database.db.query(
        `SELECT coalesce(e.stream_id, 'device-' || d.device_id) AS stream, e.version AS expected, d.version AS rebuilt
         FROM (SELECT stream_id, max(version) AS version FROM events WHERE stream_type = 'device' AND position <= $1 GROUP BY stream_id) e
         FULL OUTER JOIN ${summary.shadowSchema}.device_state d ON 'device-' || d.device_id = e.stream_id
         WHERE e.version IS DISTINCT FROM d.version`,
        [cut],
      );
      expect(mismatches).toEqual([]);
      expect(await tableIds(database.db, tables)).toEqual(ids);
      await dropKept(summary.shadowSchema);
    });

    it('--from-time T replays only the events recorded at or after T', async () => {
      const context = replayContext(database.db, null, config);

      const outcome = await rebuildCommand(context, {
        projections: ['patch_catalog'],
        source: 'store',
        window: { fromTime: new Date(MARCH_FIRST) },
      });

      expect(outcome.exitCode).toBe(0);
      const summary = outcome.summary as { shadowSchema: string; counts: { replayed: number } };
      const [{ n }]: { n: string }[] = await database.db.query('SELECT count(*) AS n FROM events WHERE recorded_at >= $1', [MARCH_FIRST]);
      expect(summary.counts.replayed).toBe(Number(n));
      const patches: { patch_id: string }[] = await database.db.query(`SELECT patch_id FROM ${summary.shadowSchema}.patch_catalog ORDER BY patch_id`);
      expect(patches.map((p) => p.patch_id)).toEqual(['KB5053636', 'KB5055523']);
      await dropKept(summary.shadowSchema);
    });

    it('the Kafka source honours both windows the same way', async () => {
      const [{ position }]: { position: string }[] = await database.db.query(
        `SELECT position FROM events WHERE stream_id = 'patch-KB5055523'`,
      );
      const context = replayContext(database.db, kafka, config);

      const outcome = await rebuildCommand(context, {
        projections: ['patch_catalog'],
        source: 'kafka',
        window: { fromTime: new Date(MARCH_FIRST), toPosition: String(position) },
      });

      expect({ exitCode: outcome.exitCode, output: context.output.text }).toMatchObject({ exitCode: 0 });
      const summary = outcome.summary as { shadowSchema: string; counts: { replayed: number; passedOver: number } };
      const [{ n }]: { n: string }[] = await database.db.query('SELECT count(*) AS n FROM events WHERE recorded_at >= $1 AND position <= $2', [
        MARCH_FIRST,
        position,
      ]);
      expect(summary.counts.replayed).toBe(Number(n));
      expect(summary.counts.passedOver).toBeGreaterThan(0);
      const patches: { patch_id: string }[] = await database.db.query(`SELECT patch_id FROM ${summary.shadowSchema}.patch_catalog ORDER BY patch_id`);
      expect(patches.map((p) => p.patch_id)).toEqual(['KB5053636', 'KB5055523']);
      await dropKept(summary.shadowSchema);
    });
  });
});
