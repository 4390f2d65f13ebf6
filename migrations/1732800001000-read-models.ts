import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why: the read side. Projections are disposable copies of what the log says. Each projection remembers
 * the last stream version it applied (`projection_stream_versions`) so a redelivered event changes nothing,
 * and the projector stores its Kafka positions (`projection_checkpoints`) in the same transaction as the
 * read-model change, so a crash can never apply a change without moving the position or the reverse.
 * Events a projection cannot apply are parked in `dead_letters`, holding back only their own stream.
 */
export class ReadModels1732800001000 implements MigrationInterface {
  name = 'ReadModels1732800001000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE projection_checkpoints (
        consumer_group text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        next_offset bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_group, topic, partition)
      )`);
    await db.query(`
      CREATE TABLE projection_stream_versions (
        projection text NOT NULL,
        stream_id text NOT NULL,
        version integer NOT NULL,
        position bigint NOT NULL,
        PRIMARY KEY (projection, stream_id)
      )`);
    await db.query(`
      CREATE TABLE dead_letters (
        id bigserial PRIMARY KEY,
        consumer_group text NOT NULL,
        stream_id text NOT NULL,
        version integer NOT NULL,
        position bigint NOT NULL,
        event_type text NOT NULL,
        envelope jsonb NOT NULL,
        error text NOT NULL,
        status text NOT NULL DEFAULT 'parked' CHECK (status IN ('parked', 'retried', 'skipped')),
        parked_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        UNIQUE (consumer_group, stream_id, version)
      )`);
    await db.query(`CREATE INDEX dead_letters_parked_idx ON dead_letters (stream_id) WHERE status = 'parked'`);
    await db.query(`
      CREATE TABLE device_state (
        device_id text PRIMARY KEY,
        hostname text NOT NULL,
        state jsonb NOT NULL,
        memory_build text NOT NULL,
        disk_build text NOT NULL,
        disk_baseline_build text NOT NULL,
        pending_commit boolean NOT NULL,
        pending_restart boolean NOT NULL,
        hotpatched boolean NOT NULL,
        device_eligible boolean NOT NULL,
        device_ineligibility text[] NOT NULL,
        retired boolean NOT NULL,
        version integer NOT NULL,
        position bigint NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await db.query(`
      CREATE TABLE patch_catalog (
        patch_id text PRIMARY KEY,
        kind text NOT NULL,
        build text NOT NULL,
        build_major integer NOT NULL,
        build_revision integer NOT NULL,
        baseline_build text,
        released_at timestamptz NOT NULL,
        definition jsonb NOT NULL,
        revoked boolean NOT NULL DEFAULT false,
        version integer NOT NULL,
        position bigint NOT NULL
      )`);
    await db.query(`CREATE INDEX patch_catalog_baseline_idx ON patch_catalog (baseline_build, build_major DESC, build_revision DESC)`);
  }

  async down(): Promise<void> {
    throw new Error('migrations are forward-only: rebuild read models from the log instead');
  }
}
