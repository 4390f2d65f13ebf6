import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DomainError,
  PatchDefinition,
  ReleaseImportError,
  ReleaseRowError,
  parseReleaseFile,
  parseReleaseImportRequest,
  patchTuesdayOf,
} from '@patchstate/domain';

const DATA_FILE = path.join(__dirname, '../../../../shared/data/windows-releases.json');
const realText = readFileSync(DATA_FILE, 'utf8');
const realRows = JSON.parse(realText) as Record<string, unknown>[];

const byKb = (definitions: PatchDefinition[], kb: string) => definitions.find((d) => d.patchId === kb);

/** The rows a refused file names, as { line, kb, fields }. */
function refusal(run: () => unknown): { error: ReleaseImportError; rows: { line: number | null; kb: string | null; fields: string[] }[] } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ReleaseImportError)) throw error;
    return { error, rows: (error.details.rows as ReleaseRowError[]).map((r) => ({ line: r.line, kb: r.kb, fields: r.errors.map((e) => e.field) })) };
  }
  throw new Error('the file was accepted');
}

const CSV_CELL = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** The rows as CSV: one column per OS version for builds, lists joined by `;`. */
function toCsv(rows: Record<string, unknown>[]): string {
  const columns = ['kb', 'month', 'releasedAt', 'kind', 'product', 'builds.24H2', 'builds.25H2', 'builds.26H2', 'builds.server', 'baselineKb', 'architectures', 'sharedWith', 'cves', 'source', 'confidence', 'notes'];
  const cell = (row: Record<string, unknown>, column: string): string => {
    const value = column.startsWith('builds.') ? (row.builds as Record<string, string> | undefined)?.[column.slice(7)] : row[column];
    if (value === undefined) return '';
    return CSV_CELL(Array.isArray(value) ? value.join(';') : String(value));
  };
  return [columns.join(','), ...rows.map((row) => columns.map((column) => cell(row, column)).join(','))].join('\r\n');
}

describe('parseReleaseFile: the real release data', () => {
  const definitions = parseReleaseFile(realText, 'json');

  it('imports all 68 releases, in file order', () => {
    expect(definitions).toHaveLength(68);
    expect(definitions.map((d) => d.patchId)).toEqual(realRows.map((row) => row.kb));
  });

  it('maps kb, product and sharedWith, the day, builds, the baseline and CVEs', () => {
    expect(byKb(definitions, 'KB5050009')).toEqual({
      patchId: 'KB5050009',
      kind: 'baseline',
      releasedAt: '2025-01-14T00:00:00Z',
      products: ['windows-11', 'windows-server-2025'],
      builds: { '24H2': '26100.2894' },
      architectures: ['x64', 'arm64'],
      baselineKb: null,
      baselineBuilds: {},
      cves: ['CVE-2025-21333', 'CVE-2025-21334'],
      supersedes: [],
      replaces: [],
    });
    expect(byKb(definitions, 'KB5052105')).toMatchObject({ kind: 'hotpatch', baselineKb: 'KB5050009', architectures: ['x64'], cves: [] });
  });

  it('imports rows without a day or builds: the Patch Tuesday of their month, no builds known, both architectures', () => {
    expect(byKb(definitions, 'KB5066360')).toMatchObject({ kind: 'oob-hotpatch', releasedAt: '2025-09-09T00:00:00Z', builds: {}, architectures: ['x64', 'arm64'] });
    expect(byKb(definitions, 'KB5122871')).toMatchObject({ releasedAt: '2026-09-08T00:00:00Z', builds: {}, products: ['windows-server-2025'] });
    expect(byKb(definitions, 'KB5084897')).toMatchObject({ releasedAt: '2026-03-16T00:00:00Z', builds: {}, baselineKb: 'KB5074109' });
  });
});

describe('patchTuesdayOf', () => {
  it.each([
    ['2025-01', '2025-01-14T00:00:00Z'],
    ['2025-04', '2025-04-08T00:00:00Z'],
    ['2025-09', '2025-09-09T00:00:00Z'],
    ['2026-09', '2026-09-08T00:00:00Z'],
    ['2024-10', '2024-10-08T00:00:00Z'],
  ])('%s is %s (the second Tuesday)', (month, expected) => {
    expect(patchTuesdayOf(month)).toBe(expected);
  });
});

