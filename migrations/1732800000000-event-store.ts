import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why: the event store is the single source of truth. Events are append-only (a trigger refuses UPDATE and
 * DELETE), unique per (stream_id, version) for optimistic concurrency, and numbered by a global position
 * that is handed out under a row lock on `event_store_position`, so positions are gap-free and in commit
 * order: a reader that has seen position N never later finds an N-1 that committed late. Each event carries
 * the per-stream hash chain that makes edits detectable. The outbox is written in the same transaction.
 */
export class EventStore1732800000000 implements MigrationInterface {
  name = 'EventStore1732800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE event_store_position (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        last_position bigint NOT NULL
      )`);
    await db.query(`INSERT INTO event_store_position (id, last_position) VALUES (true, 0)`);
    await db.query(`
      CREATE TABLE streams (
        stream_id text PRIMARY KEY,
        stream_type text NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        last_hash text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE events (
        position bigint PRIMARY KEY,
        stream_id text NOT NULL,
        stream_type text NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        event_id uuid NOT NULL UNIQUE,
        type text NOT NULL,
        schema_version integer NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        actor text NOT NULL,
        correlation_id text NOT NULL,
        causation_id text,
        prev_hash text,
        hash text NOT NULL,
        CONSTRAINT events_stream_version_unique UNIQUE (stream_id, version)
      )`);
    await db.query(`CREATE INDEX events_recorded_at_idx ON events (recorded_at, position)`);
    await db.query(`CREATE INDEX events_type_idx ON events (type, position)`);
    await db.query(`CREATE INDEX events_actor_idx ON events (actor, position)`);
    await db.query(`
      CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP USING ERRCODE = 'P0001';
      END $$`);
    await db.query(`
      CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
      FOR EACH ROW EXECUTE FUNCTION events_are_append_only()`);
    await db.query(`
      CREATE TABLE outbox (
        position bigint PRIMARY KEY REFERENCES events (position),
        stream_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await db.query(`CREATE INDEX outbox_unpublished_idx ON outbox (position) WHERE published_at IS NULL`);
    await db.query(`
      CREATE TABLE idempotency_keys (
        key text PRIMARY KEY,
        request_hash text NOT NULL,
        status_code integer NOT NULL,
        response jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(): Promise<void> {
    throw new Error('migrations are forward-only: restore from a backup instead of rolling back the event store');
  }
}
