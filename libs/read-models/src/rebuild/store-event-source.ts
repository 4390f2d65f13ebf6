import { DataSource } from 'typeorm';
import { EventLog, PostgresEventStore, readStoreId } from '@patchstate/event-store';
import { toEnvelope } from '@patchstate/messaging';
import { EventSource, ReplayWindow, SourceBatch, SourceOpening, throwIfAborted } from './event-source';

/**
 * Reads the event store's log in global position order, one page at a time. The end is the last position
 * seen at open: positions are gap-free and handed out in commit order, so everything up to it is a stable,
 * complete snapshot.
 */
export class StoreEventSource implements EventSource {
  readonly name = 'store';
  private lastPosition = '0';
  private readonly log: EventLog;

  constructor(
    private readonly db: DataSource,
    private readonly window: ReplayWindow = {},
    private readonly pageSize = 1000,
  ) {
    this.log = new EventLog(db);
  }

  async open(): Promise<SourceOpening> {
    let last = BigInt(await new PostgresEventStore(this.db).lastPosition());
    if (this.window.toPosition !== undefined && BigInt(this.window.toPosition) < last) last = BigInt(this.window.toPosition);
    this.lastPosition = String(last);
    const total = this.window.fromTime === undefined ? Number(last) : await this.log.count({ to: this.lastPosition, fromTime: this.window.fromTime });
    return { total, end: { position: this.lastPosition } };
  }

  async read(handle: (batch: SourceBatch) => Promise<void>, signal?: AbortSignal): Promise<{ unreadable: number }> {
    // Stamped like the relay stamps what it publishes: the engine applies only this store's events.
    const storeId = await readStoreId(this.db);
    throwIfAborted(signal);
    for await (const page of this.log.readAll({ to: this.lastPosition, fromTime: this.window.fromTime }, this.pageSize)) {
      await handle({ envelopes: page.map((event) => toEnvelope(event, event.streamType, storeId)), passedOver: 0 });
      throwIfAborted(signal);
    }
    return { unreadable: 0 };
  }
}
