import 'reflect-metadata';
import { ConfigError, loadConfig } from '@patchstate/config';
import { openDatabase } from '@patchstate/event-store';

/** `npm run migrate`: creates the database if missing and runs pending migrations, then exits. */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config.databaseUrl);
  const applied: { name: string }[] = await db.query('SELECT name FROM migrations ORDER BY id');
  console.log(`migrations applied: ${applied.map((m) => m.name).join(', ')}`);
  await db.destroy();
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
