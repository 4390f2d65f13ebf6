import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why: the questions operators and auditors ask most — how far a patch has rolled out and who is protected
 * against a CVE, in memory and on disk, since when — must be answered from indexed tables, not by folding
 * the log per request. Both tables are projections and can be rebuilt from the log at any time.
 */
export class FleetReadModels1732800002000 implements MigrationInterface {
  name = 'FleetReadModels1732800002000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE device_cve_protection (
        device_id text NOT NULL,
        cve_id text NOT NULL,
        in_memory_since timestamptz,
        on_disk_since timestamptz,
        PRIMARY KEY (cve_id, device_id)
      )`);
    await db.query(`CREATE INDEX device_cve_protection_device_idx ON device_cve_protection (device_id)`);
    await db.query(`
      CREATE TABLE patch_rollout (
        patch_id text NOT NULL,
        device_id text NOT NULL,
        in_memory boolean NOT NULL DEFAULT false,
        on_disk boolean NOT NULL DEFAULT false,
        failures integer NOT NULL DEFAULT 0,
        reverted boolean NOT NULL DEFAULT false,
        rejected_reasons text[] NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (patch_id, device_id)
      )`);
    await db.query(`CREATE INDEX device_state_flags_idx ON device_state (pending_commit, pending_restart, device_eligible)`);
  }

  async down(): Promise<void> {
    throw new Error('migrations are forward-only: rebuild read models from the log instead');
  }
}
