import { DataSource, QueryRunner } from 'typeorm';
import { EVENT_COLUMNS, readStoreId, toRecordedEvent } from '@patchstate/event-store';
import { EventEnvelope, toEnvelope } from '@patchstate/messaging';
import { Projection } from '../engine/projection';
import { IncomingMessage, ProjectionEngine } from '../engine/projection-engine';
import { EventSource, ReplayWindow, isWindowed, throwIfAborted } from './event-source';
import { TableDifference, diffTable } from './read-model-diff';
import { tablesOf } from './projection-selection';
import {
  ENGINE_TABLES,
  RebuildRefused,
  assertSwappable,
  createShadowSchema,
  dropSchema,
  swapTables,
} from './shadow-tables';

/** One rebuild or verify at a time per database: they lock the live stream versions for their last step. */
const REBUILD_LOCK = 7411003;
const CATCH_UP_PAGE = 1000;

export interface RebuildProgress {
  phase: 'replay' | 'catch-up';
  done: number;
  /** 0 when unknown (catch-up counts what it finds). */
  total: number;
}

export interface RebuildOptions {
  /** The projections to rebuild; see `selectProjections`. Only these run, and only into shadow tables. */
  projections: readonly Projection[];
  source: EventSource;
  /** The window `source` was opened with. A windowed rebuild keeps its shadow schema and never swaps. */
  window?: ReplayWindow;
  signal?: AbortSignal;
  onProgress?: (progress: RebuildProgress) => void;
  log?: (line: string) => void;
  /** Keep the shadow schema after the run (always, for a windowed rebuild). */
  keepShadow?: boolean;
  /** Keep the replaced live tables in their `replay_old_*` schema instead of dropping them. */
  keepOld?: boolean;
  /** How long the final step may wait for locks held by the live projector or queries. */
  lockTimeoutMs?: number;
  /** Connections applying events at once (split by stream); default 2. */
  parallelism?: number;
}

export interface ReplayCounts {
  /** Events handed to the projections by the source. */
  replayed: number;
  applied: number;
  skippedAsDuplicate: number;
  parked: number;
  /** Messages the source read but did not hand on: outside the window, or unreadable. */
  passedOver: number;
  unreadable: number;
  /** Events applied after the source's end, to reach what the live projector has applied meanwhile. */
  caughtUp: number;
  /** Verify only: events the live read models have not applied yet, left out of the comparison. */
  heldBack: number;
}

export interface ParkedEvent {
  streamId: string;
  version: number;
  position: string;
  type: string;
  error: string;
}

export interface RebuildResult {
  outcome: 'swapped' | 'kept';
  projections: string[];
  tables: string[];
  source: string;
  sourceEnd: Record<string, string>;
  counts: ReplayCounts;
  /** Set when the shadow schema was kept (windowed rebuild or keepShadow). */
  shadowSchema: string | null;
  /** Set when the replaced live tables were kept. */
  oldSchema: string | null;
  /** Parked in the shadow tables (a windowed rebuild only: otherwise parking fails the rebuild). */
  parked: { count: number; first: ParkedEvent[] };
  durationMs: number;
}

export interface VerifyResult {
  equal: boolean;
  projections: string[];
  tables: string[];
  source: string;
  counts: ReplayCounts;
  differences: TableDifference[];
  /** Events the rebuild could not apply although the live projector did. */
  parked: { count: number; first: ParkedEvent[] };
  /** Parked live dead letters: their streams are compared only up to the parked event, as live applied them. */
  liveParked: number;
  shadowSchema: string | null;
  durationMs: number;
}

export class RebuildFailed extends Error {
  constructor(
    message: string,
    readonly parked: ParkedEvent[] = [],
  ) {
    super(message);
    this.name = 'RebuildFailed';
  }
}

/**
 * Rebuilds projections from the log into shadow tables with the projections' own code, while the live
 * projector keeps serving, then swaps the shadow tables in atomically. Before the swap it catches up with
 * what the live projector applied meanwhile (under a lock on the live stream versions, which pauses the
 * live projector for that moment), so no event is lost or applied twice. On any failure the live tables
 * are untouched and the shadow schema is dropped.
 */
