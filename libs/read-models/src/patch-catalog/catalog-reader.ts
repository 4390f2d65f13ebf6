import { DataSource, QueryRunner } from 'typeorm';
import {
  PatchDefinition,
  PatchDefinitionV1,
  PatchState,
  ReleaseCatalog,
  evolvePatch,
  initialPatchState,
  toPatchCatalogEvent,
  upcastPatchDefinitionV1,
} from '@patchstate/domain';

/**
 * The release catalog as the read models hold it (`patch_catalog`), as a domain value that resolves builds
 * and answers cumulative protection. Rows projected by earlier code hold version-1 definitions: read as v2.
 */
export async function loadReleaseCatalog(db: DataSource | QueryRunner): Promise<ReleaseCatalog> {
  const rows: { definition: PatchDefinition | PatchDefinitionV1; revoked: boolean }[] = await db.query(
    'SELECT definition, revoked FROM patch_catalog',
  );
  return new ReleaseCatalog(rows.map((row) => ({ patch: readDefinition(row.definition), revoked: row.revoked })));
}

export function readDefinition(stored: PatchDefinition | PatchDefinitionV1): PatchDefinition {
  return 'builds' in stored ? stored : upcastPatchDefinitionV1(stored);
}

/** The catalog as the log said at `asOf`: the catalog streams' events recorded up to then, folded. */
export async function loadReleaseCatalogAsOf(db: DataSource | QueryRunner, asOf: string): Promise<ReleaseCatalog> {
  const rows: { stream_id: string; type: string; schema_version: number; data: unknown }[] = await db.query(
    `SELECT stream_id, type, schema_version, data FROM events
     WHERE stream_type = 'patch' AND recorded_at <= $1 ORDER BY position`,
    [asOf],
  );
  const states = new Map<string, PatchState>();
  for (const row of rows) {
    const event = toPatchCatalogEvent({ type: row.type, schemaVersion: row.schema_version, data: row.data });
    states.set(row.stream_id, evolvePatch(states.get(row.stream_id) ?? initialPatchState, event));
  }
  return ReleaseCatalog.fromStates([...states.values()]);
}
