import { DataSource, QueryRunner } from 'typeorm';
import { RecordedEvent } from '@patchstate/domain';
import { AppendResult, EventToAppend, IdempotencyRecord, StoredOutcome, StreamType } from './append-types';
import { EventLog } from './event-log';
import { EVENT_COLUMNS, EventRow, toRecordedEvent } from './recorded-event';
import { GroupCommit, GroupCommitOptions } from './group-commit';

export * from './append-types';
export * from './recorded-event';

/** Bounds of a stream read: events recorded up to a time (ISO 8601, as Postgres reads it) and/or up to a version. */
export interface StreamReadOptions {
  recordedUntil?: string;
  toVersion?: number;
}

/**
 * The Postgres event store: streams of events appended with optimistic concurrency, numbered by a global
 * commit-ordered position, chained by hashes, and copied into the outbox in the same transaction.
 */
export class PostgresEventStore {
  private readonly groupCommit: GroupCommit;

  constructor(
    private readonly db: DataSource,
    options: GroupCommitOptions = {},
  ) {
    this.groupCommit = new GroupCommit(db, options);
  }

  async readStream(streamId: string, options: StreamReadOptions = {}): Promise<{ version: number; events: RecordedEvent[] }> {
    const events = await this.selectStream(streamId, options, 0, null);
    return { version: events.length === 0 ? 0 : events[events.length - 1].version, events };
  }

  /** What readStream reads, a page at a time: a fold over a long stream holds one page, never the whole stream. */
  async *readStreamPages(streamId: string, options: StreamReadOptions = {}, pageSize = 1000): AsyncGenerator<RecordedEvent[]> {
    let afterVersion = 0;
    for (;;) {
      const page = await this.selectStream(streamId, options, afterVersion, pageSize);
      if (page.length > 0) yield page;
      if (page.length < pageSize) return;
      afterVersion = page[page.length - 1].version;
    }
  }

  private async selectStream(streamId: string, options: StreamReadOptions, afterVersion: number, limit: number | null): Promise<RecordedEvent[]> {
    const conditions = ['stream_id = $1', 'version > $2'];
    const params: unknown[] = [streamId, afterVersion];
    if (options.recordedUntil !== undefined) {
      params.push(options.recordedUntil);
      conditions.push(`recorded_at <= $${params.length}`);
    }
    if (options.toVersion !== undefined) {
      params.push(options.toVersion);
      conditions.push(`version <= $${params.length}`);
    }
    const rows: EventRow[] = await this.db.query(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY version${limit === null ? '' : ` LIMIT ${limit}`}`,
      params,
    );
    return rows.map(toRecordedEvent);
  }

  /**
   * Every event of one stream type after a position, in position order: positions are handed out in commit
   * order, so a reader that remembers the last position it saw misses nothing by asking for what follows.
   */
  async readByStreamType(streamType: StreamType, afterPosition = '0'): Promise<RecordedEvent[]> {
    const rows: EventRow[] = await this.db.query(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_type = $1 AND position > $2 ORDER BY position`,
      [streamType, afterPosition],
    );
    return rows.map(toRecordedEvent);
  }

  /**
   * Appends events when the stream is still at `expectedVersion`; otherwise throws VERSION_CONFLICT and
   * writes nothing. With an idempotency record, the response is stored in the same transaction. Concurrent
   * appends share one transaction (`GroupCommit`), each still checked and answered on its own.
   */
  async append<O extends StoredOutcome = StoredOutcome>(
    streamId: string,
    streamType: StreamType,
    expectedVersion: number,
    events: readonly EventToAppend[],
    idempotency?: IdempotencyRecord<O>,
  ): Promise<{ result: AppendResult; outcome: O | null }> {
    if (events.length === 0) throw new Error('append needs at least one event');
    return new Promise((resolve, reject) =>
      this.groupCommit.submit({
        streamId,
        streamType,
        expectedVersion,
        events,
        idempotency,
        resolve: (value) => resolve(value as { result: AppendResult; outcome: O | null }),
        reject,
      }),
    );
  }

  /** The outcome stored under an idempotency key, parsed as it was written (the caller checks its shape). */
  async findIdempotentOutcome(key: string): Promise<{ requestHash: string; outcome: unknown } | null> {
    const rows: { request_hash: string; outcome: string }[] = await this.db.query(
      'SELECT request_hash, outcome FROM idempotency_keys WHERE key = $1',
      [key],
    );
    if (rows.length === 0) return null;
    return { requestHash: rows[0].request_hash, outcome: JSON.parse(rows[0].outcome) as unknown };
  }

  /** The identity this store was born with; every published event carries it. */
  async storeId(): Promise<string> {
    return readStoreId(this.db);
  }

  async lastPosition(): Promise<string> {
    return new EventLog(this.db).lastPosition();
  }
}

export async function readStoreId(db: DataSource | QueryRunner): Promise<string> {
  const rows: { store_id: string }[] = await db.query('SELECT store_id FROM public.event_store_identity');
  if (rows.length === 0) throw new Error('the event store has no identity: run the migrations');
  return rows[0].store_id;
}
