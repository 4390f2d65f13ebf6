#!/usr/bin/env node
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '@patchstate/config';
import { DATA_SOURCE } from '@patchstate/event-store';
import { KAFKA, MessagingClient } from '@patchstate/messaging';
import { allProjections } from '@patchstate/read-models';
import { UsageError, needsKafka, parseReplayArguments } from './cli/replay-arguments';
import { usage } from './cli/usage';
import { ReplayModule } from './replay.module';
import { ReplayOutput } from './replay-context';
import { runReplayCommand } from './run-replay-command';

/** `patchstate-replay <command>`: the thin layer from argv to the command functions. */
async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseReplayArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`patchstate-replay: ${error.message}\n\n${usage(error.command)}\n`);
    return 2;
  }
  const { command, json } = parsed;
  if (command.name === 'help') {
    process.stdout.write(`${usage(command.topic)}\n`);
    return 0;
  }
  const config = loadConfig();
  const output: ReplayOutput = {
    // With --json, stdout carries only the summary; the human-readable lines go to stderr.
    line: (text) => (json ? process.stderr : process.stdout).write(`${text}\n`),
    progress: process.stderr,
  };
  const interrupt = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\ninterrupting: cleaning up (press Ctrl-C again to quit at once)\n');
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const app = await NestFactory.createApplicationContext(ReplayModule.forRoot(config, { kafka: needsKafka(command) }), {
    logger: ['error'],
    abortOnError: false,
  });
  try {
    const outcome = await runReplayCommand(
      {
        db: app.get<DataSource>(DATA_SOURCE),
        kafka: needsKafka(command) ? app.get<MessagingClient>(KAFKA) : null,
        config,
        projections: allProjections(),
        output,
        signal: interrupt.signal,
      },
      command,
      { json },
    );
    if (json) process.stdout.write(`${JSON.stringify(outcome.summary, null, 2)}\n`);
    return outcome.exitCode;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (error: unknown) => {
    process.stderr.write(`patchstate-replay: ${error instanceof ConfigError ? error.message : ((error as Error)?.stack ?? String(error))}\n`);
    exit(1);
  },
);

/** Lets stdout drain, then exits even if a client library left a timer running. */
function exit(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 1000).unref();
}
