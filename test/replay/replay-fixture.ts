import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { AnyCommand } from '@patchstate/command-handling';
import { AppConfig, loadConfig } from '@patchstate/config';
import { DomainError } from '@patchstate/domain';
import { OutboxRelay, messagingClientOf } from '@patchstate/messaging';
import { Projection, allProjections } from '@patchstate/read-models';
import {
  APRIL_2025_BASELINE,
  FEBRUARY_2025_HOTPATCH,
  JANUARY_2025_BASELINE,
  MARCH_2025_HOTPATCH,
  applyHotpatch,
  commitOnReboot,
  publishPatch,
  registerDevice,
  retireDevice,
  revertHotpatch,
  stageUpdate,
} from '../builders';
import { CommandRunner } from '../projector/projector-fixture';
import { uniqueName } from '../support/test-database';
import { ReplayContext, ReplayOutput } from '../../apps/replay/src/replay-context';

/*
 * Shared set-up for the replay tool's integration tests: a scripted fleet written through the real command
 * handler, published by the real outbox relay to a topic of the test's own, and a recorder standing in for
 * the terminal so the commands' output can be asserted.
 */

export const CATALOG_TIMES = {
  january: '2025-01-14T18:00:00Z',
  february: '2025-02-11T18:00:00Z',
  march: '2025-03-11T17:00:00Z',
  april: '2025-04-08T17:00:00Z',
} as const;

/** Events recorded on or after this instant are March's and later: the window tests cut here. */
export const MARCH_FIRST = '2025-03-01T00:00:00Z';

export function fleetDeviceId(index: number): string {
  return `fleet-${String(index).padStart(4, '0')}`;
}

function at(day: string, index: number): string {
  return new Date(Date.parse(day) + index * 1000).toISOString();
}

export function catalogCommands(): AnyCommand[] {
  return [
    publishPatch(JANUARY_2025_BASELINE, { at: CATALOG_TIMES.january }),
    publishPatch(FEBRUARY_2025_HOTPATCH, { at: CATALOG_TIMES.february }),
    publishPatch(MARCH_2025_HOTPATCH, { at: CATALOG_TIMES.march }),
    publishPatch(APRIL_2025_BASELINE, { at: CATALOG_TIMES.april }),
  ];
}

/**
 * One device's history, varied by its index: most take February's hotpatch, some commit it at a reboot,
 * take March's, revert, stage the April baseline, retire; a Pro edition or VBS that is not running gets
 * refusals. Every time is fixed (a second apart per device), so runs are repeatable.
 */
export function deviceCommands(index: number): AnyCommand[] {
  const deviceId = fleetDeviceId(index);
  const profile = index % 10 === 3 ? { edition: 'pro' as const } : index % 7 === 5 ? { vbs: 'enabled' as const } : {};
  const commands: AnyCommand[] = [
    registerDevice(profile, { deviceId, hostname: `${deviceId}.corp.contoso.example`, at: at('2025-01-20T08:00:00Z', index) }),
  ];
  if (index % 5 !== 0) commands.push(applyHotpatch(FEBRUARY_2025_HOTPATCH, { deviceId, at: at('2025-02-12T09:00:00Z', index) }));
  if (index % 3 === 0) commands.push(commitOnReboot({ deviceId, at: at('2025-02-15T07:00:00Z', index), bootId: `boot-${index}-1` }));
  if (index % 4 === 1) commands.push(applyHotpatch(MARCH_2025_HOTPATCH, { deviceId, at: at('2025-03-12T09:00:00Z', index) }));
  if (index % 11 === 2) commands.push(revertHotpatch(FEBRUARY_2025_HOTPATCH, { deviceId, at: at('2025-03-14T09:00:00Z', index) }));
  if (index % 13 === 4) commands.push(stageUpdate(APRIL_2025_BASELINE, { deviceId, at: at('2025-04-09T09:00:00Z', index) }));
  if (index % 26 === 4) commands.push(commitOnReboot({ deviceId, at: at('2025-04-10T07:00:00Z', index), bootId: `boot-${index}-2` }));
  if (index % 17 === 6) commands.push(retireDevice({ deviceId, at: at('2025-05-01T09:00:00Z', index) }));
  return commands;
}

