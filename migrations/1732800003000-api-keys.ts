import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why: an audit trail is only as good as its actor field. Callers authenticate with API keys; only a hash of
 * each key's secret is stored, so a leaked database does not leak keys. The key's name and role become the
 * actor of every event it causes. Revocation is a timestamp, never a delete, so past actors stay explained.
 */
export class ApiKeys1732800003000 implements MigrationInterface {
  name = 'ApiKeys1732800003000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE api_keys (
        key_id text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        role text NOT NULL CHECK (role IN ('device-agent', 'operator', 'auditor', 'admin')),
        secret_sha256 text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text NOT NULL,
        revoked_at timestamptz
      )`);
  }

  async down(): Promise<void> {
    throw new Error('migrations are forward-only');
  }
}
