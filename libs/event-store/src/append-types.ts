import { EventMetadata, RecordedEvent } from '@patchstate/domain';

export type StreamType = 'device' | 'patch';

export const OUTBOX_CHANNEL = 'patchstate_outbox';
/** The schema version of an event whose writer names none: every event type starts at 1. */
export const CURRENT_SCHEMA_VERSION = 1;

export interface EventToAppend {
  type: string;
  data: unknown;
  metadata: Omit<EventMetadata, 'schemaVersion'>;
  /** The shape of `data` (the domain's `schemaVersionOf(type)`); readers upcast older versions. */
  schemaVersion?: number;
}

/**
 * A command's answer as the command handling describes it (`kind` names which answer); no transport's
 * status. Stored as JSON text, not jsonb, so a replay reads back the same keys in the same order.
 */
export interface StoredOutcome {
  readonly kind: string;
}

export interface IdempotencyRecord<O extends StoredOutcome = StoredOutcome> {
  key: string;
  requestHash: string;
  /** Builds the outcome from the append's result, so it is stored in the same transaction. */
  respond(result: AppendResult): O;
}

export interface AppendResult {
  streamId: string;
  /** The stream's version after the append. */
  version: number;
  /** The global position of the last appended event. */
  position: string;
  events: RecordedEvent[];
}

export class IdempotencyKeyTaken extends Error {
  constructor(readonly key: string) {
    super(`idempotency key ${key} was stored by a concurrent request`);
  }
}

/** One caller's append waiting for a group commit; exactly one of resolve or reject is called. */
export interface PendingAppend {
  streamId: string;
  streamType: StreamType;
  expectedVersion: number;
  events: readonly EventToAppend[];
  idempotency?: IdempotencyRecord;
  resolve(value: { result: AppendResult; outcome: StoredOutcome | null }): void;
  reject(error: unknown): void;
}
