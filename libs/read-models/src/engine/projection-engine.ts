import { DataSource, QueryRunner } from 'typeorm';
import { readStoreId, withTransaction } from '@patchstate/event-store';
import { APPLIED_CHANNEL } from './applied-watcher';
import { EventEnvelope } from '@patchstate/messaging';
import { DeadLetterStore } from '../dead-letters/dead-letter-store';
import { Projection } from './projection';

export interface IncomingMessage {
  offset: string;
  /** null when the message could not even be read as an envelope. */
  envelope: EventEnvelope | null;
  /** The Kafka key: the stream the message belongs to, even when its value cannot be read. */
  key?: string | null;
  raw: string;
  error?: string;
}

function versionKey(projection: string, streamId: string): string {
  return `${projection}\u0000${streamId}`;
}

export interface BatchOutcome {
  applied: number;
  skippedAsDuplicate: number;
  parked: number;
}

/** A projection's applied version for one stream, as the batch found it or moved it. */
interface StreamVersion {
  version: number;
  position: string;
}

/** What one transaction knows of its streams, loaded once per batch instead of once per event. */
interface BatchState {
  /** The dead letters of the batch's consumer group, written in the batch's transaction. */
  deadLetters: DeadLetterStore;
  /** This database's event store: events stamped with another store's identity are set apart. */
  storeId: string;
  /** `${projection}\u0000${streamId}` → applied version. */
  versions: Map<string, StreamVersion>;
  /** Versions moved by this batch, written back in one statement at the end. */
  changed: Set<string>;
  /** Per stream, the lowest version parked: everything after it waits behind it. */
  parkedFrom: Map<string, number>;
}

class ProjectionFailed extends Error {}

/**
 * Applies a batch of events to every projection and stores the consumer's position, all in one Postgres
 * transaction. Guards: a stream version already applied is skipped (redelivery is harmless); a stream with
 * a parked event keeps its order by parking the events behind it too; other streams go on.
 *
 * Throughput: the version guards and the parked streams of the whole batch are read in two queries and the
 * moved versions written back in one. A batch runs first without per-event savepoints, each projection
 * handed all its events at once (`Projection.applyBatch`: a few statements per table, not per event); only
 * when a projection fails is it rolled back and run again event by event, so the failing event alone is parked.
 */
