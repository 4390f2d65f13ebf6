import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainError } from '@patchstate/domain';
import { PostgresEventStore, chainHash, openDatabase } from '@patchstate/event-store';
import { anEvent } from './an-event';
import { createTestDatabase } from '../../../test/support/test-database';
import { eventually } from '../../../test/support/test-stack';

async function countEvents(db: DataSource, streamId?: string): Promise<number> {
  const rows: { n: string }[] = streamId
    ? await db.query('SELECT count(*) AS n FROM events WHERE stream_id = $1', [streamId])
    : await db.query('SELECT count(*) AS n FROM events');
  return Number(rows[0].n);
}

describe('PostgresEventStore (real Postgres)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url, { poolSize: 24 });
    store = new PostgresEventStore(db);
  });

  afterAll(async () => {
    if (db?.isInitialized) await db.destroy();
    await database?.drop();
  });

  it('appends events and reads them back in version order with their hash chain', async () => {
    const first = await store.append('device-read-back', 'device', 0, [anEvent('DeviceRegistered', { n: 1 })]);
    const second = await store.append('device-read-back', 'device', 1, [
      anEvent('HotpatchApplied', { n: 2 }),
      anEvent('DeviceRebooted', { n: 3, nested: { b: 1, a: [1, 2] } }),
    ]);
    expect(first.result).toMatchObject({ streamId: 'device-read-back', version: 1 });
    expect(second.result).toMatchObject({ streamId: 'device-read-back', version: 3 });
    expect(second.outcome).toBeNull();

    const stream = await store.readStream('device-read-back');
    expect(stream.version).toBe(3);
    expect(stream.events.map((e) => [e.version, e.type, e.data])).toEqual([
      [1, 'DeviceRegistered', { n: 1 }],
      [2, 'HotpatchApplied', { n: 2 }],
      [3, 'DeviceRebooted', { n: 3, nested: { b: 1, a: [1, 2] } }],
    ]);
    expect(stream.events[0].prevHash).toBeNull();
    expect(stream.events[1].prevHash).toBe(stream.events[0].hash);
    expect(stream.events[2].prevHash).toBe(stream.events[1].hash);
    for (const event of stream.events) {
      expect(event.metadata.schemaVersion).toBe(1);
      expect(event.hash).toBe(
        chainHash(event.prevHash, { streamId: event.streamId, version: event.version, type: event.type, data: event.data, metadata: event.metadata }),
      );
    }
    // What append returned is exactly what is stored.
    expect(stream.events).toEqual([...first.result.events, ...second.result.events]);
    expect(second.result.position).toBe(stream.events[2].position);
    expect(await store.readStream('device-nobody')).toEqual({ version: 0, events: [] });
  });

  it('refuses an append at a stale expected version with VERSION_CONFLICT and writes nothing', async () => {
    await store.append('device-stale', 'device', 0, [anEvent('DeviceRegistered')]);
    const before = { events: await countEvents(db), position: await store.lastPosition() };

    for (const expected of [0, 2, 7]) {
      const attempt = store.append('device-stale', 'device', expected, [anEvent('HotpatchApplied'), anEvent('DeviceRebooted')]);
      await expect(attempt).rejects.toBeInstanceOf(DomainError);
      await expect(attempt).rejects.toMatchObject({
        code: 'VERSION_CONFLICT',
        details: { streamId: 'device-stale', expectedVersion: expected, actualVersion: 1 },
      });
    }
    // A stream that does not exist is at version 0.
    await expect(store.append('device-never-registered', 'device', 1, [anEvent('HotpatchApplied')])).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      details: { actualVersion: 0 },
    });

    expect(await countEvents(db)).toBe(before.events);
    expect(await store.lastPosition()).toBe(before.position);
    expect((await store.readStream('device-stale')).version).toBe(1);
    const streams: unknown[] = await db.query(`SELECT 1 FROM streams WHERE stream_id = 'device-never-registered'`);
    expect(streams).toHaveLength(0);
  });

  it('writes one outbox row per event, same position and stream, unpublished', async () => {
    const { result } = await store.append('patch-KB5052093', 'patch', 0, [anEvent('PatchPublished'), anEvent('PatchRevoked')]);
    const outbox: { position: string; stream_id: string; published_at: Date | null }[] = await db.query(
      `SELECT position, stream_id, published_at FROM outbox WHERE stream_id = 'patch-KB5052093' ORDER BY position`,
    );
    expect(outbox).toEqual(result.events.map((event) => ({ position: event.position, stream_id: 'patch-KB5052093', published_at: null })));
    const orphans: { n: string }[] = await db.query(
      `SELECT count(*) AS n FROM events e FULL JOIN outbox o ON o.position = e.position WHERE e.position IS NULL OR o.position IS NULL`,
    );
    expect(Number(orphans[0].n)).toBe(0);
  });

  it('numbers positions without gaps, increasing in commit order, across many concurrent writers', async () => {
    const startPosition = BigInt(await store.lastPosition());
    // 30 streams, each appended three times (1 or 2 events each time), all streams in parallel.
    const streams = Array.from({ length: 30 }, (_, i) => `device-positions-${i}`);
    // Commit order: an append that starts after another one has returned must get a higher position.
    let highestReturned = startPosition;
    const violations: string[] = [];
    await Promise.all(
      streams.map(async (streamId, i) => {
        let version = 0;
        for (let round = 0; round < 3; round += 1) {
          const events = (i + round) % 2 === 0 ? [anEvent('A')] : [anEvent('A'), anEvent('B')];
          const returnedBefore = highestReturned;
          const { result } = await store.append(streamId, 'device', version, events);
          version = result.version;
          const first = BigInt(result.events[0].position);
          if (first <= returnedBefore) violations.push(`${streamId}@${version}: ${first} <= ${returnedBefore}`);
          const last = BigInt(result.position);
          if (last > highestReturned) highestReturned = last;
        }
      }),
    );
    expect(violations).toEqual([]);
    const rows: { position: string; stream_id: string; version: number }[] = await db.query(
      `SELECT position, stream_id, version FROM events WHERE position > $1 ORDER BY position`,
      [String(startPosition)],
    );
    const positions = rows.map((row) => BigInt(row.position));
    expect(positions).toEqual(positions.map((_, index) => startPosition + BigInt(index) + 1n));
    expect(await store.lastPosition()).toBe(String(positions[positions.length - 1]));
    // Within a stream, a later version always has a later position.
    for (const streamId of streams) {
      const own = rows.filter((row) => row.stream_id === streamId);
      expect(own.map((row) => row.version)).toEqual(own.map((_, index) => index + 1));
    }
  });

  it('a reader never skips a position that commits late: a position is handed out only when its writer commits first', async () => {
    // Hold one append open (its transaction has taken a position) and start a second: the second must wait, so a
    // reader polling "position > last seen" can never see position N+1 before N is visible.
    const runner = db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const [{ last_position }]: { last_position: string }[] = (
        await runner.query('UPDATE event_store_position SET last_position = last_position RETURNING last_position', [], true)
      ).records;
      let secondDone = false;
      const second = store.append('device-late-commit', 'device', 0, [anEvent('DeviceRegistered')]).then((outcome) => {
        secondDone = true;
        return outcome;
      });
      // Wait until the second append is queued on the counter row's lock, then check it has not got past it.
      await eventually(async () => {
        const [{ waiting }] = await db.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return waiting > 0 ? true : undefined;
      }, 10_000, 20);
      expect(secondDone).toBe(false);
      const visible: unknown[] = await db.query('SELECT 1 FROM events WHERE position > $1', [last_position]);
      expect(visible).toHaveLength(0);
      await runner.commitTransaction();
      const { result } = await second;
      expect(result.position).toBe(String(BigInt(last_position) + 1n));
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('20 concurrent appends at the same expected version: exactly one wins per version, none lost, never two at one version', async () => {
    const streamId = 'device-contended';
    await store.append(streamId, 'device', 0, [anEvent('DeviceRegistered')]);

    const winners: { eventId: string; version: number }[] = [];
    let rounds = 0;
    // Each writer keeps retrying at the version it last saw, the way the command handler does, until it wins.
    const writers = Array.from({ length: 20 }, (_, i) => i);
    const firstRound = await Promise.allSettled(writers.map((i) => store.append(streamId, 'device', 1, [anEvent('HotpatchApplied', { writer: i })])));
    const fulfilled = firstRound.filter((r) => r.status === 'fulfilled');
    const rejected = firstRound.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(19);
    for (const failure of rejected) expect(failure.reason).toMatchObject({ code: 'VERSION_CONFLICT' });
    const winner = (fulfilled[0] as PromiseFulfilledResult<Awaited<ReturnType<PostgresEventStore['append']>>>).value.result;
    expect(winner.version).toBe(2);
    winners.push({ eventId: winner.events[0].metadata.eventId, version: 2 });

    // Then every loser retries at the version it reads, concurrently, until all have won once.
    let pending = writers.filter((i) => i !== (winner.events[0].data as { writer: number }).writer);
    while (pending.length > 0 && rounds < 40) {
      rounds += 1;
      const outcomes = await Promise.allSettled(
        pending.map(async (i) => {
          const { version } = await store.readStream(streamId);
          const event = anEvent('HotpatchApplied', { writer: i });
          const { result } = await store.append(streamId, 'device', version, [event]);
          winners.push({ eventId: event.metadata.eventId, version: result.version });
          return i;
        }),
      );
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'VERSION_CONFLICT' });
      }
      const won = new Set(outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : [])));
      expect(won.size).toBeGreaterThanOrEqual(1); // someone always makes progress
      pending = pending.filter((i) => !won.has(i));
    }
    expect(pending).toEqual([]);

    const stream = await store.readStream(streamId);
    expect(stream.version).toBe(21);
    expect(stream.events.map((e) => e.version)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    // Every append that reported success is stored, at the version it reported, and nothing else is.
    const stored = new Map(stream.events.map((e) => [e.metadata.eventId, e.version]));
    expect(winners).toHaveLength(20);
    for (const { eventId, version } of winners) expect(stored.get(eventId)).toBe(version);
    expect(new Set(stream.events.slice(1).map((e) => (e.data as { writer: number }).writer)).size).toBe(20);
  });

  it('20 concurrent creators of one new stream: exactly one DeviceRegistered, the rest VERSION_CONFLICT', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => store.append('device-created-twice', 'device', 0, [anEvent('DeviceRegistered')])),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'VERSION_CONFLICT' });
    }
    expect(await countEvents(db, 'device-created-twice')).toBe(1);
  });

  it('stores the idempotent outcome in the same transaction, and not at all when the append is refused', async () => {
    const key = `key-${randomUUID()}`;
    await store.append('device-idem', 'device', 0, [anEvent('DeviceRegistered')], {
      key,
      requestHash: 'hash-1',
      respond: (result) => ({ kind: 'accepted', version: result.version }),
    });
    expect(await store.findIdempotentOutcome(key)).toEqual({ requestHash: 'hash-1', outcome: { kind: 'accepted', version: 1 } });

    const refusedKey = `key-${randomUUID()}`;
    await expect(
      store.append('device-idem', 'device', 0, [anEvent('DeviceRegistered')], {
        key: refusedKey,
        requestHash: 'hash-2',
        respond: () => ({ kind: 'accepted' }),
      }),
    ).rejects.toMatchObject({ code: 'VERSION_CONFLICT' });
    expect(await store.findIdempotentOutcome(refusedKey)).toBeNull();
  });

  it('refuses UPDATE and DELETE on events (append-only trigger)', async () => {
    const { result } = await store.append('device-immutable', 'device', 0, [anEvent('DeviceRegistered', { hostname: 'a' })]);
    const position = result.position;
    await expect(db.query(`UPDATE events SET data = '{"hostname":"b"}' WHERE position = $1`, [position])).rejects.toThrow(
      /append-only: UPDATE/,
    );
    await expect(db.query('DELETE FROM events WHERE position = $1', [position])).rejects.toThrow(/append-only: DELETE/);
    await expect(db.query(`UPDATE events SET hash = 'x'`)).rejects.toThrow(/append-only/);
    const stream = await store.readStream('device-immutable');
    expect(stream.events).toEqual(result.events);
  });
});
