import { DataSource } from 'typeorm';
import { ApiKeys } from '@patchstate/auth';
import { openDatabase } from '@patchstate/event-store';
import { runKeysCommand } from '../src/keys-cli';
import { secretOf } from '../../../test/support/api-key-secret';
import { createTestDatabase } from '../../../test/support/test-database';

describe('keys CLI: create prints the key once, list never shows secrets, revoke stops it', () => {
  let db: DataSource;
  let drop: () => Promise<void>;
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKeysCommand(argv, db, { out: (l) => out.push(l), err: (l) => err.push(l) }, 'cli:test');
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    db = await openDatabase(database.url, { poolSize: 2 });
  });

  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  it('creates, lists, authenticates and revokes a key', async () => {
    const created = await run('create', '--role', 'operator', '--name', 'alice');
    expect(created.code).toBe(0);
    const key = /psk_[a-z0-9]{16}_[A-Za-z0-9_-]{43}/.exec(created.out)?.[0];
    expect(key).toBeDefined();
    const keys = new ApiKeys(db);
    expect(await keys.authenticate(key!)).toMatchObject({ name: 'alice', role: 'operator' });

    const listed = await run('list', '--json');
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ name: 'alice', role: 'operator', revokedAt: null, createdBy: 'cli:test' })]);
    expect(listed.out).not.toContain(secretOf(key!));
    const [row] = await db.query("SELECT secret_sha256 FROM api_keys WHERE name = 'alice'");
    expect(row.secret_sha256).not.toContain(secretOf(key!));

    expect((await run('revoke', 'alice')).code).toBe(0);
    expect(await keys.authenticate(key!)).toBeNull();
  });

  it('refuses bad input clearly and changes nothing', async () => {
    expect(await run('create', '--role', 'root', '--name', 'mallory')).toMatchObject({ code: 1, err: expect.stringContaining('role must be one of') });
    expect(await run('create', '--name', 'mallory')).toMatchObject({ code: 2, err: expect.stringContaining('usage:') });
    expect(await run('create', '--role', 'auditor', '--name', 'alice')).toMatchObject({ code: 1, err: expect.stringContaining('already exists') });
    expect(await run('revoke', 'nobody')).toMatchObject({ code: 1 });
    expect(await run('frobnicate')).toMatchObject({ code: 2 });
    expect(JSON.parse((await run('list', '--json')).out)).toHaveLength(1);
  });
});
