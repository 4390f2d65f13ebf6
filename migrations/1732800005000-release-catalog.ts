import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why: the release catalog. A release covers several OS builds (24H2 and 25H2 under one KB), so the catalog
 * read model keeps every build of a release instead of one; CVE protection is now decided by which release a
 * plane runs (cumulatively, through the catalog), so the device projection records when each plane started to
 * run each build (`device_plane_history`) instead of a per-CVE table that copied each patch's own list. The
 * write side reads the catalog's streams by stream type after a position, hence the index.
 * Existing rows: plane history starts from each device's current builds at its last update; `replay rebuild`
 * recomputes it exactly from the log.
 */
export class ReleaseCatalog1732800005000 implements MigrationInterface {
  name = 'ReleaseCatalog1732800005000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('CREATE INDEX events_stream_type_idx ON events (stream_type, position)');
    await db.query('ALTER TABLE patch_catalog ALTER COLUMN build DROP NOT NULL');
    await db.query('ALTER TABLE patch_catalog ALTER COLUMN build_major DROP NOT NULL');
    await db.query('ALTER TABLE patch_catalog ALTER COLUMN build_revision DROP NOT NULL');
    await db.query(`ALTER TABLE patch_catalog ADD COLUMN builds text[] NOT NULL DEFAULT '{}'`);
    await db.query('ALTER TABLE patch_catalog ADD COLUMN baseline_kb text');
    await db.query(`UPDATE patch_catalog SET builds = ARRAY[build], kind = CASE kind WHEN 'cumulative' THEN 'lcu' ELSE kind END`);
    await db.query(`CREATE INDEX patch_catalog_builds_idx ON patch_catalog USING gin (builds)`);
    await db.query(`
      CREATE TABLE device_plane_history (
        device_id text NOT NULL,
        plane text NOT NULL CHECK (plane IN ('memory', 'disk')),
        version integer NOT NULL,
        build text NOT NULL,
        since timestamptz NOT NULL,
        PRIMARY KEY (device_id, plane, version)
      )`);
    await db.query(`
      INSERT INTO device_plane_history (device_id, plane, version, build, since)
      SELECT device_id, 'memory', version, memory_build, updated_at FROM device_state
      UNION ALL
      SELECT device_id, 'disk', version, disk_build, updated_at FROM device_state`);
    await db.query('DROP TABLE device_cve_protection');
  }

  async down(): Promise<void> {
    throw new Error('migrations are forward-only: rebuild read models from the log instead');
  }
}
