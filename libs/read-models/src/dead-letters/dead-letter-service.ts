import { DataSource } from 'typeorm';
import { withTransaction } from '@patchstate/event-store';
import { EventEnvelope } from '@patchstate/messaging';
import { Projection } from '../engine/projection';
import { ProjectionEngine } from '../engine/projection-engine';
import { DeadLetter, DeadLetterStatus, DeadLetterStore, DeadLetterWithEnvelope } from './dead-letter-store';

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

/**
 * The operator's handle on parked events of the live projector's group (the replay CLI and the admin endpoint).
 * Retry re-applies a stream's parked events in version order through the same engine and projections as
 * the projector; skip gives up on one event so the ones parked behind it can be retried.
 */
export class DeadLetterService {
  private readonly engine: ProjectionEngine;
  private readonly deadLetters: DeadLetterStore;

  constructor(
    private readonly db: DataSource,
    private readonly projections: readonly Projection[],
    private readonly consumerGroup: string,
    private readonly topic = '',
  ) {
    this.engine = new ProjectionEngine(db, projections);
    this.deadLetters = new DeadLetterStore(db, consumerGroup);
  }

  async list(
    options: { status?: DeadLetterStatus | 'all'; streamId?: string; limit?: number; afterId?: string } = {},
  ): Promise<{ items: DeadLetter[]; total: number }> {
    return this.deadLetters.list(options);
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
      streams.push(...(await this.deadLetters.parkedStreams()));
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
      const rows = await this.deadLetters.parkedOf(streamId);
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
          const current = await this.deadLetters.find(String(row.id));
          result.stillFailing = { id: String(row.id), version: row.version, type: row.event_type, error: current?.error ?? row.error };
          break;
        }
        await this.deadLetters.resolve(String(row.id), 'retried');
        result.retried.push(String(row.id));
      }
      if (result.stillFailing !== null) {
        result.stillParked = await this.deadLetters.countParked(streamId);
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
    let target: DeadLetterWithEnvelope;
    if (selection.id !== undefined) {
      const row = await this.find(selection.id);
      if (row.status !== 'parked') throw new DeadLetterRefused(`dead letter ${row.id} is already ${row.status}`);
      target = row;
    } else if (selection.streamId !== undefined) {
      const [lowest] = await this.deadLetters.parkedOf(selection.streamId, { limit: 1 });
      if (lowest === undefined) throw new DeadLetterRefused(`no parked event of stream ${selection.streamId}`);
      target = lowest;
    } else {
      throw new DeadLetterRefused('skip needs --id or --stream: skipping gives up on an event for good');
    }
    const envelope = readEnvelope(target.envelope);
    const advanced = envelope === null ? [] : this.projections.filter((p) => p.handles(envelope)).map((p) => p.name);
    const skipped = await withTransaction(this.db, async (tx) => {
      const deadLetters = new DeadLetterStore(tx, this.consumerGroup);
      const [earlier] = await deadLetters.parkedOf(target.stream_id, { limit: 1, beforeVersion: target.version });
      if (target.stream_id !== 'unreadable' && earlier !== undefined) {
        throw new DeadLetterRefused(
          `dead letter ${target.id} (${target.stream_id} v${target.version}) waits behind dead letter ${earlier.id} ` +
            `(v${earlier.version}): retry or skip that one first`,
        );
      }
      const resolved = await deadLetters.resolve(String(target.id), 'skipped');
      if (resolved === undefined) throw new DeadLetterRefused(`dead letter ${target.id} was resolved meanwhile`);
      for (const projection of advanced) {
        await tx.query(
          `INSERT INTO projection_stream_versions (projection, stream_id, version, position) VALUES ($1, $2, $3, $4)
           ON CONFLICT (projection, stream_id) DO UPDATE
             SET version = EXCLUDED.version, position = EXCLUDED.position
             WHERE projection_stream_versions.version < EXCLUDED.version`,
          [projection, envelope!.streamId, envelope!.version, envelope!.position],
        );
      }
      return resolved;
    });
    const waitingBehind = await this.deadLetters.countParked(target.stream_id, target.version);
    return { skipped, projectionsAdvanced: advanced, waitingBehind };
  }

  private async find(id: string): Promise<DeadLetterWithEnvelope> {
    if (!/^\d{1,18}$/.test(id)) throw new DeadLetterRefused(`not a dead letter id: ${id}`);
    const row = await this.deadLetters.find(id);
    if (row === undefined) throw new DeadLetterRefused(`no dead letter ${id} for consumer group ${this.consumerGroup}`);
    return row;
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
