import { DataSource } from 'typeorm';
import { EventEnvelope } from '@patchstate/messaging';
import { Projection } from '../engine/projection';
import { ProjectionEngine } from '../engine/projection-engine';

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

/** Which parked events a retry or skip is about: one by id, the parked events of one stream, or (retry) all. */
export interface DeadLetterSelection {
  id?: string;
  streamId?: string;
}

export interface StreamRetry {
  streamId: string;
  /** Ids of the dead letters applied (or found already applied) and marked 'retried', in version order. */
  retried: string[];
  /** The first event that still fails; the stream's later events stay parked behind it. */
  stillFailing: { id: string; version: number; type: string; error: string } | null;
  stillParked: number;
}

export interface RetryReport {
  retried: number;
  stillParked: number;
  streams: StreamRetry[];
}

export interface SkipReport {
  skipped: DeadLetter;
  /** The projections whose stream version was moved past the skipped event, as if they had applied it. */
  projectionsAdvanced: string[];
  /** Parked events of the same stream waiting behind it: retry them next. */
  waitingBehind: number;
}

export class DeadLetterRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadLetterRefused';
  }
}

interface DeadLetterRow {
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

const COLUMNS = 'id, consumer_group, stream_id, version, position, event_type, error, status, parked_at, resolved_at';

/**
 * The operator's handle on parked events of the live projector's group (the replay CLI and the admin endpoint).
 * Retry re-applies a stream's parked events in version order through the same engine and projections as
 * the projector; skip gives up on one event so the ones parked behind it can be retried.
 */
export class DeadLetterService {
  private readonly engine: ProjectionEngine;