describe('parseReleaseFile: CSV', () => {
  it('reads the real data written as CSV into the same releases (a round trip)', () => {
    expect(parseReleaseFile(toCsv(realRows), 'csv')).toEqual(parseReleaseFile(realText, 'json'));
  });

  it('takes one builds column of version=build entries and lists separated by | as well as ;', () => {
    const csv = [
      'kb,releasedAt,kind,product,builds,baselineKb,architectures,cves,notes',
      'KB5072033,2025-12-09,baseline,windows-11,24H2=26100.7462|25H2=26200.7462,,x64|arm64,CVE-2025-62221;CVE-2025-54100,"one, two"',
      'KB5073457,2026-01-13,hotpatch,windows-11, 24H2=26100.7623 ; 25H2=26200.7623 ,KB5072033,x64,,',
    ].join('\n');
    const [baseline, hotpatch] = parseReleaseFile(csv, 'csv');
    expect(baseline).toMatchObject({ builds: { '24H2': '26100.7462', '25H2': '26200.7462' }, architectures: ['x64', 'arm64'], cves: ['CVE-2025-62221', 'CVE-2025-54100'] });
    expect(hotpatch).toMatchObject({ builds: { '24H2': '26100.7623', '25H2': '26200.7623' }, baselineKb: 'KB5072033', cves: [] });
  });

  it('reports bad rows by their line (a quoted line break counts) and imports none of the file', () => {
    const csv = [
      'kb,releasedAt,kind,product,builds.24H2,notes',
      'KB5050009,2025-01-14,baseline,windows-11,26100.2894,"two',
      'lines"',
      'KB5052105,2025-02-30,hotpatch,windows-10,26200.3107,',
      'KB5051987,2025-02-11,lcu,windows-11,26100.3194,',
      'KB5051987,2025-02-11,lcu,windows-11,26100.3194',
    ].join('\n');
    const { error, rows } = refusal(() => parseReleaseFile(csv, 'csv'));
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(rows).toEqual([
      { line: 4, kb: 'KB5052105', fields: ['releasedAt', 'product', 'builds.24H2', 'baselineKb'] },
      { line: 6, kb: 'KB5051987', fields: ['row', 'kb'] },
    ]);
    expect(error.message).toContain('line 4 (KB5052105)');
    expect((error.details.rows as ReleaseRowError[])[1].errors).toContainEqual({ field: 'kb', message: 'repeats KB5051987 of line 5' });
  });

  it('refuses an unknown column, and a builds cell that is not version=build', () => {
    expect(refusal(() => parseReleaseFile('kb,kind,colour\nKB5050009,baseline,red', 'csv')).rows).toEqual([{ line: 1, kb: null, fields: ['header[3]'] }]);
    const bad = refusal(() => parseReleaseFile('kb,releasedAt,kind,product,builds\nKB5050009,2025-01-14,baseline,windows-11,26100.2894', 'csv'));
    expect(bad.rows).toEqual([{ line: 2, kb: 'KB5050009', fields: ['builds'] }]);
  });
});

describe('parseReleaseFile: JSON errors', () => {
  const good = realRows[0];

  it('names each bad row by its index and its line in the file, with every bad field, and imports none', () => {
    const rows = [good, { ...realRows[2], kind: 'patch', product: 'windows-12' }, realRows[1], { ...realRows[3], kb: '5053636', colour: 'red' }];
    const text = JSON.stringify(rows, null, 2);
    const { error } = refusal(() => parseReleaseFile(text, 'json'));
    const lines = text.split('\n');
    const lineOf = (kb: string) => lines.findIndex((l) => l.includes(`"kb": "${kb}"`));
    expect(error.details.rows).toEqual([
      {
        line: lineOf('KB5051987'),
        index: 2,
        kb: 'KB5051987',
        errors: [
          { field: 'kind', message: 'must be one of baseline, hotpatch, lcu, oob-hotpatch, oob-lcu' },
          { field: 'product', message: 'must be one of windows-11, windows-server-2022, windows-server-2025' },
        ],
      },
      { line: lineOf('5053636'), index: 4, kb: '5053636', errors: [{ field: 'colour', message: 'is not a known field' }, { field: 'kb', message: 'must match a KB number such as KB5050009' }] },
    ]);
    expect(error.details.fields).toContainEqual({ field: `line ${lineOf('KB5051987')} (KB5051987) kind`, message: expect.any(String) });
  });

  it('needs a day or a month, and a product', () => {
    const { rows } = refusal(() => parseReleaseFile(JSON.stringify([{ kb: 'KB5050009', kind: 'baseline' }, { kb: 'KB5050010', kind: 'lcu', month: '2025/01', product: 'windows-11' }]), 'json'));
    expect(rows).toEqual([
      { line: 1, kb: 'KB5050009', fields: ['product', 'releasedAt'] },
      { line: 1, kb: 'KB5050010', fields: ['month'] },
    ]);
  });

  it('refuses text that is not JSON, a value that is not an array, and an empty list', () => {
    expect(refusal(() => parseReleaseFile('[\n{"kb": "KB5050009",\n}]', 'json')).rows).toEqual([{ line: expect.any(Number), kb: null, fields: ['file'] }]);
    expect(refusal(() => parseReleaseFile('{"kb": "KB5050009"}', 'json')).rows).toEqual([{ line: 1, kb: null, fields: ['file'] }]);
    expect(refusal(() => parseReleaseFile('[]', 'json')).rows).toEqual([{ line: null, kb: null, fields: ['file'] }]);
    expect(refusal(() => parseReleaseFile('[1]', 'json')).rows).toEqual([{ line: 1, kb: null, fields: ['row'] }]);
  });
});

describe('parseReleaseImportRequest', () => {
  it('takes { format, content } or the JSON array itself', () => {
    expect(parseReleaseImportRequest({ format: 'json', content: realText })).toHaveLength(68);
    expect(parseReleaseImportRequest({ format: 'csv', content: toCsv(realRows.slice(0, 3)) })).toHaveLength(3);
    expect(parseReleaseImportRequest(realRows)).toEqual(parseReleaseFile(realText, 'json'));
  });

  it('names a bad array row by its index, and a bad envelope by its fields', () => {
    const { error } = refusal(() => parseReleaseImportRequest([good(), { ...good(), kb: 'KB5050010', kind: 'nope' }]));
    expect(error.details.rows).toEqual([{ line: null, index: 2, kb: 'KB5050010', errors: [expect.objectContaining({ field: 'kind' })] }]);
    expect(error.message).toContain('row 2 (KB5050010)');
    expect(() => parseReleaseImportRequest({ format: 'xml', content: '', extra: 1 })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: { fields: [expect.objectContaining({ field: 'extra' }), expect.objectContaining({ field: 'format' }), expect.objectContaining({ field: 'content' })] } }),
    );
  });

  function good() {
    return realRows[0];
  }
});
