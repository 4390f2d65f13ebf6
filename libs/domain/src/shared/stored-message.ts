import { RecordedEvent } from './messages';

/** An event as stored: its type, the schema version its data was written at, and the data in that shape. */
export interface StoredMessage {
  type: string;
  schemaVersion: number;
  data: unknown;
}

/** What an upcaster reads of a recorded event (the version is in its hashed metadata). */
export function storedMessage(event: RecordedEvent): StoredMessage {
  return { type: event.type, schemaVersion: event.metadata.schemaVersion, data: event.data };
}
