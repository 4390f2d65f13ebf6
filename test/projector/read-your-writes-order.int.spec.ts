import { ProjectionEngine, ProjectionProgress, allProjections } from '@patchstate/read-models';
import { registerDevice } from '../builders';
import { CommandRunner, TestDatabase, asIncomingMessages, openTestDatabase, storedEnvelopes } from './projector-fixture';

/**
 * Regression (a flaky fleet story): `?minPosition=N` was satisfied as soon as the event AT position N was
 * projected, though an earlier event of another device, on another partition, could still trail behind it;
 * a query for that device then read stale state. Now every position up to N must be applied.
 */
describe('read-your-writes waits for every position up to minPosition', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase();
  });

  afterAll(async () => {
    await database?.close();
  });

  it('is not satisfied by a later event while an earlier one trails', async () => {
    const runner = new CommandRunner(database.db);
    await runner.run(registerDevice({}, { deviceId: 'early' }));
    await runner.run(registerDevice({}, { deviceId: 'late' }));
    const [early, late] = await storedEnvelopes(database.db);
    const engine = new ProjectionEngine(database.db, allProjections());
    const progress = new ProjectionProgress(database.db);

    await engine.applyBatch(null, asIncomingMessages([late]), null);
    expect(await progress.isApplied(late.position)).toBe(false);
    expect(await progress.isApplied(early.position)).toBe(false);

    await engine.applyBatch(null, asIncomingMessages([early]), null);
    expect(await progress.isApplied(late.position)).toBe(true);
    expect(await progress.isApplied(early.position)).toBe(true);
    // A position the log has not reached is not applied.
    expect(await progress.isApplied(String(BigInt(late.position) + 1n))).toBe(false);
  });
});
