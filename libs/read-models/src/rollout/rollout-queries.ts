import { DataSource } from 'typeorm';

export interface PatchRollout {
  patchId: string;
  appliedInMemory: number;
  committedOnDisk: number;
  pendingCommit: number;
  failed: number;
  reverted: number;
  /** Devices whose latest attempt was refused, by reason (a device refused for two reasons counts in both). */
  rejected: Record<string, number>;
}

export class RolloutQueries {
  constructor(private readonly db: DataSource) {}

  async rollout(patchId: string): Promise<PatchRollout> {
    const [counts]: Record<string, string>[] = await this.db.query(
      `SELECT count(*) FILTER (WHERE in_memory) AS in_memory,
              count(*) FILTER (WHERE on_disk) AS on_disk,
              count(*) FILTER (WHERE in_memory AND NOT on_disk) AS pending_commit,
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
    };
  }
}