/**
 * Writes the catalog, then devices `from`..`to-1` with a few writers in parallel (each device's commands in
 * order). A command the decider refuses is a scripted step that does not apply to that device: skipped.
 */
export async function writeFleet(db: DataSource, range: { from: number; to: number }, options: { writers?: number } = {}): Promise<number> {
  const runner = new CommandRunner(db);
  let refused = 0;
  const run = async (command: AnyCommand) => {
    try {
      await runner.run(command);
    } catch (error) {
      if (!(error instanceof DomainError) || error.code === 'VERSION_CONFLICT') throw error;
      refused += 1;
    }
  };
  let next = range.from;
  const writer = async () => {
    while (next < range.to) {
      const index = next;
      next += 1;
      for (const command of deviceCommands(index)) await run(command);
    }
  };
  await Promise.all(Array.from({ length: options.writers ?? 4 }, writer));
  return refused;
}

export async function writeCatalog(db: DataSource): Promise<void> {
  const runner = new CommandRunner(db);
  await runner.runAll(catalogCommands());
}

export function replayConfig(databaseUrl: string, topic: string, groupId = uniqueName('patchstate-projector-replay')): AppConfig {
  return loadConfig({
    ...process.env,
    DATABASE_URL: databaseUrl,
    KAFKA_TOPIC: topic,
    KAFKA_PARTITIONS: '3',
    PROJECTOR_GROUP_ID: groupId,
    OUTBOX_SAFETY_POLL_MS: '500',
  });
}

export function startRelay(db: DataSource, kafka: Kafka, config: AppConfig): OutboxRelay {
  return new OutboxRelay(db, messagingClientOf(kafka), {
    databaseUrl: config.databaseUrl,
    topic: config.kafka.topic,
    batchSize: 500,
    safetyPollMs: 500,
    log: () => undefined,
  });
}

export async function waitUntilPublished(db: DataSource, relay: OutboxRelay, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await relay.drain();
    const [{ n }]: { n: string }[] = await db.query('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL');
    if (Number(n) === 0) return;
    if (Date.now() > deadline) throw new Error(`${n} outbox rows still unpublished`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stands in for the terminal: every line the command prints, and its progress output. */
export class OutputRecorder implements ReplayOutput {
  readonly lines: string[] = [];
  readonly progressChunks: string[] = [];
  readonly progressLineIntervalMs = 0;
  readonly progress = { isTTY: false, write: (text: string) => void this.progressChunks.push(text) };

  line(text: string): void {
    this.lines.push(text);
  }

  get text(): string {
    return this.lines.join('\n');
  }
}

export function replayContext(
  db: DataSource,
  kafka: Kafka | null,
  config: AppConfig,
  options: { projections?: readonly Projection[]; signal?: AbortSignal; output?: OutputRecorder } = {},
): ReplayContext & { output: OutputRecorder } {
  return {
    db,
    kafka: kafka === null ? null : messagingClientOf(kafka),
    config,
    projections: options.projections ?? allProjections(),
    output: options.output ?? new OutputRecorder(),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** Postgres' identity of each live read-model table: it changes exactly when a swap replaced the table. */
export async function tableIds(db: DataSource, tables: readonly string[]): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const table of tables) {
    const [{ id }]: { id: string }[] = await db.query('SELECT to_regclass($1)::oid::text AS id', [`public.${table}`]);
    ids[table] = id;
  }
  return ids;
}

/** The names of every index and constraint on the given live tables: a swap must keep them. */
export async function indexAndConstraintNames(db: DataSource, tables: readonly string[]): Promise<string[]> {
  const rows: { name: string }[] = await db.query(
    `SELECT c.relname || ' on ' || t.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_class t ON t.oid = i.indrelid WHERE t.oid = ANY($1::text[]::regclass[])
     UNION ALL
     SELECT conname || ' on ' || conrelid::regclass::text FROM pg_constraint WHERE conrelid = ANY($1::text[]::regclass[])
     ORDER BY 1`,
    [tables.map((t) => `public.${t}`)],
  );
  return rows.map((row) => row.name);
}

export async function replaySchemas(db: DataSource): Promise<string[]> {
  const rows: { nspname: string }[] = await db.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'replay%' ORDER BY 1`);
  return rows.map((row) => row.nspname);
}
