#!/usr/bin/env node
import 'reflect-metadata';
import { userInfo } from 'node:os';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { ConfigError, loadConfig } from '@patchstate/config';
import { IngestCliModule } from './ingest.module';
import { CliOutput, parseIngestArguments, runIngest } from './ingest-cli';

const io: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  // On a terminal the count is redrawn in place; in a pipe or a log it would only be noise.
  ...(process.stderr.isTTY ? { progress: (line: string) => process.stderr.write(`\r${line}\x1b[K`) } : {}),
};

/** `npm run ingest -- wufb --clients FILE [--update-status FILE] [--json]`: imports a WUfB reports export. */
async function main(): Promise<void> {
  const parsed = parseIngestArguments(process.argv.slice(2), io);
  if (typeof parsed === 'number') {
    process.exitCode = parsed;
    return;
  }
  const app = await NestFactory.createApplicationContext(IngestCliModule.forRoot(loadConfig()), { logger: ['error'], abortOnError: false });
  try {
    process.exitCode = await runIngest(parsed, app.get(CommandBus), io, { id: `cli:${userInfo().username}`, role: 'operator' });
    if (process.stderr.isTTY) process.stderr.write('\n');
  } catch (error) {
    // A bad configuration is the operator's to fix: its message says what; anything else is a bug, with its stack.
    console.error(error instanceof ConfigError ? error.message : error);
    process.exitCode = 1;
  } finally {
    await app.close();
  }
}

void main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
