import { DataSource, QueryRunner } from 'typeorm';
import { DomainError, EventMetadata, RecordedEvent } from '@patchstate/domain';
import { chainHash } from './hash-chain';

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

interface EventRow {
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

/**
 * The Postgres event store: streams of events appended with optimistic concurrency, numbered by a global
 * commit-ordered position, chained by hashes, and copied into the outbox in the same transaction.
 */
export class PostgresEventStore {
  constructor(private readonly db: DataSource) {}

  async readStream(
    streamId: string,
    options: { recordedUntil?: string; toVersion?: number } = {},
  ): Promise<{ version: number; events: RecordedEvent[] }> {
    const conditions = ['stream_id = $1'];
    const params: unknown[] = [streamId];
    if (options.recordedUntil !== undefined) {
      params.push(options.recordedUntil);
      conditions.push(`recorded_at <= $${params.length}`);
    }
    if (options.toVersion !== undefined) {
      params.push(options.toVersion);
      conditions.push(`version <= $${params.length}`);
    }
    const rows: EventRow[] = await this.db.query(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY version`,
      params,
    );
    const events = rows.map(toRecordedEvent);
    return { version: events.length === 0 ? 0 : events[events.length - 1].version, events };
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
   * writes nothing. With an idempotency record, the response is stored in the same transaction.
   */
  async append<O extends StoredOutcome = StoredOutcome>(
    streamId: string,
    streamType: StreamType,
    expectedVersion: number,
    events: readonly EventToAppend[],
    idempotency?: IdempotencyRecord<O>,
  ): Promise<{ result: AppendResult; outcome: O | null }> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('READ COMMITTED');
      const outcome = await this.appendInTransaction(runner, streamId, streamType, expectedVersion, events, idempotency);
      await runner.commitTransaction();
      return outcome;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw translateConstraintError(error, streamId, expectedVersion, idempotency?.key);
    } finally {
      await runner.release();
    }
  }

  private async appendInTransaction<O extends StoredOutcome>(
    runner: QueryRunner,
    streamId: string,
    streamType: StreamType,
    expectedVersion: number,
    events: readonly EventToAppend[],
    idempotency: IdempotencyRecord<O> | undefined,
  ): Promise<{ result: AppendResult; outcome: O | null }> {
    const current: { version: number; last_hash: string }[] = await runner.query(
      'SELECT version, last_hash FROM streams WHERE stream_id = $1 FOR UPDATE',
      [streamId],
    );
    const actualVersion = current[0]?.version ?? 0;
    if (actualVersion !== expectedVersion) throw versionConflict(streamId, expectedVersion, actualVersion);

    // Everything that does not need a position is done before the counter is taken: versions, metadata,
    // the hash chain, the stream head.
    let prevHash: string | null = current[0]?.last_hash ?? null;
    const prepared = events.map((event, index) => {
      const version = expectedVersion + index + 1;
      const metadata: EventMetadata = { ...event.metadata, schemaVersion: event.schemaVersion ?? CURRENT_SCHEMA_VERSION };
      const hash = chainHash(prevHash, { streamId, version, type: event.type, data: event.data, metadata });
      const link = { type: event.type, data: event.data, metadata, version, hash, prevHash };
      prevHash = hash;
      return link;
    });
    const version = expectedVersion + events.length;
    if (expectedVersion === 0) {
      // A concurrent creator of the same stream waits here on the key, then fails: a version conflict.
      await runner.query('INSERT INTO streams (stream_id, stream_type, version, last_hash) VALUES ($1, $2, $3, $4)', [
        streamId,
        streamType,
        version,
        prevHash,
      ]);
    } else {
      await runner.query('UPDATE streams SET version = $2, last_hash = $3, updated_at = now() WHERE stream_id = $1', [
        streamId,
        version,
        prevHash,
      ]);
    }

    // The single counter row is locked from here until commit, so appends are numbered in commit order and
    // without gaps. One statement numbers, inserts and queues the events, and wakes the relay (at commit),
    // keeping that lock as short as a round trip and the commit.
    const [{ last_position: lastPosition }]: { last_position: string }[] = await runner.query(
      `WITH counter AS (
         UPDATE event_store_position SET last_position = last_position + $1 RETURNING last_position
       ), appended AS (
         INSERT INTO events (position, stream_id, stream_type, version, event_id, type, schema_version, data, metadata,
                             occurred_at, recorded_at, actor, correlation_id, causation_id, prev_hash, hash)
         SELECT counter.last_position - $1 + e.ordinality, $2, $3, e.version, e.event_id, e.type, e.schema_version, e.data,
                e.metadata, e.occurred_at, e.recorded_at, e.actor, e.correlation_id, e.causation_id, e.prev_hash, e.hash
         FROM counter, unnest($4::int[], $5::uuid[], $6::text[], $7::int[], $8::jsonb[], $9::jsonb[], $10::timestamptz[],
                              $11::timestamptz[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
              WITH ORDINALITY AS e(version, event_id, type, schema_version, data, metadata, occurred_at, recorded_at, actor,
                                   correlation_id, causation_id, prev_hash, hash, ordinality)
         RETURNING position
       ), queued AS (
         INSERT INTO outbox (position, stream_id) SELECT position, $2 FROM appended
       )
       SELECT last_position::text AS last_position, pg_notify($17, last_position::text) FROM counter`,
      [
        events.length,
        streamId,
        streamType,
        prepared.map((e) => e.version),
        prepared.map((e) => e.metadata.eventId),
        prepared.map((e) => e.type),
        prepared.map((e) => e.metadata.schemaVersion),
        prepared.map((e) => JSON.stringify(e.data)),
        prepared.map((e) => JSON.stringify(e.metadata)),
        prepared.map((e) => e.metadata.occurredAt),
        prepared.map((e) => e.metadata.recordedAt),
        prepared.map((e) => e.metadata.actor.id),
        prepared.map((e) => e.metadata.correlationId),
        prepared.map((e) => e.metadata.causationId),
        prepared.map((e) => e.prevHash),
        prepared.map((e) => e.hash),
        OUTBOX_CHANNEL,
      ],
    );
    const firstPosition = BigInt(lastPosition) - BigInt(events.length) + 1n;
    const recorded: RecordedEvent[] = prepared.map((e, index) => ({
      type: e.type,
      data: e.data,
      metadata: e.metadata,
      streamId,
      version: e.version,
      position: String(firstPosition + BigInt(index)),
      hash: e.hash,
      prevHash: e.prevHash,
    }));
    const result: AppendResult = { streamId, version, position: recorded[recorded.length - 1].position, events: recorded };
    let outcome: O | null = null;
    if (idempotency) {
      outcome = idempotency.respond(result);
      await runner.query('INSERT INTO idempotency_keys (key, request_hash, outcome) VALUES ($1, $2, $3)', [
        idempotency.key,
        idempotency.requestHash,
        JSON.stringify(outcome),
      ]);
    }
    return { result, outcome };
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
    const [{ last_position }]: { last_position: string }[] = await this.db.query(
      'SELECT last_position FROM event_store_position',
    );
    return String(last_position);
  }
}

function versionConflict(streamId: string, expected: number, actual: number): DomainError {
  return new DomainError('VERSION_CONFLICT', `stream ${streamId} is at version ${actual}, not ${expected}`, {
    streamId,
    expectedVersion: expected,
    actualVersion: actual,
  });
}

function translateConstraintError(error: unknown, streamId: string, expected: number, idempotencyKey?: string): unknown {
  const pgError = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = pgError.driverError?.code ?? pgError.code;
  const constraint = pgError.driverError?.constraint ?? pgError.constraint;
  if (code !== '23505') return error;
  if (constraint === 'idempotency_keys_pkey' && idempotencyKey) return new IdempotencyKeyTaken(idempotencyKey);
  // A concurrent writer created the stream or took the version first.
  if (constraint === 'streams_pkey' || constraint === 'events_stream_version_unique') {
    return versionConflict(streamId, expected, expected + 1);
  }
  return error;
}


export async function readStoreId(db: DataSource | QueryRunner): Promise<string> {
  const rows: { store_id: string }[] = await db.query('SELECT store_id FROM public.event_store_identity');
  if (rows.length === 0) throw new Error('the event store has no identity: run the migrations');
  return rows[0].store_id;
}
