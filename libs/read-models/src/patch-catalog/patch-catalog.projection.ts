import { QueryRunner } from 'typeorm';
import { PATCH_CATALOG_EVENT_TYPES, PatchDefinition, parseBuild } from '@patchstate/domain';
import { EventEnvelope } from '@patchstate/messaging';
import { Projection } from '../engine/projection';

/** `patch_catalog`: every published patch, so queries can find the newest hotpatch offered to a baseline. */
export class PatchCatalogProjection implements Projection {
  readonly name = 'patch_catalog';
  readonly tables = ['patch_catalog'];

  handles(envelope: EventEnvelope): boolean {
    return envelope.streamType === 'patch' && (PATCH_CATALOG_EVENT_TYPES as readonly string[]).includes(envelope.type);
  }

  async apply(tx: QueryRunner, envelope: EventEnvelope): Promise<void> {
    switch (envelope.type) {
      case 'PatchPublished': {
        const patch = envelope.data as PatchDefinition;
        const build = parseBuild(patch.build);
        await tx.query(
          `INSERT INTO patch_catalog (patch_id, kind, build, build_major, build_revision, baseline_build, released_at,
             definition, revoked, version, position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, false, $9, $10)`,
          [patch.patchId, patch.kind, patch.build, build.major, build.revision, patch.baselineBuild, patch.releasedAt,
            JSON.stringify(patch), envelope.version, envelope.position],
        );
        return;
      }
      case 'PatchRevoked':
        await tx.query('UPDATE patch_catalog SET revoked = true, version = $2, position = $3 WHERE patch_id = $1', [
          (envelope.data as { patchId: string }).patchId,
          envelope.version,
          envelope.position,
        ]);
        return;
      default:
        throw new Error(`patch_catalog cannot apply ${envelope.type}`);
    }
  }
}
