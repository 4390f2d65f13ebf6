import { DataSource } from 'typeorm';
import { LOGGED_COLUMNS, LoggedEvent, LoggedEventRow, toLoggedEvent } from './event-log';

/**
 * The outbox the store fills in the same transaction as each append: the events still to be published, in
 * position order. Whoever publishes claims the oldest and marks them published only once the broker has
 * them, so a crash in between publishes them again (at least once), never loses them.
 */
export class Outbox {
  constructor(private readonly db: DataSource) {}

  /**
   * The oldest `limit` unpublished events. Claiming does not lock rows: one publisher at a time is the
   * caller's rule (the relay's leader lock), since two publishers sharing rows would reorder a stream.
   */
  async claim(limit: number): Promise<LoggedEvent[]> {
    const rows: LoggedEventRow[] = await this.db.query(
      `SELECT ${LOGGED_COLUMNS}
       FROM outbox o JOIN events e ON e.position = o.position
       WHERE o.published_at IS NULL ORDER BY o.position LIMIT $1`,
      [limit],
    );
    return rows.map(toLoggedEvent);
  }

  async markPublished(positions: readonly string[]): Promise<void> {
    if (positions.length === 0) return;
    await this.db.query('UPDATE outbox SET published_at = now() WHERE position = ANY($1::bigint[])', [positions]);
  }

  /** Events accepted but not yet acknowledged by the broker (a gauge). */
  async pendingCount(): Promise<number> {
    const [{ n }]: { n: string }[] = await this.db.query('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL');
    return Number(n);
  }
}
