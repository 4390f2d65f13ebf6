import { DataSource, QueryRunner } from 'typeorm';
import { withTransaction } from '@patchstate/event-store';
import { EventEnvelope } from '@patchstate/messaging';
import { parkedInSchema } from '../dead-letters/dead-letter-store';
import { IncomingMessage, ProjectionEngine } from '../engine/projection-engine';
import { eventsBehindLive } from './catch-up';
import { throwIfAborted } from './event-source';
import { tablesOf } from './projection-selection';
import { ParkedEvent, RebuildFailed, RebuildOptions, RebuildProgress, ReplayCounts } from './rebuild-types';
import { ENGINE_TABLES, RebuildRefused, assertSwappable, createShadowSchema, dropSchema } from './shadow-tables';

/** One rebuild or verify at a time per database: they lock the live stream versions for their last step. */
const REBUILD_LOCK = 7411003;

/**
 * The shared steps of a rebuild and a verify: one shadow schema, one engine, one set of counts. A run only
 * exists once started: it holds the rebuild lock and its shadow schema until `end`.
 */
export class ShadowRun {
  readonly tables: string[];
  readonly projectionNames: string[];
  private readonly engine: ProjectionEngine;
  private readonly startedAt = Date.now();
  private readonly counts: ReplayCounts = {
    replayed: 0,
    applied: 0,
    skippedAsDuplicate: 0,
    parked: 0,
    passedOver: 0,
    unreadable: 0,
    caughtUp: 0,
    heldBack: 0,
  };

  private constructor(
    private readonly db: DataSource,
    private readonly options: RebuildOptions,
    private readonly lockHolder: QueryRunner,
    readonly schema: string,
  ) {
    this.tables = tablesOf(options.projections);
    this.projectionNames = options.projections.map((p) => p.name);
    // Only the selected projections run: any other would write to live tables through the search_path.
    this.engine = new ProjectionEngine(db, options.projections);
  }

  /** Takes the rebuild lock, checks the live tables can be swapped and creates the shadow schema. */
  static async start(db: DataSource, options: RebuildOptions): Promise<ShadowRun> {
    if (options.projections.length === 0) throw new RebuildRefused('no projection selected');
    const tables = tablesOf(options.projections);
    const holder = db.createQueryRunner();
    await holder.connect();
    try {
      const [{ ok }]: { ok: boolean }[] = await holder.query('SELECT pg_try_advisory_lock($1) AS ok', [REBUILD_LOCK]);
      if (!ok) throw new RebuildRefused('another rebuild or verify is running against this database; try again when it has finished');
      await assertSwappable(db, tables);
      const schema = await createShadowSchema(db, [...tables, ...ENGINE_TABLES]);
      options.log?.(`rebuilding ${options.projections.map((p) => p.name).join(', ')} into schema ${schema}`);
      return new ShadowRun(db, options, holder, schema);
    } catch (error) {
      await releaseRebuildLock(holder);
      throw error;
    }
  }

  async end(keepShadow: boolean): Promise<void> {
    try {
      if (keepShadow) this.options.log?.(`the shadow tables are kept in schema ${this.schema}`);
      else await dropSchema(this.db, this.schema);
    } finally {
      await releaseRebuildLock(this.lockHolder);
    }
  }

  describe() {
    return {
      projections: this.projectionNames,
      tables: this.tables,
      source: this.options.source.name,
      counts: { ...this.counts },
      durationMs: Date.now() - this.startedAt,
    };
  }

  /** Reads the whole source into the shadow tables; `boundByLive`: only what the live projector has applied. */
  async replay(boundByLive: boolean): Promise<Record<string, string>> {
    const { signal, source } = this.options;
    throwIfAborted(signal);
    const opening = await source.open();
    let done = 0;
    const heldBack = new Set<string>();
    this.report({ phase: 'replay', done, total: opening.total });
    const { unreadable } = await source.read(async ({ envelopes, passedOver }) => {
      throwIfAborted(signal);
      const handed = boundByLive ? await this.withinLiveProgress(envelopes, heldBack) : envelopes;
      await this.apply(handed);
      this.counts.replayed += handed.length;
      this.counts.heldBack += envelopes.length - handed.length;
      this.counts.passedOver += passedOver;
      done += envelopes.length + passedOver;
      this.report({ phase: 'replay', done, total: Math.max(opening.total, done) });
    }, signal);
    this.counts.unreadable += unreadable;
    return opening.end;
  }

