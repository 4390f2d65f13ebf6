import {
  EventSource,
  KafkaEventSource,
  ReplayWindow,
  RowDifference,
  StoreEventSource,
  listReplaySchemas,
  rebuildReadModels,
  selectProjections,
  verifyReadModels,
} from '@patchstate/read-models';
import { SourceName } from '../cli/replay-arguments';
import { ProgressReporter, formatCount, formatDuration } from '../output/progress';
import { CommandOutcome, ReplayContext, requireKafka } from '../replay-context';

export interface RebuildCommandOptions {
  projections: string[] | 'all';
  source: SourceName;
  window?: ReplayWindow;
  keepShadow?: boolean;
  keepOld?: boolean;
}

export interface VerifyCommandOptions {
  projections: string[] | 'all';
  source: SourceName;
  maxRows?: number;
  keepShadow?: boolean;
}

export async function rebuildCommand(context: ReplayContext, options: RebuildCommandOptions): Promise<CommandOutcome> {
  const { output } = context;
  const projections = choose(context, options.projections);
  const window = options.window ?? {};
  await warnAboutLeftovers(context);
  const progress = new ProgressReporter(output.progress, 'rebuild', { lineIntervalMs: output.progressLineIntervalMs });
  try {
    const result = await rebuildReadModels(context.db, {
      projections,
      source: createSource(context, options.source, window),
      window,
      signal: context.signal,
      onProgress: (state) => progress.update(state),
      log: (line) => output.line(line),
      keepShadow: options.keepShadow,
      keepOld: options.keepOld,
    });
    progress.finish();
    const { counts } = result;
    const rate = eventsPerSecond(counts.replayed + counts.passedOver + counts.caughtUp, result.durationMs);
    if (result.outcome === 'swapped') {
      output.line(`rebuilt ${result.projections.join(', ')} (tables ${result.tables.join(', ')}) from ${sourceName(result.source)} and swapped them in`);
    } else {
      output.line(`rebuilt ${result.projections.join(', ')} for the window ${describeWindow(window)} from ${sourceName(result.source)}`);
      output.line(`a windowed rebuild is a partial history: it is not swapped in; inspect it in schema ${result.shadowSchema}`);
      output.line(`(drop it when done: DROP SCHEMA ${result.shadowSchema} CASCADE)`);
      if (result.parked.count > 0) {
        output.line(`${result.parked.count} event(s) could not be applied in the window (see ${result.shadowSchema}.dead_letters), e.g.:`);
        for (const p of result.parked.first.slice(0, 3)) output.line(`  ${p.streamId} v${p.version} ${p.type}: ${p.error}`);
      }
    }
    output.line(
      `${formatCount(counts.replayed)} events replayed (${formatCount(counts.applied)} applied, ` +
        `${formatCount(counts.skippedAsDuplicate)} already applied or not handled), ${formatCount(counts.caughtUp)} caught up, ` +
        `${formatCount(counts.passedOver)} passed over, in ${formatDuration(result.durationMs)} (${formatCount(rate)} events/s)`,
    );
    return {
      exitCode: 0,
      summary: { command: 'rebuild', ok: true, ...result, window: windowSummary(window), eventsPerSecond: rate },
    };
  } finally {
    progress.finish();
  }
}

