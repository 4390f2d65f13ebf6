import { QueryRunner } from 'typeorm';
import { DomainError, EventMetadata, RecordedEvent } from '@patchstate/domain';
import { AppendResult, CURRENT_SCHEMA_VERSION, IdempotencyKeyTaken, OUTBOX_CHANNEL, PendingAppend, StoredOutcome } from './append-types';
import { chainHash } from './hash-chain';

interface StreamHead {
  version: number;
  lastHash: string | null;
  /** Whether the row exists in `streams` (then it is locked and updated, otherwise inserted). */
  exists: boolean;
}

/** An event being appended: its position is filled in once the counter hands it out. */
type Link = { -readonly [K in keyof RecordedEvent]: RecordedEvent[K] } & { streamType: string };

/** What one flush decided in memory, before anything is written: who goes in, who fails alone, and how. */
export interface BatchPlan {
  accepted: { item: PendingAppend; links: Link[] }[];
  refused: { item: PendingAppend; error: unknown }[];
  heads: Map<string, StreamHead & { streamType: string; touched: boolean }>;
}

/**
 * Checks every append against the locked stream heads in queue order (an append to a stream another append
 * of the same flush moved sees the moved version, as if they had committed one after the other) and builds
 * each accepted append's hash chain. A refused append writes nothing and does not hold the others back.
 */
export function planBatch(batch: readonly PendingAppend[], locked: Map<string, StreamHead>): BatchPlan {
  const heads: BatchPlan['heads'] = new Map();
  const plan: BatchPlan = { accepted: [], refused: [], heads };
  const keys = new Set<string>();
  for (const item of batch) {
    const head = heads.get(item.streamId) ?? {
      ...(locked.get(item.streamId) ?? { version: 0, lastHash: null, exists: false }),
      streamType: item.streamType,
      touched: false,
    };
    heads.set(item.streamId, head);
    if (head.version !== item.expectedVersion) {
      plan.refused.push({ item, error: versionConflict(item.streamId, item.expectedVersion, head.version) });
      continue;
    }
    if (item.idempotency && keys.has(item.idempotency.key)) {
      // Answered after commit, when the first request's outcome is there to be replayed.
      plan.refused.push({ item, error: new IdempotencyKeyTaken(item.idempotency.key) });
      continue;
    }
    if (item.idempotency) keys.add(item.idempotency.key);
    const links = item.events.map((event, index): Link => {
      const version = item.expectedVersion + index + 1;
      const metadata: EventMetadata = { ...event.metadata, schemaVersion: event.schemaVersion ?? CURRENT_SCHEMA_VERSION };
      const hash = chainHash(head.lastHash, { streamId: item.streamId, version, type: event.type, data: event.data, metadata });
      const link = { type: event.type, data: event.data, metadata, streamId: item.streamId, version, position: '', hash, prevHash: head.lastHash, streamType: item.streamType };
      head.lastHash = hash;
      return link;
    });
    head.version = item.expectedVersion + item.events.length;
    head.touched = true;
    plan.accepted.push({ item, links });
  }
  return plan;
}

/** Locks the heads of every stream in the flush, in stream id order so two flushes never deadlock on them. */
export async function lockHeads(tx: QueryRunner, streamIds: readonly string[]): Promise<Map<string, StreamHead>> {
  const rows: { stream_id: string; version: number; last_hash: string }[] = await tx.query(
    'SELECT stream_id, version, last_hash FROM streams WHERE stream_id = ANY($1::text[]) ORDER BY stream_id FOR UPDATE',
    [[...new Set(streamIds)]],
  );
  return new Map(rows.map((row) => [row.stream_id, { version: row.version, lastHash: row.last_hash, exists: true }]));
}

/**
 * Writes the moved stream heads: new streams inserted (a concurrent creator makes this fail, and the flush
 * falls back to one append per transaction, where that is a version conflict), locked ones updated.
 */
export async function writeHeads(tx: QueryRunner, heads: BatchPlan['heads']): Promise<void> {
  const moved = [...heads.entries()].filter(([, head]) => head.touched).sort(([a], [b]) => (a < b ? -1 : 1));
  const created = moved.filter(([, head]) => !head.exists);
  const updated = moved.filter(([, head]) => head.exists);
  await tx.query(
    `WITH created AS (
       INSERT INTO streams (stream_id, stream_type, version, last_hash)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[])
     ), updated AS (
       UPDATE streams s SET version = u.version, last_hash = u.last_hash, updated_at = now()
       FROM unnest($5::text[], $6::int[], $7::text[]) AS u(stream_id, version, last_hash) WHERE s.stream_id = u.stream_id
     ) SELECT 1`,
    [
      created.map(([id]) => id),
      created.map(([, head]) => head.streamType),
      created.map(([, head]) => head.version),
      created.map(([, head]) => head.lastHash),
      updated.map(([id]) => id),
      updated.map(([, head]) => head.version),
      updated.map(([, head]) => head.lastHash),
    ],
  );
}

