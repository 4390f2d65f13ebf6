import { DataSource, QueryRunner } from 'typeorm';
import { PendingAppend } from './append-types';
import { insertEvents, lockHeads, planBatch, recordOutcomes, translateConstraintError, writeHeads } from './append-batch';

export interface GroupCommitOptions {
  /** At most this many appends share one transaction; more wait for the next flush. */
  maxBatch?: number;
  /** Lets a test act inside a flush's transaction just before it commits (to crash it, or to look). */
  beforeCommit?: (tx: QueryRunner, size: number) => Promise<void>;
}

const DEFAULT_MAX_BATCH = 256;

/**
 * Group commit: concurrent appends of this process are committed together, one transaction and one
 * statement per table for all of them, so the position counter's row lock and the commit's disk flush are
 * paid once per flush rather than once per append. One flush runs at a time: what arrives meanwhile waits
 * and goes in the next one, which starts as soon as the current one ends (an idle store flushes on the next
 * turn of the event loop, so a lone append waits for nothing but its own transaction).
 */
export class GroupCommit {
  private queue: PendingAppend[] = [];
  private running = false;
  private scheduled = false;
  private readonly maxBatch: number;

  constructor(
    private readonly db: DataSource,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
  }

  submit(item: PendingAppend): void {
    this.queue.push(item);
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a timer: appends started in the same turn share the flush, and a lone one waits ~0 ms.
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.flushOrSplit(batch);
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * A flush that fails as a whole (a concurrent process created one of its streams or stored one of its
   * idempotency keys first, a lost connection, a bad event) wrote nothing, being one transaction: each of its
   * appends is then tried in a transaction of its own, so only the one that caused it fails, with its reason.
   */
  private async flushOrSplit(batch: PendingAppend[]): Promise<void> {
    try {
      await this.flush(batch);
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(translateConstraintError(error, batch[0]));
        return;
      }
      for (const item of batch) await this.flushOrSplit([item]);
    }
  }

  private async flush(batch: PendingAppend[]): Promise<void> {
    const tx = this.db.createQueryRunner();
    await tx.connect();
    try {
      // READ COMMITTED is the server's default: a bare BEGIN saves the round trip of naming it.
      await tx.query('BEGIN');
      const plan = planBatch(batch, await lockHeads(tx, batch.map((item) => item.streamId)));
      let answers: Awaited<ReturnType<typeof recordOutcomes>> = [];
      if (plan.accepted.length > 0) {
        await writeHeads(tx, plan.heads);
        await insertEvents(tx, plan.accepted.flatMap(({ links }) => links));
        answers = await recordOutcomes(tx, plan.accepted);
      }
      if (this.options.beforeCommit) await this.options.beforeCommit(tx, batch.length);
      await tx.query('COMMIT');
      // Refusals are answered after commit: a refused duplicate idempotency key finds the stored outcome.
      plan.accepted.forEach(({ item }, index) => item.resolve(answers[index]));
      for (const { item, error } of plan.refused) item.reject(error);
    } catch (error) {
      await tx.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await tx.release();
    }
  }
}
