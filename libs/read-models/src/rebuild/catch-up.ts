import { DataSource } from 'typeorm';
import { EVENT_COLUMNS, readStoreId, toRecordedEvent } from '@patchstate/event-store';
import { EventEnvelope, toEnvelope } from '@patchstate/messaging';
import { throwIfAborted } from './event-source';

const CATCH_UP_PAGE = 1000;

/**
 * The events of every stream for which the live projector is ahead of the shadow tables (by the highest
 * stream version of the selected projections), in position order, a page at a time: what a rebuild still
 * has to apply to reach what live has applied meanwhile.
 */
export async function* eventsBehindLive(
  db: DataSource,
  schema: string,
  projectionNames: readonly string[],
  signal?: AbortSignal,
): AsyncGenerator<EventEnvelope[]> {
  const storeId = await readStoreId(db);
  let after = '0';
  for (;;) {
    throwIfAborted(signal);
    const rows: (Parameters<typeof toRecordedEvent>[0] & { stream_type: string })[] = await db.query(
      `WITH live AS (
         SELECT stream_id, max(version) AS version FROM public.projection_stream_versions WHERE projection = ANY($1) GROUP BY stream_id
       ), rebuilt AS (
         SELECT stream_id, max(version) AS version FROM ${schema}.projection_stream_versions WHERE projection = ANY($1) GROUP BY stream_id
       ), behind AS (
         SELECT l.stream_id, coalesce(r.version, 0) AS from_version, l.version AS to_version
         FROM live l LEFT JOIN rebuilt r USING (stream_id) WHERE l.version > coalesce(r.version, 0)
       )
       SELECT ${EVENT_COLUMNS.split(', ').map((c) => `e.${c}`).join(', ')}, e.stream_type
       FROM behind b JOIN events e ON e.stream_id = b.stream_id AND e.version > b.from_version AND e.version <= b.to_version
       WHERE e.position > $2 ORDER BY e.position LIMIT ${CATCH_UP_PAGE}`,
      [projectionNames, after],
    );
    if (rows.length === 0) return;
    yield rows.map((row) => toEnvelope(toRecordedEvent(row), row.stream_type, storeId));
    after = String(rows[rows.length - 1].position);
    if (rows.length < CATCH_UP_PAGE) return;
  }
}
