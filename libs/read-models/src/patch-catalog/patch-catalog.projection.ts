import { QueryRunner } from 'typeorm';
import { PATCH_CATALOG_EVENT_TYPES, PatchDefinition, buildsOf, parseBuild, toPatchCatalogEvent } from '@patchstate/domain';
import { EventEnvelope } from '@patchstate/messaging';
import { Projection } from '../engine/projection';

/**
 * `patch_catalog`: every release in the catalog (its current definition, amendments applied), so queries can
 * resolve builds, find what a baseline is offered and answer cumulative protection.
 */
export class PatchCatalogProjection implements Projection {
  readonly name = 'patch_catalog';
  readonly tables = ['patch_catalog'];

  handles(envelope: EventEnvelope): boolean {
    return envelope.streamType === 'patch' && (PATCH_CATALOG_EVENT_TYPES as readonly string[]).includes(envelope.type);
  }

  async apply(tx: QueryRunner, envelope: EventEnvelope): Promise<void> {
    const event = toPatchCatalogEvent({ type: envelope.type, schemaVersion: envelope.schemaVersion ?? 1, data: envelope.data });
    switch (event.type) {
      case 'PatchPublished':
      case 'PatchAmended': {
        const patch = event.type === 'PatchPublished' ? event.data : event.data.definition;
        await upsertRelease(tx, patch, envelope.version, envelope.position);
        return;
      }
      case 'PatchRevoked':
        await tx.query('UPDATE patch_catalog SET revoked = true, version = $2, position = $3 WHERE patch_id = $1', [
          event.data.patchId,
          envelope.version,
          envelope.position,
        ]);
        return;
      default:
        throw new Error(`patch_catalog cannot apply ${envelope.type}`);
    }
  }
}

/** `build`/`baseline_build` keep the release's first build for readers of one build; `builds` has them all. */
async function upsertRelease(tx: QueryRunner, patch: PatchDefinition, version: number, position: string): Promise<void> {
  const builds = buildsOf(patch.builds);
  const first = builds[0] ?? null;
  const parsed = first === null ? null : parseBuild(first);
  await tx.query(
    `INSERT INTO patch_catalog (patch_id, kind, build, build_major, build_revision, builds, baseline_build, baseline_kb,
       released_at, definition, revoked, version, position)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false, $11, $12)
     ON CONFLICT (patch_id) DO UPDATE SET kind = EXCLUDED.kind, build = EXCLUDED.build, build_major = EXCLUDED.build_major,
       build_revision = EXCLUDED.build_revision, builds = EXCLUDED.builds, baseline_build = EXCLUDED.baseline_build,
       baseline_kb = EXCLUDED.baseline_kb, released_at = EXCLUDED.released_at, definition = EXCLUDED.definition,
       version = EXCLUDED.version, position = EXCLUDED.position`,
    [patch.patchId, patch.kind, first, parsed?.major ?? null, parsed?.revision ?? null, builds, buildsOf(patch.baselineBuilds)[0] ?? null,
      patch.baselineKb, patch.releasedAt, JSON.stringify(patch), version, position],
  );
}
