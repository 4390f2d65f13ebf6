import { FieldError, ValidationError } from '../shared/domain-error';
import { isPlainObject } from '../shared/validation';
import { PatchDefinition } from './patch';
import { parsePatchDefinition } from './patch-catalog.validation';
import { SourceRow, parseReleaseCsv } from './release-import-csv';

export type { SourceRow } from './release-import-csv';

/**
 * Importing a release file (docs/catalog.md): JSON in the shape of the shared windows-releases.json, or CSV
 * with the same columns. Every row is checked; one bad row refuses the whole file, naming each bad row.
 */
export const RELEASE_FILE_FORMATS = ['json', 'csv'] as const;
export type ReleaseFileFormat = (typeof RELEASE_FILE_FORMATS)[number];

/**
 * The columns of a release row. `month` only stands in for an absent releasedAt; `source`, `confidence` and
 * `notes` are provenance for people (where a row comes from, how sure it is, irregularities): accepted, not
 * recorded, so a note edited in the file is no amendment of the release.
 */
export const RELEASE_ROW_FIELDS = [
  'kb', 'month', 'releasedAt', 'kind', 'product', 'builds', 'baselineKb', 'architectures', 'sharedWith', 'cves', 'supersedes', 'replaces',
  'source', 'confidence', 'notes',
] as const;
/** Architectures where the file names none: the data says them only "where a source says so". */
export const DEFAULT_ARCHITECTURES = ['x64', 'arm64'];

/** One refused row: its line in the file (null for a body that was no file), its position in a JSON array. */
export interface ReleaseRowError {
  line: number | null;
  index?: number;
  kb: string | null;
  errors: FieldError[];
}

/** A refused file: VALIDATION_FAILED with every bad row in details.rows (and flattened in details.fields). */
export class ReleaseImportError extends ValidationError {
  constructor(readonly rows: ReleaseRowError[]) {
    super(rows.flatMap((row) => row.errors.map((e) => ({ field: `${rowLabel(row)} ${e.field}`, message: e.message }))));
    const shown = rows.slice(0, 5).map((row) => `${rowLabel(row)}: ${row.errors.map((e) => `${e.field} ${e.message}`).join(', ')}`);
    const more = rows.length > shown.length ? `; and ${rows.length - shown.length} more` : '';
    this.message = `the file was not imported, ${rows.length} bad row${rows.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`;
    this.details.rows = rows;
  }
}

function rowLabel(row: ReleaseRowError): string {
  const where = row.line !== null ? `line ${row.line}` : `row ${row.index ?? '?'}`;
  return row.kb ? `${where} (${row.kb})` : where;
}

/** Parses a release file's text; throws ReleaseImportError naming every bad row. */
export function parseReleaseFile(text: string, format: ReleaseFileFormat): PatchDefinition[] {
  return format === 'csv' ? parseReleaseRows(parseReleaseCsv(text, RELEASE_ROW_FIELDS)) : parseReleaseRows(jsonRows(text));
}

/**
 * A REST body or gRPC request: `{ format, content }` with the file's text, or (REST) the JSON array itself.
 */
export function parseReleaseImportRequest(body: unknown): PatchDefinition[] {
  if (Array.isArray(body)) return parseReleaseRows(body.map((values, i) => ({ line: null, index: i + 1, values })));
  const errors: FieldError[] = [];
  if (!isPlainObject(body)) throw new ValidationError([{ field: 'body', message: 'must be {"format": "json"|"csv", "content": "<file text>"} or a JSON array of releases' }]);
  for (const key of Object.keys(body)) if (key !== 'format' && key !== 'content') errors.push({ field: key, message: 'is not a known field' });
  const { format, content } = body;
  if (typeof format !== 'string' || !(RELEASE_FILE_FORMATS as readonly string[]).includes(format)) {
    errors.push({ field: 'format', message: `must be one of ${RELEASE_FILE_FORMATS.join(', ')}` });
  }
  if (typeof content !== 'string' || content.trim() === '') errors.push({ field: 'content', message: 'must be the text of a release file' });
  if (errors.length > 0) throw new ValidationError(errors);
  return parseReleaseFile(content as string, format as ReleaseFileFormat);
}

/** Checks every row and the file as a whole (no KB twice); returns the releases in file order. */
export function parseReleaseRows(rows: SourceRow[]): PatchDefinition[] {
  const refused: ReleaseRowError[] = [];
  const definitions: PatchDefinition[] = [];
  const seen = new Map<string, SourceRow>();
  for (const row of rows) {
    const kb = isPlainObject(row.values) && typeof row.values.kb === 'string' ? row.values.kb : null;
    const errors: FieldError[] = [...(row.problems ?? [])];
    try {
      if (row.values !== undefined) definitions.push(releaseRowToDefinition(row.values));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      errors.push(...error.fieldErrors.filter((e) => !errors.some((known) => known.field === e.field && known.message === e.message)));
    }
    const earlier = kb === null ? undefined : seen.get(kb);
    if (earlier) errors.push({ field: 'kb', message: `repeats ${kb} of ${earlier.line !== null ? `line ${earlier.line}` : `row ${earlier.index}`}` });
    else if (kb !== null) seen.set(kb, row);
    if (errors.length > 0) refused.push({ line: row.line, ...(row.index !== undefined ? { index: row.index } : {}), kb, errors });
  }
  if (rows.length === 0) refused.push({ line: null, kb: null, errors: [{ field: 'file', message: 'has no releases' }] });
  if (refused.length > 0) throw new ReleaseImportError(refused);
  return definitions;
}

