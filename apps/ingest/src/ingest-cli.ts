import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { CommandBus } from '@nestjs/cqrs';
import { Actor } from '@patchstate/domain';
import { ExportSource, IngestSummary, IngestWufb } from '@patchstate/ingest';

export const INGEST_USAGE = `usage: npm run ingest -- wufb --clients FILE [--update-status FILE] [--json]

  wufb              import a Windows Update for Business reports export (docs/ingest.md): UCClient rows register
                    devices, report their profile and check them in at their OSBuild; UCClientUpdateStatus rows
                    apply hotpatches, stage updates, record restarts and failures. CSV or JSON, as exported.
  --clients         the UCClient export (required)
  --update-status   the UCClientUpdateStatus (or UCServiceUpdateStatus) export
  --json            print the summary as JSON`;

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
  /** A terminal: progress is drawn on one line; otherwise nothing is printed until the summary. */
  progress?(line: string): void;
}

export interface IngestArguments {
  clients: string;
  updateStatus: string | null;
  json: boolean;
}

/** The import's arguments, or the exit code 2 after printing what is wrong with them. */
export function parseIngestArguments(argv: string[], io: CliOutput): IngestArguments | 2 {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { clients: { type: 'string' }, 'update-status': { type: 'string' }, json: { type: 'boolean' } },
    });
    if (positionals[0] !== 'wufb' || positionals.length > 1) return usage(io, positionals[0] ? `unknown command ${positionals.join(' ')}` : 'missing command');
    if (!values.clients) return usage(io, 'wufb needs --clients FILE');
    return { clients: values.clients, updateStatus: values['update-status'] ?? null, json: values.json === true };
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return usage(io, (error as Error).message);
    throw error;
  }
}

/** A file read as it streams: the import holds one row at a time, whatever the file's size. */
function fileSource(path: string): ExportSource {
  return { name: basename(path), chunks: () => createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 }) };
}

/** Runs an import; returns the exit code: 0 imported (bad rows are reported, the others applied), 1 unreadable file. */
export async function runIngest(args: IngestArguments, bus: CommandBus, io: CliOutput, actor: Actor): Promise<number> {
  for (const file of [args.clients, args.updateStatus]) {
    if (file === null) continue;
    try {
      await access(file);
    } catch (error) {
      io.err(`cannot read ${file}: ${(error as Error).message}`);
      return 1;
    }
  }
  const progress = io.progress && ((rows: number) => io.progress?.(`${rows.toLocaleString('en')} rows read`));
  const ingest = new IngestWufb(fileSource(args.clients), args.updateStatus === null ? null : fileSource(args.updateStatus), { actor }, progress);
  const summary = await bus.execute<IngestWufb, IngestSummary>(ingest);
  if (args.json) io.out(JSON.stringify(summary));
  else printSummary(summary, io);
  return 0;
}

function printSummary(s: IngestSummary, io: CliOutput): void {
  io.out(`${s.rowsRead} rows read: ${s.applied} applied, ${s.skipped} skipped, ${s.refused} refused`);
  io.out(`${s.devicesRegistered} devices registered, ${s.eventsAppended} events appended${s.rejected ? `, ${s.rejected} hotpatches refused for the device (recorded)` : ''}`);
  for (const [reason, count] of Object.entries(s.skippedByReason)) io.out(`  skipped ${count}: ${reason}`);
  for (const row of s.rows.filter((r) => r.outcome !== 'skipped')) {
    io.err(`  ${row.file} line ${row.line}${row.deviceId ? ` (${row.deviceId})` : ''}: ${row.outcome}: ${row.reason}`);
  }
  if (s.rowsLeftOut > 0) io.err(`  ... and ${s.rowsLeftOut} more rows (use --json for the first ${s.rows.length})`);
  io.out(`correlation id ${s.correlationId}${s.position ? `, last position ${s.position}` : ''}`);
}

function usage(io: CliOutput, problem: string): 2 {
  io.err(problem);
  io.err(INGEST_USAGE);
  return 2;
}