  /**
   * Keeps the events the live projector has already applied. Once one event of a stream is held back,
   * every later one is too (order per stream); the catch-up brings them in later, in order.
   */
  private async withinLiveProgress(envelopes: EventEnvelope[], heldBack: Set<string>): Promise<EventEnvelope[]> {
    if (envelopes.length === 0) return envelopes;
    const streams = [...new Set(envelopes.map((e) => e.streamId))];
    const rows: { stream_id: string; version: number }[] = await this.db.query(
      `SELECT stream_id, max(version) AS version FROM public.projection_stream_versions
       WHERE projection = ANY($1) AND stream_id = ANY($2) GROUP BY stream_id`,
      [this.projectionNames, streams],
    );
    const live = new Map(rows.map((row) => [row.stream_id, Number(row.version)]));
    return envelopes.filter((envelope) => {
      // No selected projection handles it: a no-op either way, and not something live is behind on.
      if (!this.options.projections.some((p) => p.handles(envelope))) return true;
      if (heldBack.has(envelope.streamId)) return false;
      if (envelope.version <= (live.get(envelope.streamId) ?? 0)) return true;
      heldBack.add(envelope.streamId);
      return false;
    });
  }

  /**
   * Streams are independent (Kafka's partitions already apply them in no global order, and several projector
   * processes apply them concurrently), so the batch is split by stream over a few connections; each stream
   * keeps its order within its share.
   */
  private async apply(envelopes: readonly EventEnvelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    const parallelism = Math.max(1, this.options.parallelism ?? 2);
    const shares: IncomingMessage[][] = Array.from({ length: parallelism }, () => []);
    for (const envelope of envelopes) {
      shares[streamShare(envelope.streamId, parallelism)].push({ offset: envelope.position, envelope, raw: '' });
    }
    const outcomes = await Promise.all(
      shares.filter((share) => share.length > 0).map((share) => this.engine.applyBatch(null, share, null, { schema: this.schema })),
    );
    for (const outcome of outcomes) {
      this.counts.applied += outcome.applied;
      this.counts.skippedAsDuplicate += outcome.skippedAsDuplicate;
      this.counts.parked += outcome.parked;
    }
  }

  /** A few rounds without any lock, so the locked final round has little left to do. */
  async catchUpUnlocked(): Promise<void> {
    for (let round = 0; round < 5; round += 1) {
      if ((await this.catchUp()) < 100) return;
    }
  }

  /** Applies what the live projector has applied and the shadow tables have not. Returns how many events. */
  async catchUp(): Promise<number> {
    let applied = 0;
    for await (const page of eventsBehindLive(this.db, this.schema, this.projectionNames, this.options.signal)) {
      await this.apply(page);
      applied += page.length;
      this.counts.caughtUp += page.length;
      this.report({ phase: 'catch-up', done: this.counts.caughtUp, total: 0 });
    }
    return applied;
  }

  async parked(): Promise<{ count: number; first: ParkedEvent[] }> {
    return parkedInSchema(this.db, this.schema);
  }

  async failIfParked(): Promise<void> {
    const parked = await this.parked();
    if (parked.count === 0) return;
    const list = parked.first.map((p) => `${p.streamId} v${p.version} (${p.type}, position ${p.position}): ${p.error}`);
    throw new RebuildFailed(
      `the rebuilt projections could not apply ${parked.count} event(s); the live tables are left as they were:\n  - ${list.join('\n  - ')}`,
      parked.first,
    );
  }

  async analyze(): Promise<void> {
    for (const table of this.tables) await this.db.query(`ANALYZE ${this.schema}."${table.replace(/"/g, '""')}"`);
  }

  /**
   * Runs `work` in a transaction holding the live stream versions in EXCLUSIVE mode: live projector batches
   * wait (they lock their stream rows first), queries go on. Retries a few times when locks are not granted
   * in time; a commit happens only when `work` asks for it.
   */
  async underLiveLock(work: (tx: QueryRunner) => Promise<'commit' | 'rollback'>): Promise<void> {
    const timeout = this.options.lockTimeoutMs ?? 15_000;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await withTransaction(this.db, async (tx) => {
          await tx.query(`SET LOCAL lock_timeout = '${Math.max(1, Math.floor(timeout))}ms'`);
          await tx.query('LOCK TABLE public.projection_stream_versions IN EXCLUSIVE MODE');
          if ((await work(tx)) === 'rollback') await tx.rollbackTransaction();
        });
      } catch (error) {
        const code = (error as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (error as { code?: string }).code;
        if (code !== '55P03' || attempt >= 3) throw error;
        this.options.log?.(`locks were not granted within ${timeout} ms (attempt ${attempt}); catching up and trying again`);
        await this.catchUp();
      }
    }
  }

  private report(progress: RebuildProgress): void {
    this.options.onProgress?.(progress);
  }
}

async function releaseRebuildLock(holder: QueryRunner): Promise<void> {
  await holder.query('SELECT pg_advisory_unlock($1)', [REBUILD_LOCK]).catch(() => undefined);
  await holder.release();
}

function streamShare(streamId: string, shares: number): number {
  let hash = 0;
  for (let i = 0; i < streamId.length; i += 1) hash = (hash * 31 + streamId.charCodeAt(i)) | 0;
  return Math.abs(hash) % shares;
}
