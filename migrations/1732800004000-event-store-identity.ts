import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why: two event stores that publish to the same topic (staging pointed at production's Kafka, a database
 * recreated under a kept topic) would mix their streams in one read model without a trace: `device-ws-1`
 * of one is not `device-ws-1` of the other. Each store gets an identity at birth; every published event
 * carries it, and projectors set apart what comes from another store instead of applying it.
 */
export class EventStoreIdentity1732800004000 implements MigrationInterface {
  name = 'EventStoreIdentity1732800004000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE event_store_identity (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        store_id uuid NOT NULL DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query('INSERT INTO event_store_identity DEFAULT VALUES');
  }

  async down(): Promise<void> {
    throw new Error('migrations are forward-only');
  }
}
