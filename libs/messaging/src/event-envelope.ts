import { EventMetadata, RecordedEvent } from '@patchstate/domain';

/**
 * What travels on the topic: the recorded event as stored, with its stream coordinates and hash chain, so a
 * consumer can apply it idempotently (by stream version) and check where it came from.
 */
export interface EventEnvelope {
  /** The event store that recorded it: projectors apply only their own store's events. */
  storeId?: string;
  eventId: string;
  type: string;
  schemaVersion: number;
  streamId: string;
  streamType: string;
  version: number;
  position: string;
  data: unknown;
  metadata: EventMetadata;
  hash: string;
  prevHash: string | null;
}

export function toEnvelope(event: RecordedEvent, streamType: string, storeId?: string): EventEnvelope {
  return {
    ...(storeId !== undefined ? { storeId } : {}),
    eventId: event.metadata.eventId,
    type: event.type,
    schemaVersion: event.metadata.schemaVersion,
    streamId: event.streamId,
    streamType,
    version: event.version,
    position: event.position,
    data: event.data,
    metadata: event.metadata,
    hash: event.hash,
    prevHash: event.prevHash,
  };
}

export function parseEnvelope(value: Buffer | null): EventEnvelope {
  if (value === null) throw new Error('message has no value');
  const parsed = JSON.parse(value.toString('utf8')) as Partial<EventEnvelope>;
  if (
    typeof parsed.eventId !== 'string' ||
    typeof parsed.type !== 'string' ||
    typeof parsed.streamId !== 'string' ||
    typeof parsed.version !== 'number' ||
    typeof parsed.position !== 'string'
  ) {
    throw new Error('message is not an event envelope');
  }
  return parsed as EventEnvelope;
}
