import { DataSource } from 'typeorm';
import { RecordedEvent } from '@patchstate/domain';
import { EVENT_COLUMNS, StreamType, toRecordedEvent } from './event-store';

/** A recorded event with the type of its stream, which whoever publishes or replays it needs. */
export type LoggedEvent = RecordedEvent & { readonly streamType: string };

export type LoggedEventRow = Parameters<typeof toRecordedEvent>[0] & { stream_type: string };

/** Which part of the whole log to read; every bound is optional and they combine. */
export interface LogFilter {
  /** Only events after this global position (exclusive). */
  after?: string;
  /** Only events up to this global position (inclusive). */
  to?: string;
  /** Only events recorded (accepted by the service) at or after this time. */
  fromTime?: Date;
  /** Only events recorded at or before this time. */
  toTime?: Date;
  streamType?: StreamType;
  /** Only events of these types. */
  types?: readonly string[];
  /** Only events of these streams. */
  streamIds?: readonly string[];
}

const DEFAULT_PAGE = 1000;

/** `e.position, e.stream_id, ...`: the columns a LoggedEvent is built from, for queries that join the log. */
export const LOGGED_COLUMNS = `${EVENT_COLUMNS.split(', ').map((column) => `e.${column}`).join(', ')}, e.stream_type`;

/**
 * The whole log in global position order. Positions are gap-free and handed out in commit order, so a reader
 * that pages by "after the last position seen" misses nothing and sees nothing twice; memory stays bounded by
 * the page size whatever the size of the log.
 */
export class EventLog {
  constructor(private readonly db: DataSource) {}

  /** Pages of at most `pageSize` events, in position order, until the filter's end. */
  async *readAll(filter: LogFilter = {}, pageSize = DEFAULT_PAGE): AsyncGenerator<LoggedEvent[]> {
    let after = filter.after ?? '0';
    for (;;) {
      const { sql, params } = where({ ...filter, after });
      params.push(Math.max(1, Math.floor(pageSize)));
      const rows: LoggedEventRow[] = await this.db.query(
        `SELECT ${LOGGED_COLUMNS} FROM events e WHERE ${sql} ORDER BY e.position LIMIT $${params.length}`,
        params,
      );
      if (rows.length === 0) return;
      yield rows.map(toLoggedEvent);
      if (rows.length < pageSize) return;
      after = String(rows[rows.length - 1].position);
    }
  }

  /** How many events the filter selects (a replay's total for its progress). */
  async count(filter: LogFilter = {}): Promise<number> {
    const { sql, params } = where(filter);
    const [{ n }]: { n: string }[] = await this.db.query(`SELECT count(*) AS n FROM events e WHERE ${sql}`, params);
    return Number(n);
  }
}

export function toLoggedEvent(row: LoggedEventRow): LoggedEvent {
  return { ...toRecordedEvent(row), streamType: row.stream_type };
}

function where(filter: LogFilter): { sql: string; params: unknown[] } {
  const conditions: string[] = ['true'];
  const params: unknown[] = [];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  if (filter.after !== undefined) add((p) => `e.position > ${p}`, filter.after);
  if (filter.to !== undefined) add((p) => `e.position <= ${p}`, filter.to);
  if (filter.fromTime !== undefined) add((p) => `e.recorded_at >= ${p}`, filter.fromTime.toISOString());
  if (filter.toTime !== undefined) add((p) => `e.recorded_at <= ${p}`, filter.toTime.toISOString());
  if (filter.streamType !== undefined) add((p) => `e.stream_type = ${p}`, filter.streamType);
  if (filter.types !== undefined) add((p) => `e.type = ANY(${p}::text[])`, filter.types);
  if (filter.streamIds !== undefined) add((p) => `e.stream_id = ANY(${p}::text[])`, filter.streamIds);
  return { sql: conditions.join(' AND '), params };
}
