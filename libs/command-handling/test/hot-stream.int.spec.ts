import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainError } from '@patchstate/domain';
import { AnyCommand, CommandExecutor, CommandResult } from '@patchstate/command-handling';
import { PostgresEventStore, openDatabase } from '@patchstate/event-store';
import { JANUARY_2025_BASELINE, aHotpatch, applyHotpatch, commandMetadata, publishPatch, registerDevice } from '../../../test/builders';
import { createTestDatabase } from '../../../test/support/test-database';

/** The real store, counting the version conflicts it answers. */
function countingConflicts(store: PostgresEventStore): PostgresEventStore & { conflicts: number } {
  const counted = Object.assign(store, { conflicts: 0 });
  const append = store.append.bind(store);
  counted.append = (async (...args: Parameters<typeof append>) => {
    try {
      return await append(...args);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'VERSION_CONFLICT') counted.conflicts += 1;
      throw error;
    }
  }) as typeof append;
  return counted;
}

const WRITERS = 8;

describe('hot streams: commands on one stream from one process are queued, not raced', () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;
  let store: ReturnType<typeof countingConflicts>;
  let executor: CommandExecutor;
  const execute = (command: AnyCommand): Promise<CommandResult> =>
    executor.execute({ ...command, metadata: commandMetadata({ ...command.metadata, commandId: randomUUID(), correlationId: randomUUID() }) } as AnyCommand);
  const hotpatch = (i: number) => aHotpatch({ patchId: `KB58${String(i).padStart(5, '0')}`, build: `26100.${4000 + i}`, cves: [`CVE-2025-8${String(i).padStart(4, '0')}`] });

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url, { poolSize: 10 });
    store = countingConflicts(new PostgresEventStore(db));
    executor = new CommandExecutor(store);
    await execute(publishPatch(JANUARY_2025_BASELINE));
    for (let i = 1; i <= WRITERS; i += 1) await execute(publishPatch(hotpatch(i)));
  });

  afterAll(async () => {
    if (db?.isInitialized) await db.destroy();
    await database?.drop();
  });

  it(`${WRITERS} concurrent writers on one device: every command accepted, not one version conflict on the way`, async () => {
    const deviceId = 'hot-001';
    await execute(registerDevice({}, { deviceId }));
    store.conflicts = 0;
    const outcomes = await Promise.all(Array.from({ length: WRITERS }, (_, i) => execute(applyHotpatch(hotpatch(i + 1), { deviceId }))));
    expect(outcomes.map((o) => o.outcome.kind)).toEqual(Array.from({ length: WRITERS }, () => 'accepted'));
    // Queued in arrival order: versions 2.. in the order the commands were sent.
    expect(outcomes.map((o) => o.append!.version)).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 2));
    expect(store.conflicts).toBe(0);
  });

  it('a queued command that fails does not hold back the next one on the stream, and other streams run alongside', async () => {
    await execute(registerDevice({}, { deviceId: 'hot-002' }));
    const [missing, next, other] = await Promise.allSettled([
      execute(applyHotpatch(hotpatch(1), { deviceId: 'hot-not-registered' })),
      execute(applyHotpatch(hotpatch(1), { deviceId: 'hot-002' })),
      execute(registerDevice({}, { deviceId: 'hot-003' })),
    ]);
    expect(missing.status).toBe('rejected');
    expect(next).toMatchObject({ status: 'fulfilled', value: { outcome: { kind: 'accepted' } } });
    expect(other).toMatchObject({ status: 'fulfilled', value: { outcome: { kind: 'accepted' } } });
    expect(store.conflicts).toBe(0);
  });
});
