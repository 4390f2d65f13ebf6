import type { FieldError } from '../shared/domain-error';
import { OS_VERSIONS } from './os-version';

/** A row as read from a file, before it is checked: where it was, its values, what reading it found wrong. */
export interface SourceRow {
  /** The line the row starts on; null for rows that came as a request body, not a file. */
  line: number | null;
  /** JSON: the 1-based position of the object in the array. */
  index?: number;
  /** The row in the JSON shape; undefined for a problem with the file itself (its header). */
  values: unknown;
  problems?: FieldError[];
}

/** Columns holding lists: the entries are separated by `;` or `|` (a comma would split the cell). */
const LIST_COLUMNS = ['architectures', 'sharedWith', 'cves', 'supersedes', 'replaces'];
const LIST_SEPARATOR = /[;|]/;
const BUILDS_HINT = 'must be entries such as 24H2=26100.7392;25H2=26200.7392';

/**
 * Reads a CSV release file (RFC 4180: quoted cells may hold commas, quotes as "" and line breaks) into rows of
 * the JSON shape. The header names the columns: `knownColumns`, with the builds either in one `builds` column
 * (`24H2=26100.1;25H2=26200.1`) or one column per OS version (`builds.24H2`). An empty cell is an absent value.
 */
export function parseReleaseCsv(text: string, knownColumns: readonly string[]): SourceRow[] {
  const records = csvRecords(text.replace(/^\uFEFF/, '')).filter((record) => record.cells.some((cell) => cell.trim() !== ''));
  if (records.length === 0) return [];
  const [header, ...data] = records;
  const columns = header.cells.map((cell) => cell.trim());
  const problems = headerProblems(columns, knownColumns);
  if (header.problem) problems.push(header.problem);
  if (problems.length > 0) return [{ line: header.line, values: undefined, problems }];
  return data.map((record) => csvRow(record, columns));
}

function headerProblems(columns: string[], knownColumns: readonly string[]): FieldError[] {
  const allowed = [...knownColumns, ...OS_VERSIONS.map((version) => `builds.${version}`)];
  const problems: FieldError[] = [];
  columns.forEach((column, i) => {
    if (!allowed.includes(column)) problems.push({ field: `header[${i + 1}]`, message: `"${column}" is not a known column (${allowed.join(', ')})` });
    else if (columns.indexOf(column) !== i) problems.push({ field: `header[${i + 1}]`, message: `repeats the column "${column}"` });
  });
  if (!columns.includes('kb')) problems.push({ field: 'header', message: 'must name the kb column' });
  return problems;
}

function csvRow(record: CsvRecord, columns: string[]): SourceRow {
  const values: Record<string, unknown> = {};
  const problems: FieldError[] = record.problem ? [record.problem] : [];
  if (record.cells.length !== columns.length) {
    problems.push({ field: 'row', message: `has ${record.cells.length} cells, the header has ${columns.length}` });
  }
  const builds: Record<string, string> = {};
  const setBuild = (version: string, build: string, field: string) => {
    if (builds[version] !== undefined && builds[version] !== build) problems.push({ field, message: `gives a second build for ${version}` });
    builds[version] = build;
  };
  columns.forEach((column, i) => {
    const cell = (record.cells[i] ?? '').trim();
    if (cell === '') return;
    if (LIST_COLUMNS.includes(column)) {
      values[column] = cell.split(LIST_SEPARATOR).map((entry) => entry.trim()).filter((entry) => entry !== '');
    } else if (column === 'builds') {
      for (const entry of cell.split(LIST_SEPARATOR).map((e) => e.trim()).filter((e) => e !== '')) {
        const [version, build, ...rest] = entry.split('=').map((part) => part.trim());
        if (!version || !build || rest.length > 0) problems.push({ field: 'builds', message: BUILDS_HINT });
        else setBuild(version, build, 'builds');
      }
    } else if (column.startsWith('builds.')) {
      setBuild(column.slice('builds.'.length), cell, column);
    } else {
      values[column] = cell;
    }
  });
  if (Object.keys(builds).length > 0) values.builds = builds;
  return { line: record.line, values, ...(problems.length > 0 ? { problems } : {}) };
}

interface CsvRecord {
  line: number;
  cells: string[];
  problem?: FieldError;
}

/** RFC 4180 records, each with the line it starts on (a quoted line break moves later records down). */
function csvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line += 1;
        cell += c;
      }
    } else if (c === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      records.push({ line: start, cells: [...cells, cell] });
      cells = [];
      cell = '';
      line += 1;
      start = line;
    } else cell += c;
  }
  if (cell !== '' || cells.length > 0 || quoted) {
    const record: CsvRecord = { line: start, cells: [...cells, cell] };
    if (quoted) record.problem = { field: 'row', message: 'has a quoted cell that is never closed' };
    records.push(record);
  }
  return records;
}
