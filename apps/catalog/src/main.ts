#!/usr/bin/env node
import 'reflect-metadata';
import { userInfo } from 'node:os';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { ConfigError, loadConfig } from '@patchstate/config';
import { CatalogModule } from './catalog.module';
import { parseCatalogArguments, runCatalogImport } from './catalog-cli';

const io = { out: (line: string) => process.stdout.write(`${line}\n`), err: (line: string) => process.stderr.write(`${line}\n`) };

/** `npm run catalog -- import FILE [--dry-run]`: imports a release file into the configured database. */
async function main(): Promise<number> {
  const parsed = parseCatalogArguments(process.argv.slice(2), io);
  if (typeof parsed === 'number') return parsed;
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(CatalogModule.forRoot(config), { logger: ['error'], abortOnError: false });
  try {
    return await runCatalogImport(parsed, app.get(CommandBus), io, { id: `cli:${userInfo().username}`, role: 'admin' });
  } finally {
    await app.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
