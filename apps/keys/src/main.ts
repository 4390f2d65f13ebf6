#!/usr/bin/env node
import 'reflect-metadata';
import { userInfo } from 'node:os';
import { ConfigError, loadConfig } from '@patchstate/config';
import { openDatabase } from '@patchstate/event-store';
import { runKeysCommand } from './keys-cli';

/** `npm run keys -- create|list|revoke`: API key management against the configured database. */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config.databaseUrl, { poolSize: 2 });
  try {
    const code = await runKeysCommand(
      process.argv.slice(2),
      db,
      { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
      `cli:${userInfo().username}`,
    );
    process.exitCode = code;
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
