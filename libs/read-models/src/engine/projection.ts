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
}