  constructor(
    private readonly db: DataSource,
    private readonly projections: readonly Projection[],
    private readonly consumerGroup: string,
    private readonly topic = '',
  ) {
    this.engine = new ProjectionEngine(db, projections);
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
    const [{ n }]: { n: string }[] = await this.db.query(`SELECT count(*) AS n FROM dead_letters WHERE ${conditions.join(' AND ')}`, params);
    if (options.afterId !== undefined) {
      params.push(options.afterId);
      conditions.push(`id > $${params.length}`);
    }
    params.push(options.limit ?? 50);
    const rows: DeadLetterRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM dead_letters WHERE ${conditions.join(' AND ')} ORDER BY id LIMIT $${params.length}`,
      params,
    );
    return { items: rows.map(toDeadLetter), total: Number(n) };
  }

  async retry(selection: DeadLetterSelection = {}): Promise<RetryReport> {
    const streams: string[] = [];
    if (selection.id !== undefined) {
      const row = await this.find(selection.id);
      if (row.status !== 'parked') throw new DeadLetterRefused(`dead letter ${row.id} is already ${row.status}`);
      streams.push(row.stream_id);
    } else if (selection.streamId !== undefined) {
      streams.push(selection.streamId);
    } else {
      const rows: { stream_id: string }[] = await this.db.query(
        `SELECT stream_id FROM dead_letters WHERE consumer_group = $1 AND status = 'parked' GROUP BY stream_id ORDER BY min(position)`,
        [this.consumerGroup],
      );
      streams.push(...rows.map((row) => row.stream_id));
    }
    const report: RetryReport = { retried: 0, stillParked: 0, streams: [] };
    for (const streamId of streams) {
      const result = await this.retryStream(streamId);
      report.streams.push(result);
      report.retried += result.retried.length;
      report.stillParked += result.stillParked;
    }
    return report;
  }

  /**
   * In version order; stops at the first event that still fails. The live projector may park more events
   * of the stream while this runs (they wait behind the ones being retried), so it looks again until none
   * is left.
   */
  private async retryStream(streamId: string): Promise<StreamRetry> {
    const result: StreamRetry = { streamId, retried: [], stillFailing: null, stillParked: 0 };
    for (;;) {
      const rows: (DeadLetterRow & { envelope: unknown })[] = await this.db.query(
        `SELECT ${COLUMNS}, envelope FROM dead_letters WHERE consumer_group = $1 AND stream_id = $2 AND status = 'parked'
         ORDER BY version`,
        [this.consumerGroup, streamId],
      );
      if (rows.length === 0) return result;
      for (const row of rows) {
        const envelope = readEnvelope(row.envelope);
        if (envelope === null) {
          result.stillFailing = { id: String(row.id), version: row.version, type: row.event_type, error: 'unreadable message: it can only be skipped' };
          break;
        }
        const outcome = await this.engine.applyBatch(
          // No next offset: the engine then only uses the group (for the order guard) and stores no checkpoint.
          { group: this.consumerGroup, topic: this.topic, partition: -1 },
          [{ offset: envelope.position, envelope, raw: '' }],
          null,
        );
        if (outcome.parked > 0) {
          const [current]: DeadLetterRow[] = await this.db.query(`SELECT ${COLUMNS} FROM dead_letters WHERE id = $1`, [row.id]);
          result.stillFailing = { id: String(row.id), version: row.version, type: row.event_type, error: current?.error ?? row.error };
          break;
        }
        await this.db.query(`UPDATE dead_letters SET status = 'retried', resolved_at = now() WHERE id = $1 AND status = 'parked'`, [row.id]);
        result.retried.push(String(row.id));
      }
      if (result.stillFailing !== null) {
        const [{ n }]: { n: string }[] = await this.db.query(
          `SELECT count(*) AS n FROM dead_letters WHERE consumer_group = $1 AND stream_id = $2 AND status = 'parked'`,
          [this.consumerGroup, streamId],
        );
        result.stillParked = Number(n);
        return result;
      }
    }
  }

  /**
   * Marks the lowest parked event of a stream 'skipped' and sets the stream version of every projection
   * that handles it to its version, as if applied, in one transaction. Only the lowest may be skipped: a
   * later one skipped first would make the earlier one look applied when it is finally retried.
   */
  async skip(selection: DeadLetterSelection): Promise<SkipReport> {
    let target: DeadLetterRow & { envelope: unknown };
    if (selection.id !== undefined) {
      const row = await this.find(selection.id);
      if (row.status !== 'parked') throw new DeadLetterRefused(`dead letter ${row.id} is already ${row.status}`);
      target = row;
    } else if (selection.streamId !== undefined) {
      const rows: (DeadLetterRow & { envelope: unknown })[] = await this.db.query(
        `SELECT ${COLUMNS}, envelope FROM dead_letters WHERE consumer_group = $1 AND stream_id = $2 AND status = 'parked'
         ORDER BY version LIMIT 1`,
        [this.consumerGroup, selection.streamId],
      );
      if (rows.length === 0) throw new DeadLetterRefused(`no parked event of stream ${selection.streamId}`);
      target = rows[0];
    } else {
      throw new DeadLetterRefused('skip needs --id or --stream: skipping gives up on an event for good');
    }
    const envelope = readEnvelope(target.envelope);
    const advanced = envelope === null ? [] : this.projections.filter((p) => p.handles(envelope)).map((p) => p.name);
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const earlier: { id: string; version: number }[] = await runner.query(
        `SELECT id, version FROM dead_letters WHERE consumer_group = $1 AND stream_id = $2 AND status = 'parked' AND version < $3
         ORDER BY version LIMIT 1`,
        [this.consumerGroup, target.stream_id, target.version],
      );
      if (target.stream_id !== 'unreadable' && earlier.length > 0) {
        throw new DeadLetterRefused(
          `dead letter ${target.id} (${target.stream_id} v${target.version}) waits behind dead letter ${earlier[0].id} ` +
            `(v${earlier[0].version}): retry or skip that one first`,
        );
      }
      const updated = await runner.query(
        `UPDATE dead_letters SET status = 'skipped', resolved_at = now() WHERE id = $1 AND status = 'parked' RETURNING ${COLUMNS}`,
        [target.id],
        true,
      );
      const skipped = (updated.records as DeadLetterRow[])[0];
      if (skipped === undefined) throw new DeadLetterRefused(`dead letter ${target.id} was resolved meanwhile`);
      for (const projection of advanced) {
        await runner.query(
          `INSERT INTO projection_stream_versions (projection, stream_id, version, position) VALUES ($1, $2, $3, $4)
           ON CONFLICT (projection, stream_id) DO UPDATE
             SET version = EXCLUDED.version, position = EXCLUDED.position
             WHERE projection_stream_versions.version < EXCLUDED.version`,
          [projection, envelope!.streamId, envelope!.version, envelope!.position],
        );
      }
      await runner.commitTransaction();
      const [{ n }]: { n: string }[] = await this.db.query(
        `SELECT count(*) AS n FROM dead_letters WHERE consumer_group = $1 AND stream_id = $2 AND status = 'parked' AND version > $3`,
        [this.consumerGroup, target.stream_id, target.version],
      );
      return { skipped: toDeadLetter(skipped), projectionsAdvanced: advanced, waitingBehind: Number(n) };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async find(id: string): Promise<DeadLetterRow & { envelope: unknown }> {
    if (!/^\d{1,18}$/.test(id)) throw new DeadLetterRefused(`not a dead letter id: ${id}`);
    const rows: (DeadLetterRow & { envelope: unknown })[] = await this.db.query(
      `SELECT ${COLUMNS}, envelope FROM dead_letters WHERE id = $1 AND consumer_group = $2`,
      [id, this.consumerGroup],
    );
    if (rows.length === 0) throw new DeadLetterRefused(`no dead letter ${id} for consumer group ${this.consumerGroup}`);
    return rows[0];
  }
}

function readEnvelope(stored: unknown): EventEnvelope | null {
  const candidate = stored as Partial<EventEnvelope> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.streamId !== 'string' ||
    typeof candidate.version !== 'number' ||
    typeof candidate.type !== 'string' ||
    typeof candidate.position !== 'string'
  ) {
    return null;
  }
  return candidate as EventEnvelope;
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
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