export async function rebuildReadModels(db: DataSource, options: RebuildOptions): Promise<RebuildResult> {
  const run = new ShadowRun(db, options);
  const windowed = isWindowed(options.window ?? {});
  let keepShadow = options.keepShadow === true || windowed;
  try {
    await run.begin();
    const sourceEnd = await run.replay(false);
    if (windowed) {
      await run.analyze();
      return { ...run.describe(), outcome: 'kept', sourceEnd, shadowSchema: run.schema, oldSchema: null, parked: await run.parked() };
    }
    await run.failIfParked();
    await run.analyze();
    await run.catchUpUnlocked();
    const oldSchema = `replay_old_${timestamp()}_${run.schema!.slice('replay_'.length, 'replay_'.length + 4)}`;
    await run.underLiveLock(async (tx) => {
      await run.catchUp();
      await run.failIfParked();
      await swapTables(tx, run.schema!, oldSchema, run.tables);
      const names = run.projectionNames;
      await tx.query('DELETE FROM public.projection_stream_versions WHERE projection = ANY($1)', [names]);
      await tx.query(
        `INSERT INTO public.projection_stream_versions (projection, stream_id, version, position)
         SELECT projection, stream_id, version, position FROM ${run.schema}.projection_stream_versions WHERE projection = ANY($1)`,
        [names],
      );
      return 'commit';
    });
    if (!options.keepOld) await dropSchema(db, oldSchema);
    else options.log?.(`the replaced live tables are kept in schema ${oldSchema}`);
    return {
      ...run.describe(),
      outcome: 'swapped',
      sourceEnd,
      shadowSchema: keepShadow ? run.schema : null,
      oldSchema: options.keepOld ? oldSchema : null,
      parked: { count: 0, first: [] },
    };
  } catch (error) {
    keepShadow = options.keepShadow === true;
    throw error;
  } finally {
    await run.end(keepShadow);
  }
}

/**
 * Rebuilds into shadow tables and compares them with the live ones. The rebuild is held to what the live
 * projector has applied (per stream, up to the live version), and the comparison runs under the lock on
 * the live stream versions, so a live projector that is merely behind or busy never shows as a difference.
 */
export async function verifyReadModels(
  db: DataSource,
  options: RebuildOptions & { maxRowsPerTable?: number },
): Promise<VerifyResult> {
  const run = new ShadowRun(db, options);
  try {
    await run.begin();
    await run.replay(true);
    await run.catchUpUnlocked();
    let differences: TableDifference[] = [];
    let parked = { count: 0, first: [] as ParkedEvent[] };
    let liveParked = 0;
    await run.underLiveLock(async (tx) => {
      await run.catchUp();
      parked = await run.parked();
      for (const table of run.tables) differences.push(await diffTable(tx, table, run.schema!, options.maxRowsPerTable ?? 20));
      const [{ n }]: { n: string }[] = await tx.query(`SELECT count(*) AS n FROM public.dead_letters WHERE status = 'parked'`);
      liveParked = Number(n);
      return 'rollback';
    });
    differences = differences.filter((d) => d.differingRows > 0);
    return {
      ...run.describe(),
      equal: differences.length === 0 && parked.count === 0,
      differences,
      parked,
      liveParked,
      shadowSchema: options.keepShadow ? run.schema : null,
    };
  } finally {
    await run.end(options.keepShadow === true);
  }
}

/** The shared steps of a rebuild and a verify: one shadow schema, one engine, one set of counts. */
class ShadowRun {
  schema: string | null = null;
  readonly tables: string[];
  readonly projectionNames: string[];
  private readonly engine: ProjectionEngine;
  private lockHolder: QueryRunner | null = null;
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

