import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CommandExecutor } from '@patchstate/command-handling';
import { DeviceCommand, PatchCatalogCommand } from '@patchstate/domain';
import { EventLog, LoggedEvent, PostgresEventStore, openDatabase, readStoreId } from '@patchstate/event-store';
import { toEnvelope } from '@patchstate/messaging';
import { Projection, ProjectionEngine, StoreEventSource, allProjections, rebuildReadModels } from '@patchstate/read-models';
import { Comparison, compare, inParallel, rate } from './table';

const PAGE = 1000;
const PATCH = 'KB5052093';
const PROFILE = { product: 'windows-11', edition: 'enterprise', architecture: 'x64', build: '26100.2894', vbs: 'running', chpeDisabled: false, hotpatchEnabled: true } as const;

/** One device's life, about sixteen events: hotpatch applied, committed, reverted, failed, profiles reported. */
function templateCommands(deviceId: string): Omit<DeviceCommand, 'metadata'>[] {
  const cycle: Omit<DeviceCommand, 'metadata'>[] = [
    { type: 'ApplyHotpatch', data: { deviceId, patchId: PATCH } },
    { type: 'CommitOnReboot', data: { deviceId, bootId: null } },
    { type: 'ReportDeviceProfile', data: { deviceId, changes: { hotpatchEnabled: true } } },
    { type: 'RevertHotpatch', data: { deviceId, patchId: PATCH } },
    { type: 'CommitOnReboot', data: { deviceId, bootId: null } },
    { type: 'ReportHotpatchFailure', data: { deviceId, patchId: PATCH, errorCode: '0x800f0922' } },
  ] as Omit<DeviceCommand, 'metadata'>[];
  return [{ type: 'RegisterDevice', data: { deviceId, hostname: `${deviceId}.bench`, profile: PROFILE } }, ...cycle, ...cycle, ...cycle.slice(0, 3)];
}

/**
 * The log to project: one device's history made by the real command path, copied to `devices` devices
 * (appended a whole history per call, so seeding is quick and is not what is measured).
 */
async function seed(db: DataSource, devices: number): Promise<number> {
  const executor = new CommandExecutor(new PostgresEventStore(db));
  const metadata = () => {
    const now = new Date().toISOString();
    return { commandId: randomUUID(), occurredAt: now, recordedAt: now, actor: { id: 'bench', role: 'admin' as const }, correlationId: randomUUID(), causationId: null };
  };
  const publish = {
    type: 'PublishPatch',
    data: { patchId: PATCH, kind: 'hotpatch', builds: { '24H2': '26100.3032' }, baselineKb: null, baselineBuilds: { '24H2': '26100.2894' }, releasedAt: '2025-02-11T18:00:00Z', architectures: ['x64'], products: ['windows-11'], cves: ['CVE-2025-21418'], supersedes: [], replaces: [] },
  } as Omit<PatchCatalogCommand, 'metadata'>;
  await executor.execute({ ...publish, metadata: metadata() } as PatchCatalogCommand);
  for (const command of templateCommands('bench-template')) {
    // A command the template's state refuses simply adds no event; the copies only need a plausible history.
    await executor.execute({ ...command, metadata: metadata() } as DeviceCommand).catch(() => undefined);
  }
  const template: LoggedEvent[] = [];
  for await (const page of new EventLog(db).readAll({ streamIds: ['device-bench-template'] })) template.push(...page);
  const store = new PostgresEventStore(db);
  const ids = Array.from({ length: devices }, (_, i) => `bench-${String(i).padStart(6, '0')}`);
  await inParallel(ids, 8, (deviceId) =>
    store.append(
      `device-${deviceId}`,
      'device',
      0,
      template.map(({ type, data, metadata: { schemaVersion, ...metadata } }) => ({
        type,
        schemaVersion,
        data: JSON.parse(JSON.stringify(data).replaceAll('bench-template', deviceId)) as unknown,
        metadata: { ...metadata, eventId: randomUUID() },
      })),
    ),
  );
  return new EventLog(db).count();
}

/** The engine's fallback: `apply` one event at a time, as every projection ran before the set-based form. */
function withoutBatchForm(projection: Projection): Projection {
  return { name: projection.name, tables: projection.tables, handles: (e) => projection.handles(e), apply: (tx, e) => projection.apply(tx, e) };
}

/** One transaction per page, one multi-row statement: the raw rate of writing these events as rows. */
async function plainUpsert(db: DataSource, log: EventLog): Promise<void> {
  await db.query('TRUNCATE bench_plain_rows');
  for await (const page of log.readAll({}, PAGE)) {
    await db.transaction((tx) =>
      tx.query(
        `INSERT INTO bench_plain_rows SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::jsonb[])
         ON CONFLICT (stream_id, version) DO UPDATE SET position = EXCLUDED.position, type = EXCLUDED.type, data = EXCLUDED.data`,
        [page.map((e) => e.streamId), page.map((e) => e.version), page.map((e) => e.position), page.map((e) => e.type), page.map((e) => JSON.stringify(e.data))],
      ),
    );
  }
}

/**
 * The projections over a whole log, against the plain batched upsert of one row per event of the same
 * pages (the ceiling a set-based projection can approach): the engine into empty tables, then a rebuild
 * (shadow tables, swap) as `replay rebuild` runs it.
 */
export async function benchProjection(url: string, devices: number): Promise<Comparison[]> {
  const db = await openDatabase(url, { poolSize: 10 });
  try {
    const events = await seed(db, devices);
    const log = new EventLog(db);
    await db.query('CREATE TABLE bench_plain_rows (stream_id text, version int, position bigint, type text, data jsonb, PRIMARY KEY (stream_id, version))');
    // Measured before and after ours, the faster counting: the machine is shared, and a slow baseline flatters.
    const plainFirst = await rate(events, () => plainUpsert(db, log));
    const storeId = await readStoreId(db);
    const project = (projections: Projection[]) =>
      rate(events, async () => {
        const engine = new ProjectionEngine(db, projections);
        for await (const page of log.readAll({}, PAGE)) {
          await engine.applyBatch(null, page.map((event) => ({ offset: event.position, envelope: toEnvelope(event, event.streamType, storeId), raw: '' })), null);
        }
      });
    const projected = await project(allProjections());
    await db.query(`TRUNCATE ${[...allProjections().flatMap((p) => p.tables), 'projection_stream_versions'].join(', ')}`);
    const eventByEvent = await project(allProjections().map(withoutBatchForm));
    const plain = Math.max(plainFirst, await rate(events, () => plainUpsert(db, log)));
    const rebuilt = await rate(events, async () => void (await rebuildReadModels(db, { projections: allProjections(), source: new StoreEventSource(db) })));
    const row = (path: string, oursPerSecond: number, note: string) =>
      compare({ path, writers: 1, count: events, oursPerSecond, baseline: `batched upsert, a row per event, pages of ${PAGE}`, baselinePerSecond: plain, note });
    return [
      row('projection engine', projected, `${devices} devices, every projection; event by event ${eventByEvent}/s`),
      row('replay rebuild', rebuilt, 'shadow tables, 2 connections, swap'),
    ];
  } finally {
    await db.destroy();
  }
}
