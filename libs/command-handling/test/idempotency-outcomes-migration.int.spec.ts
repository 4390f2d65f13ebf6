import { DataSource } from 'typeorm';
import { CommandExecutor } from '@patchstate/command-handling';
import { PostgresEventStore, openDatabase } from '@patchstate/event-store';
import { MIGRATIONS } from '../../../migrations';
import { IdempotencyOutcomes1732800006000 } from '../../../migrations/1732800006000-idempotency-outcomes';
import { FEBRUARY_2025_HOTPATCH, applyHotpatch, commandMetadata, registerDevice } from '../../../test/builders';
import { createTestDatabase } from '../../../test/support/test-database';

/** HTTP answers as the previous code stored them: a status and a jsonb body. */
const OLD_ROWS = [
  {
    key: 'ops/k-accepted',
    status: 201,
    body: {
      streamId: 'device-old-1',
      version: 1,
      position: '7',
      events: [{ eventId: 'e-7', type: 'DeviceRegistered', version: 1, position: '7', data: { deviceId: 'old-1', hostname: 'h' } }],
    },
  },
  {
    key: 'ops/k-rejected',
    status: 422,
    body: {
      code: 'NOT_ELIGIBLE',
      message: 'KB5052093 is not eligible: VBS_NOT_RUNNING',
      details: { reasons: ['VBS_NOT_RUNNING'], patchId: 'KB5052093', eventId: 'e-8', streamId: 'device-old-1', version: 2, position: '8' },
    },
  },
  { key: 'ops/k-unchanged', status: 200, body: { streamId: 'patch-KB5052093', version: 1, position: null, events: [] } },
];

describe('migration 1732800006000: idempotency keys store the outcome, not an HTTP status', () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    const before = new DataSource({
      type: 'postgres',
      url: database.url,
      migrations: MIGRATIONS.filter((migration) => migration !== IdempotencyOutcomes1732800006000),
      migrationsTransactionMode: 'each',
    });
    await before.initialize();
    await before.runMigrations();
    for (const row of OLD_ROWS) {
      await before.query('INSERT INTO idempotency_keys (key, request_hash, status_code, response) VALUES ($1, $2, $3, $4)', [
        row.key,
        'old-hash',
        row.status,
        JSON.stringify(row.body),
      ]);
    }
    await before.destroy();
    db = await openDatabase(database.url);
  });

  afterAll(async () => {
    if (db?.isInitialized) await db.destroy();
    await database?.drop();
  });

  it('converts 201 to accepted, 422 to rejected and 200 to unchanged, and drops the HTTP columns', async () => {
    const store = new PostgresEventStore(db);
    expect(await store.findIdempotentOutcome('ops/k-accepted')).toEqual({
      requestHash: 'old-hash',
      outcome: { kind: 'accepted', ...OLD_ROWS[0].body },
    });
    expect(await store.findIdempotentOutcome('ops/k-rejected')).toEqual({
      requestHash: 'old-hash',
      outcome: { kind: 'rejected', streamId: 'device-old-1', version: 2, position: '8', eventId: 'e-8', patchId: 'KB5052093', reasons: ['VBS_NOT_RUNNING'] },
    });
    expect(await store.findIdempotentOutcome('ops/k-unchanged')).toEqual({
      requestHash: 'old-hash',
      outcome: { kind: 'unchanged', streamId: 'patch-KB5052093', version: 1 },
    });
    const columns: { column_name: string }[] = await db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'idempotency_keys' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(['key', 'request_hash', 'created_at', 'outcome']);
  });

  it('a converted key replays through the command path, its outcome keys in the order the transports render', async () => {
    const executor = new CommandExecutor(new PostgresEventStore(db));
    const metadata = commandMetadata({ actor: { id: 'ops', role: 'admin' } });
    const accepted = await executor.execute({ ...registerDevice({}, { deviceId: 'old-1' }), metadata }, { idempotency: { key: 'k-accepted', requestHash: 'old-hash' } });
    expect(accepted).toMatchObject({ replayed: true, append: null, outcome: { kind: 'accepted', version: 1, position: '7' } });
    expect(Object.keys(accepted.outcome)).toEqual(['kind', 'streamId', 'version', 'position', 'events']);
    const rejected = await executor.execute({ ...applyHotpatch(FEBRUARY_2025_HOTPATCH, { deviceId: 'old-1' }), metadata }, { idempotency: { key: 'k-rejected', requestHash: 'old-hash' } });
    expect(rejected).toMatchObject({ replayed: true, outcome: { kind: 'rejected', reasons: ['VBS_NOT_RUNNING'], position: '8' } });
  });

  it('refuses an outcome of an unknown kind', async () => {
    await expect(
      db.query(`INSERT INTO idempotency_keys (key, request_hash, outcome) VALUES ('ops/k-bad', 'h', '{"kind":"created"}')`),
    ).rejects.toThrow(/idempotency_keys_outcome_kind/);
  });
});
