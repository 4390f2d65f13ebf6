import 'reflect-metadata';
import { cpus, totalmem } from 'node:os';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ensureDatabaseExists } from '@patchstate/event-store';
import { ingestComparisons } from '../ingest-wufb';
import { benchAppends } from './append';
import { benchProjection } from './projection';
import { benchRelay } from './relay';
import { benchRest } from './rest';
import { Comparison, printTable } from './table';

/**
 * `npm run bench [-- --json]`: each hot path next to its raw baseline, measured in the same run on the same
 * database (BENCH_DATABASE_URL, default patchstate_bench, recreated every run) and broker (KAFKA_BROKERS).
 * Short on purpose: BENCH_COUNT appends per row (default 2000); the projections run over BENCH_DEVICES devices of
 * about sixteen events each (default 1000). Numbers compare, they do not promise.
 */
async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/patchstate_bench';
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
  const count = Number(process.env.BENCH_COUNT ?? 2000);
  await recreate(url);
  const rows: Comparison[] = [];
  const log = (message: string) => json || console.error(message);
  // REST first: its API runs the relay, which would otherwise spend the cores publishing the append suite's events.
  log('REST command end to end ...');
  rows.push(await benchRest(url, `patchstate.bench.rest.${randomUUID().slice(0, 8)}`, 8, Math.ceil(count / 2)));
  log('append at 1, 8 and 32 writers ...');
  rows.push(...(await benchAppends(url, [1, 8, 32], count)));
  log('outbox relay ...');
  rows.push(await benchRelay(url, brokers, count * 5));
  log('projection engine and rebuild ...');
  rows.push(...(await benchProjection(url, Number(process.env.BENCH_DEVICES ?? 1000))));
  log('WUfB import of 100,000 rows (BENCH_INGEST_ROWS), a few minutes ...');
  rows.push(...(await ingestComparisons(url)));
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version };
  if (json) {
    console.log(JSON.stringify({ machine, rows }, null, 2));
  } else {
    console.log(`\npatchstate against raw baselines (${machine.cpus} × ${machine.cpu}, ${machine.memoryGb} GB, Node ${machine.node})\n`);
    printTable(rows);
  }
}

async function recreate(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/bench/.test(name)) throw new Error(`refusing to benchmark on ${name}: the database name must contain "bench"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const adminDb = new DataSource({ type: 'postgres', url: admin.toString() });
  await adminDb.initialize();
  await adminDb.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await adminDb.destroy();
  await ensureDatabaseExists(url);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
