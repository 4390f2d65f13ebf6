import { DataSource } from 'typeorm';
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
export class ProjectionProgress {
  private appliedThrough = 0n;

  constructor(private readonly db: DataSource) {}

  async isApplied(position: string): Promise<boolean> {
    const wanted = BigInt(position);
    if (wanted <= this.appliedThrough) return true;
    const rows: { position: string }[] = await this.db.query(
      `SELECT e.position::text AS position FROM events e
       WHERE e.position > $1 AND e.position <= $2
         AND NOT EXISTS (
           SELECT 1 FROM projection_stream_versions v WHERE v.stream_id = e.stream_id AND v.version >= e.version
         )
       ORDER BY e.position LIMIT 1`,
      [this.appliedThrough.toString(), position],
    );
    const [lastPosition]: { last_position: string }[] = await this.db.query('SELECT last_position::text AS last_position FROM event_store_position');
    // A position the log has not reached yet is not applied either.
    const reached = wanted <= BigInt(lastPosition.last_position);
    const firstMissing = rows.length === 0 ? null : BigInt(rows[0].position);
    const through = firstMissing === null ? (reached ? wanted : BigInt(lastPosition.last_position)) : firstMissing - 1n;
    if (through > this.appliedThrough) this.appliedThrough = through;
    return reached && firstMissing === null;
  }

  /** `minPosition` as a caller sent it: absent (or 0, gRPC's default) asks for nothing; otherwise validated and awaited. */
  async waitForMinPosition(minPosition: unknown, maxWaitMs: number): Promise<void> {
    if (minPosition === undefined || minPosition === '0' || minPosition === '') return;
    if (typeof minPosition !== 'string' || !/^\d{1,18}$/.test(minPosition)) {
      throw new ValidationError([{ field: 'minPosition', message: 'must be a global position (a whole number)' }]);
    }
    await this.waitFor(minPosition, maxWaitMs);
  }

  async waitFor(position: string, maxWaitMs: number, pollMs = 25): Promise<void> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      if (await this.isApplied(position)) return;
      if (Date.now() >= deadline) {
        throw new DomainError('PROJECTION_BEHIND', `read models have not applied position ${position} within ${maxWaitMs} ms`, {
          minPosition: position,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}
