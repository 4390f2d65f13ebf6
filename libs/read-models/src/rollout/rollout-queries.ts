import { DataSource } from 'typeorm';
import { Architecture, Product, revisionOnBranchOf } from '@patchstate/domain';
import { loadReleaseCatalog } from '../patch-catalog/catalog-reader';

export interface PatchRollout {
  patchId: string;
  /** Devices the service saw apply this hotpatch, running it in memory now. */
  appliedInMemory: number;
  committedOnDisk: number;
  pendingCommit: number;
  failed: number;
  reverted: number;
  /** Devices whose latest attempt was refused, by reason (a device refused for two reasons counts in both). */
  rejected: Record<string, number>;
  /** Active devices the release is for (its products, architectures and a build for their OS version's branch). */
  concerned: number;
  /**
   * Active devices whose running release carries this one, through the catalog: it, or a later release of its
   * track (a later LCU or baseline, a later hotpatch on its baseline), however it got there.
   */
  carriedInMemory: number;
  carriedOnDisk: number;
}

const PRODUCT = `d.state->'profile'->>'product'`;
const ARCHITECTURE = `d.state->'profile'->>'architecture'`;
const LAST_HOTPATCH = (plane: string) => `coalesce(d.state->'${plane}'->'hotpatches'->-1->>'patchId', '')`;

export class RolloutQueries {
  constructor(private readonly db: DataSource) {}

  async rollout(patchId: string): Promise<PatchRollout> {
    const [counts]: Record<string, string>[] = await this.db.query(
      `SELECT count(*) FILTER (WHERE in_memory) AS in_memory,
              count(*) FILTER (WHERE on_disk) AS on_disk,
              count(*) FILTER (WHERE in_memory AND NOT on_disk AND NOT reverted) AS pending_commit,
              count(*) FILTER (WHERE failures > 0) AS failed,
              count(*) FILTER (WHERE reverted) AS reverted
       FROM patch_rollout WHERE patch_id = $1`,
      [patchId],
    );
    const reasons: { reason: string; devices: string }[] = await this.db.query(
      `SELECT reason, count(*) AS devices FROM patch_rollout, unnest(rejected_reasons) AS reason
       WHERE patch_id = $1 GROUP BY reason ORDER BY reason`,
      [patchId],
    );
    return {
      patchId,
      appliedInMemory: Number(counts.in_memory),
      committedOnDisk: Number(counts.on_disk),
      pendingCommit: Number(counts.pending_commit),
      failed: Number(counts.failed),
      reverted: Number(counts.reverted),
      rejected: Object.fromEntries(reasons.map((r) => [r.reason, Number(r.devices)])),
      ...(await this.carried(patchId)),
    };
  }

  /** Judged once per distinct (product, architecture, builds, last hotpatches) of the active fleet. */
  private async carried(patchId: string): Promise<Pick<PatchRollout, 'concerned' | 'carriedInMemory' | 'carriedOnDisk'>> {
    const catalog = await loadReleaseCatalog(this.db);
    const release = catalog.entry(patchId)?.patch;
    if (release === undefined) return { concerned: 0, carriedInMemory: 0, carriedOnDisk: 0 };
    const groups: { product: Product; architecture: Architecture; memory: string; disk: string; lm: string; ld: string; devices: string }[] =
      await this.db.query(
        `SELECT ${PRODUCT} AS product, ${ARCHITECTURE} AS architecture, d.memory_build AS memory, d.disk_build AS disk,
                ${LAST_HOTPATCH('memory')} AS lm, ${LAST_HOTPATCH('disk')} AS ld, count(*) AS devices
         FROM device_state d WHERE NOT d.retired GROUP BY 1, 2, 3, 4, 5, 6`,
      );
    const total = { concerned: 0, carriedInMemory: 0, carriedOnDisk: 0 };
    for (const group of groups) {
      const devices = Number(group.devices);
      const concerned =
        release.products.includes(group.product) &&
        release.architectures.includes(group.architecture) &&
        revisionOnBranchOf(release.builds, group.memory) !== null;
      if (!concerned) continue;
      total.concerned += devices;
      if (catalog.carriedReleases(group.product, group.memory, group.lm || null)?.has(patchId)) total.carriedInMemory += devices;
      if (catalog.carriedReleases(group.product, group.disk, group.ld || null)?.has(patchId)) total.carriedOnDisk += devices;
    }
    return total;
  }
}
