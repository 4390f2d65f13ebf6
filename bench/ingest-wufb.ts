import 'reflect-metadata';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { loadConfig } from '@patchstate/config';
import { DATA_SOURCE } from '@patchstate/event-store';
import { IngestSummary, IngestWufb, exportRecords, readClientRow } from '@patchstate/ingest';
import { IngestCliModule } from '../apps/ingest/src/ingest.module';
import { Comparison, compare } from './compare/table';
import { MemoryFigure, MemoryProbe } from './memory-probe';

/**
 * The WUfB import of a 100,000-row UCClient export (issue 18), each figure beside a raw baseline measured in the
 * same run on the same file: reading and parsing it without commands (what streaming alone costs) and one
 * batched INSERT of the same rows (what storing them costs without the event log). Run by bench/run.ts on its
 * freshly created database; BENCH_INGEST_ROWS changes the size, 0 skips it.
 */
export const INGEST_ROWS = Number(process.env.BENCH_INGEST_ROWS ?? 100_000);

const BUILDS = ['26100.8875', '26100.9106', '26200.8875', '26200.9106', '26100.9168', '26200.9168'];
const HEADER = 'TimeGenerated,DeviceName,AzureADDeviceId,OSBuild,OSVersion,OSArchitecture,OSEdition,LastCensusScanTime,LastWUScanTime,IsDeviceHotpatchEligible,OSServicingChannel\n';

/** A UCClient export in the portal's CSV layout: one row per device, real builds, some Arm64 and Pro devices. */
async function writeClientsExport(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  out.write(HEADER);
  for (let i = 0; i < rows; i++) {
    const deviceId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const census = new Date(Date.UTC(2026, 7, 12, 6) + (i % 3600) * 1000).toISOString();
    const line = [
      '2026-08-14T06:00:00Z', `ws-${i}`, deviceId, `10.0.${BUILDS[i % BUILDS.length]}`, '24H2', i % 10 === 0 ? 'arm64' : 'x64',
      i % 25 === 0 ? 'Professional' : 'Enterprise', census, census, i % 25 === 0 ? 'false' : 'true', 'GA',
    ].join(',');
    // Respect the stream's backpressure: the file is written as it is generated, never held whole.
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

interface Pass {
  rows: number;
  seconds: number;
  memory: MemoryFigure;
}

async function measured(rows: number, work: (probe: MemoryProbe) => Promise<number>): Promise<Pass> {
  const probe = new MemoryProbe(rows);
  const started = process.hrtime.bigint();
  const done = await work(probe);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rows: done, seconds, memory: probe.finish() };
}

const chunksOf = (file: string) => createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 });

/** Baseline 1: the file streamed and every row read and checked as the import reads it, no command sent. */
async function parseOnly(file: string, probe: MemoryProbe): Promise<number> {
  let rows = 0;
  for await (const record of exportRecords(chunksOf(file))) {
    if (record.values === null || !readClientRow(record.values).ok) throw new Error(`bench row ${record.line} does not read`);
    probe.row(++rows);
  }
  return rows;
}

/** Baseline 2: the same rows, parsed the same way, stored raw with one INSERT per 1,000 rows. */
async function batchedInsert(db: DataSource, file: string, probe: MemoryProbe): Promise<number> {
  await db.query('DROP TABLE IF EXISTS bench_wufb_rows');
  await db.query('CREATE TABLE bench_wufb_rows (device_id text PRIMARY KEY, row jsonb NOT NULL)');
  let ids: string[] = [];
  let values: string[] = [];
  let rows = 0;
  const flush = async () => {
    await db.query('INSERT INTO bench_wufb_rows SELECT * FROM unnest($1::text[], $2::jsonb[])', [ids, values]);
    ids = [];
    values = [];
  };
  for await (const record of exportRecords(chunksOf(file))) {
    const read = record.values === null ? null : readClientRow(record.values);
    if (!read?.ok) throw new Error(`bench row ${record.line} does not read`);
    ids.push(read.fact.deviceId);
    values.push(JSON.stringify(record.values));
    if (ids.length === 1000) await flush();
    probe.row(++rows);
  }
  if (ids.length > 0) await flush();
  return rows;
}

/** The import itself, as `npm run ingest` runs it: streamed from the file, each row's commands on the bus. */
async function importExport(bus: CommandBus, file: string, rows: number, probe: MemoryProbe): Promise<IngestSummary> {
  const source = { name: 'UCClient.csv', chunks: () => chunksOf(file) };
  const summary = await bus.execute<IngestWufb, IngestSummary>(
    new IngestWufb(source, null, { actor: { id: 'bench', role: 'operator' } }, (read) => probe.row(read)),
  );
  // A fresh bench database registers every device: anything else means the figure measures something else.
  if (summary.applied !== rows || summary.devicesRegistered !== rows) {
    throw new Error(`bench import did not register every device: ${JSON.stringify({ ...summary, rows: summary.rows.slice(0, 3) })}`);
  }
  return summary;
}

