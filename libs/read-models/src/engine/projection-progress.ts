import { DataSource } from 'typeorm';
import { EventLog, PgListener, PostgresEventStore, databaseUrlOf } from '@patchstate/event-store';
import { APPLIED_CHANNEL, AppliedWatcher } from './applied-watcher';
import { DomainError, ValidationError } from '@patchstate/domain';

/**
 * Read-your-writes: a command answers with the global position of its event; a query given `minPosition`
 * waits until the read models have applied every event up to that position — not just that one event, since
 * the events before it sit on other partitions and may trail. All projections of one event commit in the
 * same transaction, so a stream's guard row proves its events are applied everywhere.
 *
 * The process remembers the position up to which everything is known to be applied (positions are gap-free
 * and commit-ordered, so that never needs checking again) and only looks at the events after it.
 */
/** Notifications wake waiters; this poll only covers a missed one or a lost listening connection. */
const DEFAULT_SAFETY_POLL_MS = 500;

export class ProjectionProgress {
  private appliedThrough = 0n;
  private readonly store: PostgresEventStore;
  private readonly log: EventLog;

  private readonly watcher: AppliedWatcher;

  constructor(
    private readonly db: DataSource,
    options: { safetyPollMs?: number } = {},
  ) {
    this.store = new PostgresEventStore(db);
    this.log = new EventLog(db);
    const listener = new PgListener(databaseUrlOf(db), [APPLIED_CHANNEL], { notify: () => this.watcher.requestCheck() });
    this.watcher = new AppliedWatcher(listener, (wanted) => this.advance(wanted), options.safetyPollMs ?? DEFAULT_SAFETY_POLL_MS);
  }

  /** The position up to which everything is applied, after looking as far as `wanted`. */
  private async advance(wanted: bigint): Promise<bigint> {
    await this.isApplied(wanted.toString());
    return this.appliedThrough;
  }

  async isApplied(position: string): Promise<boolean> {
    const wanted = BigInt(position);
    if (wanted <= this.appliedThrough) return true;
    // Read first: every event up to it is committed and visible to the scan below.
    const last = BigInt(await this.store.lastPosition());
    // A position the log has not reached yet is not applied either.
    const reached = wanted <= last;
    const firstMissing = await this.firstUnapplied(this.appliedThrough, reached ? wanted : last);
    const through = firstMissing === null ? (reached ? wanted : last) : firstMissing - 1n;
    if (through > this.appliedThrough) this.appliedThrough = through;
    return reached && firstMissing === null;
  }

  /** The first position in (after, to] whose event no projection has applied (by its stream's guard row). */
  private async firstUnapplied(after: bigint, to: bigint): Promise<bigint | null> {
    if (to <= after) return null;
    for await (const page of this.log.readAll({ after: after.toString(), to: to.toString() }, 500)) {
      const rows: { stream_id: string; version: number }[] = await this.db.query(
        'SELECT stream_id, max(version) AS version FROM projection_stream_versions WHERE stream_id = ANY($1::text[]) GROUP BY stream_id',
        [[...new Set(page.map((event) => event.streamId))]],
      );
      const applied = new Map(rows.map((row) => [row.stream_id, Number(row.version)]));
      const missing = page.find((event) => (applied.get(event.streamId) ?? 0) < event.version);
      if (missing) return BigInt(missing.position);
    }
    return null;
  }

  /** `minPosition` as a caller sent it: absent (or 0, gRPC's default) asks for nothing; otherwise validated and awaited. */
  async waitForMinPosition(minPosition: unknown, maxWaitMs: number): Promise<void> {
    if (minPosition === undefined || minPosition === '0' || minPosition === '') return;
    if (typeof minPosition !== 'string' || !/^\d{1,18}$/.test(minPosition)) {
      throw new ValidationError([{ field: 'minPosition', message: 'must be a global position (a whole number)' }]);
    }
    await this.waitFor(minPosition, maxWaitMs);
  }

  /**
   * Waits, without polling each request on its own: one watcher per process is woken by the projector's
   * notification and checks once for every waiting request.
   */
  async waitFor(position: string, maxWaitMs: number): Promise<void> {
    const wanted = BigInt(position);
    if (wanted <= this.appliedThrough) return;
    if (await this.watcher.wait(wanted, maxWaitMs)) return;
    throw new DomainError('PROJECTION_BEHIND', `read models have not applied position ${position} within ${maxWaitMs} ms`, {
      minPosition: position,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.watcher.close();
  }
}
