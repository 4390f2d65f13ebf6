import { DataSource, QueryRunner } from 'typeorm';

type IsolationLevel = Parameters<QueryRunner['startTransaction']>[0];

/**
 * Runs `work` in one transaction on a connection of its own and always gives the connection back: commits
 * when `work` resolves, rolls back and rethrows when it throws. `work` may end the transaction itself (a
 * verify rolls back what it only compared); then nothing is left to commit.
 */
export async function withTransaction<T>(
  db: DataSource,
  work: (tx: QueryRunner) => Promise<T>,
  isolation?: IsolationLevel,
): Promise<T> {
  const tx = db.createQueryRunner();
  await tx.connect();
  try {
    await tx.startTransaction(isolation);
    const result = await work(tx);
    if (tx.isTransactionActive) await tx.commitTransaction();
    return result;
  } catch (error) {
    // The error that failed the work is the one worth reporting, not a rollback on a broken connection.
    if (tx.isTransactionActive) await tx.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await tx.release();
  }
}
