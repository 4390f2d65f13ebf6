import * as path from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { CatalogImportSummary, ImportCatalog } from '@patchstate/command-handling';
import { loadConfig } from '@patchstate/config';
import { parseReleaseImportRequest } from '@patchstate/domain';
import { DATA_SOURCE, PostgresEventStore } from '@patchstate/event-store';
import { loadDeviceSnapshot } from '@patchstate/ingest';
import { IngestCliModule } from '../src/ingest.module';
import { parseIngestArguments, runIngest } from '../src/ingest-cli';
import { createTestDatabase } from '../../../test/support/test-database';
import { releasesText } from '../../../test/e2e/servicing-fleet';

const fixture = (name: string) => path.join(__dirname, 'fixtures', name);
const id = (n: number) => `0f5b1d2a-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ACTOR = { id: 'cli:test', role: 'operator' } as const;

/**
 * `npm run ingest -- wufb ...` as main.ts runs it (its Nest context, argument parsing, the import, the printed
 * summary and exit code), in-process on a database of its own, after the real catalog. Also the rule the e2e
 * tests leave out: a newer export moves devices forward (a later OSBuild, a restart completing a staged update).
 */
describe('ingest CLI: a WUfB export from files, a newer export moving devices forward', () => {
  let app: INestApplicationContext;
  let db: DataSource;
  let drop: () => Promise<void>;

  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const progress: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), progress: (l: string) => progress.push(l) };
    const args = parseIngestArguments(argv, io);
    const code = typeof args === 'number' ? args : await runIngest(args, app.get(CommandBus), io, ACTOR);
    return { code, out: out.join('\n'), err: err.join('\n'), progress };
  };
  const device = (n: number) => loadDeviceSnapshot(app.get(PostgresEventStore), id(n));
  const eventCount = async () => Number((await db.query('SELECT count(*) AS n FROM events'))[0].n);
  const eventsOf = async (n: number): Promise<{ type: string; data: any; metadata: any }[]> =>
    db.query('SELECT type, data, metadata FROM events WHERE stream_id = $1 ORDER BY position', [`device-${id(n)}`]);

  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    app = await NestFactory.createApplicationContext(IngestCliModule.forRoot(loadConfig({ ...process.env, DATABASE_URL: database.url })), { logger: false });
    db = app.get<DataSource>(DATA_SOURCE);
    const releases = parseReleaseImportRequest({ format: 'json', content: releasesText() });
    const catalog = await app.get(CommandBus).execute<ImportCatalog, CatalogImportSummary>(new ImportCatalog(releases, { actor: ACTOR, correlationId: 'catalog' }));
    expect(catalog.published.length).toBeGreaterThan(0);
  });

  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  it('imports the fleet export: the summary on stdout, the bad row by its line on stderr, exit 0, the CLI user as actor', async () => {
    const result = await run('wufb', '--clients', fixture('UCClient.csv'), '--update-status', fixture('UCClientUpdateStatus.json'));
    expect(result.code).toBe(0);
    expect(result.out.split('\n').slice(0, 3)).toEqual([
      '11 rows read: 9 applied, 1 skipped, 1 refused',
      '6 devices registered, 9 events appended',
      '  skipped 1: KB is DownloadStart',
    ]);
    expect(result.out).toMatch(/^correlation id [\w-]+, last position \d+$/m);
    expect(result.err).toBe(`  UCClient.csv line 7 (${id(99)}): refused: OSBuild must be a build such as 10.0.26100.7392`);
    expect(result.progress).toEqual(['11 rows read']);
    const registered = (await eventsOf(1))[0];
    expect(registered).toMatchObject({ type: 'DeviceRegistered', metadata: { actor: ACTOR, causationId: 'wufb:UCClient.csv#2@2026-08-14T06:00:00.000Z' } });
  });

  it('re-imports the same files with --json: the summary as JSON, nothing appended', async () => {
    const before = await eventCount();
    const result = await run('wufb', '--clients', fixture('UCClient.csv'), '--update-status', fixture('UCClientUpdateStatus.json'), '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ rowsRead: 11, eventsAppended: 0, devicesRegistered: 0, refused: 1, position: null });
    expect(await eventCount()).toBe(before);
  });

  it('moves devices forward with a newer export: a later OSBuild, a restart completing a staged update, a new staged update', async () => {
    expect(await device(1)).toMatchObject({ memoryBuild: '26100.9106', diskBuild: '26100.8875', memoryHotpatches: ['KB5120994'] });
    expect(await device(3)).toMatchObject({ memoryBuild: '26100.8875', diskBuild: '26100.9168', pendingRestart: 'KB5121003' });
    const result = await run('wufb', '--clients', fixture('UCClient-newer.csv'), '--update-status', fixture('UCClientUpdateStatus-newer.csv'), '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ rowsRead: 4, applied: 4, skipped: 0, refused: 0, devicesRegistered: 0, eventsAppended: 4, rows: [] });

    // September's LCU installed and restarted into: the census's build runs in memory and on disk.
    expect(await device(1)).toMatchObject({ memoryBuild: '26100.9445', diskBuild: '26100.9445', memoryHotpatches: [], lastSeenAt: '2026-09-10T06:00:00.000Z' });
    // The same build at a newer census: only last seen moves.
    expect(await device(5)).toMatchObject({ memoryBuild: '26100.9168', lastSeenAt: '2026-09-10T07:00:00.000Z' });
    // The restart the August LCU waited for: it now runs, nothing is pending.
    expect(await device(3)).toMatchObject({ memoryBuild: '26100.9168', diskBuild: '26100.9168', pendingRestart: null });
    expect(await device(2)).toMatchObject({ memoryBuild: '26200.9106', diskBuild: '26200.9445', pendingRestart: 'KB5124008' });
    const [, , rebooted] = await eventsOf(3);
    expect(rebooted).toMatchObject({
      type: 'DeviceRebooted',
      metadata: { occurredAt: '2026-08-15T07:00:00.000Z', causationId: 'wufb:UCClientUpdateStatus-newer.csv#2@2026-09-11T06:00:00.000Z' },
    });

    // And the older export after it still changes nothing.
    const before = await eventCount();
    const older = await run('wufb', '--clients', fixture('UCClient-older.csv'), '--update-status', fixture('UCClientUpdateStatus-older.csv'), '--json');
    expect(JSON.parse(older.out)).toMatchObject({ rowsRead: 4, skipped: 4, eventsAppended: 0 });
    expect(await eventCount()).toBe(before);
  });

  it('answers bad usage with exit code 2 and the usage, an unreadable file with exit code 1', async () => {
    expect(await run('wufb')).toMatchObject({ code: 2, err: expect.stringContaining('wufb needs --clients FILE') });
    expect(await run('intune', '--clients', 'x.csv')).toMatchObject({ code: 2, err: expect.stringContaining('usage: npm run ingest') });
    expect(await run('wufb', '--clients', 'x.csv', '--verbose')).toMatchObject({ code: 2 });
    const missing = await run('wufb', '--clients', fixture('UCClient.csv'), '--update-status', fixture('missing.json'));
    expect(missing).toMatchObject({ code: 1, out: '', err: expect.stringContaining('cannot read') });
  });
});