  constructor(
    private readonly db: DataSource,
    private readonly options: RebuildOptions,
  ) {
    if (options.projections.length === 0) throw new RebuildRefused('no projection selected');
    this.tables = tablesOf(options.projections);
    this.projectionNames = options.projections.map((p) => p.name);
    // Only the selected projections run: any other would write to live tables through the search_path.
    this.engine = new ProjectionEngine(db, options.projections);
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

  async begin(): Promise<void> {
    const holder = this.db.createQueryRunner();
    await holder.connect();
    const [{ ok }]: { ok: boolean }[] = await holder.query('SELECT pg_try_advisory_lock($1) AS ok', [REBUILD_LOCK]);
    if (!ok) {
      await holder.release();
      throw new RebuildRefused('another rebuild or verify is running against this database; try again when it has finished');
    }
    this.lockHolder = holder;
    await assertSwappable(this.db, this.tables);
    this.schema = await createShadowSchema(this.db, [...this.tables, ...ENGINE_TABLES]);
    this.options.log?.(`rebuilding ${this.projectionNames.join(', ')} into schema ${this.schema}`);
  }

  async end(keepShadow: boolean): Promise<void> {
    try {
      if (this.schema !== null) {
        if (keepShadow) this.options.log?.(`the shadow tables are kept in schema ${this.schema}`);
        else await dropSchema(this.db, this.schema);
      }
    } finally {
      if (this.lockHolder) {
        await this.lockHolder.query('SELECT pg_advisory_unlock($1)', [REBUILD_LOCK]).catch(() => undefined);
        await this.lockHolder.release();
        this.lockHolder = null;
      }
    }
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
      shares.filter((share) => share.length > 0).map((share) => this.engine.applyBatch(null, share, null, { schema: this.schema! })),
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

  /**
   * Applies, from the store, the events of every stream for which the live projector is ahead of the
   * shadow tables (by the highest stream version of the selected projections). Returns how many.
   */
  async catchUp(): Promise<number> {
    let after = '0';
    let applied = 0;
    for (;;) {
      throwIfAborted(this.options.signal);
      const rows: (Parameters<typeof toRecordedEvent>[0] & { stream_type: string })[] = await this.db.query(
        `WITH live AS (
           SELECT stream_id, max(version) AS version FROM public.projection_stream_versions WHERE projection = ANY($1) GROUP BY stream_id
         ), rebuilt AS (
           SELECT stream_id, max(version) AS version FROM ${this.schema}.projection_stream_versions WHERE projection = ANY($1) GROUP BY stream_id
         ), behind AS (
           SELECT l.stream_id, coalesce(r.version, 0) AS from_version, l.version AS to_version
           FROM live l LEFT JOIN rebuilt r USING (stream_id) WHERE l.version > coalesce(r.version, 0)
         )
         SELECT ${EVENT_COLUMNS.split(', ').map((c) => `e.${c}`).join(', ')}, e.stream_type
         FROM behind b JOIN events e ON e.stream_id = b.stream_id AND e.version > b.from_version AND e.version <= b.to_version
         WHERE e.position > $2 ORDER BY e.position LIMIT ${CATCH_UP_PAGE}`,
        [this.projectionNames, after],
      );
      if (rows.length === 0) break;
      const storeId = await readStoreId(this.db);
      await this.apply(rows.map((row) => toEnvelope(toRecordedEvent(row), row.stream_type, storeId)));
      applied += rows.length;
      this.counts.caughtUp += rows.length;
      this.report({ phase: 'catch-up', done: this.counts.caughtUp, total: 0 });
      after = String(rows[rows.length - 1].position);
      if (rows.length < CATCH_UP_PAGE) break;
    }
    return applied;
  }

  async parked(): Promise<{ count: number; first: ParkedEvent[] }> {
    const [{ n }]: { n: string }[] = await this.db.query(`SELECT count(*) AS n FROM ${this.schema}.dead_letters`);
    if (Number(n) === 0) return { count: 0, first: [] };
    const rows: { stream_id: string; version: number; position: string; event_type: string; error: string }[] = await this.db.query(
      `SELECT stream_id, version, position, event_type, error FROM ${this.schema}.dead_letters ORDER BY position, id LIMIT 10`,
    );
    return {
      count: Number(n),
      first: rows.map((row) => ({
        streamId: row.stream_id,
        version: row.version,
        position: String(row.position),
        type: row.event_type,
        error: row.error,
      })),
    };
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
      const tx = this.db.createQueryRunner();
      await tx.connect();
      try {
        await tx.startTransaction();
        await tx.query(`SET LOCAL lock_timeout = '${Math.max(1, Math.floor(timeout))}ms'`);
        await tx.query('LOCK TABLE public.projection_stream_versions IN EXCLUSIVE MODE');
        const decision = await work(tx);
        if (decision === 'commit') await tx.commitTransaction();
        else await tx.rollbackTransaction();
        return;
      } catch (error) {
        if (tx.isTransactionActive) await tx.rollbackTransaction().catch(() => undefined);
        const code = (error as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (error as { code?: string }).code;
        if (code !== '55P03' || attempt >= 3) throw error;
        this.options.log?.(`locks were not granted within ${timeout} ms (attempt ${attempt}); catching up and trying again`);
        await this.catchUp();
      } finally {
        await tx.release();
      }
    }
  }

  private report(progress: RebuildProgress): void {
    this.options.onProgress?.(progress);
  }
}

function streamShare(streamId: string, shares: number): number {
  let hash = 0;
  for (let i = 0; i < streamId.length; i += 1) hash = (hash * 31 + streamId.charCodeAt(i)) | 0;
  return Math.abs(hash) % shares;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
}
