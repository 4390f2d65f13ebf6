import { DataSource } from 'typeorm';
import { parkedInSchema } from '../dead-letters/dead-letter-store';
import { TableDifference, diffTable } from './read-model-diff';
import { ParkedEvent, RebuildOptions, VerifyResult } from './rebuild-types';
import { ShadowRun } from './shadow-run';

/**
 * Rebuilds into shadow tables and compares them with the live ones. The rebuild is held to what the live
 * projector has applied (per stream, up to the live version), and the comparison runs under the lock on
 * the live stream versions, so a live projector that is merely behind or busy never shows as a difference.
 */
export async function verifyReadModels(
  db: DataSource,
  options: RebuildOptions & { maxRowsPerTable?: number },
): Promise<VerifyResult> {
  const run = await ShadowRun.start(db, options);
  try {
    await run.replay(true);
    await run.catchUpUnlocked();
    let differences: TableDifference[] = [];
    let parked = { count: 0, first: [] as ParkedEvent[] };
    let liveParked = 0;
    await run.underLiveLock(async (tx) => {
      await run.catchUp();
      parked = await run.parked();
      for (const table of run.tables) differences.push(await diffTable(tx, table, run.schema, options.maxRowsPerTable ?? 20));
      liveParked = (await parkedInSchema(tx, 'public', 0)).count;
      return 'rollback';
    });
    differences = differences.filter((d) => d.differingRows > 0);
    return {
      ...run.describe(),
      equal: differences.length === 0 && parked.count === 0,
      differences,
      parked,
      liveParked,
      shadowSchema: options.keepShadow ? run.schema : null,
    };
  } finally {
    await run.end(options.keepShadow === true);
  }
}
