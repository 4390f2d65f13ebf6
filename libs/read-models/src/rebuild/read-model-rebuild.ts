import { DataSource } from 'typeorm';
import { isWindowed } from './event-source';
import { RebuildOptions, RebuildResult } from './rebuild-types';
import { ShadowRun } from './shadow-run';
import { dropSchema, swapTables } from './shadow-tables';

export * from './rebuild-types';
export { verifyReadModels } from './verify';

/**
 * Rebuilds projections from the log into shadow tables with the projections' own code, while the live
 * projector keeps serving, then swaps the shadow tables in atomically. Before the swap it catches up with
 * what the live projector applied meanwhile (under a lock on the live stream versions, which pauses the
 * live projector for that moment), so no event is lost or applied twice. On any failure the live tables
 * are untouched and the shadow schema is dropped.
 */
export async function rebuildReadModels(db: DataSource, options: RebuildOptions): Promise<RebuildResult> {
  const run = await ShadowRun.start(db, options);
  const windowed = isWindowed(options.window ?? {});
  let keepShadow = options.keepShadow === true || windowed;
  try {
    const sourceEnd = await run.replay(false);
    if (windowed) {
      await run.analyze();
      return { ...run.describe(), outcome: 'kept', sourceEnd, shadowSchema: run.schema, oldSchema: null, parked: await run.parked() };
    }
    await run.failIfParked();
    await run.analyze();
    await run.catchUpUnlocked();
    const oldSchema = `replay_old_${timestamp()}_${run.schema.slice('replay_'.length, 'replay_'.length + 4)}`;
    await run.underLiveLock(async (tx) => {
      await run.catchUp();
      await run.failIfParked();
      await swapTables(tx, run.schema, oldSchema, run.tables);
      const names = run.projectionNames;
      await tx.query('DELETE FROM public.projection_stream_versions WHERE projection = ANY($1)', [names]);
      await tx.query(
        `INSERT INTO public.projection_stream_versions (projection, stream_id, version, position)
         SELECT projection, stream_id, version, position FROM ${run.schema}.projection_stream_versions WHERE projection = ANY($1)`,
        [names],
      );
      return 'commit';
    });
    if (!options.keepOld) await dropSchema(db, oldSchema);
    else options.log?.(`the replaced live tables are kept in schema ${oldSchema}`);
    return {
      ...run.describe(),
      outcome: 'swapped',
      sourceEnd,
      shadowSchema: keepShadow ? run.schema : null,
      oldSchema: options.keepOld ? oldSchema : null,
      parked: { count: 0, first: [] },
    };
  } catch (error) {
    keepShadow = options.keepShadow === true;
    throw error;
  } finally {
    await run.end(keepShadow);
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
}
