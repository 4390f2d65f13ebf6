import { QueryRunner } from 'typeorm';
import { EventEnvelope } from '@patchstate/messaging';

/**
 * A projection folds events into its own tables. `apply` runs inside the engine's transaction, after the
 * engine has checked that this is the next version of the stream for this projection, so it never sees an
 * event twice or out of order.
 */
export interface Projection {
  readonly name: string;
  /**
   * The tables this projection owns. SQL in `apply` names them unqualified: a rebuild sets the search_path
   * to a shadow schema holding empty copies of them, so the very same code fills the shadow tables.
   */
  readonly tables: readonly string[];
  handles(envelope: EventEnvelope): boolean;
  apply(tx: QueryRunner, envelope: EventEnvelope): Promise<void>;
  /**
   * The set-based form, optional: every event of a batch this projection is to apply, each stream's in order,
   * already past the version guard, the parked streams and the foreign-store check. It must leave the tables
   * exactly as `apply` one event at a time would, in a number of statements that does not grow with the
   * batch (a per-event statement costs a round trip, which is what bounds a rebuild). When it throws, the
   * engine rolls the batch back and runs it again through `apply`, event by event, so that only the failing
   * event is parked. Without it the engine calls `apply` for each event.
   */
  applyBatch?(tx: QueryRunner, envelopes: readonly EventEnvelope[]): Promise<void>;
}
