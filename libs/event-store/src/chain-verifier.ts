import { DataSource } from 'typeorm';
import { EventMetadata } from '@patchstate/domain';
import { chainHash } from './hash-chain';

export interface ChainVerification {
  ok: boolean;
  streamsChecked: number;
  eventsChecked: number;
  firstBroken: { streamId: string; version: number; reason: string } | null;
}

interface ChainRow {
  stream_id: string;
  version: number;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  prev_hash: string | null;
  hash: string;
  stream_type: string;
  event_id: string;
  schema_version: number;
  actor: string;
  correlation_id: string;
  causation_id: string | null;
  occurred_us: string;
  recorded_us: string;
}

const PAGE = 1000;

/**
 * Recomputes the hash chain of one stream or of every stream, page by page (memory stays bounded), and
 * reports the first link that does not hold: an edited event, a removed one, or a stored hash rewritten.
 */
export async function verifyHashChains(db: DataSource, options: { streamId?: string } = {}): Promise<ChainVerification> {
  let streamsChecked = 0;
  let eventsChecked = 0;
  let after: { streamId: string; version: number } | null = null;
  let previous = null as { streamId: string; version: number; hash: string } | null;
  for (;;) {
    const params: unknown[] = [];
    const conditions: string[] = [];
    if (options.streamId !== undefined) {
      params.push(options.streamId);
      conditions.push(`stream_id = $${params.length}`);
    }
    if (after) {
      params.push(after.streamId, after.version);
      conditions.push(`(stream_id, version) > ($${params.length - 1}, $${params.length})`);
    }
    const rows: ChainRow[] = await db.query(
      `SELECT stream_id, version, type, data, metadata, prev_hash, hash, stream_type, event_id, schema_version, actor,
              correlation_id, causation_id,
              (extract(epoch FROM occurred_at) * 1000000)::bigint::text AS occurred_us,
              (extract(epoch FROM recorded_at) * 1000000)::bigint::text AS recorded_us
       FROM events
       ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
       ORDER BY stream_id, version LIMIT ${PAGE}`,
      params,
    );
    for (const row of rows) {
      const before = previous !== null && previous.streamId === row.stream_id ? previous : null;
      if (before === null) streamsChecked += 1;
      const expectedVersion: number = before ? before.version + 1 : 1;
      const expectedPrev: string | null = before ? before.hash : null;
      const broken = (reason: string): ChainVerification => ({
        ok: false,
        streamsChecked,
        eventsChecked,
        firstBroken: { streamId: row.stream_id, version: row.version, reason },
      });
      if (row.version !== expectedVersion) return broken(`version ${expectedVersion} is missing`);
      if (row.prev_hash !== expectedPrev) return broken('prevHash does not match the previous event');
      const recomputed = chainHash(row.prev_hash, {
        streamId: row.stream_id,
        version: row.version,
        type: row.type,
        data: row.data,
        metadata: row.metadata,
      });
      if (recomputed !== row.hash) return broken('content does not match its hash');
      if (!columnsAgreeWithMetadata(row)) return broken('its columns do not match its hashed metadata');
      eventsChecked += 1;
      previous = { streamId: row.stream_id, version: row.version, hash: row.hash };
    }
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1];
    after = { streamId: last.stream_id, version: last.version };
  }
  const tail = await verifyStreamHeads(db, options.streamId);
  if (tail) return { ok: false, streamsChecked, eventsChecked, firstBroken: tail };
  return { ok: true, streamsChecked, eventsChecked, firstBroken: null };
}

/**
 * Audit queries filter on columns that copy the hashed metadata (actor, times, ids): an edit there is as much
 * a tampering as an edit of the jsonb, so they must agree with it.
 */
function columnsAgreeWithMetadata(row: ChainRow): boolean {
  const metadata = row.metadata as Partial<EventMetadata> | null;
  if (metadata === null || typeof metadata !== 'object') return false;
  return (
    row.event_id === metadata.eventId &&
    row.schema_version === metadata.schemaVersion &&
    row.actor === metadata.actor?.id &&
    row.correlation_id === metadata.correlationId &&
    row.causation_id === (metadata.causationId ?? null) &&
    row.stream_id.startsWith(`${row.stream_type}-`) &&
    row.occurred_us === isoToMicroseconds(metadata.occurredAt) &&
    row.recorded_us === isoToMicroseconds(metadata.recordedAt)
  );
}

/** Microseconds since the epoch, as Postgres stores a timestamptz (it keeps six fractional digits). */
function isoToMicroseconds(iso: unknown): string | null {
  if (typeof iso !== 'string') return null;
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  const wholeSeconds = Date.parse(iso.replace(/\.\d+/, ''));
  if (Number.isNaN(wholeSeconds)) return null;
  const digits = fraction.padEnd(7, '0');
  const micros = Number(digits.slice(0, 6)) + (Number(digits[6]) >= 5 ? 1 : 0);
  return String(BigInt(wholeSeconds) * 1000n + BigInt(micros));
}

/** A removed last event leaves no gap in the chain, but the stream head still remembers it. */
async function verifyStreamHeads(
  db: DataSource,
  streamId?: string,
): Promise<{ streamId: string; version: number; reason: string } | null> {
  const rows: { stream_id: string; version: number }[] = await db.query(
    `SELECT s.stream_id, s.version FROM streams s
     LEFT JOIN events e ON e.stream_id = s.stream_id AND e.version = s.version
     WHERE (e.hash IS DISTINCT FROM s.last_hash) ${streamId !== undefined ? 'AND s.stream_id = $1' : ''}
     ORDER BY s.stream_id LIMIT 1`,
    streamId !== undefined ? [streamId] : [],
  );
  if (rows.length === 0) return null;
  return { streamId: rows[0].stream_id, version: rows[0].version, reason: 'the stream head does not match its last event' };
}
