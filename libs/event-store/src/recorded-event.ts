import { EventMetadata, RecordedEvent } from '@patchstate/domain';

/** A row of `events` as the readers of this library select it (EVENT_COLUMNS). */
export interface EventRow {
  position: string;
  stream_id: string;
  version: number;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  hash: string;
  prev_hash: string | null;
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    streamId: row.stream_id,
    version: row.version,
    position: String(row.position),
    hash: row.hash,
    prevHash: row.prev_hash,
  };
}

export const EVENT_COLUMNS = 'position, stream_id, version, type, data, metadata, hash, prev_hash';
