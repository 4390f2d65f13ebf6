import { RecordedEvent } from './messages';
import { isPlainObject } from './validation';

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

/**
 * The checks every upcaster starts with, against its stream's schema table (which lists every event type of
 * the stream): a type of that stream, an object as data, a schema version from 1 to the newest this code
 * knows (a newer one is refused, not guessed). Answers the type, typed, and the version's newest number.
 * Whether the data has the fields of its (type, version) the upcaster then asserts: stored events passed the
 * decider's checks when written, and their hash chain tells if they were edited since.
 */
export function checkStoredVersion<T extends string>(
  stored: StoredMessage,
  versions: Readonly<Record<T, number>>,
  stream: string,
): { type: T; data: object; current: number } {
  const { type, schemaVersion, data } = stored;
  if (!isKnownType(versions, type) || !isPlainObject(data)) throw new Error(`not a ${stream} event: ${type}`);
  const current = versions[type];
  if (schemaVersion > current || schemaVersion < 1) {
    throw new Error(`${type} schema version ${schemaVersion} is not known to this code (newest: ${current})`);
  }
  return { type, data, current };
}

function isKnownType<T extends string>(versions: Readonly<Record<T, number>>, type: string): type is T {
  return Object.prototype.hasOwnProperty.call(versions, type);
}