/**
 * Numbers, inserts and queues every event of the flush in one statement, and wakes the relay at commit. The
 * single counter row stays locked from here to commit: positions are handed out in commit order and without
 * gaps, once per flush instead of once per append. Fills in each link's position.
 */
export async function insertEvents(tx: QueryRunner, links: Link[]): Promise<void> {
  const [{ last_position: lastPosition }]: { last_position: string }[] = await tx.query(
    `WITH counter AS (
       UPDATE event_store_position SET last_position = last_position + $1 RETURNING last_position
     ), appended AS (
       INSERT INTO events (position, stream_id, stream_type, version, event_id, type, schema_version, data, metadata,
                           occurred_at, recorded_at, actor, correlation_id, causation_id, prev_hash, hash)
       SELECT counter.last_position - $1 + e.ordinality, e.stream_id, e.stream_type, e.version, e.event_id, e.type,
              e.schema_version, e.data, e.metadata, e.occurred_at, e.recorded_at, e.actor, e.correlation_id,
              e.causation_id, e.prev_hash, e.hash
       FROM counter, unnest($2::text[], $3::text[], $4::int[], $5::uuid[], $6::text[], $7::int[], $8::jsonb[], $9::jsonb[],
                            $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
            WITH ORDINALITY AS e(stream_id, stream_type, version, event_id, type, schema_version, data, metadata, occurred_at,
                                 recorded_at, actor, correlation_id, causation_id, prev_hash, hash, ordinality)
       RETURNING position, stream_id
     ), queued AS (
       INSERT INTO outbox (position, stream_id) SELECT position, stream_id FROM appended
     )
     SELECT last_position::text AS last_position, pg_notify($17, last_position::text) FROM counter`,
    [
      links.length,
      links.map((e) => e.streamId),
      links.map((e) => e.streamType),
      links.map((e) => e.version),
      links.map((e) => e.metadata.eventId),
      links.map((e) => e.type),
      links.map((e) => e.metadata.schemaVersion),
      links.map((e) => JSON.stringify(e.data)),
      links.map((e) => JSON.stringify(e.metadata)),
      links.map((e) => e.metadata.occurredAt),
      links.map((e) => e.metadata.recordedAt),
      links.map((e) => e.metadata.actor.id),
      links.map((e) => e.metadata.correlationId),
      links.map((e) => e.metadata.causationId),
      links.map((e) => e.prevHash),
      links.map((e) => e.hash),
      OUTBOX_CHANNEL,
    ],
  );
  const first = BigInt(lastPosition) - BigInt(links.length) + 1n;
  links.forEach((link, index) => (link.position = String(first + BigInt(index))));
}

/** The results, and the idempotent outcomes stored with them in one multi-row statement. */
export async function recordOutcomes(
  tx: QueryRunner,
  accepted: BatchPlan['accepted'],
): Promise<{ result: AppendResult; outcome: StoredOutcome | null }[]> {
  const answers = accepted.map(({ item, links }) => {
    const events: RecordedEvent[] = links.map(({ streamType: _, ...event }) => event);
    const result: AppendResult = { streamId: item.streamId, version: events[events.length - 1].version, position: events[events.length - 1].position, events };
    return { result, outcome: item.idempotency ? item.idempotency.respond(result) : null };
  });
  const keyed = accepted.flatMap(({ item }, index) => (item.idempotency ? [{ ...item.idempotency, outcome: answers[index].outcome }] : []));
  if (keyed.length > 0) {
    await tx.query('INSERT INTO idempotency_keys (key, request_hash, outcome) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])', [
      keyed.map((k) => k.key),
      keyed.map((k) => k.requestHash),
      keyed.map((k) => JSON.stringify(k.outcome)),
    ]);
  }
  return answers;
}

export function versionConflict(streamId: string, expected: number, actual: number): DomainError {
  return new DomainError('VERSION_CONFLICT', `stream ${streamId} is at version ${actual}, not ${expected}`, {
    streamId,
    expectedVersion: expected,
    actualVersion: actual,
  });
}

/** A unique violation in a one-append transaction means a concurrent writer won: say which race was lost. */
export function translateConstraintError(error: unknown, item: PendingAppend): unknown {
  const pgError = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = pgError.driverError?.code ?? pgError.code;
  const constraint = pgError.driverError?.constraint ?? pgError.constraint;
  if (code !== '23505') return error;
  if (constraint === 'idempotency_keys_pkey' && item.idempotency) return new IdempotencyKeyTaken(item.idempotency.key);
  if (constraint === 'streams_pkey' || constraint === 'events_stream_version_unique') {
    return versionConflict(item.streamId, item.expectedVersion, item.expectedVersion + 1);
  }
  return error;
}
