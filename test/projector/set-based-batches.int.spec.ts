import { readStoreId } from '@patchstate/event-store';
import { DataSource } from 'typeorm';
import { EventEnvelope } from '@patchstate/messaging';
import { Projection, ProjectionEngine, allProjections } from '@patchstate/read-models';
import { aDeviceHistory } from '../builders';
import {
  CommandRunner,
  EnvelopeFactory,
  TestDatabase,
  asIncomingMessages,
  openTestDatabase,
  readModelSnapshot,
  storedEnvelopes,
} from './projector-fixture';
import { FEB, MAR, scriptedFleetCommands } from './scripted-fleet';

/** Ten events of one device: applies, reboots, a revert, a failure, then (optionally) retirement. */
const tenEvents = (deviceId: string, retire = true) => {
  const history = aDeviceHistory(deviceId).registered().applied(FEB).rebooted().applied(MAR).reverted(MAR).failed(MAR).applied(MAR).rebooted();
  return (retire ? history.rebooted().retired() : history.reverted(MAR).rebooted()).events;
};

/** Every statement the engine's batch transaction sends, counted on the query runner it opens. */
async function statementsOf(db: DataSource, work: () => Promise<unknown>): Promise<string[]> {
  const statements: string[] = [];
  const create = db.createQueryRunner.bind(db);
  const spy = jest.spyOn(db, 'createQueryRunner').mockImplementation((...args) => {
    const runner = create(...args);
    const query = runner.query.bind(runner);
    runner.query = ((sql: string, parameters?: unknown[]) => {
      statements.push(sql.trim().split(/\s+/).slice(0, 3).join(' '));
      return query(sql, parameters);
    }) as typeof runner.query;
    return runner;
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return statements;
}

/** The same projection without its set-based form: the engine falls back to `apply`, event by event. */
const eventByEvent = (projection: Projection): Projection => ({
  name: projection.name,
  tables: projection.tables,
  handles: (envelope) => projection.handles(envelope),
  apply: (tx, envelope) => projection.apply(tx, envelope),
});

describe('set-based projection batches', () => {
  let database: TestDatabase;
  let factory: EnvelopeFactory;

  beforeAll(async () => {
    database = await openTestDatabase();
    factory = new EnvelopeFactory(await readStoreId(database.db));
  });

  afterAll(async () => {
    await database?.close();
  });

  it('sends as many statements for 300 events over 30 devices as for 20 events of two', async () => {
    // Every other device retires, so each batch both deletes and upserts rollout rows.
    const fleet = (prefix: string, devices: number) =>
      Array.from({ length: devices }, (_, i) => factory.stream(`${prefix}-${i}`, tenEvents(`${prefix}-${i}`, i % 2 === 0))).flat();
    const apply = (envelopes: EventEnvelope[]) =>
      statementsOf(database.db, () => new ProjectionEngine(database.db, allProjections()).applyBatch(null, asIncomingMessages(envelopes), null));
    const few = await apply(fleet('few', 2));
    const many = await apply(fleet('many', 30));
    expect(many).toEqual(few);
    expect(many).toEqual(expect.arrayContaining(['INSERT INTO patch_rollout', 'DELETE FROM patch_rollout']));
    // BEGIN, store id, versions, parked streams; device_state: read, upsert, plane history; patch_rollout: read,
    // delete (retired), upsert; versions; applied notification; COMMIT.
    expect(many).toHaveLength(13);
    const devices: { n: number }[] = await database.db.query(`SELECT count(*)::int AS n FROM device_state WHERE device_id LIKE 'many-%'`);
    expect(devices[0].n).toBe(30);
  });

  describe('end where the event-by-event fallback ends', () => {
    let envelopes: EventEnvelope[];
    let source: TestDatabase;

    beforeAll(async () => {
      source = await openTestDatabase();
      await new CommandRunner(source.db).runAll(scriptedFleetCommands());
      envelopes = await storedEnvelopes(source.db);
    });

    afterAll(async () => {
      await source?.close();
    });

    it.each([
      ['one batch', 100_000],
      ['batches of 7, streams split across them', 7],
    ])('%s', async (_, size) => {
      const batched = await openTestDatabase({ sameStoreAs: source });
      const reference = await openTestDatabase({ sameStoreAs: source });
      try {
        for (let from = 0; from < envelopes.length; from += size) {
          const page = asIncomingMessages(envelopes.slice(from, from + size), from);
          await new ProjectionEngine(batched.db, allProjections()).applyBatch(null, page, null);
        }
        await new ProjectionEngine(reference.db, allProjections().map(eventByEvent)).applyBatch(null, asIncomingMessages(envelopes), null);
        expect(await readModelSnapshot(batched.db)).toEqual(await readModelSnapshot(reference.db));
      } finally {
        await batched.close();
        await reference.close();
      }
    });
  });

  it('parks a poison event and the rest of its stream only, applying the other streams of the batch', async () => {
    const poisoned = factory.stream('poison-p', tenEvents('poison-p'));
    poisoned[1] = { ...poisoned[1], data: { ...(poisoned[1].data as object), build: 'twenty-six-thousand' } };
    const healthy = factory.stream('poison-q', tenEvents('poison-q'));
    const outcome = await new ProjectionEngine(database.db, allProjections()).applyBatch(null, asIncomingMessages([...poisoned, ...healthy]), null);
    expect(outcome).toEqual({ applied: 11, skippedAsDuplicate: 0, parked: 9 });
    const versions: { stream_id: string; projection: string; version: number }[] = await database.db.query(
      `SELECT stream_id, projection, version FROM projection_stream_versions WHERE stream_id LIKE 'device-poison-%' ORDER BY 1, 2`,
    );
    expect(versions).toEqual([
      { stream_id: 'device-poison-p', projection: 'device_state', version: 1 },
      { stream_id: 'device-poison-q', projection: 'device_state', version: 10 },
      { stream_id: 'device-poison-q', projection: 'patch_rollout', version: 10 },
    ]);
  });
});
