import { ProjectionEngine, ProjectionProgress, allProjections } from '@patchstate/read-models';
import { registerDevice } from '../builders';
import { eventually } from '../support/test-stack';
import { CommandRunner, TestDatabase, asIncomingMessages, openTestDatabase, storedEnvelopes } from './projector-fixture';

/**
 * Read-your-writes without polling: waiting requests are woken by the projector's notification, and one
 * check of the applied position serves all of them, so a thousand waiters cost the queries of one.
 */
describe('read-your-writes: one watcher per process, woken by the projector', () => {
  let database: TestDatabase;
  let progress: ProjectionProgress;

  beforeAll(async () => {
    database = await openTestDatabase();
    // The safety poll is out of reach of this test: only the notification can wake the waiters in time.
    progress = new ProjectionProgress(database.db, { safetyPollMs: 600_000 });
  });

  afterAll(async () => {
    await progress?.onApplicationShutdown();
    await database?.close();
  });

  it('a thousand requests waiting on unapplied positions are woken by one notification, for the queries one costs', async () => {
    const runner = new CommandRunner(database.db);
    await runner.run(registerDevice({}, { deviceId: 'watched-1' }));
    await runner.run(registerDevice({}, { deviceId: 'watched-2' }));
    const [first, second] = await storedEnvelopes(database.db);
    const query = jest.spyOn(database.db, 'query');
    try {
      const waits = Array.from({ length: 1000 }, (_, i) => progress.waitFor(i % 2 === 0 ? first.position : second.position, 60_000));
      // The first look, for all of them at once: the log read, nothing applied yet.
      await eventually(async () => (query.mock.calls.length >= 3 ? true : undefined), 10_000, 5);
      const lookOnce = query.mock.calls.length;
      expect(lookOnce).toBeLessThanOrEqual(4);

      await new ProjectionEngine(database.db, allProjections()).applyBatch(null, asIncomingMessages([first, second]), null);
      await Promise.all(waits);
      // One more look after the notification, whatever the number of waiters.
      expect(query.mock.calls.length).toBeLessThanOrEqual(2 * lookOnce);
      // Applied positions are remembered: asking again costs nothing.
      const before = query.mock.calls.length;
      await progress.waitFor(second.position, 1000);
      expect(query.mock.calls.length).toBe(before);
    } finally {
      query.mockRestore();
    }
  });

  it('a waiter past its bound gets PROJECTION_BEHIND, and the others keep waiting', async () => {
    const runner = new CommandRunner(database.db);
    const { append } = await runner.run(registerDevice({}, { deviceId: 'watched-3' }));
    await expect(progress.waitFor(append!.position, 50)).rejects.toMatchObject({ code: 'PROJECTION_BEHIND' });
    const patient = progress.waitFor(append!.position, 60_000);
    const [third] = await storedEnvelopes(database.db, String(BigInt(append!.position) - 1n));
    await new ProjectionEngine(database.db, allProjections()).applyBatch(null, asIncomingMessages([third], 2), null);
    await expect(patient).resolves.toBeUndefined();
  });
});
