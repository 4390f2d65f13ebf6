import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why: an idempotency key stored an HTTP status and an HTTP body, so gRPC had to read REST's answer back and
 * no other transport could replay it on its own terms. It now stores the command's outcome (`accepted`,
 * `rejected` or `unchanged`, with its stream, version and position) and each transport renders it. The
 * outcome is JSON text, not jsonb: jsonb reorders keys, and a replay must give the client the same bytes.
 * Existing rows: 201 -> accepted, 422 -> rejected (the NOT_ELIGIBLE details), 200 -> unchanged. Their event
 * data keeps the key order jsonb gave it; nothing better can be recovered. Any other status stops the
 * migration (NOT NULL), rather than replay a guess.
 */
export class IdempotencyOutcomes1732800006000 implements MigrationInterface {
  name = 'IdempotencyOutcomes1732800006000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE idempotency_keys ADD COLUMN outcome text');
    await db.query(`
      UPDATE idempotency_keys SET outcome = CASE status_code
        WHEN 201 THEN json_build_object(
          'kind', 'accepted', 'streamId', response->'streamId', 'version', response->'version', 'position', response->'position',
          'events', (SELECT coalesce(json_agg(json_build_object('eventId', e->'eventId', 'type', e->'type', 'version', e->'version',
                                                                'position', e->'position', 'data', e->'data') ORDER BY n), '[]'::json)
                     FROM jsonb_array_elements(response->'events') WITH ORDINALITY AS listed(e, n)))::text
        WHEN 422 THEN json_build_object(
          'kind', 'rejected', 'streamId', response#>'{details,streamId}', 'version', response#>'{details,version}',
          'position', response#>'{details,position}', 'eventId', response#>'{details,eventId}',
          'patchId', response#>'{details,patchId}', 'reasons', response#>'{details,reasons}')::text
        WHEN 200 THEN json_build_object('kind', 'unchanged', 'streamId', response->'streamId', 'version', response->'version')::text
      END`);
    await db.query('ALTER TABLE idempotency_keys ALTER COLUMN outcome SET NOT NULL');
    await db.query(`
      ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_outcome_kind
        CHECK ((outcome::jsonb ->> 'kind') IN ('accepted', 'rejected', 'unchanged'))`);
    await db.query('ALTER TABLE idempotency_keys DROP COLUMN status_code, DROP COLUMN response');
  }

  async down(): Promise<void> {
    throw new Error('migrations are forward-only: restore from a backup instead of rolling back the event store');
  }
}
