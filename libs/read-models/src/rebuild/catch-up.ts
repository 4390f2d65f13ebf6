import { DataSource } from 'typeorm';
import { EventLog, readStoreId } from '@patchstate/event-store';
import { EventEnvelope, toEnvelope } from '@patchstate/messaging';
import { throwIfAborted } from './event-source';

interface Behind {
  fromVersion: number;
  toVersion: number;
}

/**
 * The events of every stream for which the live projector is ahead of the shadow tables (by the highest
 * stream version of the selected projections), in position order, a page at a time: what a rebuild still
 * has to apply to reach what live has applied meanwhile, and nothing beyond it.
 */
export async function* eventsBehindLive(
  db: DataSource,
  schema: string,
  projectionNames: readonly string[],
  signal?: AbortSignal,
): AsyncGenerator<EventEnvelope[]> {
  throwIfAborted(signal);
  const rows: { stream_id: string; from_version: number; to_version: number; after: string }[] = await db.query(
    `WITH live AS (
       SELECT stream_id, max(version) AS version FROM public.projection_stream_versions WHERE projection = ANY($1) GROUP BY stream_id
     ), rebuilt AS (
       SELECT stream_id, max(version) AS version, max(position) AS position
       FROM ${schema}.projection_stream_versions WHERE projection = ANY($1) GROUP BY stream_id
     )
     SELECT l.stream_id, coalesce(r.version, 0) AS from_version, l.version AS to_version, coalesce(r.position, 0)::text AS after
     FROM live l LEFT JOIN rebuilt r USING (stream_id) WHERE l.version > coalesce(r.version, 0)`,
    [projectionNames],
  );
  if (rows.length === 0) return;
  const behind = new Map<string, Behind>(rows.map((row) => [row.stream_id, { fromVersion: Number(row.from_version), toVersion: Number(row.to_version) }]));
  // A stream's missing events all come after the last one the shadow tables applied, so the log is read from
  // the earliest of those positions on.
  const after = rows.reduce((lowest, row) => (BigInt(row.after) < lowest ? BigInt(row.after) : lowest), BigInt(rows[0].after));
  const storeId = await readStoreId(db);
  for await (const page of new EventLog(db).readAll({ after: String(after), streamIds: [...behind.keys()] })) {
    throwIfAborted(signal);
    const missing = page.filter((event) => {
      const range = behind.get(event.streamId)!;
      return event.version > range.fromVersion && event.version <= range.toVersion;
    });
    if (missing.length > 0) yield missing.map((event) => toEnvelope(event, event.streamType, storeId));
  }
}
