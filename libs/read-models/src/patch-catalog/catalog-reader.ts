import { DataSource, QueryRunner } from 'typeorm';
import {
  PatchDefinition,
  PatchDefinitionV1,
  PatchState,
  ReleaseCatalog,
  evolvePatch,
  initialPatchState,
  storedMessage,
  toPatchCatalogEvent,
  upcastPatchDefinitionV1,
} from '@patchstate/domain';
import { EventLog } from '@patchstate/event-store';

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
  const states = new Map<string, PatchState>();
  for await (const page of new EventLog(db).readAll({ streamType: 'patch', toTime: asOf })) {
    for (const event of page) {
      states.set(event.streamId, evolvePatch(states.get(event.streamId) ?? initialPatchState, toPatchCatalogEvent(storedMessage(event))));
    }
  }
  return ReleaseCatalog.fromStates([...states.values()]);
}
