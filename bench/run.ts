import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CommandExecutor } from '@patchstate/command-handling';
import { CommandMetadata, DeviceCommand, PatchCatalogCommand } from '@patchstate/domain';
import { EventLog, PostgresEventStore, ensureDatabaseExists, openDatabase, readStoreId, verifyHashChains } from '@patchstate/event-store';
import { toEnvelope } from '@patchstate/messaging';
import { AuditQueries, ProjectionEngine, allProjections } from '@patchstate/read-models';
import { benchIngestWufb } from './ingest-wufb';

/**
 * `npm run bench`: speed and memory of the hot paths against the local Postgres (no broker needed), on a
 * database of its own (BENCH_DATABASE_URL, default patchstate_bench) that it recreates on every run.
 * Numbers are for comparing changes on the same machine, not promises.
 */
const DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const TIMELINE_EVENTS = Number(process.env.BENCH_TIMELINE_EVENTS ?? 10000);

interface Result {
  name: string;
  count: number;
  seconds: number;
  perSecond: number;
  note?: string;
}

function metadata(): CommandMetadata {
  const now = new Date().toISOString();
  return { commandId: randomUUID(), occurredAt: now, recordedAt: now, actor: { id: 'bench', role: 'admin' }, correlationId: randomUUID(), causationId: null };
}

async function timed(name: string, count: number, work: () => Promise<void>, note?: string): Promise<Result> {
  const started = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { name, count, seconds: Number(seconds.toFixed(3)), perSecond: Math.round(count / seconds), ...(note ? { note } : {}) };
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

async function recreate(url: string): Promise<DataSource> {
  const name = new URL(url).pathname.slice(1);
  if (!/bench/.test(name)) throw new Error(`refusing to benchmark on ${name}: the database name must contain "bench"`);
  await ensureDatabaseExists(url);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const adminDb = new DataSource({ type: 'postgres', url: admin.toString() });
  await adminDb.initialize();
  await adminDb.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await adminDb.destroy();
  return openDatabase(url, { poolSize: 12 });
}

async function main(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/patchstate_bench';
  const db = await recreate(url);
  const executor = new CommandExecutor(new PostgresEventStore(db));
  const run = (command: Omit<DeviceCommand, 'metadata'> | Omit<PatchCatalogCommand, 'metadata'>) =>
    executor.execute({ ...command, metadata: metadata() } as DeviceCommand);
  const results: Result[] = [];

  await run({
    type: 'PublishPatch',
    data: { patchId: 'KB5052093', kind: 'hotpatch', builds: { '24H2': '26100.3032' }, baselineKb: null, baselineBuilds: { '24H2': '26100.2894' }, releasedAt: '2025-02-11T18:00:00Z', architectures: ['x64'], products: ['windows-11'], cves: ['CVE-2025-21418'], supersedes: [], replaces: [] },
  });
  const ids = Array.from({ length: DEVICES }, (_, i) => `bench-${String(i).padStart(6, '0')}`);
  const profile = { product: 'windows-11', edition: 'enterprise', architecture: 'x64', build: '26100.2894', vbs: 'running', chpeDisabled: false, hotpatchEnabled: true } as const;

  results.push(
    await timed('RegisterDevice, 8 concurrent clients', DEVICES, () =>
      inParallel(ids, 8, (deviceId) => run({ type: 'RegisterDevice', data: { deviceId, hostname: `${deviceId}.bench`, profile } })),
    ),
  );
  results.push(
    await timed('ApplyHotpatch (load, decide, append)', DEVICES, () =>
      inParallel(ids, 8, (deviceId) => run({ type: 'ApplyHotpatch', data: { deviceId, patchId: 'KB5052093' } })),
    ),
  );
  const hot = ids[0];
  let gaveUp = 0;
  results.push(
    await timed('contended: 8 writers on one stream', 200, () =>
      inParallel(Array.from({ length: 200 }, (_, i) => i), 8, () =>
        run({ type: 'ReportDeviceProfile', data: { deviceId: hot, changes: { hotpatchEnabled: true } } }).catch((error: { code?: string }) => {
          if (error.code !== 'VERSION_CONFLICT') throw error;
          gaveUp += 1;
        }),
      ),
    ),
  );
  results[results.length - 1].note = `${gaveUp} commands answered VERSION_CONFLICT after the handler's retries`;

  const log = new EventLog(db);
  const total = await log.count();
  const engine = new ProjectionEngine(db, allProjections());
  const storeId = await readStoreId(db);
  results.push(
    await timed('projection engine, batches of 500', total, async () => {
      for await (const page of log.readAll({}, 500)) {
        const messages = page.map((event) => {
          const envelope = toEnvelope(event, event.streamType, storeId);
          return { offset: envelope.position, envelope, raw: '' };
        });
        await engine.applyBatch(null, messages, null);
      }
    }),
  );

  // A long stream: memory while streaming its timeline should stay flat (one page at a time).
  const store = new PostgresEventStore(db);
  const longStream = 'device-bench-long';
  await run({ type: 'RegisterDevice', data: { deviceId: 'bench-long', hostname: 'bench-long', profile } });
  for (let version = 1; version < TIMELINE_EVENTS; version += 500) {
    const batch = Array.from({ length: Math.min(500, TIMELINE_EVENTS - version) }, () => {
      const m = metadata();
      return { type: 'HotpatchFailed', data: { deviceId: 'bench-long', patchId: 'KB5052093', errorCode: '0x800f0922', failedAt: m.occurredAt }, metadata: { ...m, eventId: randomUUID() } };
    });
    await store.append(longStream, 'device', version, batch);
  }
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peak = heapBefore;
  let streamed = 0;
  results.push(
    await timed('stream a 10,000-event timeline', TIMELINE_EVENTS, async () => {
      for await (const event of new AuditQueries(db).streamTimeline({ deviceId: 'bench-long' }, null)) {
        if (event.version > 0) streamed += 1;
        if (streamed % 500 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }),
  );
  const heapGrowthMb = (peak - heapBefore) / 1024 / 1024;
  results[results.length - 1].note = `peak heap growth ${heapGrowthMb.toFixed(1)} MB`;

  const allEvents = await log.count();
  results.push(await timed('verify every hash chain', allEvents, async () => void (await verifyHashChains(db))));

  console.log('\npatchstate benchmark (local Postgres, 2 cores)\n');
  console.table(results);
  console.log(JSON.stringify({ results }, null, 2));
  await db.destroy();
  const ingest = await benchIngestWufb(url);
  console.log(JSON.stringify({ ingest }, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
