import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { EventToAppend, PostgresEventStore, openDatabase } from '@patchstate/event-store';
import { Comparison, compare, inParallel, rate } from './table';

const EVENT = { deviceId: 'bench', patchId: 'KB5052093', appliedAt: '2026-11-29T12:00:00Z' };

function anEvent(): EventToAppend {
  const now = new Date().toISOString();
  return {
    type: 'HotpatchApplied',
    data: EVENT,
    metadata: { eventId: randomUUID(), occurredAt: now, recordedAt: now, actor: { id: 'bench', role: 'admin' }, correlationId: randomUUID(), causationId: null },
  };
}

/**
 * Appends of one event each to a new stream, by `writers` concurrent callers: our store (group commit, and
 * with group commit off for reference), one-row INSERT transactions (the raw rate of this Postgres), and the
 * emmett PostgreSQL event store, all on the same database in the same run.
 */
export async function benchAppends(url: string, writerCounts: readonly number[], count: number): Promise<Comparison[]> {
  const rows: Comparison[] = [];
  const raw = new Pool({ connectionString: url, max: Math.max(...writerCounts) });
  await raw.query('CREATE TABLE IF NOT EXISTS bench_raw_events (id bigserial PRIMARY KEY, stream_id text NOT NULL, data jsonb NOT NULL)');
  const emmett = getPostgreSQLEventStore(url);
  await emmett.appendToStream(`warmup-${randomUUID()}`, [{ type: 'HotpatchApplied', data: EVENT }]);
  // The pool size the API runs with: the store's concurrency is its own business, not the number of callers.
  const db = await openDatabase(url, { poolSize: 10 });
  const ours = new PostgresEventStore(db);
  const oneByOne = new PostgresEventStore(db, { maxBatch: 1 });
  try {
    for (const writers of writerCounts) {
      const n = writers === 1 ? Math.ceil(count / 4) : count;
      const items = Array.from({ length: n }, (_, i) => i);
      const run = (label: string) => `${label}-${writers}-${randomUUID().slice(0, 8)}`;
      const rawRate = await rate(n, () => {
        const prefix = run('raw');
        return inParallel(items, writers, (i) => raw.query('INSERT INTO bench_raw_events (stream_id, data) VALUES ($1, $2)', [`${prefix}-${i}`, EVENT]));
      });
      const emmettRate = await rate(n, () => {
        const prefix = run('emmett');
        return inParallel(items, writers, (i) => emmett.appendToStream(`${prefix}-${i}`, [{ type: 'HotpatchApplied', data: EVENT }]));
      });
      const oursRate = await rate(n, () => {
        const prefix = run('device-ours');
        return inParallel(items, writers, (i) => ours.append(`${prefix}-${i}`, 'device', 0, [anEvent()]));
      });
      const singleRate = await rate(n, () => {
        const prefix = run('device-single');
        return inParallel(items, writers, (i) => oneByOne.append(`${prefix}-${i}`, 'device', 0, [anEvent()]));
      });
      const note = `emmett ${emmettRate}/s; ours ${(oursRate / emmettRate).toFixed(2)}x emmett; ours without group commit ${singleRate}/s`;
      rows.push(compare({ path: 'append', writers, count: n, oursPerSecond: oursRate, baseline: 'one-row INSERT tx', baselinePerSecond: rawRate, note }));
      rows.push(compare({ path: 'append (emmett store)', writers, count: n, oursPerSecond: emmettRate, baseline: 'one-row INSERT tx', baselinePerSecond: rawRate }));
    }
  } finally {
    await emmett.close();
    await raw.end();
    await db.destroy();
  }
  return rows;
}
