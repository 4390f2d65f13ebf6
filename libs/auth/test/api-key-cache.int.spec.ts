import { DataSource } from 'typeorm';
import { ApiKeys } from '@patchstate/auth';
import { openDatabase } from '@patchstate/event-store';
import { createTestDatabase } from '../../../test/support/test-database';
import { eventually } from '../../../test/support/test-stack';

/** The API's keys are cached; a revocation, even from another process (the keys CLI), still counts at once. */
describe('API key cache (real Postgres)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;
  let cli: DataSource;
  let api: ApiKeys;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url, { poolSize: 4 });
    cli = await openDatabase(database.url, { poolSize: 2 });
    api = new ApiKeys(db, { cache: true });
  });

  afterAll(async () => {
    await api?.onApplicationShutdown();
    for (const pool of [db, cli]) if (pool?.isInitialized) await pool.destroy();
    await database?.drop();
  });

  it('looks a key up once, then answers from memory; a key revoked by another process is refused once its notification arrives', async () => {
    const { key } = await new ApiKeys(cli).create({ name: 'cached-operator', role: 'operator', createdBy: 'test' });
    const query = jest.spyOn(db, 'query');
    try {
      expect(await api.authenticate(key)).toMatchObject({ name: 'cached-operator', role: 'operator' });
      const afterFirst = query.mock.calls.length;
      expect(afterFirst).toBe(1);
      for (let i = 0; i < 20; i += 1) expect(await api.authenticate(key)).toMatchObject({ name: 'cached-operator' });
      expect(query.mock.calls.length).toBe(afterFirst);
      // A wrong secret for a cached key id is still refused.
      expect(await api.authenticate(`${key.slice(0, -4)}AAAA`)).toBeNull();

      // Another process's revoke reaches this one by notification, delivered as the revoke commits: the key is
      // refused as soon as it has been handled (milliseconds), without a lookup per request.
      await new ApiKeys(cli).revoke('cached-operator');
      await eventually(async () => ((await api.authenticate(key)) === null ? true : undefined), 10_000, 1);
    } finally {
      query.mockRestore();
    }
  });

  it('a key revoked through the same process is refused on the very next request', async () => {
    const { key } = await api.create({ name: 'cached-auditor', role: 'auditor', createdBy: 'test' });
    expect(await api.authenticate(key)).toMatchObject({ role: 'auditor' });
    await api.revoke('cached-auditor');
    expect(await api.authenticate(key)).toBeNull();
  });
});
