import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { CommandBus } from '@nestjs/cqrs';
import { Actor, RELEASE_FILE_FORMATS, ReleaseFileFormat, ReleaseImportError, ReleaseRowError, parseReleaseFile } from '@patchstate/domain';
import { CatalogImportSummary, ImportCatalog } from '@patchstate/command-handling';

export const CATALOG_USAGE = `usage: npm run catalog -- import FILE [--dry-run] [--format json|csv] [--json]

  import FILE   import a release file (JSON like ../shared/data/windows-releases.json, or CSV with the same
                columns; see docs/catalog.md). New releases are published, changed ones amended, the same
                ones left alone. A file with a bad row is refused whole and nothing is imported.
  --dry-run     check the file and say what the import would do, without appending anything
  --format      json or csv (default: from the file's extension, .csv is CSV, anything else JSON)
  --json        print the summary as JSON`;

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

export interface ImportArguments {
  file: string;
  format: ReleaseFileFormat;
  dryRun: boolean;
  json: boolean;
}

/** The import's arguments, or the exit code 2 after printing what is wrong with them. */
export function parseCatalogArguments(argv: string[], io: CliOutput): ImportArguments | 2 {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { 'dry-run': { type: 'boolean' }, format: { type: 'string' }, json: { type: 'boolean' } },
    });
    const [command, file, ...extra] = positionals;
    if (command !== 'import') return usage(io, command ? `unknown command ${command}` : 'missing command');
    if (!file || extra.length > 0) return usage(io, 'import needs one FILE');
    const format = values.format ?? (extname(file).toLowerCase() === '.csv' ? 'csv' : 'json');
    if (!(RELEASE_FILE_FORMATS as readonly string[]).includes(format)) return usage(io, `--format must be one of ${RELEASE_FILE_FORMATS.join(', ')}`);
    return { file, format: format as ReleaseFileFormat, dryRun: values['dry-run'] === true, json: values.json === true };
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return usage(io, (error as Error).message);
    throw error;
  }
}

/** Runs an import; returns the exit code: 0 imported (or checked), 1 refused (unreadable or bad file). */
export async function runCatalogImport(args: ImportArguments, bus: CommandBus, io: CliOutput, actor: Actor): Promise<number> {
  let text: string;
  try {
    text = await readFile(args.file, 'utf8');
  } catch (error) {
    io.err(`cannot read ${args.file}: ${(error as Error).message}`);
    return 1;
  }
  let summary: CatalogImportSummary;
  try {
    const releases = parseReleaseFile(text, args.format);
    summary = await bus.execute<ImportCatalog, CatalogImportSummary>(new ImportCatalog(releases, { actor }, { dryRun: args.dryRun }));
  } catch (error) {
    if (!(error instanceof ReleaseImportError)) throw error;
    io.err(`${args.file} was not imported: ${error.rows.length} bad row${error.rows.length === 1 ? '' : 's'}`);
    for (const row of error.rows) io.err(describeRow(row));
    return 1;
  }
  if (args.json) io.out(JSON.stringify(summary));
  else printSummary(summary, io);
  return 0;
}

function describeRow(row: ReleaseRowError): string {
  const where = row.line !== null ? `line ${row.line}` : `row ${row.index}`;
  return `  ${where}${row.kb ? ` (${row.kb})` : ''}: ${row.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`;
}

function printSummary(summary: CatalogImportSummary, io: CliOutput): void {
  const would = summary.dryRun ? 'would be ' : '';
  io.out(`${summary.published.length} ${would}published${list(summary.published)}`);
  io.out(`${summary.amended.length} ${would}amended`);
  for (const { kb, changes } of summary.amended) {
    io.out(`  ${kb}: ${changes.map((c) => `${c.field} ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`).join('; ')}`);
  }
  io.out(`${summary.unchanged.length} unchanged`);
  if (summary.dryRun) io.out('dry run: nothing was appended');
}

function list(kbs: string[]): string {
  return kbs.length === 0 ? '' : `: ${kbs.join(', ')}`;
}

function usage(io: CliOutput, problem: string): 2 {
  io.err(problem);
  io.err(CATALOG_USAGE);
  return 2;
}
