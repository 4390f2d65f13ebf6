import { DataSource } from 'typeorm';
import { AppConfig } from '@patchstate/config';
import { MessagingClient } from '@patchstate/messaging';
import { Projection } from '@patchstate/read-models';
import { ProgressSink } from './output/progress';

/** What the commands print to: results line by line, progress separately. Tests pass a recorder. */
export interface ReplayOutput {
  line(text: string): void;
  progress: ProgressSink;
  /** How often plain progress lines are written (non-TTY). */
  progressLineIntervalMs?: number;
}

/**
 * Everything a command needs, so commands are plain functions that tests call in-process: the pool, the
 * Kafka client (null when the command runs without Kafka), the configuration and the projections, which
 * are `allProjections()` in the CLI, the very list the live projector runs.
 */
export interface ReplayContext {
  db: DataSource;
  kafka: MessagingClient | null;
  config: AppConfig;
  projections: readonly Projection[];
  output: ReplayOutput;
  signal?: AbortSignal;
}

export interface CommandOutcome {
  exitCode: 0 | 1 | 2 | 130;
  /** The machine-readable summary printed by --json. */
  summary: Record<string, unknown>;
}

export function requireKafka(context: ReplayContext): MessagingClient {
  if (context.kafka === null) throw new Error('this command needs Kafka, but the context has no Kafka client');
  return context.kafka;
}
