import { DataSource } from 'typeorm';
import { EVENT_COLUMNS, readStoreId, toRecordedEvent } from '@patchstate/event-store';
import { toEnvelope } from '@patchstate/messaging';
import { EventSource, ReplayWindow, SourceBatch, SourceOpening, throwIfAborted } from './event-source';

type EventRow = Parameters<typeof toRecordedEvent>[0] & { stream_type: string };

/**
 * Reads the event store in global position order, one page at a time (memory stays bounded whatever the
 * size of the log). Positions are gap-free and handed out in commit order, so "everything up to the last
 * position seen at open" is a stable, complete snapshot.
 */
export class StoreEventSource implements EventSource {
  readonly name = 'store';
  private lastPosition = '0';

  constructor(
    private readonly db: DataSource,
    private readonly window: ReplayWindow = {},
    private readonly pageSize = 1000,
  ) {}

  async open(): Promise<SourceOpening> {
    const [{ last_position }]: { last_position: string }[] = await this.db.query('SELECT last_position FROM event_store_position');
    let last = BigInt(last_position);
    if (this.window.toPosition !== undefined && BigInt(this.window.toPosition) < last) last = BigInt(this.window.toPosition);
    this.lastPosition = String(last);
    let total = Number(last);
    if (this.window.fromTime !== undefined) {
      const [{ n }]: { n: string }[] = await this.db.query(
        'SELECT count(*) AS n FROM events WHERE position <= $1 AND recorded_at >= $2',
        [this.lastPosition, this.window.fromTime.toISOString()],
      );
      total = Number(n);
    }
    return { total, end: { position: this.lastPosition } };
  }

  async read(handle: (batch: SourceBatch) => Promise<void>, signal?: AbortSignal): Promise<{ unreadable: number }> {
    // Stamped like the relay stamps what it publishes: the engine applies only this store's events.
    const storeId = await readStoreId(this.db);
    const columns = `${EVENT_COLUMNS}, stream_type`;
    let after = '0';
    for (;;) {
      throwIfAborted(signal);
      const params: unknown[] = [after, this.lastPosition, this.pageSize];
      let timeCondition = '';
      if (this.window.fromTime !== undefined) {
        params.push(this.window.fromTime.toISOString());
        timeCondition = `AND recorded_at >= $${params.length}`;
      }
      const rows: EventRow[] = await this.db.query(
        `SELECT ${columns} FROM events WHERE position > $1 AND position <= $2 ${timeCondition} ORDER BY position LIMIT $3`,
        params,
      );
      if (rows.length === 0) return { unreadable: 0 };
      await handle({ envelopes: rows.map((row) => toEnvelope(toRecordedEvent(row), row.stream_type, storeId)), passedOver: 0 });
      after = String(rows[rows.length - 1].position);
      if (rows.length < this.pageSize) return { unreadable: 0 };
    }
  }
}
