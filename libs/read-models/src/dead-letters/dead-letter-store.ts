import { EventEnvelope } from '@patchstate/messaging';

export const DEAD_LETTER_STATUSES = ['parked', 'retried', 'skipped'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

export interface DeadLetter {
  id: string;
  consumerGroup: string;
  streamId: string;
  version: number;
  position: string;
  type: string;
  error: string;
  status: DeadLetterStatus;
  parkedAt: string;
  resolvedAt: string | null;
}

export interface DeadLetterRow {
  id: string;
  consumer_group: string;
  stream_id: string;
  version: number;
  position: string;
  event_type: string;
  error: string;
  status: DeadLetterStatus;
  parked_at: Date;
  resolved_at: Date | null;
}

export type DeadLetterWithEnvelope = DeadLetterRow & { envelope: unknown };

/** A DataSource or a QueryRunner: the engine parks inside its batch transaction, the operator's tools outside. */
export interface Sql {
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

const COLUMNS = 'id, consumer_group, stream_id, version, position, event_type, error, status, parked_at, resolved_at';

/**
 * The one owner of the `dead_letters` table for one consumer group. Unqualified names: inside a rebuild's
 * transaction the search path points at the shadow schema, so the same code parks into the shadow copy.
 */
export class DeadLetterStore {
  constructor(
    private readonly sql: Sql,
    private readonly consumerGroup: string,
  ) {}

  /** A retried event that fails again keeps its place and gets the new error. */
  async park(envelope: EventEnvelope, error: string): Promise<void> {
    await this.sql.query(
      `INSERT INTO dead_letters (consumer_group, stream_id, version, position, event_type, envelope, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (consumer_group, stream_id, version) DO UPDATE SET error = EXCLUDED.error WHERE dead_letters.status = 'parked'`,
      [this.consumerGroup, envelope.streamId, envelope.version, envelope.position, envelope.type, JSON.stringify(envelope), error],
    );
  }

  /**
   * An event of another event store (a shared topic, a recreated database) is parked under a stream name of
   * its own, so it blocks none of ours; a redelivery is not parked twice.
   */
  async parkForeign(envelope: EventEnvelope, error: string): Promise<void> {
    await this.sql.query(
      `INSERT INTO dead_letters (consumer_group, stream_id, version, position, event_type, envelope, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (consumer_group, stream_id, version) DO NOTHING`,
      [
        this.consumerGroup,
        `foreign:${envelope.storeId ?? 'unknown'}:${envelope.streamId}`,
        envelope.version,
        envelope.position,
        envelope.type,
        JSON.stringify(envelope),
        error,
      ],
    );
  }

  /** A marker at version 0: the stream is held back like behind any parked event until an operator skips it. */
  async holdBack(streamId: string, error: string): Promise<void> {
    await this.sql.query(
      `INSERT INTO dead_letters (consumer_group, stream_id, version, position, event_type, envelope, error)
       VALUES ($1, $2, 0, 0, 'unknown', $3::jsonb, $4)
       ON CONFLICT (consumer_group, stream_id, version) DO UPDATE
         SET status = 'parked', resolved_at = NULL, parked_at = now(), error = EXCLUDED.error`,
      [this.consumerGroup, streamId, JSON.stringify({ heldBackBy: 'unreadable' }), error],
    );
  }

  /**
   * An unreadable message has no stream version of its own to be keyed by: each gets the next number of the
   * 'unreadable' pseudo-stream, so a second one is not lost to the first; a redelivery of the very same bytes
   * is recognised and not parked twice.
   */
  async parkUnreadable(raw: string, error: string): Promise<void> {
    const body = JSON.stringify({ raw });
    const seen: unknown[] = await this.sql.query(
      `SELECT 1 FROM dead_letters WHERE consumer_group = $1 AND stream_id = 'unreadable' AND envelope = $2::jsonb`,
      [this.consumerGroup, body],
    );
    if (seen.length > 0) return;
    await this.sql.query(
      `INSERT INTO dead_letters (consumer_group, stream_id, version, position, event_type, envelope, error)
       SELECT $1, 'unreadable', coalesce(max(version), 0) + 1, 0, 'unknown', $2::jsonb, $3
       FROM dead_letters WHERE consumer_group = $1 AND stream_id = 'unreadable'
       ON CONFLICT (consumer_group, stream_id, version) DO NOTHING`,
      [this.consumerGroup, body, error],
    );
  }

  /** Per stream among `streams`, the lowest parked version: everything after it waits behind it. */
  async parkedFrom(streams: readonly string[]): Promise<Map<string, number>> {
    const rows: { stream_id: string; version: number }[] = await this.sql.query(
      `SELECT stream_id, min(version) AS version FROM dead_letters
       WHERE consumer_group = $1 AND status = 'parked' AND stream_id = ANY($2::text[]) GROUP BY stream_id`,
      [this.consumerGroup, streams],
    );
    return new Map(rows.map((row) => [row.stream_id, Number(row.version)]));
  }

  async list(
    options: { status?: DeadLetterStatus | 'all'; streamId?: string; limit?: number; afterId?: string } = {},
  ): Promise<{ items: DeadLetter[]; total: number }> {
    const conditions = ['consumer_group = $1'];
    const params: unknown[] = [this.consumerGroup];
    const status = options.status ?? 'parked';
    if (status !== 'all') {
      params.push(status);
      conditions.push(`status = $${params.length}`);
    }
    if (options.streamId !== undefined) {
      params.push(options.streamId);
      conditions.push(`stream_id = $${params.length}`);
    }
    const [{ n }]: { n: string }[] = await this.sql.query(`SELECT count(*) AS n FROM dead_letters WHERE ${conditions.join(' AND ')}`, params);
    if (options.afterId !== undefined) {
      params.push(options.afterId);
      conditions.push(`id > $${params.length}`);
    }
    params.push(options.limit ?? 50);
    const rows: DeadLetterRow[] = await this.sql.query(
      `SELECT ${COLUMNS} FROM dead_letters WHERE ${conditions.join(' AND ')} ORDER BY id LIMIT $${params.length}`,
      params,
    );
    return { items: rows.map(toDeadLetter), total: Number(n) };
  }

  /** The streams with parked events, the one parked earliest in the log first. */
  async parkedStreams(): Promise<string[]> {
    const rows: { stream_id: string }[] = await this.sql.query(
      `SELECT stream_id FROM dead_letters WHERE consumer_group = $1 AND status = 'parked' GROUP BY stream_id ORDER BY min(position)`,
      [this.consumerGroup],
    );
    return rows.map((row) => row.stream_id);
  }

  /** A stream's parked events in version order, `limit` of them at most; `beforeVersion`: only the earlier ones. */
  async parkedOf(streamId: string, options: { limit?: number; beforeVersion?: number } = {}): Promise<DeadLetterWithEnvelope[]> {
    const params: unknown[] = [this.consumerGroup, streamId];
    let before = '';
    if (options.beforeVersion !== undefined) {
      params.push(options.beforeVersion);
      before = `AND version < $${params.length}`;
    }
    return this.sql.query(
      `SELECT ${COLUMNS}, envelope FROM dead_letters WHERE consumer_group = $1 AND stream_id = $2 AND status = 'parked' ${before}
       ORDER BY version ${options.limit === undefined ? '' : `LIMIT ${Math.floor(options.limit)}`}`,
      params,
    );
  }

  /** How many events of a stream are still parked, all or only those after `afterVersion`. */
  async countParked(streamId: string, afterVersion = -1): Promise<number> {
    const [{ n }]: { n: string }[] = await this.sql.query(
      `SELECT count(*) AS n FROM dead_letters WHERE consumer_group = $1 AND stream_id = $2 AND status = 'parked' AND version > $3`,
      [this.consumerGroup, streamId, afterVersion],
    );
    return Number(n);
  }

  async find(id: string): Promise<DeadLetterWithEnvelope | undefined> {
    const rows: DeadLetterWithEnvelope[] = await this.sql.query(
      `SELECT ${COLUMNS}, envelope FROM dead_letters WHERE id = $1 AND consumer_group = $2`,
      [id, this.consumerGroup],
    );
    return rows[0];
  }

  /** Resolves a parked event; undefined when it was resolved meanwhile. */
  async resolve(id: string, status: 'retried' | 'skipped'): Promise<DeadLetter | undefined> {
    // An UPDATE answers [rows, count] through TypeORM's query().
    const [rows]: [DeadLetterRow[], number] = await this.sql.query(
      `UPDATE dead_letters SET status = $2, resolved_at = now() WHERE id = $1 AND status = 'parked' RETURNING ${COLUMNS}`,
      [id, status],
    );
    return rows[0] === undefined ? undefined : toDeadLetter(rows[0]);
  }
}

/** What a rebuild parked in its shadow schema (every group): how many, and the first few in log order. */
export async function parkedInSchema(
  sql: Sql,
  schema: string,
  limit = 10,
): Promise<{ count: number; first: { streamId: string; version: number; position: string; type: string; error: string }[] }> {
  const [{ n }]: { n: string }[] = await sql.query(`SELECT count(*) AS n FROM ${schema}.dead_letters WHERE status = 'parked'`);
  if (Number(n) === 0) return { count: 0, first: [] };
  const rows: DeadLetterRow[] = await sql.query(
    `SELECT ${COLUMNS} FROM ${schema}.dead_letters WHERE status = 'parked' ORDER BY position, id LIMIT ${Math.floor(limit)}`,
  );
  return {
    count: Number(n),
    first: rows.map((row) => ({ streamId: row.stream_id, version: row.version, position: String(row.position), type: row.event_type, error: row.error })),
  };
}

export function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: String(row.id),
    consumerGroup: row.consumer_group,
    streamId: row.stream_id,
    version: row.version,
    position: String(row.position),
    type: row.event_type,
    error: row.error,
    status: row.status,
    parkedAt: new Date(row.parked_at).toISOString(),
    resolvedAt: row.resolved_at === null ? null : new Date(row.resolved_at).toISOString(),
  };
}
