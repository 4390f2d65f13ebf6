import { DataSource, QueryRunner } from 'typeorm';
import { RecordedEvent } from '@patchstate/domain';
import { StreamType } from './append-types';
import { EVENT_COLUMNS, toRecordedEvent } from './recorded-event';

/** A recorded event with the type of its stream, which whoever publishes or replays it needs. */
export type LoggedEvent = RecordedEvent & { readonly streamType: string };

export type LoggedEventRow = Parameters<typeof toRecordedEvent>[0] & { stream_type: string };

/**
 * A time bound: a Date, or an ISO 8601 string handed to Postgres as written (it keeps microseconds and the
 * zone the caller gave, which a Date would round to milliseconds).
 */
export type LogTime = Date | string;

/** Which part of the whole log to read; every bound is optional and they combine. */
export interface LogFilter {
  /** Only events after this global position (exclusive). */
  after?: string;
  /** Only events up to this global position (inclusive). */
  to?: string;
  /** Only events recorded (accepted by the service) at or after this time. */
  fromTime?: LogTime;
  /** Only events recorded at or before this time. */
  toTime?: LogTime;
  /** Only events recorded strictly before this time (an audit range's exclusive end). */
  beforeTime?: LogTime;
  streamType?: StreamType;
  /** Only events of these types. */
  types?: readonly string[];
  /** Only events of these streams. */
  streamIds?: readonly string[];
  /** Only events after / up to this version of their stream (with one stream: a stretch of it). */
  afterVersion?: number;
  toVersion?: number;
  /** Only events recorded on behalf of this actor id (`metadata.actor.id`). */
  actor?: string;
}

const DEFAULT_PAGE = 1000;

/** `e.position, e.stream_id, ...`: the columns a LoggedEvent is built from, for queries that join the log. */
export const LOGGED_COLUMNS = `${EVENT_COLUMNS.split(', ').map((column) => `e.${column}`).join(', ')}, e.stream_type`;

/**
 * The whole log in global position order. Positions are gap-free and handed out in commit order, so a reader
 * that pages by "after the last position seen" misses nothing and sees nothing twice; memory stays bounded by
 * the page size whatever the size of the log. Built on a QueryRunner, it reads inside that transaction (and
 * its snapshot, e.g. a REPEATABLE READ one).
 */
export class EventLog {
  constructor(private readonly db: DataSource | QueryRunner) {}

  /** Pages of at most `pageSize` events, in position order, until the filter's end. */
  async *readAll(filter: LogFilter = {}, pageSize = DEFAULT_PAGE): AsyncGenerator<LoggedEvent[]> {
    let after = filter.after ?? '0';
    for (;;) {
      const page = await this.readPage({ ...filter, after }, pageSize);
      if (page.length === 0) return;
      yield page;
      if (page.length < pageSize) return;
      after = page[page.length - 1].position;
    }
  }

  /** The first `limit` events of the filter, in position order: one page, for a caller that keeps the cursor. */
  async readPage(filter: LogFilter, limit: number): Promise<LoggedEvent[]> {
    const { sql, params } = where(filter);
    params.push(Math.max(1, Math.floor(limit)));
    const rows: LoggedEventRow[] = await this.db.query(
      `SELECT ${LOGGED_COLUMNS} FROM events e WHERE ${sql} ORDER BY e.position LIMIT $${params.length}`,
      params,
    );
    return rows.map(toLoggedEvent);
  }

  /**
   * The filter's events one stream after another (by stream id), each stream in version order, in pages: a
   * fold that keeps one stream's state at a time (an as-of read model) holds one stream, not all of them.
   */
  async *readByStream(filter: LogFilter = {}, pageSize = DEFAULT_PAGE): AsyncGenerator<LoggedEvent[]> {
    let after = { streamId: '', version: 0 };
    for (;;) {
      const { sql, params } = where(filter);
      params.push(after.streamId, after.version, Math.max(1, Math.floor(pageSize)));
      const n = params.length;
      const rows: LoggedEventRow[] = await this.db.query(
        `SELECT ${LOGGED_COLUMNS} FROM events e WHERE ${sql} AND (e.stream_id, e.version) > ($${n - 2}, $${n - 1})
         ORDER BY e.stream_id, e.version LIMIT $${n}`,
        params,
      );
      if (rows.length > 0) yield rows.map(toLoggedEvent);
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      after = { streamId: last.stream_id, version: last.version };
    }
  }

  /** How many events the filter selects (a replay's total for its progress). */
  async count(filter: LogFilter = {}): Promise<number> {
    const { sql, params } = where(filter);
    const [{ n }]: { n: string }[] = await this.db.query(`SELECT count(*) AS n FROM events e WHERE ${sql}`, params);
    return Number(n);
  }

  /** The position of the newest committed event ('0' for an empty log): where a snapshot of the log ends. */
  async lastPosition(): Promise<string> {
    const [{ last_position }]: { last_position: string }[] = await this.db.query('SELECT last_position FROM event_store_position');
    return String(last_position);
  }

  /** The version a stream is at (0: it has no events). */
  async streamVersion(streamId: string): Promise<number> {
    const rows: { version: number }[] = await this.db.query('SELECT version FROM streams WHERE stream_id = $1', [streamId]);
    return rows.length === 0 ? 0 : rows[0].version;
  }
}

export function toLoggedEvent(row: LoggedEventRow): LoggedEvent {
  return { ...toRecordedEvent(row), streamType: row.stream_type };
}

const time = (value: LogTime): string => (typeof value === 'string' ? value : value.toISOString());

function where(filter: LogFilter): { sql: string; params: unknown[] } {
  const conditions: string[] = ['true'];
  const params: unknown[] = [];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  if (filter.after !== undefined) add((p) => `e.position > ${p}`, filter.after);
  if (filter.to !== undefined) add((p) => `e.position <= ${p}`, filter.to);
  if (filter.fromTime !== undefined) add((p) => `e.recorded_at >= ${p}`, time(filter.fromTime));
  if (filter.toTime !== undefined) add((p) => `e.recorded_at <= ${p}`, time(filter.toTime));
  if (filter.beforeTime !== undefined) add((p) => `e.recorded_at < ${p}`, time(filter.beforeTime));
  if (filter.streamType !== undefined) add((p) => `e.stream_type = ${p}`, filter.streamType);
  if (filter.types !== undefined) add((p) => `e.type = ANY(${p}::text[])`, filter.types);
  if (filter.streamIds !== undefined) add((p) => `e.stream_id = ANY(${p}::text[])`, filter.streamIds);
  if (filter.afterVersion !== undefined) add((p) => `e.version > ${p}`, filter.afterVersion);
  if (filter.toVersion !== undefined) add((p) => `e.version <= ${p}`, filter.toVersion);
  if (filter.actor !== undefined) add((p) => `e.actor = ${p}`, filter.actor);
  return { sql: conditions.join(' AND '), params };
}