export class ProjectionEngine {
  private storeId: string | undefined;

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
    try {
      return await this.runBatch(checkpoint, messages, nextOffset, options, false);
    } catch (error) {
      if (!(error instanceof ProjectionFailed)) throw error;
      return this.runBatch(checkpoint, messages, nextOffset, options, true);
    }
  }

  private async runBatch(
    checkpoint: { group: string; topic: string; partition: number } | null,
    messages: readonly IncomingMessage[],
    nextOffset: string | null,
    options: { schema?: string },
    isolateEvents: boolean,
  ): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { applied: 0, skippedAsDuplicate: 0, parked: 0 };
    return withTransaction(this.db, async (tx) => {
      if (options.schema !== undefined) {
        if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) throw new Error(`not a schema name: ${options.schema}`);
        await tx.query(`SET LOCAL search_path TO ${options.schema}, public`);
      }
      const state = await this.loadBatchState(tx, checkpoint?.group ?? 'replay', messages);
      // First run: the guards only collect each projection's events, which it then applies as one set.
      const pending = isolateEvents ? null : new Map<Projection, EventEnvelope[]>();
      for (const message of messages) {
        const result = await this.applyOne(tx, state, message, pending);
        outcome[result] += 1;
      }
      if (pending) await this.applyPending(tx, pending);
      await this.saveVersions(tx, state);
      if (checkpoint && nextOffset !== null) {
        await tx.query(
          `INSERT INTO projection_checkpoints (consumer_group, topic, partition, next_offset, updated_at)
           VALUES ($1, $2, $3, $4, now())
           ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
          [checkpoint.group, checkpoint.topic, checkpoint.partition, nextOffset],
        );
      }
      // Delivered at commit: read-your-writes waiters in every API process look again, instead of polling.
      if (options.schema === undefined && messages.length > 0) await tx.query('SELECT pg_notify($1, NULL)', [APPLIED_CHANNEL]);
      return outcome;
    });
  }

  private async loadBatchState(tx: QueryRunner, group: string, messages: readonly IncomingMessage[]): Promise<BatchState> {
    const streams = [...new Set(messages.flatMap((m) => (m.envelope ? [m.envelope.streamId] : [])))];
    this.storeId ??= await readStoreId(tx);
    const deadLetters = new DeadLetterStore(tx, group);
    const state: BatchState = { deadLetters, storeId: this.storeId, versions: new Map(), changed: new Set(), parkedFrom: new Map() };
    if (streams.length === 0) return state;
    // Locked for the transaction: a second projector that still thinks it owns a partition waits, then sees
    // what this one applied.
    const versions: { projection: string; stream_id: string; version: number; position: string }[] = await tx.query(
      `SELECT projection, stream_id, version, position FROM projection_stream_versions
       WHERE stream_id = ANY($1::text[]) AND projection = ANY($2::text[]) FOR UPDATE`,
      [streams, this.projectionNames],
    );
    for (const row of versions) {
      state.versions.set(versionKey(row.projection, row.stream_id), { version: row.version, position: String(row.position) });
    }
    state.parkedFrom = await deadLetters.parkedFrom(streams);
    return state;
  }

  /**
   * `pending` null: the isolated run, each event applied at once behind its own savepoint. Otherwise the
   * event is only queued for its projections (see `applyPending`).
   */
  private async applyOne(
    tx: QueryRunner,
    state: BatchState,
    message: IncomingMessage,
    pending: Map<Projection, EventEnvelope[]> | null,
  ): Promise<keyof BatchOutcome> {
    const isolate = pending === null;
    const envelope = message.envelope;
    if (envelope === null) {
      await state.deadLetters.parkUnreadable(message.raw, message.error ?? 'unreadable message');
      if (message.key) await this.holdBackStream(state, message.key);
      return 'parked';
    }
    if (envelope.storeId !== state.storeId) {
      await this.parkForeign(state, envelope);
      return 'parked';
    }
    const parkedFrom = state.parkedFrom.get(envelope.streamId);
    if (parkedFrom !== undefined && parkedFrom < envelope.version) {
      await this.park(state, envelope, 'waiting behind an earlier parked event of this stream');
      return 'parked';
    }
    const moved: [string, StreamVersion | undefined][] = [];
    let appliedAny = false;
    if (isolate) await tx.query('SAVEPOINT projection_event');
    try {
      for (const projection of this.projections) {
        if (!projection.handles(envelope)) continue;
        // A projection that handles only some event types sees gaps in versions; order itself is kept by
        // Kafka (one stream, one partition) and by parking everything behind a parked event.
        const key = versionKey(projection.name, envelope.streamId);
        const applied = state.versions.get(key);
        if (envelope.version <= (applied?.version ?? 0)) continue;
        if (!pending) await projection.apply(tx, envelope);
        else if (pending.has(projection)) pending.get(projection)!.push(envelope);
        else pending.set(projection, [envelope]);
        moved.push([key, applied]);
        state.versions.set(key, { version: envelope.version, position: envelope.position });
        appliedAny = true;
      }
      if (isolate) await tx.query('RELEASE SAVEPOINT projection_event');
    } catch (error) {
      if (!isolate) throw new ProjectionFailed((error as Error).message);
      await tx.query('ROLLBACK TO SAVEPOINT projection_event');
      for (const [key, before] of moved.reverse()) {
        if (before) state.versions.set(key, before);
        else state.versions.delete(key);
      }
      await this.park(state, envelope, (error as Error).message);
      return 'parked';
    }
    for (const [key] of moved) state.changed.add(key);
    return appliedAny ? 'applied' : 'skippedAsDuplicate';
  }

  /**
   * Each projection owns its tables, so applying them one after the other ends where interleaving them per
   * event would. A failure fails the whole run; the engine then runs the batch again event by event, isolated.
   */
  private async applyPending(tx: QueryRunner, pending: Map<Projection, EventEnvelope[]>): Promise<void> {
    for (const [projection, envelopes] of pending) {
      try {
        if (projection.applyBatch) await projection.applyBatch(tx, envelopes);
        else for (const envelope of envelopes) await projection.apply(tx, envelope);
      } catch (error) {
        throw new ProjectionFailed((error as Error).message);
      }
    }
  }

  private async saveVersions(tx: QueryRunner, state: BatchState): Promise<void> {
    if (state.changed.size === 0) return;
    const rows = [...state.changed].map((key) => {
      const [projection, streamId] = key.split('\u0000');
      const { version, position } = state.versions.get(key)!;
      return { projection, streamId, version, position };
    });
    await tx.query(
      `INSERT INTO projection_stream_versions (projection, stream_id, version, position)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[])
       ON CONFLICT (projection, stream_id) DO UPDATE SET version = EXCLUDED.version, position = EXCLUDED.position`,
      [rows.map((r) => r.projection), rows.map((r) => r.streamId), rows.map((r) => r.version), rows.map((r) => r.position)],
    );
  }

  /** Parks the event, and every later one of its stream behind it. */
  private async park(state: BatchState, envelope: EventEnvelope, error: string): Promise<void> {
    await state.deadLetters.park(envelope, error);
    const from = state.parkedFrom.get(envelope.streamId);
    if (from === undefined || envelope.version < from) state.parkedFrom.set(envelope.streamId, envelope.version);
  }

  /**
   * An event of another event store (a shared topic, a recreated database) is never applied: its
   * `device-ws-1` is not ours. It shows in the dead letters and the parked-events gauge for an operator to
   * notice, without holding back any stream of ours.
   */
  private async parkForeign(state: BatchState, envelope: EventEnvelope): Promise<void> {
    await state.deadLetters.parkForeign(
      envelope,
      envelope.storeId === undefined
        ? `carries no event store identity; this database's store is ${state.storeId}`
        : `recorded by event store ${envelope.storeId}, not by this database's store ${state.storeId}`,
    );
  }

  /**
   * An unreadable message keyed by a stream was most likely one of that stream's events: applying the ones
   * after it would build a state that never was. A marker at version 0 holds the stream back, like any parked
   * event, until an operator skips it (then retries the rest) or a rebuild from the store repairs it.
   */
  private async holdBackStream(state: BatchState, streamId: string): Promise<void> {
    await state.deadLetters.holdBack(
      streamId,
      'an unreadable message of this stream (see the "unreadable" dead letters) holds back its later events',
    );
    state.parkedFrom.set(streamId, 0);
  }
}
