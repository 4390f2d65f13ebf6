/** What happened to one row that did not simply apply: where it is, which device, and why. */
export interface RowReport {
  file: string;
  line: number;
  deviceId: string | null;
  outcome: 'skipped' | 'refused' | 'rejected';
  reason: string;
}

/** The summary of one WUfB import (docs/ingest.md): counts always, row reports up to REPORTED_ROWS. */
export interface IngestSummary {
  correlationId: string;
  rowsRead: number;
  /** Rows whose commands were appended (or that an earlier import of the same row already appended). */
  applied: number;
  devicesRegistered: number;
  eventsAppended: number;
  skipped: number;
  /** Unreadable rows and rows the service refused: nothing of them was applied. */
  refused: number;
  /** Hotpatches the service refused for the device and recorded as HotpatchRejected (counted in applied). */
  rejected: number;
  skippedByReason: Record<string, number>;
  rows: RowReport[];
  /** Row reports left out of `rows` to keep the summary small on a large file; the counts above include them. */
  rowsLeftOut: number;
  /** The global position of the last event appended (pass it as minPosition to read the import); null if none. */
  position: string | null;
}

/** Enough to name every problem of a bad export, not so many that a 100,000-row file fills memory with them. */
export const REPORTED_ROWS = 1000;

export function emptySummary(correlationId: string): IngestSummary {
  return {
    correlationId,
    rowsRead: 0,
    applied: 0,
    devicesRegistered: 0,
    eventsAppended: 0,
    skipped: 0,
    refused: 0,
    rejected: 0,
    skippedByReason: {},
    rows: [],
    rowsLeftOut: 0,
    position: null,
  };
}

/**
 * Counts a row report. Skip reasons are counted by their kind (the text before the first colon, without the
 * device's particulars), so a large export's summary stays a handful of lines.
 */
export function report(summary: IngestSummary, row: RowReport): void {
  if (row.outcome === 'skipped') {
    summary.skipped += 1;
    const kind = reasonKind(row.reason);
    summary.skippedByReason[kind] = (summary.skippedByReason[kind] ?? 0) + 1;
  } else if (row.outcome === 'refused') summary.refused += 1;
  else summary.rejected += 1;
  if (summary.rows.length < REPORTED_ROWS) summary.rows.push(row);
  else summary.rowsLeftOut += 1;
}

function reasonKind(reason: string): string {
  const kind = reason.split(':')[0];
  return kind.replace(/KB\d+/g, 'KB').replace(/\d+\.\d+/g, 'build').trim();
}
