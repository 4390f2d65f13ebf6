import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

const DEFAULT_TEST_URL = 'postgres://postgres@127.0.0.1:5432/patchstate_test';

/** Tests may only ever touch a database whose name says so: a wrong URL must not wipe real history. */
export function assertTestDatabase(databaseUrl: string): void {
  const name = new URL(databaseUrl).pathname.replace(/^\//, '');
  if (!/test/i.test(name)) {
    throw new Error(`refusing to run tests against database "${name}": its name must contain "test"`);
  }
}

/**
 * A fresh database for one test file, named after TEST_DATABASE_URL's database plus a random suffix, so
 * test files never see each other's events. Dropped by the returned function.
 */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_URL);
  assertTestDatabase(base.toString());
  const name = `${base.pathname.replace(/^\//, '')}_${randomBytes(4).toString('hex')}`;
  const admin = new URL(base.toString());
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = new Client({ connectionString: admin.toString() });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await dropper.end();
    },
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}.${process.env.TEST_RUN_ID ?? 'local'}.${randomBytes(3).toString('hex')}`;
}