/**
 * One row of the file as a release: kb is the patchId, products are `product` and `sharedWith`, a date is
 * midnight UTC, an absent date is the month's Patch Tuesday, absent architectures are both, absent CVEs none,
 * absent builds none known yet. Errors name the row's columns, not the definition's fields.
 */
export function releaseRowToDefinition(values: unknown): PatchDefinition {
  if (!isPlainObject(values)) throw new ValidationError([{ field: 'row', message: 'must be an object' }]);
  const errors: FieldError[] = [];
  for (const key of Object.keys(values)) {
    if (!(RELEASE_ROW_FIELDS as readonly string[]).includes(key)) errors.push({ field: key, message: 'is not a known field' });
  }
  const present = (key: string) => values[key] !== undefined && values[key] !== null;
  const sharedWith = present('sharedWith') ? values.sharedWith : [];
  if (!Array.isArray(sharedWith)) errors.push({ field: 'sharedWith', message: 'must be a list' });
  if (!present('product')) errors.push({ field: 'product', message: 'is required' });
  const releasedAt = present('releasedAt') ? releaseTime(values.releasedAt) : patchTuesdayOf(values.month, errors);
  const input: Record<string, unknown> = {
    patchId: values.kb,
    kind: values.kind,
    releasedAt,
    products: present('product') && Array.isArray(sharedWith) ? [values.product, ...(sharedWith as unknown[])] : undefined,
    builds: present('builds') ? values.builds : {},
    architectures: present('architectures') ? values.architectures : DEFAULT_ARCHITECTURES,
    baselineKb: values.baselineKb,
    cves: present('cves') ? values.cves : [],
    supersedes: values.supersedes,
    replaces: values.replaces,
  };
  let definition: PatchDefinition | null = null;
  try {
    definition = parsePatchDefinition(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    // An absent releasedAt or products was reported above, by the column that caused it.
    const reported = error.fieldErrors.filter((e) => !((e.field === 'releasedAt' && releasedAt === undefined) || (e.field === 'products' && input.products === undefined)));
    errors.push(...reported.map((e) => asRowError(e, values.releasedAt)));
  }
  if (definition === null || errors.length > 0) throw new ValidationError(errors);
  return definition;
}

/** A definition field's error as the row's column: patchId is kb, products are product and sharedWith. */
function asRowError(error: FieldError, rawReleasedAt: unknown): FieldError {
  if (error.field === 'patchId') return { ...error, field: 'kb' };
  if (error.field === 'products[0]') return { ...error, field: 'product' };
  const shared = /^products\[(\d+)\]$/.exec(error.field);
  if (shared) return { ...error, field: `sharedWith[${Number(shared[1]) - 1}]` };
  if (error.field === 'products') return { ...error, field: 'sharedWith' };
  if (error.field === 'releasedAt' && rawReleasedAt !== undefined) {
    return { field: 'releasedAt', message: 'must be a date such as "2025-01-14" or an ISO 8601 time with a zone' };
  }
  return error;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** A day is the release's day at midnight UTC: the files give the day, not the hour. */
function releaseTime(value: unknown): unknown {
  return typeof value === 'string' && DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value;
}

/** Where no source gave the day: the month's Patch Tuesday (its second Tuesday), midnight UTC. */
export function patchTuesdayOf(month: unknown, errors: FieldError[] = []): string | undefined {
  const match = typeof month === 'string' ? MONTH.exec(month) : null;
  if (!match) {
    errors.push(
      month === undefined || month === null
        ? { field: 'releasedAt', message: 'is required where month is absent' }
        : { field: 'month', message: 'must be a month such as "2025-01"' },
    );
    return undefined;
  }
  const firstWeekday = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)).getUTCDay();
  const firstTuesday = 1 + ((2 - firstWeekday + 7) % 7);
  return `${month}-${String(firstTuesday + 7).padStart(2, '0')}T00:00:00Z`;
}

/** A JSON file's rows with their 1-based index and the line each object starts on. */
function jsonRows(text: string): SourceRow[] {
  const source = text.replace(/^\uFEFF/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const line = position === undefined ? (Number(/line (\d+)/.exec((error as Error).message)?.[1]) || null) : lineAt(source, Number(position));
    throw new ReleaseImportError([{ line, kb: null, errors: [{ field: 'file', message: `is not valid JSON (${(error as Error).message})` }] }]);
  }
  if (!Array.isArray(parsed)) throw new ReleaseImportError([{ line: 1, kb: null, errors: [{ field: 'file', message: 'must be a JSON array of releases' }] }]);
  const lines = elementLines(source);
  return parsed.map((values, i) => ({ line: lines[i] ?? null, index: i + 1, values }));
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i += 1) if (text[i] === '\n') line += 1;
  return line;
}

/** The line on which each element of the top-level array starts (the text is valid JSON). */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectingElement = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '\n') line += 1;
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
      continue;
    }
    if (/\s/.test(c)) continue;
    if (depth === 1 && expectingElement && c !== ']') {
      lines.push(line);
      expectingElement = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth += 1;
      if (depth === 1) expectingElement = true;
    } else if (c === ']' || c === '}') depth -= 1;
    else if (c === ',' && depth === 1) expectingElement = true;
  }
  return lines;
}
