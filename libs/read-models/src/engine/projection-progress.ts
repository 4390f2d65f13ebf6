import { DataSource } from 'typeorm';
import { DomainError } from '@patchstate/domain';

/**
 * Read-your-writes: a command answers with the global position of its event; a query given `minPosition`
 * waits until the read models have applied that event. All projections of one event commit in the same
 * transaction, so the stream's guard row proves the event is applied everywhere.
 */
export class ProjectionProgress {
  constructor(private readonly db: DataSource) {}

  async isApplied(position: string): Promise<boolean> {
    const rows: { applied: boolean }[] = await this.db.query(
      `SELECT EXISTS (
         SELECT 1 FROM events e JOIN projection_stream_versions v ON v.stream_id = e.stream_id AND v.version >= e.version
         WHERE e.position = $1
       ) AS applied`,
      [position],
    );
    return rows[0].applied;
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
