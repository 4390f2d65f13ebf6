import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { loadConfig } from '@patchstate/config';
import { DATA_SOURCE } from '@patchstate/event-store';
import { CatalogModule } from '../src/catalog.module';
import { parseCatalogArguments, runCatalogImport } from '../src/catalog-cli';
import { createTestDatabase } from '../../../test/support/test-database';

const DATA_FILE = path.join(__dirname, '../../../../shared/data/windows-releases.json');
const realRows = JSON.parse(readFileSync(DATA_FILE, 'utf8')) as Record<string, unknown>[];

describe('catalog CLI: import appends once per release, re-import nothing, a change one amendment, a bad file nothing', () => {
  let app: INestApplicationContext;
  let db: DataSource;
  let drop: () => Promise<void>;
  const dir = mkdtempSync(path.join(tmpdir(), 'catalog-import-'));

  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  };
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const args = parseCatalogArguments(argv, io);
    const code = typeof args === 'number' ? args : await runCatalogImport(args, app.get(CommandBus), io, { id: 'cli:test', role: 'admin' });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const catalogEvents = async (): Promise<{ type: string; stream_id: string; position: string; data: any; actor: string; metadata: any }[]> =>
    db.query("SELECT type, stream_id, position, data, actor, metadata FROM events WHERE stream_type = 'patch' ORDER BY position");

  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    app = await NestFactory.createApplicationContext(CatalogModule.forRoot(loadConfig({ ...process.env, DATABASE_URL: database.url })), { logger: false });
    db = app.get<DataSource>(DATA_SOURCE);
  });

  afterAll(async () => {
    await app?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports the real data file: one PatchPublished per release, baselines before their hotpatches, by cli:<user> as admin', async () => {
    const dryRun = await run('import', DATA_FILE, '--dry-run');
    expect(dryRun).toMatchObject({ code: 0, out: expect.stringContaining('68 would be published') });
    expect(await catalogEvents()).toEqual([]);

    const result = await run('import', DATA_FILE);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^68 published: KB5050009, /);
    const events = await catalogEvents();
    expect(events).toHaveLength(68);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['PatchPublished']));
    expect(new Set(events.map((e) => e.stream_id))).toEqual(new Set(realRows.map((row) => `patch-${row.kb}`)));
    expect(events[0].metadata.actor).toEqual({ id: 'cli:test', role: 'admin' });
    const positionOf = (kb: string) => Number(events.find((e) => e.stream_id === `patch-${kb}`)!.position);
    for (const row of realRows.filter((r) => typeof r.baselineKb === 'string' && realRows.some((b) => b.kb === r.baselineKb))) {
      expect(positionOf(row.kb as string)).toBeGreaterThan(positionOf(row.baselineKb as string));
    }
  });

  it('re-imports the same file without appending anything', async () => {
    const result = await run('import', DATA_FILE, '--json');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.out);
    expect(summary).toMatchObject({ published: [], amended: [], position: null, dryRun: false });
    expect(summary.unchanged).toHaveLength(68);
    expect(await catalogEvents()).toHaveLength(68);
  });

  it('amends a changed release once, naming the changed fields; notes and sources are no change', async () => {
    const changed = realRows.map((row) =>
      row.kb === 'KB5050009'
        ? { ...row, releasedAt: '2025-01-15', cves: ['CVE-2025-21333', 'CVE-2025-21334', 'CVE-2025-21335'], notes: 'edited', source: 'elsewhere' }
        : row.kb === 'KB5052105'
          ? { ...row, notes: 'only the notes changed', confidence: 'low' }
          : row,
    );
    const result = await run('import', write('changed.json', JSON.stringify(changed, null, 1)), '--json');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.out);
    expect(summary.published).toEqual([]);
    expect(summary.amended).toEqual([
      {
        kb: 'KB5050009',
        changes: [
          { field: 'releasedAt', from: '2025-01-14T00:00:00Z', to: '2025-01-15T00:00:00Z' },
          { field: 'cves', from: ['CVE-2025-21333', 'CVE-2025-21334'], to: ['CVE-2025-21333', 'CVE-2025-21334', 'CVE-2025-21335'] },
        ],
      },
    ]);
    const events = await catalogEvents();
    expect(events).toHaveLength(69);
    const amended = events[68];
    expect(amended).toMatchObject({ type: 'PatchAmended', stream_id: 'patch-KB5050009', actor: 'cli:test' });
    expect(amended.data.changes.map((c: { field: string }) => c.field)).toEqual(['releasedAt', 'cves']);
    expect(summary.position).toBe(String(amended.position));
  });

  it('refuses a file with one bad row by its line and appends nothing, not even its good new rows', async () => {
    const rows = [
      ...realRows,
      { kb: 'KB5999001', month: '2026-10', kind: 'lcu', product: 'windows-11', builds: { '24H2': '26100.9999' } },
      { kb: 'KB5999002', month: '2026-10', kind: 'hotpatch', product: 'windows-11', builds: { '24H2': '26200.9999' } },
    ];
    const text = JSON.stringify(rows, null, 1);
    const line = text.split('\n').findIndex((l) => l.includes('"KB5999002"'));
    const result = await run('import', write('bad.json', text));
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toContain('was not imported: 1 bad row');
    expect(result.err).toContain(`line ${line} (KB5999002): builds.24H2 must be a 26100.N build; baselineKb is required for a hotpatch`);
    expect(await catalogEvents()).toHaveLength(69);
  });

  it('imports CSV with the same columns, and answers bad usage with exit code 2', async () => {
    const csv = 'kb,month,kind,product,builds.24H2,builds.25H2,cves\nKB5999001,2026-10,lcu,windows-11,26100.9999,26200.9999,CVE-2026-99999\n';
    const result = await run('import', write('new.csv', csv));
    expect(result).toMatchObject({ code: 0, out: expect.stringContaining('1 published: KB5999001') });
    const events = await catalogEvents();
    expect(events[events.length - 1].data).toMatchObject({ patchId: 'KB5999001', releasedAt: '2026-10-13T00:00:00Z', cves: ['CVE-2026-99999'] });

    expect(await run('import')).toMatchObject({ code: 2, err: expect.stringContaining('usage:') });
    expect(await run('export', 'x.json')).toMatchObject({ code: 2 });
    expect(await run('import', 'x.json', '--format', 'xml')).toMatchObject({ code: 2 });
    expect(await run('import', path.join(dir, 'missing.json'))).toMatchObject({ code: 1, err: expect.stringContaining('cannot read') });
  });
});
