import { DataSource } from 'typeorm';
import { Actor, DomainError, RecordedEvent, deviceStreamId } from '@patchstate/domain';
import { ChainVerification, EventLog, LogFilter, verifyHashChains } from '@patchstate/event-store';
import { Page, encodeCursor } from '../paging/page';
import { AuditLogFilter, TimelineFilter } from './audit-filters';

/** One recorded event as auditors read it: what happened, who said so, when, and the links of its hash chain. */
export interface AuditEvent {
  /** Global, gap-free, commit-ordered position (a bigint, as text). */
  position: string;
  streamId: string;
  /** The event's version within its stream: 1 for the first event. */
  version: number;
  eventId: string;
  type: string;
  /** When it happened on the device or in the operator's world, as the caller reported it. */
  occurredAt: string;
  /** When the service accepted it: the time the from/to filters use. */
  recordedAt: string;
  actor: Actor;
  correlationId: string;
  causationId: string | null;
  data: unknown;
  hash: string;
  prevHash: string | null;
}

/**
 * Rows read per query while streaming: what a stream holds in memory at once, whatever the selection's
 * size. Small enough to stay light, large enough that a 10,000-event stream takes 20 round trips.
 */
export const STREAM_PAGE_SIZE = 500;

/**
 * Audit queries answer from the event store itself, not from a projection: a timeline or an audit log is
 * the log, and its hash chain is what makes it trustworthy. Pages use keyset cursors (stream version for a
 * timeline, global position for the audit log), so paging is stable while new events are appended; the
 * streaming variants read page by page and hold one page at most.
 */
export class AuditQueries {
  private readonly log: EventLog;

  constructor(private readonly db: DataSource) {
    this.log = new EventLog(db);
  }

  /** One page of a device's events, oldest first. DEVICE_NOT_FOUND when the device has no stream at all. */
  async timeline(filter: TimelineFilter, limit: number, afterVersion: number | null): Promise<Page<AuditEvent>> {
    const streamId = await this.requireDeviceStream(filter.deviceId);
    const rows = await this.timelineRows(streamId, filter, afterVersion ?? 0, null, limit + 1);
    const items = rows.slice(0, limit).map(toAuditEvent);
    return { items, nextCursor: rows.length > limit ? timelineCursor(items[items.length - 1]) : null };
  }

  /**
   * Every event of the selection, oldest first, read page by page: the caller pulls, so a slow consumer
   * slows the reads instead of filling memory. The selection ends at the stream's version when the stream
   * starts, so it is one consistent snapshot that ends even while the device keeps reporting.
   */
  async *streamTimeline(filter: TimelineFilter, afterVersion: number | null): AsyncGenerator<AuditEvent> {
    const streamId = await this.requireDeviceStream(filter.deviceId);
    const head = await this.log.streamVersion(streamId);
    let after = afterVersion ?? 0;
    for (;;) {
      const rows = await this.timelineRows(streamId, filter, after, head, STREAM_PAGE_SIZE);
      for (const row of rows) yield toAuditEvent(row);
      if (rows.length < STREAM_PAGE_SIZE) return;
      after = rows[rows.length - 1].version;
    }
  }

  /** One page of the fleet audit log, in global position order. */
  async auditLog(filter: AuditLogFilter, limit: number, afterPosition: string | null): Promise<Page<AuditEvent>> {
    const rows = await this.auditLogRows(filter, afterPosition ?? '0', null, limit + 1);
    const items = rows.slice(0, limit).map(toAuditEvent);
    return { items, nextCursor: rows.length > limit ? auditLogCursor(items[items.length - 1]) : null };
  }

  /** The whole audit log selection, page by page, up to the position that was newest when it started. */
  async *streamAuditLog(filter: AuditLogFilter, afterPosition: string | null): AsyncGenerator<AuditEvent> {
    const upTo = await this.log.lastPosition();
    let after = afterPosition ?? '0';
    for (;;) {
      const rows = await this.auditLogRows(filter, after, upTo, STREAM_PAGE_SIZE);
      for (const row of rows) yield toAuditEvent(row);
      if (rows.length < STREAM_PAGE_SIZE) return;
      after = rows[rows.length - 1].position;
    }
  }

  /** Recomputes the hash chains of one device's stream, or of every stream when no device is named. */
  async verify(deviceId?: string): Promise<ChainVerification> {
    if (deviceId === undefined) return verifyHashChains(this.db);
    return verifyHashChains(this.db, { streamId: await this.requireDeviceStream(deviceId) });
  }

  private async requireDeviceStream(deviceId: string): Promise<string> {
    const streamId = deviceStreamId(deviceId);
    if ((await this.log.streamVersion(streamId)) === 0) {
      throw new DomainError('DEVICE_NOT_FOUND', `device ${deviceId} has no recorded events`, { deviceId });
    }
    return streamId;
  }

  private timelineRows(
    streamId: string,
    filter: TimelineFilter,
    afterVersion: number,
    upToVersion: number | null,
    limit: number,
  ): Promise<RecordedEvent[]> {
    const bounds = { streamIds: [streamId], afterVersion, ...(upToVersion !== null ? { toVersion: upToVersion } : {}) };
    // One stream's positions follow its versions: the log's position order is the timeline's version order.
    return this.log.readPage({ ...bounds, ...timeAndType(filter) }, limit);
  }

  private auditLogRows(filter: AuditLogFilter, afterPosition: string, upToPosition: string | null, limit: number): Promise<RecordedEvent[]> {
    const bounds = { after: afterPosition, ...(upToPosition !== null ? { to: upToPosition } : {}) };
    return this.log.readPage({ ...bounds, ...(filter.actor !== undefined ? { actor: filter.actor } : {}), ...timeAndType(filter) }, limit);
  }
}

/** The cursor that continues a timeline after this event (the same one a page's nextCursor carries). */
export function timelineCursor(event: Pick<AuditEvent, 'version'>): string {
  return encodeCursor({ afterVersion: event.version });
}

/** The cursor that continues the audit log after this event. */
export function auditLogCursor(event: Pick<AuditEvent, 'position'>): string {
  return encodeCursor({ afterPosition: event.position });
}

/** An audit range (`from` inclusive, `to` exclusive, on recordedAt) and its types (none given: every type). */
function timeAndType(filter: { from?: string; to?: string; types?: readonly string[] }): LogFilter {
  return {
    ...(filter.from !== undefined ? { fromTime: filter.from } : {}),
    ...(filter.to !== undefined ? { beforeTime: filter.to } : {}),
    ...(filter.types !== undefined && filter.types.length > 0 ? { types: filter.types } : {}),
  };
}

function toAuditEvent(row: RecordedEvent): AuditEvent {
  const { metadata } = row;
  return {
    position: row.position,
    streamId: row.streamId,
    version: row.version,
    // The hashed metadata's id: verify checks that the event_id column agrees with it.
    eventId: metadata.eventId,
    type: row.type,
    // The hashed metadata keeps the times exactly as recorded; the timestamptz columns are copies for indexing.
    occurredAt: metadata.occurredAt,
    recordedAt: metadata.recordedAt,
    actor: metadata.actor,
    correlationId: metadata.correlationId,
    causationId: metadata.causationId ?? null,
    data: row.data,
    hash: row.hash,
    prevHash: row.prevHash,
  };
}