export interface IngestBenchRow {
  figure: string;
  value: number;
  baseline: string;
  baselineValue: number;
  /** value / baselineValue; null when both are within memory's noise, where a ratio of two near-zeros says nothing. */
  ratio: number | null;
}

const perSecond = (pass: Pass) => Math.round(pass.rows / pass.seconds);
/** Below this, a memory figure is the collector's noise (flat), not growth. */
const FLAT_MB = 1;
const row = (figure: string, value: number, baseline: string, baselineValue: number, unit: 'rows/s' | 'MB'): IngestBenchRow => {
  const noise = unit === 'MB' && Math.abs(value) < FLAT_MB && Math.abs(baselineValue) < FLAT_MB;
  return { figure, value, baseline, baselineValue, ratio: noise || baselineValue === 0 ? null : Math.round((value / baselineValue) * 1000) / 1000 };
};

/**
 * Runs the three passes on one file against the given (bench) database; returns the figures beside their
 * baselines, and prints them unless `print` is false (`npm run bench -- --json` keeps stdout to its JSON).
 */
export async function benchIngestWufb(databaseUrl: string, rows = INGEST_ROWS, print = true): Promise<IngestBenchRow[]> {
  if (rows <= 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'patchstate-bench-wufb-'));
  const file = join(dir, 'UCClient.csv');
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const app = await NestFactory.createApplicationContext(IngestCliModule.forRoot(config), { logger: ['error'] });
  try {
    await writeClientsExport(file, rows);
    const db = app.get<DataSource>(DATA_SOURCE);
    const parse = await measured(rows, (probe) => parseOnly(file, probe));
    const insert = await measured(rows, (probe) => batchedInsert(db, file, probe));
    let summary: IngestSummary | null = null;
    const imported = await measured(rows, async (probe) => (summary = await importExport(app.get(CommandBus), file, rows, probe)).rowsRead);
    await db.query('DROP TABLE IF EXISTS bench_wufb_rows');
    const table = [
      row('import rows/s (streamed, commands on the bus)', perSecond(imported), 'read and parse only, rows/s', perSecond(parse), 'rows/s'),
      row('import rows/s (streamed, commands on the bus)', perSecond(imported), 'batched INSERT of the rows, rows/s', perSecond(insert), 'rows/s'),
      row('import peak RSS growth, MB', imported.memory.peakRssGrowthMb, 'read and parse only, MB', parse.memory.peakRssGrowthMb, 'MB'),
      row('import peak RSS growth, MB', imported.memory.peakRssGrowthMb, 'batched INSERT, MB', insert.memory.peakRssGrowthMb, 'MB'),
      row('import live heap growth 10%->100% of rows, MB', imported.memory.liveHeapGrowthMb, 'read and parse only, MB', parse.memory.liveHeapGrowthMb, 'MB'),
    ];
    if (!print) return table;
    const sizeMb = Math.round(statSync(file).size / 1024 / 102.4) / 10;
    console.log(`\nWUfB import of a ${rows.toLocaleString('en')}-row UCClient export (${sizeMb} MB CSV), each figure beside a baseline of the same run\n`);
    console.table(table);
    const s = summary as IngestSummary | null;
    console.log(`import: ${imported.seconds.toFixed(1)} s, ${s?.eventsAppended ?? 0} events appended; parse ${parse.seconds.toFixed(1)} s; INSERT ${insert.seconds.toFixed(1)} s`);
    return table;
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}


/**
 * The import as rows of `npm run bench` (bench/compare): rows/s beside each raw baseline, the memory figures
 * beside theirs in the note (that table's columns are rates).
 */
export async function ingestComparisons(databaseUrl: string, rows = INGEST_ROWS): Promise<Comparison[]> {
  const table = await benchIngestWufb(databaseUrl, rows, false);
  if (table.length === 0) return [];
  const [parse, insert, rssParse, , heap] = table;
  const ratio = (r: IngestBenchRow) => (r.ratio !== null ? `x${r.ratio}` : Math.abs(r.value) < FLAT_MB ? 'both flat' : 'baseline flat');
  const common = { path: `WUfB import, ${rows.toLocaleString('en')} UCClient rows streamed`, writers: 4, count: rows, oursPerSecond: parse.value };
  return [
    compare({ ...common, baseline: 'read and parse the same file', baselinePerSecond: parse.baselineValue, note: `peak RSS +${rssParse.value} MB, parse only +${rssParse.baselineValue} MB (${ratio(rssParse)})` }),
    compare({ ...common, baseline: 'batched INSERT of the rows', baselinePerSecond: insert.baselineValue, note: `live heap 10%->100% ${heap.value} MB, parse only ${heap.baselineValue} MB (${ratio(heap)})` }),
  ];
}
