import { DataSource, QueryRunner } from 'typeorm';
import { EventEnvelope } from '@patchstate/messaging';
import { Projection } from './projection';

export interface IncomingMessage {
  offset: string;
  /** null when the message could not even be read as an envelope. */
  envelope: EventEnvelope | null;
  raw: string;
  error?: string;
}

export interface BatchOutcome {
  applied: number;
  skippedAsDuplicate: number;
  parked: number;
}

/**
 * Applies a batch of events to every projection and stores the consumer's position, all in one Postgres
 * transaction. Guards: a stream version already applied is skipped (redelivery is harmless); a stream with
 * a parked event keeps its order by parking the events behind it too; other streams go on.
 */
export class ProjectionEngine {
  constructor(
    private readonly db: DataSource,
    private readonly projections: readonly Projection[],
  ) {}

  get projectionNames(): string[] {
    return this.projections.map((p) => p.name);
  }

  /**
   * `schema`: apply into that schema's tables (a rebuild's shadow copies, including its own stream versions,
   * checkpoints and dead letters) instead of the live ones.
   */
  async applyBatch(
    checkpoint: { group: string; topic: string; partition: number } | null,
    messages: readonly IncomingMessage[],
    nextOffset: string | null,
    options: { schema?: string } = {},
  ): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { applied: 0, skippedAsDuplicate: 0, parked: 0 };
    const tx = this.db.createQueryRunner();
    await tx.connect();
    try {
      await tx.startTransaction();
      if (options.schema !== undefined) {
        if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) throw new Error(`not a schema name: ${options.schema}`);
        await tx.query(`SET LOCAL search_path TO ${options.schema}, public`);
      }
      for (const message of messages) {
        const result = await this.applyOne(tx, checkpoint?.group ?? 'replay', message);
        outcome[result] += 1;
      }
      if (checkpoint && nextOffset !== null) {
        await tx.query(
          `INSERT INTO projection_checkpoints (consumer_group, topic, partition, next_offset, updated_at)
           VALUES ($1, $2, $3, $4, now())
           ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
          [checkpoint.group, checkpoint.topic, checkpoint.partition, nextOffset],
        );
      }
      await tx.commitTransaction();
      return outcome;
    } catch (error) {
      if (tx.isTransactionActive) await tx.rollbackTransaction();
      throw error;
    } finally {
      await tx.release();
    }
  }

  private async applyOne(tx: QueryRunner, group: string, message: IncomingMessage): Promise<keyof BatchOutcome> {
    const envelope = message.envelope;
    if (envelope === null) {
      await this.park(tx, group, null, message.raw, message.error ?? 'unreadable message');
      return 'parked';
    }
    const blocked: { n: string }[] = await tx.query(
      `SELECT count(*) AS n FROM dead_letters WHERE consumer_group = $1 AND stream_id = $2 AND status = 'parked' AND version < $3`,
      [group, envelope.streamId, envelope.version],
    );
    if (Number(blocked[0].n) > 0) {
      await this.park(tx, group, envelope, message.raw, 'waiting behind an earlier parked event of this stream');
      return 'parked';
    }
    let appliedAny = false;
    let duplicate = true;
    await tx.query('SAVEPOINT projection_event');
    try {
      for (const projection of this.projections) {
        if (!projection.handles(envelope)) continue;
        const rows: { version: number }[] = await tx.query(
          'SELECT version FROM projection_stream_versions WHERE projection = $1 AND stream_id = $2 FOR UPDATE',
          [projection.name, envelope.streamId],
        );
        // A projection that handles only some event types sees gaps in versions; order itself is kept by
        // Kafka (one stream, one partition) and by parking everything behind a parked event.
        const applied = rows[0]?.version ?? 0;
        if (envelope.version <= applied) continue;
        duplicate = false;
        await projection.apply(tx, envelope);
        await tx.query(
          `INSERT INTO projection_stream_versions (projection, stream_id, version, position) VALUES ($1, $2, $3, $4)
           ON CONFLICT (projection, stream_id) DO UPDATE SET version = EXCLUDED.version, position = EXCLUDED.position`,
          [projection.name, envelope.streamId, envelope.version, envelope.position],
        );
        appliedAny = true;
      }
      await tx.query('RELEASE SAVEPOINT projection_event');
    } catch (error) {
      await tx.query('ROLLBACK TO SAVEPOINT projection_event');
      await this.park(tx, group, envelope, message.raw, (error as Error).message);
      return 'parked';
    }
    if (appliedAny) return 'applied';
    return duplicate ? 'skippedAsDuplicate' : 'applied';
  }

  private async park(tx: QueryRunner, group: string, envelope: EventEnvelope | null, raw: string, error: string): Promise<void> {
    if (envelope === null) return this.parkUnreadable(tx, group, raw, error);
    await tx.query(
      `INSERT INTO dead_letters (consumer_group, stream_id, version, position, event_type, envelope, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (consumer_group, stream_id, version) DO NOTHING`,
      [group, envelope.streamId, envelope.version, envelope.position, envelope.type, JSON.stringify(envelope), error],
    );
  }

  /**
   * An unreadable message has no stream version of its own to be keyed by: each gets the next number of the
   * 'unreadable' pseudo-stream, so a second one is not lost to the first; a redelivery of the very same bytes
   * is recognised and not parked twice.
   */
  private async parkUnreadable(tx: QueryRunner, group: string, raw: string, error: string): Promise<void> {
    const body = JSON.stringify({ raw });
    const seen: unknown[] = await tx.query(
      `SELECT 1 FROM dead_letters WHERE consumer_group = $1 AND stream_id = 'unreadable' AND envelope = $2::jsonb`,
      [group, body],
    );
    if (seen.length > 0) return;
    await tx.query(
      `INSERT INTO dead_letters (consumer_group, stream_id, version, position, event_type, envelope, error)
       SELECT $1, 'unreadable', coalesce(max(version), 0) + 1, 0, 'unknown', $2::jsonb, $3
       FROM dead_letters WHERE consumer_group = $1 AND stream_id = 'unreadable'
       ON CONFLICT (consumer_group, stream_id, version) DO NOTHING`,
      [group, body, error],
    );
  }
}
