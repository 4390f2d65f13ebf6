// Jest globalSetup for the int and e2e projects (jest.config.js). Runs once per `jest` invocation in the parent
// process; environment variables set here are inherited by the test workers.
//  - Postgres: creates the test database named by TEST_DATABASE_URL when missing; refuses names without "test".
//  - Kafka: uses KAFKA_BROKERS when set, otherwise starts (or reuses) the local broker of scripts/kafka.
//  - TEST_RUN_ID: a short id unique to this run, for topic and consumer-group names.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

interface LocalBroker {
  ensureBroker(options?: { log?: (message: string) => void }): Promise<{ brokers: string; startedHere: boolean }>;
}

const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/patchstate_test';

declare global {
  var __PATCHSTATE_KAFKA_STARTED_HERE__: boolean | undefined;
}

async function ensureTestDatabase(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
  process.env.TEST_DATABASE_URL = url;
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database || !database.toLowerCase().includes('test')) {
    throw new Error(
      `Refusing to run tests against database '${database}' (from TEST_DATABASE_URL): ` +
        `the tests create and truncate tables, so the database name must contain "test".`,
    );
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `Cannot connect to Postgres at ${parsed.host} to prepare '${database}': ${(err as Error).message}. ` +
        `Is Postgres running? (pg_isready -h ${parsed.hostname})`,
    );
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      } catch (err) {
        // 42P04 duplicate_database: a concurrent run created it first
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureKafka(): Promise<void> {
  if (process.env.KAFKA_BROKERS) return; // provided from outside (CI, docker compose, a shared broker)
  // Plain CommonJS without type declarations; typed by the LocalBroker interface above.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const localBroker = require('../../scripts/kafka/local-broker.js') as LocalBroker;
  const { brokers, startedHere } = await localBroker.ensureBroker({
    log: (message) => process.stderr.write(`[kafka] ${message}\n`),
  });
  process.env.KAFKA_BROKERS = brokers;
  if (startedHere) globalThis.__PATCHSTATE_KAFKA_STARTED_HERE__ = true;
}

export default async function globalSetup(): Promise<void> {
  if (!process.env.TEST_RUN_ID) {
    process.env.TEST_RUN_ID = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  }
  await ensureTestDatabase();
  await ensureKafka();
}
