/** One record of an export: the line it starts on, its cells by column name, or why it cannot be read. */
export interface ExportRecord {
  line: number;
  values: Record<string, unknown> | null;
  problem?: string;
}

/**
 * Reads a Log Analytics export as it streams in, one record at a time, so memory stays flat however long the
 * file is: CSV (RFC 4180, a header row naming the columns) or JSON (an array of objects, or one object per
 * line). The format is told by the first character: `[` or `{` is JSON, anything else CSV. A UTF-8 byte order
 * mark is skipped; blank CSV lines are skipped.
 */
export async function* exportRecords(chunks: AsyncIterable<string | Buffer> | Iterable<string>): AsyncGenerator<ExportRecord> {
  let reader: RecordReader | null = null;
  for await (const chunk of chunks) {
    let text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (reader === null) {
      text = text.replace(/^\uFEFF/, '');
      const first = /\S/.exec(text)?.[0];
      if (first === undefined) continue;
      reader = first === '[' || first === '{' ? new JsonRecords() : new CsvRecords();
    }
    yield* reader.push(text);
  }
  if (reader !== null) yield* reader.end();
}

interface RecordReader {
  push(text: string): Generator<ExportRecord>;
  end(): Generator<ExportRecord>;
}

/** An RFC 4180 reader that keeps only the record being read between chunks. */
class CsvRecords implements RecordReader {
  private header: string[] | null = null;
  private cells: string[] = [];
  private cell = '';
  private quoted = false;
  private afterQuote = false;
  private pendingCr = false;
  private line = 1;
  private start = 1;

  *push(text: string): Generator<ExportRecord> {
    for (let i = 0; i < text.length; i += 1) {
      const c = text[i];
      if (this.pendingCr) {
        this.pendingCr = false;
        if (c === '\n') continue;
      }
      if (this.quoted) {
        if (c === '"') {
          this.quoted = false;
          this.afterQuote = true;
        } else {
          if (c === '\n') this.line += 1;
          this.cell += c;
        }
      } else if (c === '"' && this.afterQuote) {
        // "" inside a quoted cell: the quote closed a moment ago and opens again with a literal quote.
        this.cell += '"';
        this.quoted = true;
        this.afterQuote = false;
      } else if (c === '"' && this.cell.trim() === '') {
        this.quoted = true;
        this.cell = '';
      } else if (c === ',') {
        this.cells.push(this.cell);
        this.cell = '';
        this.afterQuote = false;
      } else if (c === '\n' || c === '\r') {
        this.pendingCr = c === '\r';
        const record = this.finish();
        this.line += 1;
        this.start = this.line;
        if (record) yield record;
      } else {
        this.cell += c;
        this.afterQuote = false;
      }
    }
  }

  *end(): Generator<ExportRecord> {
    const unterminated = this.quoted;
    const record = this.cells.length > 0 || this.cell !== '' ? this.finish() : null;
    if (record && unterminated) yield { line: record.line, values: null, problem: 'a quoted cell is not closed before the end of the file' };
    else if (record) yield record;
    if (this.header === null) yield { line: 1, values: null, problem: 'the file has no header row naming the columns' };
  }

  private finish(): ExportRecord | null {
    const cells = [...this.cells, this.cell];
    this.cells = [];
    this.cell = '';
    this.afterQuote = false;
    if (cells.every((cell) => cell.trim() === '')) return null;
    if (this.header === null) {
      this.header = cells.map((cell) => cell.trim());
      return null;
    }
    if (cells.length !== this.header.length) {
      return { line: this.start, values: null, problem: `has ${cells.length} cells, the header has ${this.header.length}` };
    }
    const values: Record<string, unknown> = {};
    this.header.forEach((column, i) => {
      values[column] = cells[i];
    });
    return { line: this.start, values };
  }
}

/**
 * Splits a JSON array of objects (or objects one per line) into its top-level objects without building the
 * whole document: it tracks depth and strings, and parses each object once it closes.
 */
class JsonRecords implements RecordReader {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private buffer = '';
  private line = 1;
  private start = 1;
  private arrayOpen = false;

  *push(text: string): Generator<ExportRecord> {
    for (let i = 0; i < text.length; i += 1) {
      const c = text[i];
      if (this.depth > 0) this.buffer += c;
      if (c === '\n') this.line += 1;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"' && this.depth > 0) this.inString = true;
      else if (c === '{' || (c === '[' && this.depth > 0)) {
        if (this.depth === 0) {
          this.buffer = c;
          this.start = this.line;
        }
        this.depth += 1;
      } else if (c === '}' || (c === ']' && this.depth > 0)) {
        this.depth -= 1;
        if (this.depth === 0) yield this.parse();
      } else if (this.depth === 0 && c === '[' && !this.arrayOpen) this.arrayOpen = true;
      else if (this.depth === 0 && !/[\s,\]]/.test(c)) this.badOutside(c);
    }
  }

  *end(): Generator<ExportRecord> {
    if (this.depth > 0) yield { line: this.start, values: null, problem: 'the object is not closed before the end of the file' };
    if (this.outside !== null) yield this.outside;
  }

  private outside: ExportRecord | null = null;

  /** Text between objects other than commas and brackets: reported once, at the end, with its line. */
  private badOutside(c: string): void {
    this.outside ??= { line: this.line, values: null, problem: `unexpected ${JSON.stringify(c)} between the objects` };
  }

  private parse(): ExportRecord {
    const text = this.buffer;
    this.buffer = '';
    try {
      const value = JSON.parse(text) as unknown;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return { line: this.start, values: null, problem: 'is not an object' };
      return { line: this.start, values: value as Record<string, unknown> };
    } catch (error) {
      return { line: this.start, values: null, problem: `is not valid JSON: ${(error as Error).message}` };
    }
  }
}