export async function verifyCommand(context: ReplayContext, options: VerifyCommandOptions): Promise<CommandOutcome> {
  const { output } = context;
  const projections = choose(context, options.projections);
  await warnAboutLeftovers(context);
  const progress = new ProgressReporter(output.progress, 'verify', { lineIntervalMs: output.progressLineIntervalMs });
  try {
    const result = await verifyReadModels(context.db, {
      projections,
      source: createSource(context, options.source, {}),
      signal: context.signal,
      onProgress: (state) => progress.update(state),
      log: (line) => output.line(line),
      keepShadow: options.keepShadow,
      maxRowsPerTable: options.maxRows ?? 20,
    });
    progress.finish();
    const compared = `${result.tables.join(', ')} (${result.projections.join(', ')})`;
    if (result.equal) {
      output.line(`verified ${compared}: the live read models equal a rebuild from ${sourceName(result.source)}`);
    } else {
      output.line(`DIFFERENT: the live read models do not equal a rebuild from ${sourceName(result.source)}`);
      for (const table of result.differences) {
        const key = table.key.length > 0 ? `key ${table.key.join(', ')}` : 'no primary key: whole rows compared';
        output.line(`${table.table}: ${formatCount(table.differingRows)} row(s) differ (${key})`);
        for (const row of table.rows) for (const line of describeRow(table.table, row)) output.line(line);
        if (table.differingRows > table.rows.length) output.line(`  ... and ${formatCount(table.differingRows - table.rows.length)} more`);
      }
      if (result.parked.count > 0) {
        output.line(`the rebuild could not apply ${result.parked.count} event(s) that the live projector applied:`);
        for (const p of result.parked.first) output.line(`  ${p.streamId} v${p.version} ${p.type}: ${p.error}`);
      }
    }
    if (result.liveParked > 0) {
      output.line(
        `note: ${result.liveParked} event(s) are parked in the live dead letters; their streams were compared up to them ` +
          `(see: dead-letters list)`,
      );
    }
    output.line(
      `${formatCount(result.counts.replayed + result.counts.caughtUp)} events replayed, ` +
        `${formatCount(result.counts.heldBack)} not yet applied live and left out, in ${formatDuration(result.durationMs)}`,
    );
    return { exitCode: result.equal ? 0 : 1, summary: { command: 'verify', ok: result.equal, ...result } };
  } finally {
    progress.finish();
  }
}

function choose(context: ReplayContext, requested: string[] | 'all') {
  const { projections, addedForSharedTables } = selectProjections(context.projections, requested);
  if (addedForSharedTables.length > 0) {
    context.output.line(`also rebuilding ${addedForSharedTables.join(', ')}: it shares tables with the projections named`);
  }
  return projections;
}

function createSource(context: ReplayContext, source: SourceName, window: ReplayWindow): EventSource {
  if (source === 'store') return new StoreEventSource(context.db, window);
  return new KafkaEventSource(requireKafka(context), context.config.kafka.topic, window, {
    groupIdPrefix: `${context.config.kafka.projectorGroupId}-replay`,
    log: (line) => context.output.line(line),
  });
}

async function warnAboutLeftovers(context: ReplayContext): Promise<void> {
  const leftovers = await listReplaySchemas(context.db);
  if (leftovers.length > 0) {
    context.output.line(
      `note: schemas left by earlier replays: ${leftovers.join(', ')} (kept on purpose or by an interrupted run; ` +
        `drop them with DROP SCHEMA <name> CASCADE when no longer needed)`,
    );
  }
}

/** `  device_state device_id=ws-0001` then one line per differing column, live against rebuilt. */
export function describeRow(table: string, row: RowDifference): string[] {
  const key = Object.entries(row.key)
    .map(([column, value]) => `${column}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  if (row.live === null) return [`  ${table} ${key}: missing in the live table`];
  if (row.rebuilt === null) return [`  ${table} ${key}: in the live table but not in the rebuild`];
  return [
    `  ${table} ${key}:`,
    ...row.columns.map((column) => `    ${column}: live ${clip(JSON.stringify(row.live![column]))} | rebuilt ${clip(JSON.stringify(row.rebuilt![column]))}`),
  ];
}

function clip(text: string | undefined, max = 200): string {
  if (text === undefined) return 'undefined';
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

function sourceName(source: string): string {
  return source === 'kafka' ? 'Kafka' : 'the event store';
}

function eventsPerSecond(events: number, ms: number): number {
  return ms <= 0 ? events : Math.round((events * 1000) / ms);
}

function describeWindow(window: ReplayWindow): string {
  const parts: string[] = [];
  if (window.fromTime) parts.push(`recorded at or after ${window.fromTime.toISOString()}`);
  if (window.toPosition) parts.push(`up to position ${window.toPosition}`);
  return parts.length > 0 ? parts.join(', ') : 'whole log';
}

function windowSummary(window: ReplayWindow): Record<string, string> {
  return {
    ...(window.fromTime ? { fromTime: window.fromTime.toISOString() } : {}),
    ...(window.toPosition ? { toPosition: window.toPosition } : {}),
  };
}
