import { ExportRecord, exportRecords } from '../src/export-records';

const read = async (chunks: string[]): Promise<ExportRecord[]> => {
  const records: ExportRecord[] = [];
  for await (const record of exportRecords(chunks)) records.push(record);
  return records;
};

/** Splits a text into chunks of every size, so a record is read the same wherever a chunk boundary falls. */
const everySplit = (text: string) => Array.from({ length: 7 }, (_, n) => text.match(new RegExp(`[\\s\\S]{1,${n + 1}}`, 'g')) ?? []);

describe('export records: CSV and JSON read as they stream', () => {
  it('reads CSV records by the header, with quoted commas, quotes and line breaks, whatever the chunking', async () => {
    const csv = '\uFEFFDeviceName,OSBuild\r\n"a,b",10.0.26100.1\r\n\r\n"say ""hi""\nthere",10.0.26100.2\n';
    for (const chunks of everySplit(csv)) {
      expect(await read(chunks)).toEqual([
        { line: 2, values: { DeviceName: 'a,b', OSBuild: '10.0.26100.1' } },
        { line: 4, values: { DeviceName: 'say "hi"\nthere', OSBuild: '10.0.26100.2' } },
      ]);
    }
  });

  it('reports a CSV row with the wrong number of cells by its line, and reads the next', async () => {
    expect(await read(['A,B\n1\n2,3'])).toEqual([
      { line: 2, values: null, problem: 'has 1 cells, the header has 2' },
      { line: 3, values: { A: '2', B: '3' } },
    ]);
  });

  it('reads a JSON array of objects by the line each starts on, with braces inside strings, whatever the chunking', async () => {
    const json = '[\n  {"A": "x}{", "B": [1, {"c": 2}]},\n  {"A": "y\\"}"}\n]\n';
    for (const chunks of everySplit(json)) {
      expect(await read(chunks)).toEqual([
        { line: 2, values: { A: 'x}{', B: [1, { c: 2 }] } },
        { line: 3, values: { A: 'y"}' } },
      ]);
    }
  });

  it('reports a broken JSON object and an unclosed one, and reads one object per line too', async () => {
    expect(await read(['{"A": 1}\n{"A": tru}\n{"A": 3'])).toEqual([
      { line: 1, values: { A: 1 } },
      { line: 2, values: null, problem: expect.stringMatching(/^is not valid JSON/) },
      { line: 3, values: null, problem: 'the object is not closed before the end of the file' },
    ]);
  });
});
