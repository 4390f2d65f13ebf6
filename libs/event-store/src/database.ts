import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';

export function createDataSource(databaseUrl: string, options: { poolSize?: number } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    entities: [],
    extra: { max: options.poolSize ?? 10 },
    // Failed queries surface as thrown errors; logging them too would print every expected version conflict.
    logging: false,
  });
}

/** Creates the database named in the URL when it is missing, so a fresh machine needs no manual step. */
export async function ensureDatabaseExists(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } catch (error) {
        // Another process (the api and projector start together) may have created it a moment earlier.
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await client.end();
  }
}

/** Opens the pool, creating the database and running pending migrations first. */
export async function openDatabase(databaseUrl: string, options: { poolSize?: number } = {}): Promise<DataSource> {
  await ensureDatabaseExists(databaseUrl);
  const dataSource = createDataSource(databaseUrl, options);
  await dataSource.initialize();
  // Several processes (api, projector) may start at once: a lock lets one of them migrate at a time.
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    await lockHolder.query('SELECT pg_advisory_lock(7411001)');
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lockHolder.query('SELECT pg_advisory_unlock(7411001)').catch(() => undefined);
    await lockHolder.release();
  }
  return dataSource;
}
