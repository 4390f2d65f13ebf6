import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PostgresEventStore, chainHash, openDatabase } from '@patchstate/event-store';
import { anEvent } from './an-event';
import { createTestDatabase } from '../../../test/support/test-database';

async function positionsAfter(db: DataSource, after: bigint): Promise<bigint[]> {
  const rows: { position: string }[] = await db.query('SELECT position FROM events WHERE position > $1 ORDER BY position', [String(after)]);
  return rows.map((row) => BigInt(row.position));
}

const gapFreeFrom = (start: bigint, n: number) => Array.from({ length: n }, (_, i) => start + BigInt(i) + 1n);

describe('group commit: concurrent appends share one transaction (real Postgres)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url, { poolSize: 24 });
  });

  afterAll(async () => {
    if (db?.isInitialized) await db.destroy();
    await database?.drop();
  });

  it('commits good and conflicting appends of one flush together: each conflict fails alone, the rest commit in order', async () => {
    const flushes: number[] = [];
    const store = new PostgresEventStore(db, { beforeCommit: async (_tx, size) => void flushes.push(size) });
    await store.append('device-gc-existing', 'device', 0, [anEvent('DeviceRegistered')]);
    flushes.length = 0;
    const start = BigInt(await store.lastPosition());
    const key = `gc-${randomUUID()}`;
    // All started in one turn of the event loop: one flush.
    const outcomes = await Promise.allSettled([
      store.append('device-gc-new', 'device', 0, [anEvent('DeviceRegistered'), anEvent('HotpatchApplied')]),
      store.append('device-gc-never', 'device', 3, [anEvent('HotpatchApplied')]),
      store.append('device-gc-existing', 'device', 1, [anEvent('HotpatchApplied')], { key, requestHash: 'h', respond: (r) => ({ kind: 'accepted', version: r.version }) }),
      store.append('device-gc-existing', 'device', 1, [anEvent('DeviceRebooted')]),
      store.append('device-gc-existing', 'device', 2, [anEvent('DeviceRebooted')]),
    ]);
    expect(flushes).toEqual([5]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'VERSION_CONFLICT', details: { expectedVersion: 3, actualVersion: 0 } });
    expect((outcomes[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'VERSION_CONFLICT', details: { expectedVersion: 1, actualVersion: 2 } });
    const results = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    expect(results.map((r) => [r.result.streamId, r.result.version, r.result.position])).toEqual([
      ['device-gc-new', 2, String(start + 2n)],
      ['device-gc-existing', 2, String(start + 3n)],
      ['device-gc-existing', 3, String(start + 4n)],
    ]);
    expect(results[1].outcome).toEqual({ kind: 'accepted', version: 2 });
    expect(await store.findIdempotentOutcome(key)).toEqual({ requestHash: 'h', outcome: { kind: 'accepted', version: 2 } });
    expect(await positionsAfter(db, start)).toEqual(gapFreeFrom(start, 4));
    // What append returned is what is stored, and the chain runs through appends of the same flush.
    const existing = await store.readStream('device-gc-existing');
    expect(existing.events.slice(1)).toEqual([...results[1].result.events, ...results[2].result.events]);
    for (const e of existing.events.slice(1)) {
      expect(e.hash).toBe(chainHash(e.prevHash, { streamId: e.streamId, version: e.version, type: e.type, data: e.data, metadata: e.metadata }));
    }
    expect(existing.events[2].prevHash).toBe(existing.events[1].hash);
    const outbox: { n: string }[] = await db.query('SELECT count(*) AS n FROM outbox WHERE position > $1', [String(start)]);
    expect(Number(outbox[0].n)).toBe(4);
    expect(await db.query(`SELECT 1 FROM streams WHERE stream_id = 'device-gc-never'`)).toHaveLength(0);
  });

  it('a flush that crashes before its commit leaves nothing written; each of its appends is then committed once, gap-free', async () => {
    let crashed = 0;
    const store = new PostgresEventStore(db, {
      beforeCommit: async (tx, size) => {
        if (size === 1) return;
        crashed += 1;
        // The connection dies with the transaction open, as when the process or the network goes away.
        await tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
      },
    });
    const start = BigInt(await store.lastPosition());
    const appends = Array.from({ length: 6 }, (_, i) =>
      store.append(`device-gc-crash-${i}`, 'device', 0, [anEvent('DeviceRegistered'), anEvent('HotpatchApplied')], {
        key: `crash-${i}-${randomUUID()}`,
        requestHash: 'h',
        respond: (r) => ({ kind: 'accepted', position: r.position }),
      }),
    );
    const results = await Promise.all(appends);
    expect(crashed).toBe(1);
    // The crashed flush took no position: the counter and the log go on without a gap, each event once.
    expect(await positionsAfter(db, start)).toEqual(gapFreeFrom(start, 12));
    expect(await store.lastPosition()).toBe(String(start + 12n));
    expect(results.map((r) => r.result.version)).toEqual([2, 2, 2, 2, 2, 2]);
    const counts: { table: string; n: string }[] = await db.query(
      `SELECT 'streams' AS table, count(*) AS n FROM streams WHERE stream_id LIKE 'device-gc-crash-%'
       UNION ALL SELECT 'outbox', count(*) FROM outbox WHERE position > $1
       UNION ALL SELECT 'keys', count(*) FROM idempotency_keys WHERE key LIKE 'crash-%'`,
      [String(start)],
    );
    expect(Object.fromEntries(counts.map((c) => [c.table, Number(c.n)]))).toEqual({ streams: 6, outbox: 12, keys: 6 });
  });

  it('a reader paging by "after the last position seen" never skips an event while writers in three processes commit', async () => {
    const processes = [0, 1, 2].map(() => new PostgresEventStore(db));
    const start = BigInt(await processes[0].lastPosition());
    let writing = true;
    const seen: bigint[] = [];
    const reader = (async () => {
      let after = start;
      for (let idle = 0; writing || idle < 2; ) {
        const page = await positionsAfter(db, after);
        if (page.length === 0) idle = writing ? 0 : idle + 1;
        seen.push(...page);
        if (page.length > 0) after = page[page.length - 1];
      }
    })();
    const streamsPerProcess = 8;
    const appendsPerStream = 12;
    await Promise.all(
      processes.flatMap((store, p) =>
        Array.from({ length: streamsPerProcess }, async (_, s) => {
          for (let version = 0; version < appendsPerStream; version += 1) {
            const events = version % 3 === 0 ? [anEvent('A'), anEvent('B')] : [anEvent('A')];
            await store.append(`device-gc-reader-${p}-${s}`, 'device', version === 0 ? 0 : await currentVersion(store, `device-gc-reader-${p}-${s}`), events);
          }
        }),
      ),
    );
    writing = false;
    await reader;
    const total = 3 * streamsPerProcess * appendsPerStream + 3 * streamsPerProcess * 4;
    // Had a reader ever read past a position that committed later, it would never have seen that event.
    expect(seen).toEqual(gapFreeFrom(start, total));
  });
});

async function currentVersion(store: PostgresEventStore, streamId: string): Promise<number> {
  return (await store.readStream(streamId)).version;
}
